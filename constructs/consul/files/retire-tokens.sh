#!/usr/bin/env bash
# Deletes the retired generations of rotated ACL tokens, on one server of the primary, once every node holds the
# current one: the last stack runs it after every datacenter's stack has delivered the new tokens. For each rotated
# token (retired.json), a generation is retired when it is below `retireBelow` or above `current` (a counter set
# back). Generations are found by the accessor IDs listed for the generations around the current one (a description
# changed meanwhile hides none of them), and by description (the first description, or it followed by
# " (rotation K)") among tokens made before the current generation (the first generation has Consul's random
# accessor ID). The current generation's accessor ID is never deleted, whatever its description says. Consul's ACL
# API: GET /v1/acl/tokens lists accessor IDs and descriptions, DELETE /v1/acl/token/<accessor> deletes one
# (developer.hashicorp.com/consul/api-docs/acl/tokens).
# Usage: sudo retire-tokens.sh STAGING_DIR
# NODE_ROOT, for tests only, names a scratch root that every absolute path of the node lies under.
set -euo pipefail

staging=${1:?usage: retire-tokens.sh STAGING_DIR}
# The staging folder holds the management token: gone however this ends.
trap 'rm -rf "$staging"' EXIT
# shellcheck source=/dev/null
. "$staging/retire.env"
: "${CONSUL_HTTPS_ADDR:?}" "${CONSUL_CA_FILE:?}"
root=${NODE_ROOT:-}

log() { printf 'retire-tokens: %s\n' "$*" >&2; }

# One ACL request into $staging/acl.body; Consul's own words on a failure reach the log.
acl() {
  local method=$1 path=$2
  curl -sS --max-time 10 --fail-with-body --cacert "$root$CONSUL_CA_FILE" -H @"$staging/management-token.header" \
    -X "$method" -o "$staging/acl.body" "https://$CONSUL_HTTPS_ADDR/v1/acl/$path" 2>"$staging/acl.err" || {
    log "Consul refused $method /v1/acl/$path: $(head -c 500 "$staging/acl.body" 2>/dev/null) $(head -c 300 "$staging/acl.err")"
    return 1
  }
}

acl GET tokens
# The accessor IDs to delete, one per line, with what each one was (its description, JSON-quoted) for the log.
python3 - "$staging/acl.body" "$staging/retired.json" >"$staging/victims.tsv" <<'PY'
import json, re, sys
from datetime import datetime
tokens, retired = (json.load(open(path)) for path in sys.argv[1:3])
current = {family["currentAccessorId"] for family in retired}
def instant(text):
    # Consul writes RFC 3339 with up to nine fractional digits, which fromisoformat does not read: split them off.
    match = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)", text or "")
    if not match:
        return None
    zone = "+00:00" if match.group(3) == "Z" else match.group(3)
    return (int(datetime.fromisoformat(match.group(1) + zone).timestamp()), int((match.group(2) or "0").ljust(9, "0")))
created = {token["AccessorID"]: instant(token.get("CreateTime")) for token in tokens}
def generation(description, first):
    if description == first:
        return 0
    match = re.fullmatch(re.escape(first) + r" \(rotation ([1-9][0-9]{0,8})\)", description)
    return int(match.group(1)) if match else None
def retired_token(token):
    if token["AccessorID"] in current:
        return False
    for family in retired:
        if token["AccessorID"] in family["retiredAccessorIds"]:
            return True
        # By description only what was made before the current generation: a token an operator made later with the
        # same words is not one of ours.
        newest, made = created.get(family["currentAccessorId"]), created.get(token["AccessorID"])
        found = generation(token.get("Description", ""), family["description"])
        if found is None or newest is None or made is None or not made < newest:
            continue
        if found < family["retireBelow"] or found > family["current"]:
            return True
    return False
for token in tokens:
    if retired_token(token):
        # The description JSON-quoted: one line, whatever an operator's description holds.
        print(f"{token['AccessorID']}\t{json.dumps(token.get('Description', ''))}")
PY

deleted=0
while IFS=$'\t' read -r accessor description; do
  if acl DELETE "token/$accessor"; then
    log "deleted $description ($accessor)"
    deleted=$((deleted + 1))
  elif grep -qi 'not found' "$staging/acl.body" 2>/dev/null; then
    # Deleted meanwhile (an earlier run that stopped half-way): what was asked for holds.
    log "$description ($accessor) is gone already"
  else
    exit 1
  fi
done <"$staging/victims.tsv"
log "$deleted retired token generation(s) deleted"
