#!/bin/sh
# Generates the two Secrets deploy/k8s needs (never committed, no default value anywhere):
#   failsoft-secrets        FAILSOFT_TOKEN, AUTH_SECRET, OPERATOR_PASSWORD (the apps)
#   failsoft-redis-secrets  REDIS_ADMIN_PASSWORD, REDIS_REPLICATION_PASSWORD, REDIS_MONITOR_PASSWORD,
#                           REDIS_SENTINEL_PASSWORD, REDIS_{UPLOAD,LIKES,FEED,GATEWAY}_PASSWORD
#                           (the Redis ACL users, replication and sentinel auth: docs/security.md)
#
#   deploy/k8s/secrets.sh <namespace>           creates each Secret that does not exist yet
#   deploy/k8s/secrets.sh <namespace> --print   prints both as YAML instead (for a secret store)
#
# The values come from deploy/docker/secrets.sh (24 random characters each); an existing Secret is
# never changed (delete it to rotate, then restart the pods: Redis pods rewrite their ACL users
# on every start). The operator's password is printed once, on stderr, when it is generated.
set -eu

namespace=${1:?usage: deploy/k8s/secrets.sh <namespace> [--print]}
mode=${2:-apply}
case "$mode" in apply | --print) ;; *) echo "secrets: unknown option '$mode'; usage: deploy/k8s/secrets.sh <namespace> [--print]" >&2; exit 64 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 700 "$work"

# Fresh values only: nothing from this shell's environment ends up in a Secret by accident.
env -i PATH="$PATH" sh "$here/../docker/secrets.sh" "$work/all.env" 2>"$work/log"
echo "secrets: the operator's password (shown once; it is in the Secret failsoft-secrets): $(sed -n 's/^OPERATOR_PASSWORD=//p' "$work/all.env")" >&2
grep -E '^(FAILSOFT_TOKEN|AUTH_SECRET|OPERATOR_PASSWORD)=' "$work/all.env" >"$work/failsoft-secrets.env"
grep -E '^REDIS_[A-Z]+_PASSWORD=' "$work/all.env" >"$work/failsoft-redis-secrets.env"

for name in failsoft-secrets failsoft-redis-secrets; do
  if [ "$mode" = --print ]; then
    echo '---'
    kubectl create secret generic "$name" -n "$namespace" --from-env-file="$work/$name.env" --dry-run=client -o yaml
  elif kubectl -n "$namespace" get secret "$name" >/dev/null 2>&1; then
    echo "secrets: $namespace/$name exists: kept (delete it to rotate)" >&2
  else
    kubectl create secret generic "$name" -n "$namespace" --from-env-file="$work/$name.env" >/dev/null
    echo "secrets: created $namespace/$name ($(cut -d= -f1 "$work/$name.env" | tr '\n' ' '))" >&2
  fi
done
