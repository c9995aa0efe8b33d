#!/usr/bin/env bash
# Hands the local Consul agent its agent token through the agent API. With
# acl.enable_token_persistence the agent keeps it across restarts: no restart, no new VM.
# Usage: sudo set-agent-token.sh STAGING_DIR
set -euo pipefail

staging=${1:?usage: set-agent-token.sh STAGING_DIR}
# The staging folder holds the management token: gone however this ends.
trap 'rm -rf "$staging"' EXIT
ca_file=/etc/consul.d/tls/ca.pem
api=https://127.0.0.1:8501

waited=0
until curl -fsS --cacert "$ca_file" "$api/v1/status/leader" 2>/dev/null | grep -q '[0-9]'; do
  if ((waited >= 300)); then
    printf 'set-agent-token: no Consul leader after %ss\n' "$waited" >&2
    exit 1
  fi
  sleep 3
  waited=$((waited + 3))
done

curl -fsS --cacert "$ca_file" -X PUT \
  -H @"$staging/management-token.header" \
  --data @"$staging/agent-token.json" \
  "$api/v1/agent/token/agent" >/dev/null
printf 'set-agent-token: agent token set\n' >&2
