#!/usr/bin/env bash
# Converges a Consul node to the files staged next to this script (uploaded by Terraform over SSH):
# pinned packages, the data volume, configuration, certificates and units. It restarts only what
# changed and waits until the agent is healthy, so that servers can be rolled one at a time.
# Usage: sudo node-apply.sh STAGING_DIR
set -euo pipefail

staging=${1:?usage: node-apply.sh STAGING_DIR}
manifest="$staging/manifest.tsv"
changed_units=()
# The staging folder holds keys and tokens: gone however this ends.
trap 'rm -rf "$staging"' EXIT

log() { printf 'node-apply: %s\n' "$*" >&2; }

# shellcheck source=/dev/null
. "$staging/node.env"
: "${NODE_ROLE:?}" "${CONSUL_PACKAGE:?}" "${CONSUL_HTTPS_ADDR:?}" "${CONSUL_CA_FILE:?}"
IFS=, read -r -a START_UNITS <<<"${NODE_UNITS:-consul.service}"

# Runs a check every 3 seconds until it succeeds; gives up, naming what failed, after LIMIT seconds.
wait_for() {
  local limit=$1 failure=$2 waited=0
  shift 2
  until "$@"; do
    if ((waited >= limit)); then
      log "$failure (after ${waited}s)"
      exit 1
    fi
    sleep 3
    waited=$((waited + 3))
  done
}

wait_for_cloud_init() {
  if command -v cloud-init >/dev/null; then
    cloud-init status --wait >/dev/null || log "cloud-init reported a problem; continuing"
  fi
}

ensure_packages() {
  local packages=("$CONSUL_PACKAGE")
  if [[ -n "${ENVOY_PACKAGE:-}" ]]; then packages+=("$ENVOY_PACKAGE"); fi
  local missing=()
  local package
  for package in "${packages[@]}"; do
    local name=${package%%=*} wanted=${package#*=} installed
    installed=$(dpkg-query -W -f='${Version}' "$name" 2>/dev/null || true)
    if [[ "$package" != *=* && -n "$installed" ]]; then continue; fi
    if [[ "$installed" != "$wanted" ]]; then missing+=("$package"); fi
  done
  if ((${#missing[@]} > 0)); then
    log "installing ${missing[*]}"
    # A fresh VM's apt-daily may hold the lock; a release newer than the image's lists needs an update.
    apt-get -o DPkg::Lock::Timeout=600 update -q
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q \
      --allow-downgrades --allow-change-held-packages "${missing[@]}"
    # New binaries only run after a restart.
    changed_units+=("${START_UNITS[@]}")
  fi
  local name
  for package in "${packages[@]}"; do
    name=${package%%=*}
    apt-mark showhold | grep -qx "$name" || apt-mark hold "$name" >/dev/null
  done
}

mount_data_volume() {
  [[ -n "${DATA_DEVICE:-}" ]] || return 0
  wait_for 300 "data volume $DATA_DEVICE did not appear" test -b "$DATA_DEVICE"
  if ! blkid "$DATA_DEVICE" >/dev/null; then
    log "formatting the new data volume $DATA_DEVICE"
    mkfs.ext4 -q -L consul-data "$DATA_DEVICE"
  fi
  if ! grep -q "^LABEL=consul-data " /etc/fstab; then
    printf 'LABEL=consul-data %s ext4 defaults,nofail,x-systemd.device-timeout=300s 0 2\n' "$DATA_DIR" >>/etc/fstab
    systemctl daemon-reload
  fi
  install -d -m 0750 "$DATA_DIR"
  mountpoint -q "$DATA_DIR" || mount "$DATA_DIR"
  chown consul:consul "$DATA_DIR"
  chmod 0750 "$DATA_DIR"
}

# Installs every file of the manifest; remembers which units must restart because of it.
install_files() {
  local mode owner group name destination units
  while IFS=$'\t' read -r mode owner group name destination units; do
    [[ -n "$name" ]] || continue
    install -d -m 0755 "$(dirname "$destination")"
    if [[ -f "$destination" ]] && cmp -s "$staging/$name" "$destination" &&
      [[ "$(stat -c '%a %U %G' "$destination")" == "${mode#0} $owner $group" ]]; then
      continue
    fi
    cp -p "$destination" "$destination.previous" 2>/dev/null || true
    install -m "$mode" -o "$owner" -g "$group" "$staging/$name" "$destination"
    log "updated $destination"
    if [[ "$units" != "-" ]]; then
      local unit
      IFS=, read -r -a unit_list <<<"$units"
      for unit in "${unit_list[@]}"; do changed_units+=("$unit"); done
    fi
  done <"$manifest"
}

# Checked before anything is installed, so an invalid configuration changes nothing on the node.
validate_staged_config() {
  if ! consul validate -quiet "$staging/$(basename "$CONSUL_CONFIG_FILE")"; then
    log "the new configuration is invalid; nothing was changed"
    exit 1
  fi
}

envoy_ready() { curl -fsS "http://$ENVOY_ADMIN_ADDR/ready" 2>/dev/null | grep -q LIVE; }

leader_known() {
  curl -fsS --cacert "$CONSUL_CA_FILE" "https://$CONSUL_HTTPS_ADDR/v1/status/leader" 2>/dev/null | grep -q '[0-9]'
}

wait_until_envoy_ready() { wait_for 180 "Envoy is not ready; see journalctl -u consul-mesh-gateway" envoy_ready; }

wait_until_healthy() { wait_for 300 "the Consul agent has no leader; see journalctl -u consul" leader_known; }

restart_changed_units() {
  systemctl daemon-reload
  local unit
  for unit in "${START_UNITS[@]}"; do systemctl enable "$unit" >/dev/null 2>&1; done
  for unit in "${START_UNITS[@]}"; do
    if systemctl is-active --quiet "$unit"; then
      [[ " ${changed_units[*]} " == *" $unit "* ]] || continue
      log "restarting $unit"
      systemctl restart "$unit"
      # A member that was running must be back before Terraform moves to the next server; on first
      # start there is no leader until bootstrap_expect servers are up, so nothing to wait for.
      if [[ "$unit" == consul.service ]]; then wait_until_healthy; fi
    else
      log "starting $unit"
      systemctl start "$unit"
      if [[ "$unit" == consul.service && "${WAIT_FOR_LEADER:-no}" == yes ]]; then wait_until_healthy; fi
    fi
    # A started Envoy can still crash-loop (wrong token, CA, address): the gateway counts once it serves.
    if [[ "$unit" == consul-mesh-gateway.service && -n "${ENVOY_ADMIN_ADDR:-}" ]]; then wait_until_envoy_ready; fi
  done
  # Units of the system (e.g. systemd-resolved) whose configuration changed: restart them if running.
  for unit in "${changed_units[@]}"; do
    if [[ " ${START_UNITS[*]} " != *" $unit "* ]]; then
      log "restarting $unit"
      systemctl try-restart "$unit"
    fi
  done
}

wait_for_cloud_init
ensure_packages
mount_data_volume
validate_staged_config
install_files
restart_changed_units
log "node converged (${NODE_ROLE})"
