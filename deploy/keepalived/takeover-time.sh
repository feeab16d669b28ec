#!/usr/bin/env bash
# Measures the VIP takeover: SIGKILLs the front door holding the virtual IP (the MASTER) and times
# until the other one logs "Entering MASTER STATE" (keepalived's own log, Docker's timestamps),
# then starts the killed one again and shows that it comes back as BACKUP (nopreempt).
#
#   docker compose up -d --build --wait          # first (same COMPOSE_PROJECT_NAME / -p as here)
#   deploy/keepalived/takeover-time.sh [rounds]   # default 3 rounds
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
dc() { docker compose "$@"; }
role() { dc exec -T "$1" cat /run/front-door/vrrp.state 2>/dev/null | tr -d '\n' || echo '?'; }
ms() { date -d "$1" +%s%3N; }
for round in $(seq 1 "$rounds"); do
  master=''
  for i in $(seq 1 100); do
    for fd in front-door-1 front-door-2; do [ "$(role $fd)" = MASTER ] && master=$fd; done
    [ -n "$master" ] && break
    sleep 0.2
  done
  [ -n "$master" ] || { echo "takeover-time: no front door is MASTER" >&2; exit 1; }
  other=$([ "$master" = front-door-1 ] && echo front-door-2 || echo front-door-1)
  since=$(date -u +%FT%T.%NZ)
  killed=$(date +%s%3N)
  dc kill -s SIGKILL "$master" >/dev/null 2>&1
  line=''
  for i in $(seq 1 150); do
    line=$(dc logs -t --since "$since" "$other" 2>/dev/null | grep -m1 'Entering MASTER STATE' || true)
    [ -n "$line" ] && break
    sleep 0.1
  done
  [ -n "$line" ] || { echo "takeover-time: $other did not take over within 15 s" >&2; exit 1; }
  stamp=$(echo "$line" | grep -oE '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z' | head -n1)
  echo "round $round: SIGKILL $master -> $other MASTER after $(( $(ms "$stamp") - killed )) ms"
  dc start "$master" >/dev/null 2>&1
  for i in $(seq 1 100); do [ "$(role "$master")" = BACKUP ] && break; sleep 0.2; done
  echo "  $master back: $(role "$master"); $other: $(role "$other") (nopreempt: no second move)"
done
