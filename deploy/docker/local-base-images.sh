#!/usr/bin/env bash
# Base images for docker-compose.yml and deploy/docker/Dockerfile on a machine that cannot reach a
# public registry (Docker Hub). Users who can pull `node`, `redis` and `haproxy` never need this.
#
#   eval "$(deploy/docker/local-base-images.sh)"    # builds what is missing, then exports the names
#   docker compose up -d --build --wait
#
# It prints only `export FAILSOFT_*_IMAGE=...` lines on stdout (progress goes to stderr), for the
# variables docker-compose.yml reads:
#   FAILSOFT_NODE_IMAGE     the Node base of deploy/docker/Dockerfile (ARG NODE_IMAGE)
#   FAILSOFT_REDIS_IMAGE    Redis data nodes and sentinels
#   FAILSOFT_HAPROXY_IMAGE  the front door
# The stand-ins, built once and reused (--rebuild builds them again):
#   failsoft-local/debian:bookworm   `debootstrap --variant=minbase bookworm` from the machine's
#                                    Debian mirror, imported as an image (debootstrap is installed
#                                    with apt-get when missing)
#   failsoft-local/node:<version>    FROM it: the host's own `node` and npm, its CA certificates
#                                    (NODE_EXTRA_CA_CERTS, so npm works behind a TLS-inspecting
#                                    proxy) and the `node` user (uid 1000) of the official image.
#                                    The host's Node version, not 22: Node 20 or newer is needed
#   failsoft-local/redis:bookworm    FROM it: Debian's redis-server (7.0), with a docker-entrypoint.sh
#                                    like the official image's (drops to the redis user)
#   failsoft-local/haproxy:bookworm  FROM it: Debian's haproxy (2.6), reading
#                                    /usr/local/etc/haproxy/haproxy.cfg, running as haproxy
#   failsoft-local/prometheus:bookworm  with --observability only: Debian's prometheus (2.42),
#                                    /bin/prometheus as entrypoint like prom/prometheus
#                                    (FAILSOFT_PROMETHEUS_IMAGE, deploy/observability)
# Needs a running Docker engine (tools/container-engine.sh) and root for debootstrap.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
REBUILD=false
OBSERVABILITY=false
for arg in "$@"; do
  case "$arg" in
    --rebuild) REBUILD=true ;;
    --observability) OBSERVABILITY=true ;;
    -h | --help) sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 0 ;;
    *) echo "local-base-images: unknown argument '$arg'; usage: $0 [--rebuild] [--observability]" >&2; exit 2 ;;
  esac
done

say() { echo "local-base-images: $*" >&2; }
die() { echo "local-base-images: $*" >&2; exit 1; }
have() { [ "$REBUILD" = false ] && docker image inspect "$1" >/dev/null 2>&1; }
built() { say "$1 ready in $(($(date +%s) - $2)) s ($(docker image inspect -f '{{.Size}}' "$1" | awk '{printf "%.0f MB", $1 / 1e6}'))"; }

timeout 10 docker info >/dev/null 2>&1 || die "no Docker engine answers; start one first: tools/container-engine.sh start"
command -v node >/dev/null 2>&1 || die "node is not on PATH: the Node stand-in is made from the host's node"

node_bin=$(readlink -f "$(command -v node)")
node_version=$(node --version | sed 's/^v//')
npm_dir=$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)
[ -f "$npm_dir/package.json" ] || die "cannot find npm's folder next to $(command -v npm)"
[ "${node_version%%.*}" -ge 20 ] || die "the host's node is $node_version; the apps need Node 20 or newer"

DEBIAN=failsoft-local/debian:bookworm
NODE=failsoft-local/node:$node_version
REDIS=failsoft-local/redis:bookworm
HAPROXY=failsoft-local/haproxy:bookworm
PROMETHEUS=failsoft-local/prometheus:bookworm

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# -- Debian rootfs -------------------------------------------------------------------------------
if ! have "$DEBIAN"; then
  start=$(date +%s)
  [ "$(id -u)" -eq 0 ] || die "debootstrap needs root; run: sudo $0"
  if ! command -v debootstrap >/dev/null 2>&1; then
    say "installing debootstrap (apt-get)"
    apt-get update -qq >&2
    NEEDRESTART_SUSPEND=1 DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  fi
  mirror=$(bash "$repo/tools/container-engine.sh" mirror)
  say "debootstrap --variant=minbase bookworm from $mirror (about 30 s; log $work/debootstrap.log)"
  debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || { tail -n 15 "$work/debootstrap.log" >&2; die "debootstrap failed (the end of its log is above)"; }
  rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
  # the image's apt reads the same mirror
  echo "deb $mirror bookworm main" >"$work/rootfs/etc/apt/sources.list"
  tar --numeric-owner -C "$work/rootfs" -c . | docker import -c 'CMD ["bash"]' - "$DEBIAN" >/dev/null
  rm -rf "$work/rootfs"
  built "$DEBIAN" "$start"
else
  say "$DEBIAN exists (--rebuild to build it again)"
fi

# -- Node: the host's node and npm on that Debian --------------------------------------------------
if ! have "$NODE"; then
  start=$(date +%s)
  ctx=$work/node
  mkdir -p "$ctx"
  cp "$node_bin" "$ctx/node"
  cp -a "$npm_dir" "$ctx/npm"
  cp -aL /etc/ssl/certs "$ctx/certs"
  cat >"$ctx/Dockerfile" <<EOF
FROM $DEBIAN
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY certs /etc/ssl/certs
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \\
 && node --version && npm --version
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
CMD ["node"]
EOF
  say "building $NODE (the host's node $node_version and npm)"
  docker build -q -t "$NODE" "$ctx" >/dev/null
  built "$NODE" "$start"
else
  say "$NODE exists"
fi

# -- Redis and HAProxy from Debian's packages, with the official images' entrypoint contract ------
build_from_apt() {
  local image=$1 package=$2 entrypoint=$3 tail=$4 start ctx
  if have "$image"; then say "$image exists"; return; fi
  start=$(date +%s)
  ctx=$work/$package
  mkdir -p "$ctx"
  printf '%s\n' "$entrypoint" >"$ctx/docker-entrypoint.sh"
  chmod 0755 "$ctx/docker-entrypoint.sh"
  cat >"$ctx/Dockerfile" <<EOF
FROM $DEBIAN
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $package >/dev/null \\
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
$tail
EOF
  say "building $image (apt-get install $package in the image)"
  docker build -q -t "$image" "$ctx" >/dev/null
  built "$image" "$start"
}

build_from_apt "$REDIS" redis-server '#!/bin/sh
# Like the official redis image: options or a .conf first mean redis-server; as root, the data
# directory is given to the redis user and the server runs as that user.
set -e
case "$1" in -* | *.conf) set -- redis-server "$@" ;; esac
if [ "$1" = redis-server ] || [ "$1" = redis-sentinel ]; then
  if [ "$(id -u)" = 0 ]; then
    find . \! -user redis -exec chown redis "{}" +
    exec setpriv --reuid=redis --regid=redis --init-groups "$@"
  fi
fi
exec "$@"' 'RUN mkdir -p /data && chown redis:redis /data
WORKDIR /data
VOLUME /data
EXPOSE 6379
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["redis-server"]'

build_from_apt "$HAPROXY" haproxy '#!/bin/sh
# Like the official haproxy image: options first mean haproxy; haproxy runs in the foreground
# as the master of its worker (-W -db).
set -e
case "$1" in -*) set -- haproxy "$@" ;; esac
if [ "$1" = haproxy ]; then
  shift
  set -- haproxy -W -db "$@"
fi
exec "$@"' 'RUN mkdir -p /usr/local/etc/haproxy && cp /etc/haproxy/haproxy.cfg /usr/local/etc/haproxy/haproxy.cfg
USER haproxy
WORKDIR /var/lib/haproxy
EXPOSE 8080
STOPSIGNAL SIGUSR1
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["haproxy", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]'

if [ "$OBSERVABILITY" = true ]; then
  build_from_apt "$PROMETHEUS" prometheus '#!/bin/sh
# Like prom/prometheus: options first mean prometheus.
set -e
case "$1" in -*) set -- prometheus "$@" ;; esac
exec "$@"' 'RUN mkdir -p /prometheus /etc/prometheus && chown prometheus:prometheus /prometheus && ln -s /usr/bin/prometheus /bin/prometheus 2>/dev/null || true
USER prometheus
WORKDIR /prometheus
EXPOSE 9090
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]'
  echo "export FAILSOFT_PROMETHEUS_IMAGE=$PROMETHEUS"
fi
echo "export FAILSOFT_NODE_IMAGE=$NODE"
echo "export FAILSOFT_REDIS_IMAGE=$REDIS"
echo "export FAILSOFT_HAPROXY_IMAGE=$HAPROXY"
