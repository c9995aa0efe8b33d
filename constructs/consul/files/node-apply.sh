#!/usr/bin/env bash
# Converges a Consul node to the files staged next to this script (uploaded by Terraform over SSH):
# system users, apt sources and pinned packages, the data volume, configuration, certificates and units.
# It restarts only what changed and returns only once the node is healthy, so that Terraform rolls the
# next node only after this one is back: a server as a healthy voter of a healthy datacenter, a gateway
# with Envoy ready. Any failure exits non-zero, which fails the provisioner and stops the deploy.
# Usage: sudo node-apply.sh STAGING_DIR
# NODE_ROOT, for tests only, names a scratch root that every absolute path of the node lies under.
set -euo pipefail

staging=${1:?usage: node-apply.sh STAGING_DIR}
# The staging folder holds keys and tokens: gone however this ends.
trap 'rm -rf "$staging"' EXIT
root=${NODE_ROOT:-}
manifest="$staging/manifest.tsv"
changed_units=()
reloaded_units=()
apt_lists_stale=no
apt_lists_updated=no

log() { printf 'node-apply: %s\n' "$*" >&2; }
fail() {
  log "$*"
  exit 1
}

# shellcheck source=/dev/null
. "$staging/node.env"
: "${NODE_NAME:?}" "${NODE_ROLE:?}" "${CONSUL_PACKAGE:?}" "${CONSUL_HTTPS_ADDR:?}" "${CONSUL_CA_FILE:?}" "${DATA_DIR:?}"
: "${CONSUL_CERT_FILE:?}"
IFS=, read -r -a START_UNITS <<<"${NODE_UNITS:-consul.service}"

# Runs a check every 3 seconds until it succeeds or LIMIT seconds have passed; the status says which.
# NODE_WAIT_LIMIT, for tests only, caps every limit.
try_for() {
  local limit=$1 waited=0
  limit=$((limit < ${NODE_WAIT_LIMIT:-$limit} ? limit : ${NODE_WAIT_LIMIT:-$limit}))
  shift
  until "$@"; do
    if ((waited >= limit)); then return 1; fi
    sleep 3
    waited=$((waited + 3))
  done
}

# The same, giving up with a message that names what failed.
wait_for() {
  local limit=$1 failure=$2
  shift 2
  try_for "$limit" "$@" || fail "$failure (after ${limit}s)"
}

wait_for_cloud_init() {
  if command -v cloud-init >/dev/null; then
    cloud-init status --wait >/dev/null || log "cloud-init reported a problem; continuing"
  fi
}

# Users with pinned IDs (name:uid:gid:home): a VM rebuilt from another image still owns its data volume.
ensure_system_users() {
  local entries entry name uid gid home
  IFS=, read -r -a entries <<<"${SYSTEM_USERS:-}"
  for entry in "${entries[@]}"; do
    IFS=: read -r name uid gid home <<<"$entry"
    getent group "$name" >/dev/null || groupadd --system --gid "$gid" "$name"
    if ! getent passwd "$name" >/dev/null; then
      useradd --system --uid "$uid" --gid "$name" --home-dir "$home" --no-create-home --shell /usr/sbin/nologin "$name"
    elif [[ "$(id -u "$name")" != "$uid" ]]; then
      # A node made before the IDs were pinned keeps its user; the data folder is re-owned below if needed.
      log "user $name has UID $(id -u "$name") rather than $uid; leaving it as it is"
    fi
  done
}

release_codename() (
  # shellcheck source=/dev/null
  . "$root/etc/os-release"
  printf '%s' "${VERSION_CODENAME:?the image names no release codename}"
)

# The primary key fingerprints of an OpenPGP key file, one per line.
primary_fingerprints() {
  gpg --batch --show-keys --with-colons "$1" | awk -F: '$1 == "pub" { want = 1; next } $1 == "fpr" && want { print $10; want = 0 }'
}

# An apt repository and its signing key, converged on every run: a rotated key reaches running nodes.
# The key comes over HTTPS and is installed only if its fingerprint is the configured one.
converge_apt_repository() {
  local name=$1 upper url suite key_url fingerprint download found keyring list line
  upper=$(printf '%s' "$name" | tr '[:lower:]' '[:upper:]')
  url_var="APT_${upper}_URL" suite_var="APT_${upper}_SUITE" key_var="APT_${upper}_KEY_URL" fpr_var="APT_${upper}_KEY_FINGERPRINT"
  url=${!url_var:?} key_url=${!key_var:?} fingerprint=${!fpr_var:?}
  suite=${!suite_var:-$(release_codename)}
  keyring="/usr/share/keyrings/consul-federation-$name.gpg"
  download=$(mktemp --suffix=".$name.key")
  if ! curl -fsSL --proto '=https' --retry 3 -o "$download" "$key_url"; then
    rm -f "$download"
    # The vendor being unreachable must not block a settings change: the key installed before stays.
    if [[ "$(cat "$root$keyring.fingerprint" 2>/dev/null)" == "$fingerprint" ]]; then
      log "cannot download the $name signing key from $key_url; keeping the installed key $fingerprint"
      return 0
    fi
    fail "cannot download the $name signing key from $key_url"
  fi
  found=$(primary_fingerprints "$download")
  # During a vendor's key rotation the file holds the old and the new key: the configured one must be there.
  if ! grep -qx "$fingerprint" <<<"$found"; then
    rm -f "$download"
    fail "the $name signing key at $key_url has fingerprint(s) $(printf '%s' "${found:-none}" | tr '\n' ' '), not the configured $fingerprint (check the key, then packages.$name.keyFingerprint)"
  fi
  if grep -q -- '-----BEGIN PGP PUBLIC KEY BLOCK-----' "$download"; then
    gpg --batch --yes --dearmor -o "$download.gpg" "$download"
  else
    cp "$download" "$download.gpg"
  fi
  if ! cmp -s "$download.gpg" "$root$keyring"; then
    install -D -m 0644 "$download.gpg" "$root$keyring"
    log "installed the $name signing key $fingerprint"
    apt_lists_stale=yes
  fi
  printf '%s\n' "$fingerprint" >"$root$keyring.fingerprint"
  rm -f "$download" "$download.gpg"
  list="$root/etc/apt/sources.list.d/$name.list"
  line="deb [signed-by=$keyring] $url $suite main"
  if [[ "$(cat "$list" 2>/dev/null)" != "$line" ]]; then
    mkdir -p "$(dirname "$list")"
    printf '%s\n' "$line" >"$list"
    log "apt source $name: $line"
    apt_lists_stale=yes
  fi
}

converge_apt_sources() {
  command -v gpg >/dev/null || install_packages gpg
  local repositories repository
  IFS=, read -r -a repositories <<<"${APT_REPOSITORIES:-}"
  for repository in "${repositories[@]}"; do converge_apt_repository "$repository"; done
  # Lists read before a source or key changed (an earlier install in this run) must be read again.
  if [[ "$apt_lists_stale" == yes ]]; then
    apt_lists_updated=no
    update_package_lists
  fi
}

# A fresh VM's apt-daily may hold the lock; a release newer than the image's lists needs an update.
update_package_lists() {
  [[ "$apt_lists_updated" == no ]] || return 0
  apt-get -o DPkg::Lock::Timeout=600 update -q
  apt_lists_updated=yes
}

install_packages() {
  update_package_lists
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q \
    --allow-downgrades --allow-change-held-packages "$@"
}

ensure_packages() {
  local packages=("$CONSUL_PACKAGE")
  if [[ -n "${ENVOY_PACKAGE:-}" ]]; then packages+=("$ENVOY_PACKAGE"); fi
  local missing=() restart=() package name wanted installed upgrades_running_agent=no
  for package in "${packages[@]}"; do
    name=${package%%=*} wanted=${package#*=}
    installed=$(dpkg-query -W -f='${Version}' "$name" 2>/dev/null || true)
    if [[ "$package" != *=* && -n "$installed" ]]; then continue; fi
    if [[ "$installed" != "$wanted" ]]; then
      missing+=("$package")
      # New binaries only run after a restart: Consul's restarts the agent (and Envoy, which requires it),
      # Envoy's only the gateway, so that the agent keeps its membership.
      if [[ "$name" != consul ]]; then
        restart+=(consul-mesh-gateway.service)
      elif [[ -n "$installed" ]] && systemctl is-active --quiet consul.service; then
        # The old package's postrm restarts a running agent itself when dpkg upgrades it (`systemctl restart
        # consul` on "upgrade", hashicorp/consul .release/linux/postremove; deb-postrm(5)), and systemd restarts
        # Envoy with it (Requires=): that is the restart, so it is guarded here, before apt runs.
        upgrades_running_agent=yes
      else
        restart+=("${START_UNITS[@]}")
      fi
    fi
  done
  if ((${#missing[@]} > 0)); then
    if [[ "$upgrades_running_agent" == yes ]]; then guard_server_restart; fi
    log "installing ${missing[*]}"
    install_packages "${missing[@]}"
    if [[ "$upgrades_running_agent" == yes ]]; then log "the package upgrade restarted consul.service"; fi
    # Consul's package re-owns everything under /etc/consul.d for the consul user (postinst: chown -R): the folders
    # below it go back to root here, the files when they are installed, the folder itself in the next step.
    if [[ -d "$root/etc/consul.d" ]]; then find "$root/etc/consul.d" -mindepth 1 -type d -exec chown root:root {} +; fi
    changed_units+=("${restart[@]}")
  fi
  for package in "${packages[@]}"; do
    name=${package%%=*}
    apt-mark showhold | grep -qx "$name" || apt-mark hold "$name" >/dev/null
  done
}

# Gateways: Envoy's admin firewall is loaded with nft (not on every image), from where its units run it; marked as
# installed by hand, so that removing what depended on it does not take it away. After the checks that may refuse
# the change, with the package lists that know the repositories converged before.
ensure_firewall_program() {
  [[ -n "${FIREWALL_PACKAGE:-}" ]] || return 0
  if [[ ! -e "$root${FIREWALL_PROGRAM:?}" ]]; then install_packages "$FIREWALL_PACKAGE"; fi
  # Also where the image brought it in as a dependency of something else: autoremove must not take it.
  apt-mark manual "$FIREWALL_PACKAGE" >/dev/null 2>&1 || true
}

# Consul's package re-owns /etc/consul.d for the consul user on every install and upgrade, and makes
# /opt/consul (hashicorp/consul .release/linux/postinstall): the settings directory goes back to root, readable
# by the group and passable (not listable) by others, so that Envoy's own user reaches the public CA certificate
# and nothing else; the data directory exists on every role, since the sandboxed agent may write there alone
# (ReadWritePaths; a missing path fails the unit with 226/NAMESPACE). Servers get theirs from the volume.
# GNU install -d sets owner and mode on a folder that exists as well as on one it makes.
secure_consul_directories() {
  install -d -m 0751 -o root -g consul "$root/etc/consul.d"
  if [[ -z "${DATA_VOLUME_ID:-}" ]]; then
    install -d -m 0750 -o consul -g consul "$root$DATA_DIR"
  fi
}

# The data volume's device, found by its volume ID on any bus: virtio-blk shows the first 20 characters of
# the ID (virtio-<id>), virtio-scsi the whole ID (scsi-0QEMU_QEMU_HARDDISK_<id>).
data_device=
find_data_device() {
  local link
  for link in "$root"/dev/disk/by-id/*; do
    [[ -e "$link" && "$link" != *-part* ]] || continue
    if [[ "${link##*/}" == *"${DATA_VOLUME_ID:0:20}"* ]]; then
      data_device=${link#"$root"}
      return 0
    fi
  done
  return 1
}

was_raft_member=no
JOINED_MARKER="$DATA_DIR/.consul-federation-joined"
# ACL_BOOTSTRAPPED_MARKER (servers): written once the ACL system holds the initial management token, by this script
# or by the ACL stack's token delivery; from then on no file on the node keeps the token.
mount_data_volume() {
  [[ -n "${DATA_VOLUME_ID:-}" ]] || return 0
  wait_for 300 "no disk of volume $DATA_VOLUME_ID appeared in /dev/disk/by-id" find_data_device
  if ! blkid "$data_device" >/dev/null; then
    log "formatting the new data volume $data_device"
    mkfs.ext4 -q -L consul-data "$data_device"
  fi
  if ! grep -q "^LABEL=consul-data " "$root/etc/fstab"; then
    printf 'LABEL=consul-data %s ext4 defaults,nofail,x-systemd.device-timeout=300s 0 2\n' "$DATA_DIR" >>"$root/etc/fstab"
    systemctl daemon-reload
  fi
  install -d -m 0750 "$root$DATA_DIR"
  mountpoint -q "$root$DATA_DIR" || mount "$DATA_DIR"
  # The volume outlives VMs: whatever UID owned it before, the agent must read its Raft data now.
  if [[ "$(stat -c %u "$root$DATA_DIR")" != "$(id -u consul)" ]]; then
    log "re-owning $DATA_DIR for the consul user"
    chown -R consul:consul "$root$DATA_DIR"
  fi
  chmod 0750 "$root$DATA_DIR"
  # Consul writes raft.db as soon as a server starts, long before its datacenter first has a leader: only
  # the marker written once the server was a healthy voter says it belongs to a running datacenter.
  if [[ -e "$root$JOINED_MARKER" ]]; then was_raft_member=yes; fi
}

# Checked, with the Consul release the node is to run, before any file is installed: an invalid configuration
# changes no file on the node.
validate_staged_config() {
  if ! consul validate -quiet "$staging/$(basename "$CONSUL_CONFIG_FILE")"; then
    fail "the new configuration is invalid; no file was installed"
  fi
}

# The primary's servers receive the initial management token in acl.tokens.initial_management, which Consul reads
# only when a server takes leadership, to create that token if the ACL system lacks it (developer.hashicorp.com/
# consul/docs/reference/agent/configuration-file/acl, initial_management). Once the ACL system holds it, no file
# needs it: it is taken out of the staged configuration before anything is compared or installed, so that the
# installed consul.json never holds it again (nor any copy of it). A server of a datacenter that is new, or
# rebuilt on a new volume, keeps it until then.
drop_bootstrapped_management_token() {
  python3 "$staging/drop-initial-management.py" "$1"
}

strip_management_token_if_bootstrapped() {
  [[ "$NODE_ROLE" == server && -e "$root${ACL_BOOTSTRAPPED_MARKER:-/nonexistent}" ]] || return 0
  # Bootstrapped through the API (Terraform's own token), the configuration never holds the token.
  [[ -f "$staging/drop-initial-management.py" ]] || return 0
  drop_bootstrapped_management_token "$staging/$(basename "$CONSUL_CONFIG_FILE")" || true
}

# Whether the token of a header file (X-Consul-Token: ...) resolves through the local agent: GET /v1/acl/token/self,
# which any valid token may call.
token_resolves() {
  [[ "$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' --cacert "$root$CONSUL_CA_FILE" -H @"$1" \
    "https://$CONSUL_HTTPS_ADDR/v1/acl/token/self" 2>/dev/null)" == 200 ]]
}

# After a primary server is healthy: once the management token resolves (the ACL system holds it), the marker is
# written and the installed configuration loses it. The running agent keeps what it read; nothing restarts.
record_acl_bootstrap() {
  [[ "$NODE_ROLE" == server && -n "${ACL_BOOTSTRAPPED_MARKER:-}" && ! -e "$root$ACL_BOOTSTRAPPED_MARKER" ]] || return 0
  [[ -s "$staging/health-check.token" ]] || return 0
  grep -q '"initial_management"' "$root$CONSUL_CONFIG_FILE" 2>/dev/null || return 0
  token_resolves "$staging/health-check.token" || return 0
  touch "$root$ACL_BOOTSTRAPPED_MARKER"
  drop_bootstrapped_management_token "$root$CONSUL_CONFIG_FILE" || true
  log "the ACL system holds the initial management token: it is no longer kept in $CONSUL_CONFIG_FILE"
}

# Terraform's management token from its first rotation on (rotation.terraformToken, domain/terraform-token.ts):
# a primary server receives every generation's secret, newest first, down to the initial management token (0), in
# management-token.json. The apply script checks its datacenter with the newest generation that resolves, and once
# the datacenter has a leader makes the current one exist: through the bootstrap API on a new ACL system (no
# configuration ever holds a management token), else with an older generation (after a rotation, or after a
# restore from a snapshot that predates the current one). Then it deletes every older generation.
expand_management_tokens() {
  [[ -f "$staging/management-token.json" ]] || return 0
  python3 - "$staging/management-token.json" "$staging" <<'PY'
import json, os, sys
spec, staging = json.load(open(sys.argv[1])), sys.argv[2]
os.umask(0o077)
def write(name, text):
    with open(os.path.join(staging, name), "w") as f:
        f.write(text)
order = []
for generation in spec["generations"]:
    name = f"management-{generation['generation']}.header"
    write(name, f"X-Consul-Token: {generation['secretId']}\n")
    order.append(f"{generation['generation']} {os.path.join(staging, name)}")
write("management-order", "\n".join(order) + "\n")
current = next(g for g in spec["generations"] if g["generation"] == spec["generation"])
write("management-current.header", f"X-Consul-Token: {current['secretId']}\n")
write("management-generation", f"{spec['generation']}\n")
# Consul's API takes the token's own IDs (api-docs/acl/tokens: AccessorID, SecretID) and, on a new ACL system, the
# bootstrap secret (api-docs/acl: PUT /v1/acl/bootstrap, BootstrapSecret).
write("management-create.json", json.dumps({
    "AccessorID": spec["accessorId"], "SecretID": current["secretId"], "Description": spec["description"],
    "Policies": [{"ID": spec["policyId"]}],
}))
write("management-bootstrap.json", json.dumps({"BootstrapSecret": current["secretId"]}))
write("management-servers", "\n".join(spec["servers"]) + "\n")
PY
}

# The newest generation that resolves becomes the apply script's own token (health checks, restarts). Until one
# does (a new ACL system, or one restored from another federation's snapshot), nothing proves a token here.
management_resolved=no
choose_management_token() {
  [[ -f "$staging/management-order" ]] || return 0
  local generation header
  while read -r generation header; do
    if token_resolves "$header"; then
      cp "$header" "$staging/health-check.token"
      management_resolved=yes
      return 0
    fi
  done <"$staging/management-order"
  return 1
}

acls_enabled() {
  python3 -c 'import json, sys; sys.exit(0 if (json.load(open(sys.argv[1])).get("acl") or {}).get("enabled") else 1)' "$1" 2>/dev/null
}

# The ACL system's first token, with the current generation's secret. Returns 0 when made, 2 when Consul refuses
# because the ACL system was bootstrapped before (its answer, with the reset index, is kept), 1 otherwise (no
# leader with ACLs on yet, while ACLs are being turned on: try again).
bootstrap_acl_system() {
  local code
  code=$(curl -sS --max-time 10 -o "$staging/management-bootstrap.answer" -w '%{http_code}' --cacert "$root$CONSUL_CA_FILE" \
    -X PUT --data-binary @"$staging/management-bootstrap.json" "https://$CONSUL_HTTPS_ADDR/v1/acl/bootstrap" 2>/dev/null) || code=000
  case "$code" in
    200) return 0 ;;
    403) return 2 ;;
    *) return 1 ;;
  esac
}

# Tries the bootstrap for up to $1 seconds; returns as bootstrap_acl_system does, at once on a refusal.
bootstrap_within() {
  local limit=$1 waited=0 status
  limit=$((limit < ${NODE_WAIT_LIMIT:-$limit} ? limit : ${NODE_WAIT_LIMIT:-$limit}))
  while :; do
    status=0
    bootstrap_acl_system || status=$?
    if ((status != 1 || waited >= limit)); then return "$status"; fi
    sleep 3
    waited=$((waited + 3))
  done
}

# The accessor ID of the token of a header file, read with that token itself.
token_accessor() {
  api /v1/acl/token/self -H @"$1" | python3 -c 'import json, sys; print(json.load(sys.stdin)["AccessorID"])'
}

# Deletes the token of a header file (by its accessor ID), with the current generation.
delete_token_of() {
  local accessor
  accessor=$(token_accessor "$1") || return 1
  api "/v1/acl/token/$accessor" -X DELETE -H @"$staging/management-current.header" >/dev/null
}

# Whether the agent at an address may hold the initial management token in memory: a server reads
# acl.tokens.initial_management only at start, and whenever it takes leadership it creates that token again if it is
# missing (initializeACLs in agent/consul/leader.go). /v1/agent/self shows a secret as "hidden" when set
# (agent/config/runtime.go, Sanitized). Fails closed: no answer, or an answer without the key, counts as holding it.
may_hold_initial_management() {
  local address=$1 header=$2 self
  self=$(curl -fsS --max-time 10 --cacert "$root$CONSUL_CA_FILE" -H @"$header" \
    "https://$address:${CONSUL_HTTPS_ADDR##*:}/v1/agent/self" 2>/dev/null) || return 0
  python3 -c '
import json, sys
try:
    held = json.loads(sys.argv[1])["DebugConfig"].get("ACLInitialManagementToken", "unknown") != ""
except (ValueError, KeyError, TypeError, AttributeError):
    held = True
sys.exit(0 if held else 1)' "$self"
}

# Whether no server of the datacenter may hold it; those that may are named in $holders.
holders=
no_server_holds_initial_management() {
  local address
  holders=
  while read -r address; do
    [[ -n "$address" ]] || continue
    if may_hold_initial_management "$address" "$staging/management-current.header"; then
      holders+="${holders:+ }$address"
    fi
  done <"$staging/management-servers"
  [[ -z "$holders" ]]
}

# Right after this server (re)starts, once its datacenter has a leader: the current generation exists, made through
# the bootstrap API on an ACL system that has none of the generations, else with the newest older one. Every server
# of the primary tries, one after another; the datacenter's last server must succeed (before it, a server may find
# the ACL system turned on in part, while ACLs roll out, and leaves the token to the next one).
ensure_management_token() {
  [[ -f "$staging/management-order" ]] || return 0
  acls_enabled "$root$CONSUL_CONFIG_FILE" || return 0
  local generation current="$staging/management-current.header" must=no patience=0 status=0
  # Only the last server waits out an ACL system that does not answer yet; the others try once.
  if [[ "${WAIT_FOR_LEADER:-no}" == yes ]]; then must=yes patience=30; fi
  generation=$(cat "$staging/management-generation")
  if ! try_for "$((patience * 2))" leader_known; then
    # The health check below says what is wrong with a datacenter that should have a leader by now.
    log "no leader yet: the datacenter's last server makes Terraform's management token"
    return 0
  fi
  if ! try_for "$patience" choose_management_token; then
    bootstrap_within "$((patience * 2))" || status=$?
    # A refusal may also come from a generation that did not answer a moment ago (a leader changing): ask again.
    if ((status == 2)) && try_for 30 choose_management_token; then status=3; fi
    case "$status" in
      0)
        log "bootstrapped the ACL system with Terraform's management token (generation $generation)"
        # Made by the bootstrap itself: it resolves once this server has applied it.
        wait_for 30 "generation $generation of Terraform's management token does not resolve" token_resolves "$current"
        ;;
      3) ;;
      2) fail "the ACL system was bootstrapped before, but no generation of Terraform's management token up to the configured one resolves, nor the initial management token (Consul: $(head -c 300 "$staging/management-bootstrap.answer" 2>/dev/null)): rotation.terraformToken set back below a generation made since (set it back up), or a snapshot of another state restored (reset the ACL bootstrap: README, \"Rotating Terraform's token\")" ;;
      *)
        [[ "$must" == no ]] || fail "could not bootstrap the ACL system; see journalctl -u consul"
        log "could not bootstrap the ACL system yet: the next server of the datacenter does"
        return 0
        ;;
    esac
  fi
  if ! token_resolves "$current"; then
    if ! curl -fsS --max-time 10 -o /dev/null --cacert "$root$CONSUL_CA_FILE" -X PUT -H @"$staging/health-check.token" \
      --data-binary @"$staging/management-create.json" "https://$CONSUL_HTTPS_ADDR/v1/acl/token" 2>/dev/null; then
      [[ "$must" == no ]] || fail "could not create generation $generation of Terraform's management token; nothing was deleted"
      log "could not create generation $generation of Terraform's management token yet: the datacenter's last server does"
      return 0
    fi
    log "created generation $generation of Terraform's management token"
  fi
  wait_for 30 "generation $generation of Terraform's management token does not resolve" token_resolves "$current"
  cp "$current" "$staging/health-check.token"
  management_resolved=yes
  # A reset index written for a bootstrap reset (README) has served, or would stand in the way of the next one.
  rm -f "$root$DATA_DIR/acl-bootstrap-reset"
}

# Once this server is healthy, with the current generation: every older one is deleted, the initial management token
# only once no server of the datacenter holds it in memory (the last server stops the deploy while one does).
retire_older_management_tokens() {
  [[ -f "$staging/management-order" ]] || return 0
  local generation current="$staging/management-current.header" older header
  generation=$(cat "$staging/management-generation")
  token_resolves "$current" || return 0
  # Whichever server made it: a reset index left here would open the bootstrap again to a snapshot with the same index.
  rm -f "$root$DATA_DIR/acl-bootstrap-reset"
  while read -r older header; do
    if [[ "$older" == "$generation" ]] || ! token_resolves "$header"; then continue; fi
    if [[ "$older" == 0 ]] && ! no_server_holds_initial_management; then
      [[ "${WAIT_FOR_LEADER:-no}" == no ]] || fail "the initial management token cannot be deleted: the server(s) at $holders still hold it in memory or did not answer, and would make it again when they lead. Restart each there, one at a time, once the others are healthy (sudo systemctl restart consul), then deploy again"
      log "kept the initial management token for now: a server of this datacenter still holds it in memory; the datacenter's last server deletes it"
      continue
    fi
    delete_token_of "$header" || fail "could not delete generation $older of Terraform's management token"
    log "deleted generation $older of Terraform's management token"
  done <"$staging/management-order"
}

# A server that read the initial management token at its start keeps it in memory, and creates it again whenever it
# takes leadership and finds it missing: from Terraform's first own token on, such a server restarts once (guarded
# like any restart), so that the datacenter's last server can delete the token for good.
shed_initial_management_from_memory() {
  [[ -f "$staging/management-order" ]] && systemctl is-active --quiet consul.service || return 0
  # Only while the token exists: once it is gone, nothing here depends on how the agent reports it.
  token_resolves "$staging/management-0.header" || return 0
  if may_hold_initial_management "${CONSUL_HTTPS_ADDR%:*}" "$staging/health-check.token"; then
    log "the agent may hold the initial management token in memory (read at its start), or did not say: restarting it without"
    changed_units+=(consul.service)
  fi
}

# After a start, the apply script's own checks use the newest generation that resolves, once there is a leader.
choose_management_token_after_start() {
  [[ -f "$staging/management-order" ]] || return 0
  # A server of a datacenter being bootstrapped finds no leader: its health check falls back (see server_healthy).
  if [[ "$was_raft_member" == yes || "${WAIT_FOR_LEADER:-no}" == yes ]] || leader_known; then
    if try_for 30 leader_known; then try_for 30 choose_management_token || true; fi
  fi
}

# Gateways running Envoy: the firewall of its admin interface is loaded again on every delivery, whatever took it
# away meanwhile (a rule set flushed by hand); loading replaces the table whole.
refresh_envoy_admin_firewall() {
  [[ -n "${FIREWALL_UNIT:-}" && " ${START_UNITS[*]} " == *" $FIREWALL_UNIT "* ]] || return 0
  changed_units+=("$FIREWALL_UNIT")
}

# A rotated token is made in the primary and reaches a secondary through ACL replication, which runs on its own
# schedule; a secondary's servers do not ask the primary for a token they have not replicated (the token is "not
# found"). So before a running node switches to new tokens, each new one must resolve through the local agent
# (GET /v1/acl/token/self, which any valid token may call): the agent, Envoy and the apply script's own health
# checks would otherwise run on tokens their datacenter does not know yet. Only where tokens can resolve and are
# used: ACLs on in the installed and the new configuration, and in a secondary only once Connect joins it to the
# primary (the mesh stage).
new_tokens_resolve() {
  local header
  for header in "$staging"/token-check-*.header; do
    [[ -e "$header" ]] || continue
    token_resolves "$header" || return 1
    rm -f "$header"
  done
}

# Whether this node's tokens must resolve: set below, before anything changes. Where they must, an ACL refusal of
# the quorum check before a restart stops the deploy instead of letting the restart go on unchecked.
tokens_must_resolve=no

wait_for_new_tokens() {
  local installed="$root$CONSUL_CONFIG_FILE"
  [[ -f "$installed" ]] && systemctl is-active --quiet consul.service || return 0
  # One header file per token that is new to this node: those of the agent configuration, the gateway's and the
  # apply script's own. The initial management token exists before anything else and never rotates here.
  local bootstrapped=no
  if [[ -e "$root${ACL_BOOTSTRAPPED_MARKER:-/nonexistent}" ]]; then bootstrapped=yes; fi
  local status=0
  python3 - "$installed" "$staging/$(basename "$CONSUL_CONFIG_FILE")" "$staging" "$root${GATEWAY_ENVIRONMENT_FILE:-/nonexistent}" "$bootstrapped" <<'PY' || status=$?
import json, os, sys
staged = json.load(open(sys.argv[2]))
try:
    installed = json.load(open(sys.argv[1]))
except ValueError:
    # A damaged file, which this delivery is to replace: judge by the new configuration, every token new to it.
    installed = {**staged, "acl": {**(staged.get("acl") or {}), "tokens": {}}}
staging, gateway_env, bootstrapped = sys.argv[3], sys.argv[4], sys.argv[5] == "yes"
acl = installed.get("acl") or {}
secondary = installed.get("primary_datacenter") not in (None, installed.get("datacenter"))
# 3: nothing can resolve here (a failure of this program itself exits 1).
if not acl.get("enabled") or not (staged.get("acl") or {}).get("enabled"):
    sys.exit(3)
if secondary and not (installed.get("connect") or {}).get("enabled"):
    sys.exit(3)
old = set((acl.get("tokens") or {}).values())
new = {v for k, v in ((staged.get("acl") or {}).get("tokens") or {}).items() if k != "initial_management"}
def env_token(path):
    try:
        for line in open(path):
            if line.startswith("CONSUL_HTTP_TOKEN="):
                return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return None
staged_gateway, installed_gateway = env_token(os.path.join(staging, "mesh-gateway.env")), env_token(gateway_env)
if staged_gateway:
    new.add(staged_gateway)
    if installed_gateway:
        old.add(installed_gateway)
health = os.path.join(staging, "health-check.token")
# A primary server's is the initial management token, which exists only once the ACL system began with it; from
# Terraform's own token on, one of its generations that the apply script found resolving (or none: checked below).
managed = os.path.exists(os.path.join(staging, "management-order"))
if os.path.exists(health) and (secondary or bootstrapped) and not managed:
    new.add(open(health).read().split(":", 1)[1].strip())
# The snapshot token a secondary's own settings deliver (the primary's comes from the ACL stack, where it exists).
snapshot = os.path.join(staging, "snapshot.token")
if secondary and os.path.exists(snapshot) and open(snapshot).read().strip():
    new.add(open(snapshot).read().strip())
for n, token in enumerate(sorted(t for t in new - old if t)):
    with open(os.path.join(staging, f"token-check-{n}.header"), "w") as f:
        f.write(f"X-Consul-Token: {token}\n")
PY
  # 3: nothing can resolve here (ACLs off, or a secondary before Connect joins it); any other failure (a file that
  # cannot be read) stops the deploy rather than skip the check.
  if ((status == 3)); then return 0; fi
  ((status == 0)) || fail "could not tell which tokens are new to this node; nothing was changed"
  # A primary server none of whose management generations resolves (a new ACL system, a restored snapshot of another
  # state) proves no token here: its checks fall back until the apply script makes the current generation.
  if [[ -f "$staging/management-order" && "$management_resolved" == no ]]; then
    wait_for 180 "a new token does not resolve in this datacenter yet; nothing was changed" new_tokens_resolve
    return 0
  fi
  tokens_must_resolve=yes
  wait_for 180 "a new token does not resolve in this datacenter yet (ACL replication from the primary: see /v1/acl/replication on a server here); nothing was changed" new_tokens_resolve
}

# A new CA bundle or certificate must keep this node and its peers trusting each other while the change rolls: the
# nodes not reached yet still present certificates like the one installed here and trust what is installed here.
# So the new bundle must verify the installed certificate, and the installed bundle the new certificate (chain
# only: -no_check_time, expiry is not this check's concern). A CA rotation raised by one passes both (every node
# already trusts the next CA and still trusts the previous one); raised by two it fails both, here, before the
# first node changes anything.
check_trust_continuity() {
  local installed_ca="$root$CONSUL_CA_FILE" installed_cert="$root$CONSUL_CERT_FILE"
  local staged_ca="$staging/${CONSUL_CA_FILE##*/}" staged_cert="$staging/${CONSUL_CERT_FILE##*/}"
  [[ -s "$installed_ca" && -s "$installed_cert" && -s "$staged_ca" && -s "$staged_cert" ]] || return 0
  if cmp -s "$installed_ca" "$staged_ca" && cmp -s "$installed_cert" "$staged_cert"; then return 0; fi
  if ! openssl verify -no_check_time -CAfile "$staged_ca" "$installed_cert" >/dev/null 2>&1; then
    fail "the new CA bundle does not trust the certificate this node and the nodes not reached yet present: rotation.ca moved by more than one since the last deploy? Set it to one above the value last deployed; nothing was changed"
  fi
  if ! openssl verify -no_check_time -CAfile "$installed_ca" "$staged_cert" >/dev/null 2>&1; then
    fail "the new certificate is signed by a CA the nodes not reached yet do not trust: rotation.ca moved by more than one since the last deploy? Set it to one above the value last deployed; nothing was changed"
  fi
}

# Turning ACLs off under a running ACL stack would leave that stack unable to plan ("ACL support disabled"):
# the first server refuses before anything changes, unless the operator has removed the ACL objects and
# confirmed (rollout.confirmAclsOff).
refuse_turning_acls_off() {
  local installed="$root$CONSUL_CONFIG_FILE"
  [[ -f "$installed" && "${ACLS_OFF_CONFIRMED:-no}" != yes ]] || return 0
  if python3 - "$installed" "$staging/$(basename "$CONSUL_CONFIG_FILE")" <<'PY'; then
import json, sys
enabled = lambda path: bool((json.load(open(path)).get("acl") or {}).get("enabled"))
sys.exit(0 if enabled(sys.argv[1]) and not enabled(sys.argv[2]) else 1)
PY
    fail "this change turns ACLs off, which the ACL stack cannot follow; nothing was changed. To go back to the cluster stage: deploy rollout.stage: acl first (default_policy allow, so that nothing depends on tokens), destroy the ACL objects (npm run synth, then terraform destroy in cdktf.out/stacks/<primary>-acl), then set rollout.stage: cluster and rollout.confirmAclsOff: true and deploy (README: Rollout stages)"
  fi
}

# Installs every file of the manifest; remembers which units must restart, or reload, because of it.
install_files() {
  local mode owner group name destination units reloads unit unit_list target
  while IFS=$'\t' read -r mode owner group name destination units reloads; do
    [[ -n "$name" ]] || continue
    target="$root$destination"
    # Only a missing folder is made: `install -d` would also reset the mode of one that exists (/etc/consul.d).
    [[ -d "$(dirname "$target")" ]] || install -d -m 0755 "$(dirname "$target")"
    # Earlier releases kept a copy of each replaced file, secrets included: none is kept now.
    rm -f "$target.previous"
    if [[ -f "$target" ]] && cmp -s "$staging/$name" "$target"; then
      # Same content, another owner or mode (Consul's package re-owns /etc/consul.d on every upgrade): set them
      # back; nothing that reads the file needs to start again.
      if [[ "$(stat -c '%a %U %G' "$target")" != "${mode#0} $owner $group" ]]; then
        chown "$owner:$group" "$target"
        chmod "$mode" "$target"
        log "set owner and mode of $destination back"
      fi
      continue
    fi
    install -m "$mode" -o "$owner" -g "$group" "$staging/$name" "$target"
    log "updated $destination"
    if [[ "$units" != "-" ]]; then
      IFS=, read -r -a unit_list <<<"$units"
      for unit in "${unit_list[@]}"; do changed_units+=("$unit"); done
    fi
    if [[ -n "$reloads" && "$reloads" != "-" ]]; then
      IFS=, read -r -a unit_list <<<"$reloads"
      for unit in "${unit_list[@]}"; do reloaded_units+=("$unit"); done
    fi
  done <"$manifest"
}

# Credential files that another delivery installs later (the primary's snapshot token comes from the ACL stack,
# which runs after the servers): an empty root-only file until then, so that the unit that loads it starts and
# says what is missing. An existing file is never touched.
ensure_credential_placeholders() {
  local paths path
  IFS=, read -r -a paths <<<"${CREDENTIAL_PLACEHOLDERS:-}"
  for path in "${paths[@]}"; do
    [[ ! -e "$root$path" ]] || continue
    [[ -d "$(dirname "$root$path")" ]] || install -d -m 0755 "$(dirname "$root$path")"
    install -m 0600 -o root -g root /dev/null "$root$path"
  done
}

api() {
  local path=$1
  shift
  # A hung agent answers nothing: every call gives up after 10 s, and the waits around it decide.
  curl -fsS --max-time 10 --cacert "$root$CONSUL_CA_FILE" "$@" "https://$CONSUL_HTTPS_ADDR$path" 2>/dev/null
}

leader_known() { api /v1/status/leader | grep -q '[0-9]'; }

envoy_ready() { curl -fsS "http://$ENVOY_ADMIN_ADDR/ready" 2>/dev/null | grep -q LIVE; }

# Whether the gateway's service passes its checks on the local agent (/v1/agent/health/service/name/<service>:
# 200 passing, 429 warning, 503 critical): Consul routes federation traffic only through gateways whose checks are
# not critical, and the first check runs only some seconds after Envoy is ready. Asked with the gateway's own
# token, read from its environment file into a header file of the staging folder.
gateway_checks_pass() {
  local code
  if [[ ! -s "$staging/gateway.service" ]]; then
    (
      set +u
      # shellcheck source=/dev/null
      . "$root$GATEWAY_ENVIRONMENT_FILE"
      printf 'X-Consul-Token: %s\n' "${CONSUL_HTTP_TOKEN:-}" >"$staging/gateway.header"
      printf '%s' "${GATEWAY_SERVICE:?}" >"$staging/gateway.service"
    ) || return 1
  fi
  code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' --cacert "$root$CONSUL_CA_FILE" \
    -H @"$staging/gateway.header" \
    "https://$CONSUL_HTTPS_ADDR/v1/agent/health/service/name/$(<"$staging/gateway.service")" 2>/dev/null) || return 1
  [[ "$code" == 200 ]]
}

in_raft_peers() { api /v1/status/peers | grep -qF "\"$CONSUL_RPC_ADDR\""; }

# Whether the agent's HTTPS listener presents the certificate installed: what shows that a reload took (a reload
# only sends SIGHUP, and an agent whose reload failed keeps serving the previous certificate).
serves_installed_certificate() {
  local served installed
  installed=$(openssl x509 -noout -fingerprint -sha256 -in "$root$CONSUL_CERT_FILE" 2>/dev/null) || return 1
  served=$(openssl s_client -connect "$CONSUL_HTTPS_ADDR" </dev/null 2>/dev/null |
    openssl x509 -noout -fingerprint -sha256 2>/dev/null) || return 1
  [[ -n "$served" && "$served" == "$installed" ]]
}

# Whether this server is a healthy voter of a healthy datacenter, by autopilot (operator:read). When ACLs
# refuse the question (no valid token yet: ACLs being turned on, or a secondary before replication runs),
# the answer falls back to what needs no token: a leader exists and this server is in the Raft peer set.
acl_fallback_logged=no

# Asks autopilot for the datacenter's health (with the staged token) into FILE; prints the HTTP status.
autopilot_report() {
  local token=()
  if [[ -s "$staging/health-check.token" ]]; then token=(-H "@$staging/health-check.token"); fi
  curl -sS --max-time 10 -o "$1" -w '%{http_code}' --cacert "$root$CONSUL_CA_FILE" "${token[@]}" \
    "https://$CONSUL_HTTPS_ADDR/v1/operator/autopilot/health" 2>/dev/null
}

server_healthy() {
  local body code
  body=$(mktemp)
  code=$(autopilot_report "$body") || code=000
  case "$code" in
    200)
      python3 - "$body" "$NODE_NAME" <<'PY'
import json, sys
health = json.load(open(sys.argv[1]))
me = [s for s in health.get("Servers") or [] if s.get("Name") == sys.argv[2]]
sys.exit(0 if health.get("Healthy") and me and me[0].get("Healthy") and me[0].get("Voter") else 1)
PY
      local status=$?
      rm -f "$body"
      return "$status"
      ;;
    401 | 403)
      rm -f "$body"
      # Where this node's tokens must resolve (checked before anything changed), a refusal is a failure to wait out.
      [[ "$tokens_must_resolve" != yes ]] || return 1
      if [[ "$acl_fallback_logged" == no ]]; then
        log "ACLs refused the autopilot health check (no valid token yet); waiting for a leader and for this server in the Raft peer set instead"
        acl_fallback_logged=yes
      fi
      leader_known && in_raft_peers
      ;;
    *)
      rm -f "$body"
      return 1
      ;;
  esac
}

# A server returns only as a healthy voter. A new server of a datacenter being bootstrapped has no leader
# to join until enough servers run: it waits only if a leader shows up (a replaced server joining a running
# datacenter) or if it is the datacenter's last server.
wait_until_server_healthy() {
  if [[ "$was_raft_member" == yes || "${WAIT_FOR_LEADER:-no}" == yes ]]; then
    wait_for 600 "$NODE_NAME is not a healthy voter of a healthy datacenter; see journalctl -u consul" server_healthy
    touch "$root$JOINED_MARKER"
    return
  fi
  # A replaced server finds the running datacenter's leader within seconds of joining.
  if ! try_for 30 leader_known; then
    log "no leader yet: the datacenter is being bootstrapped, the last server waits for it"
    return
  fi
  wait_for 600 "$NODE_NAME joined but is not a healthy voter; see journalctl -u consul" server_healthy
  touch "$root$JOINED_MARKER"
}

leader_elsewhere() {
  local leader
  leader=$(api /v1/status/leader) && [[ "$leader" =~ [0-9] && "$leader" != "\"$CONSUL_RPC_ADDR\"" ]]
}

# A server that leads its datacenter hands leadership to another voter before it restarts (Consul 1.15 and later,
# POST /v1/operator/raft/transfer-leader, operator:write): the datacenter keeps a leader throughout instead of
# waiting out an election, and the leader is never the server being restarted. Where that cannot be done (a
# single server, a refusal), the restart goes on and the datacenter elects a leader as it would anyway.
# Whether the datacenter keeps its quorum while this server restarts: its other healthy voters must be a majority
# of all voters (a datacenter of one server has none to keep). Where ACLs refuse the question, it cannot be told
# and the restart goes on, as before ACLs.
restart_keeps_quorum() {
  local body code status=1
  body=$(mktemp)
  code=$(autopilot_report "$body") || code=000
  # Consul answers 429 while the datacenter is unhealthy, with the same report.
  case "$code" in
    200 | 429)
      python3 - "$body" "$NODE_NAME" <<'PY' && status=0
import json, sys
servers = [s for s in json.load(open(sys.argv[1])).get("Servers") or [] if s.get("Voter")]
others = sum(1 for s in servers if s.get("Healthy") and s.get("Name") != sys.argv[2])
sys.exit(0 if len(servers) <= 1 or others >= len(servers) // 2 + 1 else 1)
PY
      ;;
    401 | 403)
      if [[ "$tokens_must_resolve" == yes ]]; then
        log "ACLs refused the quorum check with a token that resolves here; not restarting $NODE_NAME unchecked"
      else
        status=0
      fi
      ;;
  esac
  rm -f "$body"
  return "$status"
}

# The voter to hand leadership to: servers restart in the order of their names (<dc>-server-<n>), so the one
# before this server (restarted already) if there is one, else the last: a leader that is about to restart next
# would hand it over again.
successor() {
  api /v1/operator/raft/configuration "$@" | python3 -c '
import json, re, sys
me = sys.argv[1]
number = lambda s: int(re.search(r"(\d+)$", s["Node"]).group(1)) if re.search(r"\d+$", s["Node"]) else 0
voters = [s for s in json.load(sys.stdin)["Servers"] if s.get("Voter") and s["Node"] != me]
mine = number({"Node": me})
before = sorted((s for s in voters if number(s) < mine), key=number)
chosen = before[-1] if before else max(voters, key=number, default=None)
print(chosen["ID"] if chosen else "")
' "$NODE_NAME"
}

hand_over_leadership() {
  local leader token=() target
  [[ "$NODE_ROLE" == server ]] || return 0
  leader=$(api /v1/status/leader) || return 0
  [[ "$leader" == "\"$CONSUL_RPC_ADDR\"" ]] || return 0
  if [[ -s "$staging/health-check.token" ]]; then token=(-H "@$staging/health-check.token"); fi
  target=$(successor "${token[@]}") || target=
  if ! api "/v1/operator/raft/transfer-leader${target:+?id=$target}" -X POST "${token[@]}" >/dev/null; then
    log "could not hand leadership over before restarting; the datacenter elects a new leader instead"
    return 0
  fi
  if try_for 30 leader_elsewhere; then
    log "handed leadership over before restarting"
  else
    log "still the leader after handing it over; restarting all the same"
  fi
}

# Before a member server's agent goes down (a restart, a package upgrade): its datacenter must keep its quorum
# without it, and it hands leadership over if it leads. The marker on the data volume says it is a member; it is
# read here directly, since a package upgrade comes before the volume step.
guard_server_restart() {
  [[ "$NODE_ROLE" == server ]] || return 0
  # A member: it has been a healthy voter (the marker), or it is a peer of a datacenter that has a leader (a server
  # that finished before its datacenter first had one never wrote the marker).
  [[ -e "$root$JOINED_MARKER" ]] || { leader_known && in_raft_peers; } || return 0
  wait_for 120 "restarting $NODE_NAME now would cost its datacenter its quorum (another server is not a healthy voter): bring that one back, then deploy again" restart_keeps_quorum
  hand_over_leadership
}

restart_changed_units() {
  systemctl daemon-reload
  local unit
  for unit in "${START_UNITS[@]}"; do systemctl enable "$unit" >/dev/null 2>&1; done
  for unit in "${START_UNITS[@]}"; do
    if systemctl is-active --quiet "$unit"; then
      if [[ " ${changed_units[*]} " == *" $unit "* ]]; then
        if [[ "$unit" == consul.service ]]; then guard_server_restart; fi
        log "restarting $unit"
        systemctl restart "$unit"
      elif [[ " ${reloaded_units[*]} " == *" $unit "* ]]; then
        # Only files it reloads changed (a renewed certificate): it keeps running, and its leadership.
        log "reloading $unit"
        systemctl reload "$unit"
        if [[ "$unit" == consul.service ]] && ! try_for 30 serves_installed_certificate; then
          log "$unit still serves its previous certificate after the reload; restarting it"
          guard_server_restart
          systemctl restart "$unit"
        fi
      else
        continue
      fi
    else
      log "starting $unit"
      systemctl start "$unit"
    fi
    # A gateway's agent answers once it has joined; Envoy needs it.
    if [[ "$NODE_ROLE" == gateway && "$unit" == consul.service ]]; then
      wait_for 300 "the Consul agent has no leader; see journalctl -u consul" leader_known
    fi
  done
  # Units this node no longer runs (Envoy after a move below the mesh stage): stopped, not left behind.
  local stopping
  IFS=, read -r -a stopping <<<"${STOP_UNITS:-}"
  for unit in "${stopping[@]}"; do
    if systemctl is-active --quiet "$unit" || systemctl is-enabled --quiet "$unit" 2>/dev/null; then
      log "stopping $unit"
      systemctl disable --now "$unit" >/dev/null 2>&1
    fi
  done
  # Units of the system (e.g. systemd-resolved) whose configuration changed: restart them if running.
  for unit in "${changed_units[@]}"; do
    if [[ " ${START_UNITS[*]} " != *" $unit "* ]]; then
      log "restarting $unit"
      systemctl try-restart "$unit"
    fi
  done
}

# What a feature turned off leaves behind (backups: the credential and token files, the program), removed once
# its units are stopped: a token that no longer exists, or one that a restore brought back, is on no disk.
remove_retired_paths() {
  local paths path
  IFS=, read -r -a paths <<<"${RETIRED_PATHS:-}"
  for path in "${paths[@]}"; do
    [[ "$path" == /?*/* ]] || fail "refusing to remove \"$path\": not an absolute path below a top-level folder"
    [[ -e "$root$path" ]] || continue
    rm -rf -- "${root:?}$path"
    log "removed $path"
  done
}

# Whatever changed (or nothing: a rebuilt or resized VM delivers again), the node counts as applied only
# once it is healthy.
wait_until_node_healthy() {
  if [[ "$NODE_ROLE" == server ]]; then
    wait_until_server_healthy
  elif [[ " ${START_UNITS[*]} " == *" consul-mesh-gateway.service "* ]]; then
    # A started Envoy can still crash-loop (wrong token, CA, address): the gateway counts once it serves.
    wait_for 180 "Envoy is not ready; see journalctl -u consul-mesh-gateway" envoy_ready
    # The next gateway may go down only once this one carries traffic again.
    wait_for 120 "the mesh gateway's checks do not pass; see consul catalog services and journalctl -u consul" gateway_checks_pass
  fi
}

wait_for_cloud_init
ensure_system_users
converge_apt_sources
expand_management_tokens
choose_management_token || true
# What can refuse the change comes before anything changes (a package upgrade restarts the agent itself).
refuse_turning_acls_off
check_trust_continuity
wait_for_new_tokens
ensure_packages
ensure_firewall_program
secure_consul_directories
mount_data_volume
strip_management_token_if_bootstrapped
validate_staged_config
install_files
ensure_credential_placeholders
shed_initial_management_from_memory
refresh_envoy_admin_firewall
restart_changed_units
remove_retired_paths
choose_management_token_after_start
ensure_management_token
wait_until_node_healthy
retire_older_management_tokens
record_acl_bootstrap
log "node converged (${NODE_ROLE})"
