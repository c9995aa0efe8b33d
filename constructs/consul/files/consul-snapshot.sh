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
#                                     (token: CONSUL_HTTP_TOKEN, else the snapshot token)
#
# Any failure exits non-zero: the unit shows as failed and the freshness check, which only a successful
# look at the container renews, turns critical once the newest snapshot is older than two periods.
# NODE_ROOT, for tests only, names a scratch root that every absolute path of the node lies under.
set -euo pipefail

root=${NODE_ROOT:-}
settings=${CONSUL_SNAPSHOT_SETTINGS:-/etc/consul-backup/backup.env}
# shellcheck source=/dev/null
. "$root$settings"
: "${DATACENTER:?}" "${OBJECT_STORE_URL:?}" "${CONTAINER:?}" "${IDENTITY_URL:?}" "${RETAIN:?}" "${STALE_AFTER_SECONDS:?}"
: "${CHECK_ID:?}" "${CONSUL_HTTPS_ADDR:?}" "${CONSUL_CA_FILE:?}" "${CONSUL_RPC_ADDR:?}"
: "${OBJECT_STORE_AUTH_FILE:?}" "${SNAPSHOT_TOKEN_FILE:?}"

# The region's object storage endpoint (https://host/v1/AUTH_<project>) and the container in it.
container_url="${OBJECT_STORE_URL%/}/$CONTAINER"

log() { printf 'consul-snapshot: %s\n' "$*" >&2; }
fail() {
  log "$*"
  exit 1
}

# Everything written here (the snapshot holds every secret of the datacenter) goes with the process; under
# the unit, the temporary directory is private to it as well (PrivateTmp).
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

# The Consul token travels in files, never in arguments that any process list shows.
consul_token_file=
consul_header="$work/consul.header"
if [[ -n "${CONSUL_HTTP_TOKEN:-}" ]]; then
  consul_token_file="$work/consul.token"
  printf '%s' "$CONSUL_HTTP_TOKEN" >"$consul_token_file"
  unset CONSUL_HTTP_TOKEN
else
  candidate=$(credential snapshot-token "$SNAPSHOT_TOKEN_FILE")
  if [[ -s "$candidate" ]]; then consul_token_file=$candidate; fi
fi
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

# A Keystone token from the application credential, which may only read, write and delete objects of this
# datacenter's container (its access rules); kept in a header file for the object storage requests.
swift_header="$work/swift.header"
swift_login() {
  [[ -s "$swift_header" ]] && return 0
  local base=${IDENTITY_URL%/} token
  base=${base%/v3}
  curl -fsS --proto '=https' -o /dev/null -D "$work/keystone.headers" -H 'Content-Type: application/json' \
    --data @"$(credential object-store-auth "$OBJECT_STORE_AUTH_FILE")" "$base/v3/auth/tokens" ||
    return 1
  token=$(tr -d '\r' <"$work/keystone.headers" | awk 'tolower($1) == "x-subject-token:" { print $2 }')
  [[ -n "$token" ]] || return 1
  printf 'X-Auth-Token: %s\n' "$token" >"$swift_header"
}

swift() {
  local method=$1 object=$2
  shift 2
  curl -fsS --proto '=https' -H @"$swift_header" -X "$method" "$@" "$container_url${object:+/$object}"
}

# Snapshot objects of the container, oldest first, as `name bytes` lines (names sort by time).
list_snapshots() {
  swift GET "" -o "$work/listing.json" -G --data-urlencode format=json || return 1
  python3 - "$work/listing.json" <<'PY'
import json, re, sys
objects = [o for o in json.load(open(sys.argv[1])) if re.fullmatch(r"\d{8}T\d{6}Z\.snap", o.get("name", ""))]
for o in sorted(objects, key=lambda o: o["name"]):
    print(o["name"], o.get("bytes", 0))
PY
}

# Seconds since the time a snapshot's name carries.
age_of() {
  local stamp=${1%.snap}
  echo $(($(date -u +%s) - $(date -u -d "${stamp:0:4}-${stamp:4:2}-${stamp:6:2}T${stamp:9:2}:${stamp:11:2}:${stamp:13:2}Z" +%s)))
}

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
  swift_login || {
    log "cannot log in to the object storage at $IDENTITY_URL"
    return 1
  }
  md5=$(md5sum "$snapshot" | cut -d' ' -f1)
  # The object store compares the ETag with what it received and refuses a damaged upload (HTTP 422).
  swift PUT "$name" -o /dev/null -T "$snapshot" -H "ETag: $md5" -H 'Content-Type: application/octet-stream' || {
    log "uploading $name to $container_url failed"
    return 1
  }
  log "uploaded $name ($(stat -c %s "$snapshot") bytes)"
  prune
}

# Keeps the newest RETAIN snapshots; deletes older ones only after a new upload, so a run of failures never
# empties the container.
prune() {
  local snapshots names=() name index
  snapshots=$(list_snapshots) || {
    log "cannot list $container_url to apply the retention"
    return 1
  }
  mapfile -t names < <(cut -d' ' -f1 <<<"$snapshots" | grep .)
  for ((index = 0; index < ${#names[@]} - RETAIN; index++)); do
    name=${names[index]}
    swift DELETE "$name" -o /dev/null || {
      log "deleting $name failed"
      return 1
    }
    log "deleted $name (keeping $RETAIN)"
  done
}

# Every server tells its own TTL check how old the datacenter's newest snapshot is. A run that cannot look
# reports nothing, and the check expires to critical by itself.
report_freshness() {
  local snapshots newest age note status
  if ! swift_login || ! snapshots=$(list_snapshots); then
    log "cannot list $container_url; the freshness check is not renewed"
    return 1
  fi
  newest=$(tail -n 1 <<<"$snapshots" | cut -d' ' -f1)
  if [[ -z "$newest" ]]; then
    status=fail note="no snapshot of $DATACENTER in the container yet"
  else
    age=$(age_of "$newest")
    note="newest snapshot $newest is ${age}s old (stale after ${STALE_AFTER_SECONDS}s)"
    if ((age <= STALE_AFTER_SECONDS)); then status=pass; else status=fail; fi
  fi
  consul_api PUT "/v1/agent/check/$status/$CHECK_ID" -o /dev/null -G --data-urlencode "note=$note" 2>/dev/null || {
    log "the agent refused the freshness report ($status: $note)"
    return 1
  }
  log "freshness check $status: $note"
}

backup() {
  local failed=no
  if is_leader; then
    take_snapshot || failed=yes
  else
    log "not the leader of $DATACENTER: the leader takes the snapshot"
  fi
  report_freshness || failed=yes
  [[ "$failed" == no ]] || exit 1
}

list() {
  swift_login || fail "cannot log in to the object storage at $IDENTITY_URL"
  local snapshots name bytes
  snapshots=$(list_snapshots) || fail "cannot list $container_url"
  while read -r name bytes; do
    [[ -n "$name" ]] && printf '%s\t%s bytes\t%ss old\n' "$name" "$bytes" "$(age_of "$name")"
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
    swift_login || fail "cannot log in to the object storage at $IDENTITY_URL"
    if [[ "$source" == latest ]]; then
      source=$(list_snapshots | tail -n 1 | cut -d' ' -f1) || fail "cannot list $container_url"
      [[ -n "$source" ]] || fail "the container holds no snapshot of $DATACENTER"
    fi
    [[ "$source" =~ ^[0-9]{8}T[0-9]{6}Z\.snap$ ]] || fail "\"$source\" is not a snapshot name (see consul-snapshot list)"
    file="$work/$source"
    swift GET "$source" -o "$file" || fail "cannot download $source from $container_url"
  fi
  consul_cli snapshot inspect "$file" >&2 || fail "$file is not a valid snapshot; nothing was restored"
  [[ "$confirmed" == yes ]] ||
    fail "restoring replaces the whole state of $DATACENTER (catalog, KV, ACLs, intentions, config entries) with the snapshot's: add --yes"
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
