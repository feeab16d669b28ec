#!/bin/sh
# keepalived's notify script: $1 INSTANCE|GROUP, $2 name, $3 MASTER|BACKUP|FAULT|STOP. Keeps the
# state in a file (read by `failsoft status --compose` and the console) and logs the change.
umask 022
echo "$3" >/run/front-door/vrrp.state
echo "front-door: VRRP $2 is now $3" >&2
