#!/usr/bin/env bash
# Hands the local Consul agent its tokens through the agent API (PUT /v1/agent/token/<kind>), one per
# staged token-<kind>.json. With acl.enable_token_persistence the agent keeps them across restarts: no
# restart, no new VM. Then installs the credential files the manifest lists (mode, owner, group, name,
# destination), such as the snapshot token. Any failure exits non-zero, which fails the provisioner and
# stops the deploy.
# Usage: sudo set-agent-token.sh STAGING_DIR
set -euo pipefail

staging=${1:?usage: set-agent-token.sh STAGING_DIR}
# The staging folder holds the management token: gone however this ends.
trap 'rm -rf "$staging"' EXIT
# shellcheck source=/dev/null
. "$staging/agent-api.env"
: "${CONSUL_HTTPS_ADDR:?}" "${CONSUL_CA_FILE:?}"
root=${NODE_ROOT:-}
api="https://$CONSUL_HTTPS_ADDR"

waited=0
until curl -fsS --cacert "$root$CONSUL_CA_FILE" "$api/v1/status/leader" 2>/dev/null | grep -q '[0-9]'; do
  if ((waited >= 300)); then
    printf 'set-agent-token: no Consul leader after %ss\n' "$waited" >&2
    exit 1
  fi
  sleep 3
  waited=$((waited + 3))
done

found=no
for file in "$staging"/token-*.json; do
  [[ -e "$file" ]] || continue
  kind=${file##*/token-}
  kind=${kind%.json}
  curl -fsS --cacert "$root$CONSUL_CA_FILE" -X PUT \
    -H @"$staging/management-token.header" \
    --data @"$file" \
    "$api/v1/agent/token/$kind" >/dev/null
  printf 'set-agent-token: %s token set\n' "$kind" >&2
  found=yes
done
[[ "$found" == yes ]] || {
  printf 'set-agent-token: no token was staged\n' >&2
  exit 1
}

# A primary server: the management token has just worked, so the ACL system holds it and no file needs it (see
# node-apply.sh, which also keeps it out of every later delivery once the marker is there).
if [[ -s "$staging/drop-initial-management.py" && -n "${ACL_BOOTSTRAPPED_MARKER:-}" ]]; then
  if [[ -d "$root$(dirname "$ACL_BOOTSTRAPPED_MARKER")" ]]; then touch "$root$ACL_BOOTSTRAPPED_MARKER"; fi
  if python3 "$staging/drop-initial-management.py" "$root${CONSUL_CONFIG_FILE:?}"; then
    printf 'set-agent-token: the initial management token is no longer kept in %s\n' "$CONSUL_CONFIG_FILE" >&2
  fi
fi

while IFS=$'\t' read -r mode owner group name destination _units; do
  [[ -n "$name" ]] || continue
  target="$root$destination"
  [[ -d "$(dirname "$target")" ]] || install -d -m 0755 "$(dirname "$target")"
  install -m "$mode" -o "$owner" -g "$group" "$staging/$name" "$target"
  printf 'set-agent-token: installed %s\n' "$destination" >&2
done <"$staging/manifest.tsv"
