#!/bin/sh
# Hands the master role over before a Redis data node stops (deploy/k8s runs it as the Redis
# container's preStop hook; with compose: `docker compose exec redis-1 sh /etc/failsoft/redis/handover.sh`
# before stopping the master). Without it every drain or rolling update of the master's pod is an
# unplanned failover: the apps see the master vanish and wait for the sentinels' down-after.
#
# When this node is the master the sentinels name, and a replica is online:
#   1. CLIENT PAUSE WRITE (reads go on; writes wait), then wait until every online replica has
#      the master's replication offset, so the replica promoted has every acknowledged write;
#   2. SENTINEL FAILOVER through a sentinel that names this node (it promotes the best replica);
#   3. once the sentinels name the new master, this node replicates it at once (REPLICAOF; the
#      sentinels would do the same a few seconds later), then CLIENT UNPAUSE: the paused writers
#      get READONLY and reconnect to the new master through the sentinels.
# Anything else (a replica, no sentinel naming this node, no replica online, a failover refused)
# exits 0 without changing anything. Every wait is bounded by HANDOVER_TIMEOUT_SECONDS and writes
# are always unpaused on exit, so the stop is never held longer than that.
#
# Environment: REDIS_ADMIN_PASSWORD, REDIS_SENTINEL_PASSWORD (when auth is on), ANNOUNCE_HOST (required; this node's name as the sentinels know it), SENTINELS
# (host:port,...), REDIS_MASTER_NAME (default failsoft), REDIS_PORT (default 6379), REDIS_HOST
# (how to reach this node from here; default 127.0.0.1), HANDOVER_TIMEOUT_SECONDS (default 20),
# HANDOVER_LOG (where to log; default stderr; deploy/k8s: /proc/1/fd/2, the container's log).
set -u

: "${ANNOUNCE_HOST:?ANNOUNCE_HOST is required (this node's name as the sentinels know it)}"
MASTER_NAME=${REDIS_MASTER_NAME:-failsoft}
REDIS_PORT=${REDIS_PORT:-6379}
REDIS_HOST=${REDIS_HOST:-127.0.0.1}
TIMEOUT=${HANDOVER_TIMEOUT_SECONDS:-20}
case "$TIMEOUT" in '' | *[!0-9]*) echo "HANDOVER_TIMEOUT_SECONDS must be a number of seconds; got '$TIMEOUT'" >&2; exit 64 ;; esac
if [ -n "${HANDOVER_LOG:-}" ] && [ -w "$HANDOVER_LOG" ]; then exec 2>>"$HANDOVER_LOG"; fi

log() { echo "failsoft-redis[handover $ANNOUNCE_HOST]: $*" >&2; }
# With auth (REDIS_ADMIN_PASSWORD / REDIS_SENTINEL_PASSWORD set, see entrypoint.sh) as `default` / with requirepass.
local_cli() { timeout 3 env ${REDIS_ADMIN_PASSWORD:+REDISCLI_AUTH=$REDIS_ADMIN_PASSWORD} redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --raw "$@" 2>/dev/null; }
sentinel_cli() { timeout 3 env ${REDIS_SENTINEL_PASSWORD:+REDISCLI_AUTH=$REDIS_SENTINEL_PASSWORD} redis-cli "$@"; }
now() { date +%s; }
deadline=$(($(now) + TIMEOUT))
left() { [ "$(now)" -lt "$deadline" ]; }

# The master the sentinel at $1:$2 names, as "host port".
named_by() { sentinel_cli -h "$1" -p "$2" --raw sentinel get-master-addr-by-name "$MASTER_NAME" 2>/dev/null | tr '\n' ' ' | sed 's/ $//'; }

role=$(local_cli role | head -n 1)
if [ "$role" != master ]; then
  log "this node is not the master (${role:-no answer}): nothing to hand over"
  exit 0
fi
if ! local_cli info replication | grep -q '^slave[0-9]*:.*state=online'; then
  log "no replica online: stopping as the master (the sentinels will fail over)"
  exit 0
fi
sentinel=''
for entry in $(echo "${SENTINELS:-}" | tr ',' ' '); do
  if [ "$(named_by "${entry%:*}" "${entry##*:}")" = "$ANNOUNCE_HOST $REDIS_PORT" ]; then
    sentinel=$entry
    break
  fi
done
if [ -z "$sentinel" ]; then
  log "no sentinel names this node as the master: nothing to hand over"
  exit 0
fi
s_host=${sentinel%:*}
s_port=${sentinel##*:}

trap 'local_cli client unpause >/dev/null' EXIT
local_cli client pause $((TIMEOUT * 1000)) write >/dev/null
log "writes paused; waiting for the replicas to catch up"
# Offsets of the master and its online replicas, "master r1 r2 ...".
offsets() { local_cli info replication | tr -d '\r' | sed -n 's/^master_repl_offset:\([0-9]*\)$/\1/p; s/^slave[0-9]*:.*state=online,offset=\([0-9]*\).*$/\1/p' | tr '\n' ' '; }
until set -- $(offsets) && [ $# -ge 2 ] && [ "$(printf '%s\n' "$@" | sort -u | wc -l)" -eq 1 ]; do
  if ! left; then
    log "the replicas did not catch up in ${TIMEOUT}s (offsets: $*): stopping as the master"
    exit 0
  fi
  sleep 0.1
done

reply=$(sentinel_cli -h "$s_host" -p "$s_port" --raw sentinel failover "$MASTER_NAME" 2>&1)
if [ "$reply" != OK ]; then
  log "sentinel $sentinel refused the failover ($reply): stopping as the master"
  exit 0
fi
log "failover asked of sentinel $sentinel"
while :; do
  new=$(named_by "$s_host" "$s_port")
  if [ -n "$new" ] && [ "$new" != "$ANNOUNCE_HOST $REDIS_PORT" ]; then break; fi
  if ! left; then
    log "no new master named in ${TIMEOUT}s: stopping as the master"
    exit 0
  fi
  sleep 0.1
done
local_cli replicaof ${new} >/dev/null
local_cli config rewrite >/dev/null
local_cli client unpause >/dev/null
until [ "$(local_cli role | head -n 1)" = slave ]; do
  if ! left; then
    log "still not a replica after ${TIMEOUT}s"
    exit 0
  fi
  sleep 0.1
done
log "handed over to ${new% *}:${new#* }; this node is a replica now"
