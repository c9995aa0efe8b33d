#!/usr/bin/env bash
# Rotates the federation's gossip encryption key through Consul's keyring, on one server of the primary:
# install the new key on every agent of every datacenter, make it the key every agent encrypts with, and only
# then remove the others. Editing `encrypt` alone would change nothing: an agent reads it only when it starts
# without a keyring. Keyring operations run on the servers and reach the LAN pool of every datacenter and the
# WAN pool in lock-step (developer.hashicorp.com/consul/commands/keyring; /v1/operator/keyring: POST installs,
# PUT makes primary, DELETE removes, GET lists per pool Keys, PrimaryKeys and NumNodes).
# Nothing changes unless every datacenter answers; no key is removed unless every agent uses the new one.
# Usage: sudo rotate-gossip-key.sh STAGING_DIR
# NODE_ROOT, for tests only, names a scratch root that every absolute path of the node lies under.
set -euo pipefail

staging=${1:?usage: rotate-gossip-key.sh STAGING_DIR}
# The staging folder holds the new key and the management token: gone however this ends.
trap 'rm -rf "$staging"' EXIT
# shellcheck source=/dev/null
. "$staging/keyring.env"
: "${CONSUL_HTTPS_ADDR:?}" "${CONSUL_CA_FILE:?}" "${LAN_MEMBERS:?}" "${WAN_MEMBERS:?}" "${FEDERATION_NODES:?}"
datacenters=$(tr ',' '\n' <<<"$LAN_MEMBERS" | cut -d: -f1 | paste -sd, -)
root=${NODE_ROOT:-}
key_request="$staging/gossip-key.json"

log() { printf 'rotate-gossip-key: %s\n' "$*" >&2; }
fail() {
  log "$*"
  exit 1
}

# One keyring request; the answer's body lands in keyring.body. Consul's own words on a failure (which pool,
# which node did not answer) reach the log: curl keeps the body of an error response.
body="$staging/keyring.body"
keyring() {
  local method=$1 query=${KEYRING_QUERY:-}
  shift
  curl -sS --fail-with-body --cacert "$root$CONSUL_CA_FILE" -H @"$staging/management-token.header" -X "$method" "$@" \
    -o "$body" "https://$CONSUL_HTTPS_ADDR/v1/operator/keyring$query" 2>"$staging/keyring.err" || {
    log "Consul refused $method /v1/operator/keyring: $(head -c 500 "$body" 2>/dev/null) $(head -c 300 "$staging/keyring.err")"
    return 1
  }
}

# Judges the keyring as listed now: `reachable` (every datacenter's LAN pool answers with at least the agents the
# federation runs there, and the WAN pool with every server: one that is down or has left would miss the new key
# and could not rejoin), `rotated` (and the new key is the primary key of every agent of every pool), `alone` (and
# no other key is left), `current` (every pool that answers has the new key alone, however many answer: no
# rotation removes a key before every agent has the new one). Prints what falls short, never a key; returns 1
# when something does, 2 when the listing itself failed.
keyring_is() {
  keyring GET || return 2
  python3 - "$1" "$body" "$key_request" "$LAN_MEMBERS" "$WAN_MEMBERS" <<'PY'
import json, sys
want, pools, key = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))["Key"]
lan_members = {dc: int(n) for dc, n in (item.split(":") for item in sys.argv[4].split(","))}
wan_members = int(sys.argv[5])
name = lambda p: f"{'WAN' if p.get('WAN') else 'LAN'} pool of {p['Datacenter']}"
problems = []
if want != "current":
    lan = {p["Datacenter"]: p for p in pools if not p.get("WAN")}
    for dc, expected in lan_members.items():
        if dc not in lan:
            problems.append(f"datacenter {dc} did not answer")
        elif lan[dc]["NumNodes"] < expected:
            problems.append(f"LAN pool of {dc}: {lan[dc]['NumNodes']} of its {expected} agents answer")
    for p in pools:
        if p.get("WAN") and p["NumNodes"] < wan_members:
            problems.append(f"{name(p)}: {p['NumNodes']} of the federation's {wan_members} servers answer")
if want in ("rotated", "alone", "current"):
    for p in pools:
        using = (p.get("PrimaryKeys") or {}).get(key, 0)
        if using != p["NumNodes"]:
            problems.append(f"{name(p)}: {using} of {p['NumNodes']} agents use the new key")
        if want in ("alone", "current") and len(p.get("Keys") or {}) != 1:
            problems.append(f"{name(p)}: {len(p['Keys']) - 1} other key(s) left")
for problem in problems:
    print(problem)
sys.exit(1 if problems else 0)
PY
}

# Whether every node the federation runs is alive, each by name in its datacenter: its serfHealth check passes
# (GET /v1/health/node/<node>?dc=<dc>). The keyring's counts cannot tell this alone: they count the members that
# are alive (memberlist's NumMembers), so a node that is down is simply not counted, and client agents of others
# in the pool (Nomad's, say) make up the number. Prints the nodes that are not alive.
every_node_alive() {
  local entries entry dc node status=0
  IFS=, read -r -a entries <<<"$FEDERATION_NODES"
  for entry in "${entries[@]}"; do
    dc=${entry%%/*} node=${entry#*/}
    if ! curl -sS --max-time 10 --fail-with-body --cacert "$root$CONSUL_CA_FILE" -H @"$staging/management-token.header" \
      -X GET -o "$staging/node.body" "https://$CONSUL_HTTPS_ADDR/v1/health/node/$node?dc=$dc" 2>/dev/null ||
      ! python3 -c 'import json, sys; sys.exit(0 if any(c.get("CheckID") == "serfHealth" and c.get("Status") == "passing" for c in json.load(open(sys.argv[1]))) else 1)' "$staging/node.body"; then
      printf '%s of %s is not alive\n' "$node" "$dc"
      status=1
    fi
  done
  return "$status"
}

waited=0
until curl -fsS --cacert "$root$CONSUL_CA_FILE" "https://$CONSUL_HTTPS_ADDR/v1/status/leader" 2>/dev/null | grep -q '[0-9]'; do
  ((waited < ${NODE_WAIT_LIMIT:-300})) || fail "no Consul leader after ${waited}s"
  sleep 3
  waited=$((waited + 3))
done

listed=0
shortfall=$(keyring_is current) || listed=$?
if ((listed == 0)); then
  log "every agent that answers already uses the key alone; nothing to do"
  exit 0
elif ((listed == 2)) && shortfall=$(KEYRING_QUERY='?local-only=true' keyring_is current); then
  # An agent of another datacenter that does not answer now fails the whole listing; the primary's own pools
  # on the key alone show that a rotation to it completed (no key is ever removed before every agent has it).
  log "every agent of the primary uses the key alone; nothing to do (the other datacenters did not all answer)"
  exit 0
fi
# A datacenter that is not federated (rollout stages cluster and acl) or cannot be reached, or an agent that is
# down, would keep the old key and could not join the others once they dropped it: change nothing then.
shortfall=$(keyring_is reachable) ||
  fail "not every agent answers the keyring, so nothing was changed (federate every datacenter, rollout.stage mesh; bring every node up; then deploy again): ${shortfall//$'\n'/; }"
shortfall=$(every_node_alive) ||
  fail "a node of the federation is down, so nothing was changed (it would keep the old key and could not rejoin; bring it up, then deploy again): ${shortfall//$'\n'/; }"

keyring POST --data @"$key_request" || fail "installing the new key failed; the old one is still in use"
log "installed the new key on every agent"
keyring PUT --data @"$key_request" || fail "making the new key primary failed; both keys are installed"
log "every agent encrypts with the new key"

tries=0
until shortfall=$(keyring_is rotated); do
  ((tries < 10)) || fail "not every agent uses the new key, so no key was removed (both stay installed; deploy again): ${shortfall//$'\n'/; }"
  sleep 3
  tries=$((tries + 1))
done

# Every agent counted before must still be there: one that went down meanwhile would miss the removal's outcome.
shortfall=$(keyring_is reachable) ||
  fail "an agent stopped answering, so no key was removed (both stay installed; deploy again): ${shortfall//$'\n'/; }"
shortfall=$(every_node_alive) ||
  fail "a node of the federation went down, so no key was removed (both stay installed; deploy again): ${shortfall//$'\n'/; }"
cp "$body" "$staging/keyring.json"
python3 - "$staging/keyring.json" "$key_request" "$staging" <<'PY'
import json, sys
pools, key, staging = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))["Key"], sys.argv[3]
old = sorted({k for p in pools for k in (p.get("Keys") or {}) if k != key})
for index, k in enumerate(old):
    json.dump({"Key": k}, open(f"{staging}/old-key-{index}.json", "w"))
PY
for old in "$staging"/old-key-*.json; do
  [[ -e "$old" ]] || continue
  keyring DELETE --data @"$old" || fail "removing an old key failed; the new one is in use everywhere"
done
shortfall=$(keyring_is alone) || fail "old keys are still installed: ${shortfall//$'\n'/; }"
log "removed the old key(s): every agent of ${datacenters//,/, } has the new key alone"
