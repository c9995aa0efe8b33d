#!/usr/bin/env bash
# Removes the servers of decommissioned datacenters from the WAN gossip pool, on one server of the primary, once
# their VMs are gone. A server stopped without `consul leave` stays in every datacenter's WAN member list as
# failed for reconnect_timeout_wan (72 h), and its datacenter with it in /v1/catalog/datacenters ("No path to
# datacenter", hashicorp/consul#5881). `force-leave` with `prune` and `wan` (Consul 1.11, hashicorp/consul#11722)
# erases a failed or left member of the WAN pool at once; it does nothing to a member that is alive, which would
# refute it. Once the primary's router has no server of a datacenter, its leader also deletes that datacenter's
# federation state, which lists its mesh gateways (pruneStaleFederationStates, hourly).
# Needs a token with operator = "write" (force-leave); lists members with it too.
# Usage: sudo prune-wan-members.sh STAGING_DIR
# NODE_ROOT, for tests only, names a scratch root that every absolute path of the node lies under.
set -euo pipefail

staging=${1:?usage: prune-wan-members.sh STAGING_DIR}
# The staging folder holds the management token: gone however this ends.
trap 'rm -rf "$staging"' EXIT
# shellcheck source=/dev/null
. "$staging/prune.env"
: "${CONSUL_HTTPS_ADDR:?}" "${CONSUL_CA_FILE:?}" "${GONE_SERVERS:?}"
root=${NODE_ROOT:-}
api="https://$CONSUL_HTTPS_ADDR"

log() { printf 'prune-wan-members: %s\n' "$*" >&2; }
fail() {
  log "$*"
  exit 1
}

consul_api() {
  local method=$1 path=$2
  curl -sS --fail-with-body --cacert "$root$CONSUL_CA_FILE" -H @"$staging/management-token.header" -X "$method" \
    -o "$staging/answer.json" "$api$path" 2>"$staging/curl.err" ||
    fail "Consul refused $method $path: $(head -c 500 "$staging/answer.json" 2>/dev/null) $(head -c 300 "$staging/curl.err")"
}

# Prints `<name> <status>` for every server of GONE_SERVERS the WAN pool still lists (serf: 1 alive, 2 leaving,
# 3 left, 4 failed).
still_listed() {
  consul_api GET "/v1/agent/members?wan=1"
  python3 - "$staging/answer.json" "$GONE_SERVERS" <<'PY'
import json, sys
statuses = {1: "alive", 2: "leaving", 3: "left", 4: "failed"}
gone = set(sys.argv[2].split(","))
for member in json.load(open(sys.argv[1])):
    if member.get("Name") in gone:
        print(member["Name"], statuses.get(member.get("Status"), "unknown"))
PY
}

# A VM destroyed minutes ago is suspected, then declared failed, by the WAN pool's own probes (memberlist's
# suspicion timeout); until then it still counts as alive.
waited=0
while :; do
  listed=$(still_listed)
  alive=$(awk '$2 == "alive" || $2 == "leaving" || $2 == "unknown" { print $1 }' <<<"$listed" | paste -sd, -)
  [[ -z "$alive" ]] && break
  ((waited < ${NODE_WAIT_LIMIT:-300})) ||
    fail "${alive//,/, } still answer(s) in the WAN pool after ${waited}s, so nothing was removed: its VM still runs (deploy its datacenter's stack, which destroys it, then deploy again)"
  sleep 5
  waited=$((waited + 5))
done

if [[ -z "$listed" ]]; then
  log "no server of ${GONE_SERVERS//,/, } is in the WAN pool; nothing to do"
  exit 0
fi
while read -r name _; do
  consul_api PUT "/v1/agent/force-leave/$name?prune=1&wan=1"
  log "removed $name from the WAN pool"
done <<<"$listed"

listed=$(still_listed)
[[ -z "$listed" ]] || fail "still in the WAN pool after force-leave: ${listed//$'\n'/; }"
log "no server of ${GONE_SERVERS//,/, } is left in the WAN pool"
