#!/bin/sh
# Starts a Failsoft Redis data node or sentinel (docker-compose.yml and deploy/k8s use it).
#
#   entrypoint.sh redis|sentinel [command...]
#
# On the first start (no config in DATA_DIR yet) it writes DATA_DIR/redis.conf or
# DATA_DIR/sentinel.conf from the template beside this script; later starts reuse that copy,
# which Redis and the sentinels keep up to date across failovers (a data node restarting also
# follows the master the sentinels name at that moment, if any answers). Then it runs
# `command... <config>` (default `redis-server`; sentinels get `--sentinel` appended).
#
# Environment:
#   ANNOUNCE_HOST        required: the name other nodes and the apps use to reach this one
#   INITIAL_MASTER_HOST  required: the master to start with when no sentinel knows one
#   INITIAL_MASTER_PORT  its port (default REDIS_PORT)
#   SENTINELS            host:port,... asked for the current master on a first start (optional)
#   REDIS_MASTER_NAME    name the sentinels monitor (default failsoft)
#   REDIS_PORT           data node port (default 6379); SENTINEL_PORT (default 26379)
#   BIND                 interfaces to listen on (default "* -::*": every IPv4 and IPv6 address)
#   DATA_DIR             writable, persistent directory (default /data)
#   RESOLVE_WAIT_SECONDS how long a sentinel waits for the master's name to resolve (default 60)
set -eu

mode=${1:-}
case "$mode" in
  redis | sentinel) shift ;;
  *) echo "usage: $0 redis|sentinel [command...]" >&2; exit 64 ;;
esac
[ $# -gt 0 ] || set -- redis-server

: "${ANNOUNCE_HOST:?ANNOUNCE_HOST is required (the name others use to reach this node)}"
: "${INITIAL_MASTER_HOST:?INITIAL_MASTER_HOST is required (the master on a first start)}"
MASTER_NAME=${REDIS_MASTER_NAME:-failsoft}
REDIS_PORT=${REDIS_PORT:-6379}
SENTINEL_PORT=${SENTINEL_PORT:-26379}
BIND=${BIND:-* -::*}
DATA_DIR=${DATA_DIR:-/data}
INITIAL_MASTER_PORT=${INITIAL_MASTER_PORT:-$REDIS_PORT}
TEMPLATE_DIR=${TEMPLATE_DIR:-$(dirname "$0")}

log() { echo "failsoft-redis[$mode $ANNOUNCE_HOST]: $*" >&2; }

# Prints "host port" of the master according to the first sentinel that knows it (not ourselves).
master_from_sentinels() {
  for entry in $(echo "${SENTINELS:-}" | tr ',' ' '); do
    host=${entry%:*}
    port=${entry##*:}
    if [ "$mode" = sentinel ] && [ "$host" = "$ANNOUNCE_HOST" ] && [ "$port" = "$SENTINEL_PORT" ]; then continue; fi
    reply=$(timeout 3 redis-cli -h "$host" -p "$port" --raw sentinel get-master-addr-by-name "$MASTER_NAME" 2>/dev/null | tr '\n' ' ') || continue
    set -- $reply
    if [ $# -eq 2 ]; then
      echo "$1 $2"
      return 0
    fi
  done
  return 1
}

fill() { # template output key=value...
  template=$1
  out=$2
  shift 2
  tmp="$out.tmp"
  cp "$template" "$tmp"
  for pair in "$@"; do
    key=${pair%%=*}
    value=$(printf '%s' "${pair#*=}" | sed 's/[&|\\]/\\&/g')
    sed -i "s|@$key@|$value|g" "$tmp"
  done
  mv "$tmp" "$out"
}

mkdir -p "$DATA_DIR"
if [ "$mode" = redis ]; then
  conf="$DATA_DIR/redis.conf"
  if [ ! -s "$conf" ]; then
    if current=$(master_from_sentinels); then
      master_host=${current% *}
      master_port=${current#* }
      log "first start: the sentinels name $master_host:$master_port as master"
    else
      master_host=$INITIAL_MASTER_HOST
      master_port=$INITIAL_MASTER_PORT
      log "first start: no sentinel answered; initial master is $master_host"
    fi
    if [ "$master_host" = "$ANNOUNCE_HOST" ] && [ "$master_port" = "$REDIS_PORT" ]; then
      replicaof="# starts as the master"
    else
      replicaof="replicaof $master_host $master_port"
    fi
    fill "$TEMPLATE_DIR/redis.conf" "$conf" "PORT=$REDIS_PORT" "BIND=$BIND" "DATA_DIR=$DATA_DIR" \
      "ANNOUNCE_HOST=$ANNOUNCE_HOST" "REPLICAOF=$replicaof"
    log "wrote $conf ($replicaof)"
  elif current=$(master_from_sentinels); then
    # A restart: keep the data and settings, but follow the master the sentinels name now (this
    # node may have been the master before a failover), instead of serving stale data as a master
    # until the sentinels notice and demote it.
    master_host=${current% *}
    master_port=${current#* }
    sed -i '/^replicaof /d; /^slaveof /d' "$conf"
    if [ "$master_host" = "$ANNOUNCE_HOST" ] && [ "$master_port" = "$REDIS_PORT" ]; then
      log "reusing $conf; the sentinels name this node as master"
    else
      echo "replicaof $master_host $master_port" >>"$conf"
      log "reusing $conf; the sentinels name $master_host:$master_port as master: replicating it"
    fi
  else
    log "reusing $conf (no sentinel answered: keeping its role)"
  fi
  exec "$@" "$conf"
fi

conf="$DATA_DIR/sentinel.conf"
if [ ! -s "$conf" ]; then
  if current=$(master_from_sentinels); then
    master_host=${current% *}
    master_port=${current#* }
    log "first start: the other sentinels name $master_host:$master_port as master"
  else
    master_host=$INITIAL_MASTER_HOST
    master_port=$INITIAL_MASTER_PORT
    log "first start: no other sentinel answered; monitoring the initial master $master_host"
  fi
  # `sentinel monitor` refuses a name that does not resolve yet (the master's container or pod
  # may still be starting): wait a bounded time, then fail and let the supervisor restart us.
  waited=0
  until getent ahosts "$master_host" >/dev/null 2>&1; do
    if [ "$waited" -ge "${RESOLVE_WAIT_SECONDS:-60}" ]; then
      log "$master_host does not resolve after ${waited}s; giving up"
      exit 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
  fill "$TEMPLATE_DIR/sentinel.conf" "$conf" "PORT=$SENTINEL_PORT" "BIND=$BIND" "DATA_DIR=$DATA_DIR" \
    "ANNOUNCE_HOST=$ANNOUNCE_HOST" "MASTER_NAME=$MASTER_NAME" "MASTER_HOST=$master_host" "MASTER_PORT=$master_port"
  log "wrote $conf (monitoring $master_host:$master_port)"
else
  log "reusing $conf"
fi
exec "$@" "$conf" --sentinel
