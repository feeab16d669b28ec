#!/usr/bin/env bash
# Split brain, shown: cut the two front doors off from each other (each one's packets to the other
# go to a MAC address nobody has: a permanent bogus ARP entry, in both containers, so the network
# loses them; a route does not do it, keepalived sends on the interface directly), watch both
# become MASTER and both hold the virtual IP, then heal the cut and watch the lower priority step down.
#
#   docker compose up -d --build --wait          # first (same COMPOSE_PROJECT_NAME / -p as here)
#   deploy/keepalived/split-brain-demo.sh
#
# Needs a running compose platform of this folder. Changes nothing else; always heals on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
prefix=${FAILSOFT_SUBNET_PREFIX:-172.29.57}
vip=$prefix.70
dc() { docker compose "$@"; }
role() { dc exec -T "$1" cat /run/front-door/vrrp.state 2>/dev/null | tr -d '\n' || echo '?'; }
has_vip() { dc exec -T "$1" ip -o -4 addr show dev eth0 | grep -q " $vip/" && echo "holds $vip" || echo "no VIP"; }
show() { for fd in front-door-1 front-door-2; do echo "  $fd: $(role "$fd"), $(has_vip "$fd")"; done; }
heal() {
  dc exec -T front-door-1 ip neigh del "$prefix.72" dev eth0 2>/dev/null || true
  dc exec -T front-door-2 ip neigh del "$prefix.71" dev eth0 2>/dev/null || true
}
trap heal EXIT
wait_for() { # <seconds> <description> <command...>
  local until=$((SECONDS + $1)) what=$2
  shift 2
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $until ] || { echo "split-brain-demo: $what did not happen within the wait" >&2; return 1; }
    sleep 0.2
  done
}
both_master() { [ "$(role front-door-1)" = MASTER ] && [ "$(role front-door-2)" = MASTER ]; }
one_master() { [ "$(role front-door-1)" != "$(role front-door-2)" ]; }

echo "before the cut:"; show
echo "cutting the path between front-door-1 ($prefix.71) and front-door-2 ($prefix.72) (bogus ARP entries)"
dc exec -T front-door-1 ip neigh replace "$prefix.72" lladdr 02:00:00:00:00:72 dev eth0 nud permanent
dc exec -T front-door-2 ip neigh replace "$prefix.71" lladdr 02:00:00:00:00:71 dev eth0 nud permanent
t=$SECONDS
wait_for 15 'both MASTER' both_master
echo "split brain after ~$((SECONDS - t)) s: neither hears the other, both claim the address:"; show
echo "  (users reach whichever answered the relay's last ARP for $vip: both serve, state stays consistent because the front doors hold none)"
echo "healing the cut"
heal
t=$SECONDS
wait_for 15 'one MASTER again' one_master
echo "healed after ~$((SECONDS - t)) s: the higher priority keeps the address, the other steps down:"; show
