#!/usr/bin/env bash
# Raft snapshots of this server's datacenter in the datacenter's object storage (Swift) container.
#
#   consul-snapshot backup            what the timer runs on every server: the leader saves a snapshot,
#                                     checks it, uploads it and keeps the newest RETAIN; then every server
#                                     reports the newest snapshot's age to its freshness check
#   consul-snapshot list              the container's snapshots, oldest first, with size and age
#   consul-snapshot restore NAME|latest --yes
#   consul-snapshot restore --file PATH --yes
#                                     restores the datacenter from a snapshot of the container or a file
#                                     (token: the file CONSUL_HTTP_TOKEN_FILE names, else the snapshot token)
#
# Any failure exits non-zero: the unit shows as failed and the freshness check, which only a successful
# look at the container renews, turns critical once the newest snapshot is older than two periods.
# NODE_ROOT, for tests only, names a scratch root that every absolute path of the node lies under.
set -euo pipefail

root=${NODE_ROOT:-}
settings=${CONSUL_SNAPSHOT_SETTINGS:-/etc/consul-backup/backup.env}
# shellcheck source=/dev/null
. "$root$settings"
: "${DATACENTER:?}" "${CONTAINER:?}" "${RETAIN:?}" "${STALE_AFTER_SECONDS:?}" "${CHECK_ID:?}"
: "${CONSUL_HTTPS_ADDR:?}" "${CONSUL_CA_FILE:?}" "${CONSUL_RPC_ADDR:?}" "${OBJECT_STORE_LOGIN_FILE:?}"
: "${SNAPSHOT_TOKEN_FILE:?}" "${ACLS_ENABLED:?}"
# How long a follower waits for the leader's upload of this run before it reports (NODE_WAIT_LIMIT: tests).
FOLLOWER_WAIT=${NODE_WAIT_LIMIT:-180}

log() { printf 'consul-snapshot: %s\n' "$*" >&2; }
fail() {
  log "$*"
  exit 1
}

# Everything written here (the snapshot holds every secret of the datacenter) goes with the process; under
# the unit, the temporary directory is private to it as well (PrivateTmp).
started=$(date -u +%s)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umask 077

# The unit hands its transient user the root-only files as credentials; root run by hand reads them in place.
credential() {
  if [[ -n "${CREDENTIALS_DIRECTORY:-}" && -e "$CREDENTIALS_DIRECTORY/$1" ]]; then
    printf '%s' "$CREDENTIALS_DIRECTORY/$1"
  else
    printf '%s' "$root$2"
  fi
}

# The Consul token travels in files, never in arguments that any process list shows: an operator's in the file
# CONSUL_HTTP_TOKEN_FILE names, else the datacenter's snapshot token.
consul_token_file=
consul_header="$work/consul.header"
if [[ -n "${CONSUL_HTTP_TOKEN_FILE:-}" ]]; then
  consul_token_file=$CONSUL_HTTP_TOKEN_FILE
  [[ -s "$consul_token_file" ]] || fail "CONSUL_HTTP_TOKEN_FILE names $consul_token_file, which is missing or empty"
else
  candidate=$(credential snapshot-token "$SNAPSHOT_TOKEN_FILE")
  if [[ -s "$candidate" ]]; then
    consul_token_file=$candidate
  elif [[ "$ACLS_ENABLED" == yes ]]; then
    # The primary's servers run before the ACL stack that makes their token (an empty placeholder until then).
    fail "no snapshot token in $SNAPSHOT_TOKEN_FILE yet: the ACL stack delivers it (deploy every stack: cdktf deploy '*')"
  fi
fi
unset CONSUL_HTTP_TOKEN
if [[ -n "$consul_token_file" ]]; then
  printf 'X-Consul-Token: %s\n' "$(<"$consul_token_file")" >"$consul_header"
else
  : >"$consul_header"
fi

consul_api() {
  local method=$1 path=$2
  shift 2
  curl -fsS --cacert "$root$CONSUL_CA_FILE" -H @"$consul_header" -X "$method" "$@" "https://$CONSUL_HTTPS_ADDR$path"
}

consul_cli() {
  local environment=(CONSUL_HTTP_ADDR="https://$CONSUL_HTTPS_ADDR" CONSUL_CACERT="$root$CONSUL_CA_FILE")
  if [[ -n "$consul_token_file" ]]; then environment+=(CONSUL_HTTP_TOKEN_FILE="$consul_token_file"); fi
  env "${environment[@]}" consul "$@"
}

# A Keystone token from the application credential, which may only list, read, write and delete objects of this
# datacenter's container (its access rules); kept in a header file for the object storage requests. Keystone's
# public endpoint comes from the deploying token's catalog (identityRegion's, else the first); the object storage's
# from the catalog of this login, where the URL holds the project (a bare endpoint list has templates instead).
swift_header="$work/swift.header"
container_url=
swift_login() {
  [[ -s "$swift_header" ]] && return 0
  local login identity token
  login=$(credential object-store-login "$OBJECT_STORE_LOGIN_FILE")
  identity=$(python3 - "$login" "$work/keystone-request.json" <<'PY'
import json, sys
login = json.load(open(sys.argv[1]))
json.dump(login["request"], open(sys.argv[2], "w"))
public = [e for s in login["catalog"] if s["type"] == "identity" for e in s["endpoints"] if e["interface"] == "public"]
chosen = [e for e in public if e["region"] == login["identityRegion"]] or public
print(chosen[0]["url"] if chosen else "")
PY
  ) || return 1
  [[ -n "$identity" ]] || {
    log "the catalog has no public identity endpoint"
    return 1
  }
  identity=${identity%/}
  identity=${identity%/v3}
  curl -fsS --proto '=https' -o "$work/keystone.json" -D "$work/keystone.headers" \
    -H 'Content-Type: application/json' --data @"$work/keystone-request.json" "$identity/v3/auth/tokens" || {
    log "Keystone at $identity refused the application credential or cannot be reached (over HTTPS only: an http:// endpoint is refused)"
    return 1
  }
  token=$(tr -d '\r' <"$work/keystone.headers" | awk 'tolower($1) == "x-subject-token:" { print $2 }')
  [[ -n "$token" ]] || return 1
  container_url=$(python3 - "$work/keystone.json" "$login" <<'PY'
import json, sys
catalog = json.load(open(sys.argv[1]))["token"].get("catalog") or []
region = json.load(open(sys.argv[2]))["region"]
urls = [e["url"] for s in catalog if s["type"] == "object-store" for e in s["endpoints"]
        if e["interface"] == "public" and e.get("region") == region]
print(urls[0] if urls else "")
PY
  ) || return 1
  [[ -n "$container_url" ]] || {
    log "the login's catalog has no public object-store endpoint in the datacenter's region"
    return 1
  }
  container_url="${container_url%/}/$CONTAINER"
  printf 'X-Auth-Token: %s\n' "$token" >"$swift_header"
}

swift() {
  local method=$1 object=$2
  shift 2
  curl -fsS --proto '=https' -H @"$swift_header" -X "$method" "$@" "$container_url${object:+/$object}"
}

# Objects are named by the UTC time of the snapshot, YYYYMMDDTHHMMSSZ.snap (.snap.gpg when encrypted); anything
# else in the container is none of this program's business.
# Snapshot objects of the container, oldest first, as `name bytes time` lines: the time (seconds since the epoch)
# is the object storage's own (last_modified, UTC), so that a leader whose clock ran ahead cannot make its
# snapshot look newest for good.
list_snapshots() {
  swift GET "" -o "$work/listing.json" -G --data-urlencode format=json || return 1
  python3 - "$work/listing.json" <<'PY'
import json, re, sys
from datetime import datetime, timezone
def stored(o):
    return int(datetime.fromisoformat(o["last_modified"]).replace(tzinfo=timezone.utc).timestamp())
objects = [o for o in json.load(open(sys.argv[1])) if re.fullmatch(r"\d{8}T\d{6}Z\.snap(\.gpg)?", o.get("name", ""))]
for o in sorted(objects, key=lambda o: (stored(o), o["name"])):
    print(o["name"], o.get("bytes", 0), stored(o))
PY
}

# Seconds since a `name bytes time` line's time.
age_of() { echo $(($(date -u +%s) - ${1##* })); }

# Whether there is no snapshot or the newest is older than this run, give or take the two minutes by which the
# timers of the servers elapse apart (systemd's AccuracySec).
predates_run() { [[ -z "$1" ]] || ((${1##* } < started - 120)); }

is_leader() {
  local leader
  leader=$(consul_api GET /v1/status/leader) || fail "the local Consul agent does not answer"
  [[ "$leader" == "\"$CONSUL_RPC_ADDR\"" ]]
}

take_snapshot() {
  local name snapshot md5
  name="$(date -u +%Y%m%dT%H%M%SZ).snap"
  snapshot="$work/$name"
  consul_cli snapshot save "$snapshot" >&2 || {
    log "consul snapshot save failed"
    return 1
  }
  # inspect reads the archive through and checks its SHA-256 sums: a truncated or corrupt file fails here.
  consul_cli snapshot inspect "$snapshot" >/dev/null || {
    log "the snapshot is not valid (consul snapshot inspect failed); nothing was uploaded"
    return 1
  }
  # With a key configured, what leaves the server is encrypted to it: the snapshot holds every token.
  if [[ -n "${ENCRYPT_TO:-}" ]]; then
    mkdir -m 0700 "$work/gnupg"
    gpg --batch --quiet --homedir "$work/gnupg" --trust-model always --recipient-file "$root$ENCRYPT_TO" \
      --output "$snapshot.gpg" --encrypt "$snapshot" || {
      log "encrypting the snapshot to $ENCRYPT_TO failed; nothing was uploaded"
      return 1
    }
    rm -f "$snapshot"
    name="$name.gpg" snapshot="$snapshot.gpg"
  fi
  swift_login || {
    log "cannot log in to the object storage"
    return 1
  }
  md5=$(md5sum "$snapshot" | cut -d' ' -f1)
  # The object store compares the ETag with what it received and refuses a damaged upload (HTTP 422), and with
  # If-None-Match never writes over an object of the same name (HTTP 412).
  swift PUT "$name" -o /dev/null -T "$snapshot" -H "ETag: $md5" -H 'If-None-Match: *' \
    -H 'Content-Type: application/octet-stream' || {
    log "uploading $name to $container_url failed"
    return 1
  }
  log "uploaded $name ($(stat -c %s "$snapshot") bytes)"
  prune "$name"
}

# Keeps the newest RETAIN snapshots; deletes older ones only after a new upload, and never the one just
# uploaded (a leader whose clock ran ahead may have named older ones later), so a run of failures never empties
# the container. One already gone (a prune of another leader) counts as deleted.
prune() {
  local uploaded=$1 snapshots names=() name index code
  snapshots=$(list_snapshots) || {
    log "cannot list $container_url to apply the retention"
    return 1
  }
  mapfile -t names < <(cut -d' ' -f1 <<<"$snapshots" | grep -vx -e '' -e "$uploaded")
  for ((index = 0; index < ${#names[@]} + 1 - RETAIN; index++)); do
    name=${names[index]}
    code=$(curl -sS --proto '=https' -H @"$swift_header" -X DELETE -o /dev/null -w '%{http_code}' "$container_url/$name") || code=000
    [[ "$code" == 2?? || "$code" == 404 ]] || {
      log "deleting $name failed (HTTP $code)"
      return 1
    }
    log "deleted $name (keeping $RETAIN)"
  done
}

# Every server tells its own TTL check how old the datacenter's newest snapshot is. A run that cannot look
# reports nothing, and the check expires to critical by itself. A follower first gives the leader's run of
# the same elapse time to upload, so that it does not report the previous period's snapshot.
report_freshness() {
  local role=$1 snapshots newest age note status waited=0
  if ! swift_login || ! snapshots=$(list_snapshots); then
    log "cannot list the container; the freshness check is not renewed"
    return 1
  fi
  newest=$(tail -n 1 <<<"$snapshots")
  while [[ "$role" == follower ]] && predates_run "$newest" && ((waited < FOLLOWER_WAIT)); do
    sleep 15
    waited=$((waited + 15))
    snapshots=$(list_snapshots) || snapshots=
    newest=$(tail -n 1 <<<"$snapshots")
  done
  if [[ -z "$newest" ]]; then
    status=fail note="no snapshot of $DATACENTER in the container"
  else
    age=$(age_of "$newest")
    note="newest snapshot ${newest%% *} is ${age}s old (stale after ${STALE_AFTER_SECONDS}s)"
    if ((age <= STALE_AFTER_SECONDS)); then status=pass; else status=fail; fi
  fi
  consul_api PUT "/v1/agent/check/$status/$CHECK_ID" -o /dev/null -G --data-urlencode "note=$note" 2>/dev/null || {
    log "the agent refused the freshness report ($status: $note)"
    return 1
  }
  log "freshness check $status: $note"
}

backup() {
  local failed=no role=leader
  if is_leader; then
    take_snapshot || failed=yes
  else
    role=follower
    log "not the leader of $DATACENTER: the leader takes the snapshot"
  fi
  report_freshness "$role" || failed=yes
  [[ "$failed" == no ]] || exit 1
}

list() {
  swift_login || fail "cannot log in to the object storage"
  local snapshots name bytes
  snapshots=$(list_snapshots) || fail "cannot list $container_url"
  local line
  while read -r line; do
    [[ -n "$line" ]] || continue
    read -r name bytes _ <<<"$line"
    printf '%s\t%s bytes\t%ss old\n' "$name" "$bytes" "$(age_of "$line")"
  done <<<"$snapshots"
}

restore() {
  local source='' file='' confirmed=no
  while (($#)); do
    case "$1" in
      --file)
        file=${2:?--file needs a path}
        shift 2
        ;;
      --yes)
        confirmed=yes
        shift
        ;;
      *)
        source=$1
        shift
        ;;
    esac
  done
  [[ -n "$source" || -n "$file" ]] || fail "usage: consul-snapshot restore NAME|latest --yes, or restore --file PATH --yes"
  if [[ -z "$file" ]]; then
    swift_login || fail "cannot log in to the object storage"
    if [[ "$source" == latest ]]; then
      source=$(list_snapshots | tail -n 1 | cut -d' ' -f1) || fail "cannot list $container_url"
      [[ -n "$source" ]] || fail "the container holds no snapshot of $DATACENTER"
    fi
    [[ "$source" =~ ^[0-9]{8}T[0-9]{6}Z\.snap(\.gpg)?$ ]] || fail "\"$source\" is not a snapshot name (see consul-snapshot list)"
    [[ "$source" != *.gpg ]] ||
      fail "$source is encrypted to the backups' key, whose private half this server does not have: decrypt it where the key lives (gpg --decrypt), copy the snapshot here and restore it with --file"
    file="$work/$source"
    swift GET "$source" -o "$file" || fail "cannot download $source from $container_url"
  fi
  consul_cli snapshot inspect "$file" >&2 || fail "$file is not a valid snapshot; nothing was restored"
  [[ "$confirmed" == yes ]] ||
    fail "restoring replaces the whole Raft state of $DATACENTER (catalog, KV, sessions, prepared queries, ACLs, intentions, config entries) with the snapshot's; in a secondary, replication then brings ACLs, intentions and config entries back to the primary's: add --yes"
  consul_cli snapshot restore "$file" >&2 || fail "consul snapshot restore failed"
  log "restored $DATACENTER from ${source:-$file}; see README: Backups and restore for what to do next"
}

case "${1:-}" in
  backup) backup ;;
  list) list ;;
  restore)
    shift
    restore "$@"
    ;;
  *) fail "usage: consul-snapshot backup | list | restore NAME|latest|--file PATH --yes" ;;
esac
