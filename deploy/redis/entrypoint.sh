#!/bin/sh
# Starts a Failsoft Redis data node or sentinel (docker-compose.yml and deploy/k8s use it).
#
#   entrypoint.sh redis|sentinel [command...]
#
# On the first start (no config in DATA_DIR yet) it writes DATA_DIR/redis.conf or
# DATA_DIR/sentinel.conf from the template beside this script; later starts reuse that copy,
# which Redis and the sentinels keep up to date across failovers. Then it runs
# `command... <config>` (default `redis-server`; sentinels get `--sentinel` appended).
#
# Which node is the master is never assumed: it is asked for, in this order (see current_master):
#   1. the sentinels (SENTINELS), whose answer counts only if that node does not say it is a replica;
#   2. the data nodes themselves (ROLE of each of REDIS_NODES): the one that says "master" (the
#      one with the most replicas if several do), else the master most replicas follow;
#   3. only when nothing answers at all: INITIAL_MASTER_HOST (a brand-new deployment).
# So a sentinel whose volume was lost after a failover monitors the node that is master NOW, not
# the initial one (which may be a replica by then), and a data node joins the current master.
#
# Environment:
#   ANNOUNCE_HOST        required: the name other nodes and the apps use to reach this one
#   INITIAL_MASTER_HOST  required: the master of a brand-new deployment (nothing else answers)
#   INITIAL_MASTER_PORT  its port (default REDIS_PORT)
#   SENTINELS            host:port,... of the sentinels (optional)
#   REDIS_NODES          host:port,... of every data node (optional; default INITIAL_MASTER_HOST:PORT,
#                        whose ROLE still names the master it follows)
#   REDIS_MASTER_NAME    name the sentinels monitor (default failsoft)
#   REDIS_PORT           data node port (default 6379); SENTINEL_PORT (default 26379)
#   BIND                 interfaces to listen on (default "* -::*": every IPv4 and IPv6 address)
#   DATA_DIR             writable, persistent directory (default /data)
#   DISCOVER_WAIT_SECONDS how long a starting sentinel keeps asking before it falls back to
#                        INITIAL_MASTER_HOST (default 30)
#   RESOLVE_WAIT_SECONDS how long a sentinel waits for the master's name to resolve (default 60)
#   Data nodes, applied on EVERY start (so a new limit reaches a node that already has a config):
#   REDIS_MAXMEMORY      maxmemory, as Redis reads it ("640mb", bytes); or else
#   MEMORY_LIMIT_BYTES + REDIS_MAXMEMORY_PERCENT (default 62): maxmemory = that share of the
#                        container's memory limit (deploy/k8s passes the limit from the pod spec)
#   Sentinels, applied on EVERY start (the template's demo values stay when unset):
#   SENTINEL_DOWN_AFTER_MS, SENTINEL_FAILOVER_TIMEOUT_MS
#   Authentication, applied on EVERY start (so a rotated password reaches a node with data); on
#   when REDIS_ADMIN_PASSWORD is set, and then every password below is required (16+ characters):
#   REDIS_ADMIN_PASSWORD        the data nodes' `default` user (operator tooling, healthchecks)
#   REDIS_REPLICATION_PASSWORD  user `replication` (masteruser/masterauth of the replicas)
#   REDIS_MONITOR_PASSWORD      user `sentinel` (the sentinels' auth-user/auth-pass)
#   REDIS_SENTINEL_PASSWORD     the sentinels' requirepass (apps and sentinels among themselves)
#   REDIS_UPLOAD_PASSWORD, REDIS_LIKES_PASSWORD, REDIS_FEED_PASSWORD, REDIS_GATEWAY_PASSWORD
#                               the services' users (users.acl beside this script lists their rights)
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
fail() { log "$*"; exit 64; }
is_int() { case "$1" in '' | *[!0-9]*) return 1 ;; *) return 0 ;; esac; }

auth_on() { [ -n "${REDIS_ADMIN_PASSWORD:-}" ]; }
if auth_on; then
  for name in REDIS_ADMIN_PASSWORD REDIS_REPLICATION_PASSWORD REDIS_MONITOR_PASSWORD REDIS_SENTINEL_PASSWORD \
    REDIS_UPLOAD_PASSWORD REDIS_LIKES_PASSWORD REDIS_FEED_PASSWORD REDIS_GATEWAY_PASSWORD; do
    eval "value=\${$name:-}"
    # shellcheck disable=SC2154 # set by eval
    [ "${#value}" -ge 16 ] || fail "$name must be set to 16+ characters when REDIS_ADMIN_PASSWORD is set (got ${#value}); generate them: deploy/docker/secrets.sh"
    case "$value" in *[!A-Za-z0-9_.-]*) fail "$name may only hold letters, digits, '_', '.' and '-'" ;; esac
  done
fi
# redis-cli (3 s at most) to a data node / a sentinel, with the admin / sentinel password when auth is on.
data_cli() { timeout 3 env ${REDIS_ADMIN_PASSWORD:+REDISCLI_AUTH=$REDIS_ADMIN_PASSWORD} redis-cli "$@"; }
sentinel_cli() { timeout 3 env ${REDIS_SENTINEL_PASSWORD:+REDISCLI_AUTH=$REDIS_SENTINEL_PASSWORD} redis-cli "$@"; }
sha256() { printf '%s' "$1" | sha256sum | cut -d ' ' -f 1; }

# Writes DATA_DIR/users.acl from the template (comments dropped: Redis reads `user` lines only).
write_acl() {
  tmp="$DATA_DIR/users.acl.tmp"
  grep -v '^#' "$TEMPLATE_DIR/users.acl" | grep -v '^$' >"$tmp"
  for pair in "ADMIN=$REDIS_ADMIN_PASSWORD" "REPLICATION=$REDIS_REPLICATION_PASSWORD" "MONITOR=$REDIS_MONITOR_PASSWORD" \
    "UPLOAD=$REDIS_UPLOAD_PASSWORD" "LIKES=$REDIS_LIKES_PASSWORD" "FEED=$REDIS_FEED_PASSWORD" "GATEWAY=$REDIS_GATEWAY_PASSWORD"; do
    sed -i "s|@${pair%%=*}_HASH@|$(sha256 "${pair#*=}")|g" "$tmp"
  done
  chmod 600 "$tmp"
  mv "$tmp" "$DATA_DIR/users.acl"
}

# Sets `<option> <value>` in $conf (every earlier line of that option removed first).
set_option() {
  option=$1
  shift
  sed -i "/^$option /d" "$conf"
  echo "$option $*" >>"$conf"
}

# This data node itself (never asked about its own role: it is not running yet).
is_self() { [ "$mode" = redis ] && [ "$1" = "$ANNOUNCE_HOST" ] && [ "$2" = "$REDIS_PORT" ]; }

# ROLE of the data node at $1:$2: prints "master <replicas> <offset>" or "slave <host> <port>".
role_of() {
  reply=$(data_cli -h "$1" -p "$2" --raw role 2>/dev/null) || return 1
  # shellcheck disable=SC2086 # word splitting wanted
  set -- $reply
  case "${1:-}" in
    master) echo "master $((($# - 2) / 3)) ${2:-0}" ;;
    slave) [ $# -ge 3 ] && echo "slave $2 $3" ;;
    *) return 1 ;;
  esac
}

# "host port" of the master according to the first sentinel that knows one (not ourselves),
# unless that node answers that it is a replica (a sentinel watching a replica is wrong).
master_from_sentinels() {
  for entry in $(echo "${SENTINELS:-}" | tr ',' ' '); do
    host=${entry%:*}
    port=${entry##*:}
    if [ "$mode" = sentinel ] && [ "$host" = "$ANNOUNCE_HOST" ] && [ "$port" = "$SENTINEL_PORT" ]; then continue; fi
    reply=$(sentinel_cli -h "$host" -p "$port" --raw sentinel get-master-addr-by-name "$MASTER_NAME" 2>/dev/null | tr '\n' ' ') || continue
    # shellcheck disable=SC2086
    set -- $reply
    [ $# -eq 2 ] || continue
    if ! is_self "$1" "$2" && role=$(role_of "$1" "$2") && [ "${role%% *}" = slave ]; then
      log "sentinel $host:$port names $1:$2, which says it is a replica: not trusted"
      continue
    fi
    echo "$1 $2"
    return 0
  done
  return 1
}

# "host port" of the master according to the data nodes: the one answering ROLE "master" (most
# replicas, then highest offset, wins), else the master most of the replicas that answered follow.
master_from_data_nodes() {
  best=''
  best_replicas=-1
  best_offset=-1
  followed=''
  for entry in $(echo "${REDIS_NODES:-$INITIAL_MASTER_HOST:$INITIAL_MASTER_PORT}" | tr ',' ' '); do
    host=${entry%:*}
    port=${entry##*:}
    if is_self "$host" "$port"; then continue; fi
    role=$(role_of "$host" "$port") || continue
    # shellcheck disable=SC2086
    set -- $role
    if [ "$1" = master ]; then
      if [ "$2" -gt "$best_replicas" ] || { [ "$2" -eq "$best_replicas" ] && [ "$3" -gt "$best_offset" ]; }; then
        best="$host $port"
        best_replicas=$2
        best_offset=$3
      fi
    else
      followed="$followed$2 $3
"
    fi
  done
  if [ -n "$best" ]; then
    echo "$best"
    return 0
  fi
  [ -n "$followed" ] || return 1
  printf '%s' "$followed" | sort | uniq -c | sort -rn | awk 'NR == 1 { print $2, $3 }'
}

# "host port" of the current master (sentinels first, then the data nodes), or fails.
current_master() {
  master_from_sentinels || master_from_data_nodes
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

# The maxmemory to pass on the command line (empty: keep the config's, i.e. none by default).
maxmemory() {
  if [ -n "${REDIS_MAXMEMORY:-}" ]; then
    echo "$REDIS_MAXMEMORY"
  elif [ -n "${MEMORY_LIMIT_BYTES:-}" ]; then
    percent=${REDIS_MAXMEMORY_PERCENT:-62}
    is_int "$MEMORY_LIMIT_BYTES" || fail "MEMORY_LIMIT_BYTES must be a number of bytes; got '$MEMORY_LIMIT_BYTES'"
    { is_int "$percent" && [ "$percent" -ge 10 ] && [ "$percent" -le 90 ]; } || fail "REDIS_MAXMEMORY_PERCENT must be an integer from 10 to 90; got '$percent'"
    echo $((MEMORY_LIMIT_BYTES / 100 * percent))
  fi
}

# Sets `sentinel <option> <master> <value>` in the sentinel config (replaced, or appended).
set_sentinel_option() {
  is_int "$2" || fail "the value of sentinel $1 must be a number of milliseconds; got '$2'"
  if grep -q "^sentinel $1 $MASTER_NAME " "$conf"; then
    sed -i "s|^sentinel $1 $MASTER_NAME .*|sentinel $1 $MASTER_NAME $2|" "$conf"
  else
    echo "sentinel $1 $MASTER_NAME $2" >>"$conf"
  fi
  log "sentinel $1 $2"
}

mkdir -p "$DATA_DIR"
if [ "$mode" = redis ]; then
  conf="$DATA_DIR/redis.conf"
  limit=$(maxmemory)
  if [ ! -s "$conf" ]; then
    if current=$(current_master); then
      master_host=${current% *}
      master_port=${current#* }
      log "first start: the current master is $master_host:$master_port"
    else
      master_host=$INITIAL_MASTER_HOST
      master_port=$INITIAL_MASTER_PORT
      log "first start: no sentinel or data node answered; initial master is $master_host"
    fi
    if [ "$master_host" = "$ANNOUNCE_HOST" ] && [ "$master_port" = "$REDIS_PORT" ]; then
      replicaof="# starts as the master"
    else
      replicaof="replicaof $master_host $master_port"
    fi
    fill "$TEMPLATE_DIR/redis.conf" "$conf" "PORT=$REDIS_PORT" "BIND=$BIND" "DATA_DIR=$DATA_DIR" \
      "ANNOUNCE_HOST=$ANNOUNCE_HOST" "REPLICAOF=$replicaof"
    log "wrote $conf ($replicaof)"
  elif current=$(current_master); then
    # A restart: keep the data and settings, but follow the master there is now (this node may
    # have been the master before a failover), instead of serving stale data as a master until
    # the sentinels notice and demote it.
    master_host=${current% *}
    master_port=${current#* }
    sed -i '/^replicaof /d; /^slaveof /d' "$conf"
    if [ "$master_host" = "$ANNOUNCE_HOST" ] && [ "$master_port" = "$REDIS_PORT" ]; then
      log "reusing $conf; the current master is this node"
    else
      echo "replicaof $master_host $master_port" >>"$conf"
      log "reusing $conf; the current master is $master_host:$master_port: replicating it"
    fi
  else
    log "reusing $conf (no sentinel or data node answered: keeping its role)"
  fi
  if auth_on; then
    write_acl
    set_option aclfile "$DATA_DIR/users.acl"
    set_option masteruser replication
    set_option masterauth "$REDIS_REPLICATION_PASSWORD"
    sed -i '/^requirepass /d; /^user /d' "$conf"
    log "ACL users from $TEMPLATE_DIR/users.acl; replicas authenticate as 'replication'"
  else
    sed -i '/^aclfile /d; /^masteruser /d; /^masterauth /d' "$conf"
    log "WARNING: no REDIS_ADMIN_PASSWORD: this node accepts anyone (no ACL users)"
  fi
  if [ -n "$limit" ]; then
    log "maxmemory $limit"
    exec "$@" "$conf" --maxmemory "$limit"
  fi
  exec "$@" "$conf"
fi

conf="$DATA_DIR/sentinel.conf"
if [ ! -s "$conf" ]; then
  # Ask until a sentinel or a data node answers (in a new deployment they may still be starting),
  # then fall back to the initial master.
  waited=0
  until current=$(current_master); do
    if [ "$waited" -ge "${DISCOVER_WAIT_SECONDS:-30}" ]; then
      current="$INITIAL_MASTER_HOST $INITIAL_MASTER_PORT"
      log "first start: no sentinel or data node answered in ${waited}s; monitoring the initial master"
      break
    fi
    sleep 1
    waited=$((waited + 1))
  done
  master_host=${current% *}
  master_port=${current#* }
  log "first start: the current master is $master_host:$master_port"
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
if [ -n "${SENTINEL_DOWN_AFTER_MS:-}" ]; then set_sentinel_option down-after-milliseconds "$SENTINEL_DOWN_AFTER_MS"; fi
if [ -n "${SENTINEL_FAILOVER_TIMEOUT_MS:-}" ]; then set_sentinel_option failover-timeout "$SENTINEL_FAILOVER_TIMEOUT_MS"; fi
# Sentinel rewrites `requirepass` as a `user default ...` line: both go, then the current password.
sed -i "/^requirepass /d; /^user /d; /^sentinel auth-user $MASTER_NAME /d; /^sentinel auth-pass $MASTER_NAME /d" "$conf"
if auth_on; then
  echo "requirepass $REDIS_SENTINEL_PASSWORD" >>"$conf"
  echo "sentinel auth-user $MASTER_NAME sentinel" >>"$conf"
  echo "sentinel auth-pass $MASTER_NAME $REDIS_MONITOR_PASSWORD" >>"$conf"
  log "requirepass set; the data nodes are monitored as user 'sentinel'"
else
  log "WARNING: no REDIS_ADMIN_PASSWORD: this sentinel accepts anyone"
fi
exec "$@" "$conf" --sentinel
