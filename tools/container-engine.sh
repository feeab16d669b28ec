#!/usr/bin/env bash
# A Docker engine with Compose v2 wherever the compose tests run (CI, a developer's Debian machine).
#
#   tools/container-engine.sh [start]   make `docker` and `docker compose` (v2) work; idempotent
#   tools/container-engine.sh stop      stop the dockerd THIS script started (nothing else)
#   tools/container-engine.sh status    say what runs and who started it
#   tools/container-engine.sh mirror    print the Debian mirror this machine uses (deploy/docker/local-base-images.sh)
#
# start, on a machine whose Docker engine already answers (a laptop with Docker Desktop, a CI
# runner with Docker): leaves the engine alone; only when `docker compose` (v2) is missing does it
# add the Compose v2 plugin (Debian, root) or say how to get it.
# start, on a Debian machine without a running engine (what CI has):
#   1. `apt-get install docker.io` when dockerd is not installed (root);
#   2. starts dockerd (storage driver overlay2, iptables left ON: bridged containers need its
#      MASQUERADE rule for DNS and the package mirrors), its log and pid in $ENGINE_DIR;
#   3. waits until `docker info` answers (at most ENGINE_WAIT_SECONDS, default 60);
#   4. provides Compose v2 and buildx as CLI plugins in /usr/local/lib/docker/cli-plugins when
#      `docker compose version` fails: Debian 12 packages only Compose v1 (docker-compose 1.29),
#      Debian 13 (trixie) packages v2 as static binaries that run on Debian 12. They are fetched with
#      `apt-get download` through a THROWAWAY apt state (its own sources list, lists and cache in
#      $ENGINE_DIR/apt): the machine's apt sources are never changed.
#
# Environment: FAILSOFT_ENGINE_DIR (default <repo>/tmp/container-engine: dockerd.log, dockerd.pid),
# ENGINE_WAIT_SECONDS (default 60), DEBIAN_MIRROR (default: the machine's own Debian mirror).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
ENGINE_DIR=${FAILSOFT_ENGINE_DIR:-$repo/tmp/container-engine}
PID_FILE=$ENGINE_DIR/dockerd.pid
LOG_FILE=$ENGINE_DIR/dockerd.log
PLUGIN_DIR=/usr/local/lib/docker/cli-plugins
WAIT=${ENGINE_WAIT_SECONDS:-60}

say() { echo "container-engine: $*"; }
die() { echo "container-engine: $*" >&2; exit 1; }
engine_answers() { timeout 10 docker info --format '{{.ServerVersion}}' >/dev/null 2>&1; }
# The pid of the dockerd this script started, when it still runs.
our_pid() {
  [ -f "$PID_FILE" ] || return 1
  local pid
  pid=$(cat "$PID_FILE")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q dockerd && echo "$pid"
}
need_root() { [ "$(id -u)" -eq 0 ] || die "$1 needs root; run: sudo $0 ${2:-start}"; }

# The Debian mirror the machine already uses (deb822 .sources files or a classic sources.list).
debian_mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
  local found
  found=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ {print $2}' | grep -v -- '-security' | head -n1 || true)
  [ -n "$found" ] || found=$(grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | grep -v -- '-security' | awk '{for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) {print $i; exit}}' || true)
  echo "${found:-http://deb.debian.org/debian}"
}

install_compose_v2() {
  if docker compose version >/dev/null 2>&1; then
    say "compose: $(docker compose version 2>/dev/null | head -n1)"
    return
  fi
  if [ ! -f /etc/debian_version ] || [ "$(id -u)" -ne 0 ]; then
    die "\`docker compose\` (Compose v2) is missing. Install the compose plugin of your Docker (https://docs.docker.com/compose/install/), or run this script as root on Debian to add it from Debian's packages"
  fi
  local mirror apt_dir work
  mirror=$(debian_mirror)
  apt_dir=$ENGINE_DIR/apt
  work=$(mktemp -d)
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" >"$apt_dir/sources.list"
  local apt_opts=(-o "Dir::Etc::sourcelist=$apt_dir/sources.list" -o "Dir::Etc::sourceparts=-" -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o "APT::Get::List-Cleanup=0")
  say "compose: Compose v2 is missing; fetching docker-compose and docker-buildx from Debian trixie ($mirror) with a throwaway apt state in $apt_dir"
  apt-get -q "${apt_opts[@]}" update >"$apt_dir/update.log" 2>&1 || { tail -n 5 "$apt_dir/update.log" >&2; die "apt-get update of the trixie list failed (log: $apt_dir/update.log); set DEBIAN_MIRROR to a reachable Debian mirror"; }
  (cd "$work" && apt-get -q "${apt_opts[@]}" download docker-compose docker-buildx) >"$apt_dir/download.log" 2>&1 || { tail -n 5 "$apt_dir/download.log" >&2; die "apt-get download docker-compose docker-buildx failed (log: $apt_dir/download.log)"; }
  mkdir -p "$PLUGIN_DIR"
  local deb
  for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
  install -m 0755 "$work/root/usr/libexec/docker/cli-plugins/docker-compose" "$PLUGIN_DIR/docker-compose"
  install -m 0755 "$work/root/usr/libexec/docker/cli-plugins/docker-buildx" "$PLUGIN_DIR/docker-buildx"
  rm -rf "$work"
  docker compose version >/dev/null 2>&1 || die "installed $PLUGIN_DIR/docker-compose, but \`docker compose version\` still fails"
  say "compose: installed $(docker compose version | head -n1) and $(docker buildx version 2>/dev/null | cut -d' ' -f1-2) in $PLUGIN_DIR"
}

start() {
  mkdir -p "$ENGINE_DIR"
  if engine_answers; then
    local pid
    if pid=$(our_pid); then say "dockerd (pid $pid, started by this script) already runs: $(docker info --format '{{.ServerVersion}} {{.Driver}}')"
    else say "a Docker engine already runs ($(docker info --format '{{.ServerVersion}} {{.Driver}}')); leaving it alone"; fi
    install_compose_v2
    return
  fi
  if ! command -v dockerd >/dev/null 2>&1; then
    need_root "installing docker.io"
    say "dockerd is not installed: apt-get install docker.io"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
  fi
  command -v docker >/dev/null 2>&1 || die "dockerd is installed but the docker client is not on PATH"
  need_root "starting dockerd"
  say "starting dockerd (overlay2, iptables on); log: $LOG_FILE"
  # The daemon keeps no descriptor of ours beyond 0-2: run as `flock /work/heavy.lock tools/container-engine.sh
  # start`, an inherited lock descriptor would hold that lock for as long as dockerd runs (everyone else waits).
  (
    for fd in /proc/$BASHPID/fd/*; do
      n=${fd##*/}
      [ "$n" -gt 2 ] 2>/dev/null && eval "exec $n>&-"
    done
    exec setsid dockerd --storage-driver=overlay2 >>"$LOG_FILE" 2>&1 </dev/null
  ) &
  echo $! >"$PID_FILE"
  local waited=0
  until engine_answers; do
    if ! our_pid >/dev/null; then tail -n 15 "$LOG_FILE" >&2; rm -f "$PID_FILE"; die "dockerd exited while starting (the lines above are the end of $LOG_FILE)"; fi
    if [ "$waited" -ge "$WAIT" ]; then tail -n 15 "$LOG_FILE" >&2; die "dockerd (pid $(cat "$PID_FILE")) does not answer after ${WAIT}s; see $LOG_FILE, stop it with: $0 stop"; fi
    [ $((waited % 5)) -eq 4 ] && say "waiting for dockerd to answer (${waited}s)"
    sleep 1
    waited=$((waited + 1))
  done
  say "dockerd (pid $(cat "$PID_FILE")) answers after ${waited}s: $(docker info --format '{{.ServerVersion}} {{.Driver}}')"
  install_compose_v2
}

stop() {
  local pid
  if ! pid=$(our_pid); then
    rm -f "$PID_FILE"
    say "no dockerd started by this script runs; nothing to stop (an engine started otherwise is left alone)"
    return
  fi
  say "stopping dockerd (pid $pid; it stops its own containerd)"
  kill -TERM "$pid"
  local waited=0
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$waited" -ge 60 ]; then say "dockerd (pid $pid) still runs after 30s; SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; break; fi
    sleep 0.5
    waited=$((waited + 1))
  done
  rm -f "$PID_FILE"
  say "dockerd stopped"
}

status() {
  local pid
  if pid=$(our_pid); then say "dockerd pid $pid (started by this script; log $LOG_FILE)"; fi
  if engine_answers; then say "engine: $(docker info --format '{{.ServerVersion}} {{.Driver}}')"; else say "engine: not answering"; fi
  if docker compose version >/dev/null 2>&1; then say "compose: $(docker compose version | head -n1)"; else say "compose: v2 missing"; fi
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  mirror) debian_mirror ;;
  *) die "unknown command '$1'; usage: $0 [start|stop|status|mirror]" ;;
esac
