#!/bin/sh
# Generates the secrets docker-compose.yml requires (it refuses to start without them: there is no
# default secret) into an env file that `docker compose` reads by itself.
#
#   npm run compose:secrets                 # or: sh deploy/docker/secrets.sh [env-file]
#   docker compose up -d --build --wait
#
# The env file (default: .env beside docker-compose.yml; git ignores it) is created with mode 0600.
# A variable already in it, or already set in the environment, is kept: run it again any time,
# nothing is rotated. To rotate one, delete its line and run it again, then recreate the containers
# (`docker compose up -d --force-recreate`: the Redis nodes rewrite their ACL users on every start).
# Values are 24 random characters of [A-Za-z0-9_-] (144 bits). Only the names are printed, except
# the operator's password, printed once when it is generated (sign in as `operator` with it).
set -eu

repo=$(cd "$(dirname "$0")/../.." && pwd)
file=${1:-$repo/.env}
NAMES='FAILSOFT_TOKEN AUTH_SECRET OPERATOR_PASSWORD FAILSOFT_CONTROL_TOKEN REDIS_ADMIN_PASSWORD REDIS_REPLICATION_PASSWORD REDIS_MONITOR_PASSWORD
REDIS_SENTINEL_PASSWORD REDIS_UPLOAD_PASSWORD REDIS_LIKES_PASSWORD REDIS_FEED_PASSWORD REDIS_GATEWAY_PASSWORD'

umask 077
[ -e "$file" ] || : >"$file"
chmod 600 "$file"
random() { head -c 18 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'; }
# AUTH_SECRET needs 32+ characters: two draws.
value_for() { if [ "$1" = AUTH_SECRET ]; then echo "$(random)$(random)"; else random; fi; }

added=''
for name in $NAMES; do
  if grep -q "^$name=" "$file"; then continue; fi
  eval "current=\${$name:-}"
  # shellcheck disable=SC2154 # set by eval
  if [ -n "$current" ]; then continue; fi
  value=$(value_for "$name")
  printf '%s=%s\n' "$name" "$value" >>"$file"
  added="$added $name"
  if [ "$name" = OPERATOR_PASSWORD ]; then echo "secrets: the operator's password (shown once; it stays in $file): $value" >&2; fi
done
if [ -n "$added" ]; then
  echo "secrets: generated$added in $file (mode 0600)" >&2
else
  echo "secrets: every secret is already set ($file or the environment); nothing generated" >&2
fi
