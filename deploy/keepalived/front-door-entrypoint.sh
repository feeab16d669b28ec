#!/bin/sh
# One front door: keepalived (VRRP, holds or waits for the virtual IP) in the background, HAProxy in
# the foreground as the haproxy user. When HAProxy exits the container exits (keepalived with it,
# giving the address up), and the restart policy brings it back.
# Environment (docker-compose.yml): FRONT_DOOR_NAME, FRONT_DOOR_VIP, FRONT_DOOR_SELF_IP,
# FRONT_DOOR_PEER_IP, FRONT_DOOR_PRIORITY (the higher wins the first election), FRONT_DOOR_VRID.
set -eu
for var in FRONT_DOOR_NAME FRONT_DOOR_VIP FRONT_DOOR_SELF_IP FRONT_DOOR_PEER_IP FRONT_DOOR_PRIORITY; do
  eval "value=\${$var:-}"
  [ -n "$value" ] || { echo "front-door: $var is not set (docker-compose.yml sets it)" >&2; exit 78; }
done
mkdir -p /run/front-door
conf=/run/front-door/keepalived.conf
sed -e "s/@NAME@/$FRONT_DOOR_NAME/" -e "s/@VIP@/$FRONT_DOOR_VIP/" -e "s/@SELF_IP@/$FRONT_DOOR_SELF_IP/" \
  -e "s/@PEER_IP@/$FRONT_DOOR_PEER_IP/" -e "s/@PRIORITY@/$FRONT_DOOR_PRIORITY/" -e "s/@VRID@/${FRONT_DOOR_VRID:-57}/" \
  /etc/keepalived/keepalived.conf.template >"$conf"
# the state file is written by the notify script, as nobody (the folder is a tmpfs with mode 1777)
rm -f /run/front-door/vrrp.state 2>/dev/null || true
keepalived --dont-fork --log-console --log-detail --use-file "$conf" \
  --pid /run/front-door/keepalived.pid --vrrp_pid /run/front-door/vrrp.pid --checkers_pid /run/front-door/checkers.pid &
exec setpriv --reuid=haproxy --regid=haproxy --init-groups haproxy -W -db -f /usr/local/etc/haproxy/haproxy.cfg
