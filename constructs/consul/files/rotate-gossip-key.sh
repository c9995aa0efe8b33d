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
: "${CONSUL_HTTPS_ADDR:?}" "${CONSUL_CA_FILE:?}" "${DATACENTERS:?}"
root=${NODE_ROOT:-}
key_request="$staging/gossip-key.json"

log() { printf 'rotate-gossip-key: %s\n' "$*" >&2; }
fail() {
  log "$*"
  exit 1
}

keyring() {
  local method=$1
  shift
  curl -fsS --cacert "$root$CONSUL_CA_FILE" -H @"$staging/management-token.header" -X "$method" "$@" \
    "https://$CONSUL_HTTPS_ADDR/v1/operator/keyring"
}

# Judges the keyring as listed now: `reachable` (every datacenter has its LAN pool in the answer), `rotated`
# (and the new key is the primary key of every agent of every pool), `alone` (and no other key is left),
# `current` (every pool that answers has the new key alone: a datacenter not federated yet kept it too, since no
# rotation runs without it). Prints what falls short, never a key.
keyring_is() {
  keyring GET -o "$staging/keyring.json" || return 1
  python3 - "$1" "$staging/keyring.json" "$key_request" "$DATACENTERS" <<'PY'
import json, sys
want, pools, key, datacenters = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))["Key"], sys.argv[4].split(",")
lan = {p["Datacenter"] for p in pools if not p.get("WAN")}
problems = [] if want == "current" else [f"datacenter {dc} did not answer" for dc in datacenters if dc not in lan]
name = lambda p: f"{'WAN' if p.get('WAN') else 'LAN'} pool of {p['Datacenter']}"
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

waited=0
until curl -fsS --cacert "$root$CONSUL_CA_FILE" "https://$CONSUL_HTTPS_ADDR/v1/status/leader" 2>/dev/null | grep -q '[0-9]'; do
  ((waited < ${NODE_WAIT_LIMIT:-300})) || fail "no Consul leader after ${waited}s"
  sleep 3
  waited=$((waited + 3))
done

if shortfall=$(keyring_is current); then
  log "every agent that answers already uses the key alone; nothing to do"
  exit 0
fi
# A datacenter that is not federated yet (rollout stages cluster and acl) or cannot be reached would keep the
# old key and could not join the others once they dropped it: change nothing then.
shortfall=$(keyring_is reachable) ||
  fail "not every datacenter answers the keyring, so nothing was changed (federate them first: rollout.stage mesh): ${shortfall//$'\n'/; }"

keyring POST --data @"$key_request" -o /dev/null || fail "installing the new key failed; the old one is still in use"
log "installed the new key on every agent"
keyring PUT --data @"$key_request" -o /dev/null || fail "making the new key primary failed; both keys are installed"
log "every agent encrypts with the new key"

tries=0
until shortfall=$(keyring_is rotated); do
  ((tries < 10)) || fail "not every agent uses the new key, so no key was removed (both stay installed): ${shortfall//$'\n'/; }"
  sleep 3
  tries=$((tries + 1))
done

python3 - "$staging/keyring.json" "$key_request" "$staging" <<'PY'
import json, sys
pools, key, staging = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))["Key"], sys.argv[3]
old = sorted({k for p in pools for k in (p.get("Keys") or {}) if k != key})
for index, k in enumerate(old):
    json.dump({"Key": k}, open(f"{staging}/old-key-{index}.json", "w"))
PY
for old in "$staging"/old-key-*.json; do
  [[ -e "$old" ]] || continue
  keyring DELETE --data @"$old" -o /dev/null || fail "removing an old key failed; the new one is in use everywhere"
done
shortfall=$(keyring_is alone) || fail "old keys are still installed: ${shortfall//$'\n'/; }"
log "removed the old key(s): every agent of ${DATACENTERS//,/, } has the new key alone"
