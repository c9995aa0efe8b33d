#!/usr/bin/env bash
# Converges a Consul node to the files staged next to this script (uploaded by Terraform over SSH):
# pinned packages, the data volume, configuration, certificates and units. It restarts only what
# changed and waits until the agent is healthy, so that servers can be rolled one at a time.
# Usage: sudo node-apply.sh STAGING_DIR
set -euo pipefail

staging=${1:?usage: node-apply.sh STAGING_DIR}
manifest="$staging/manifest.tsv"
changed_units=()

log() { printf 'node-apply: %s\n' "$*" >&2; }

# shellcheck source=/dev/null
. "$staging/node.env"
: "${NODE_ROLE:?}" "${CONSUL_PACKAGE:?}" "${CONSUL_HTTPS_ADDR:?}" "${CONSUL_CA_FILE:?}"

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
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --allow-downgrades --allow-change-held-packages "${missing[@]}"
  fi
  local name
  for package in "${packages[@]}"; do
    name=${package%%=*}
    apt-mark hold "$name" >/dev/null
  done
}

mount_data_volume() {
  [[ -n "${DATA_DEVICE:-}" ]] || return 0
  local waited=0
  until [[ -b "$DATA_DEVICE" ]]; do
    if ((waited >= 300)); then
      log "data volume $DATA_DEVICE did not appear"
      exit 1
    fi
    sleep 2
    waited=$((waited + 2))
  done
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

validate_consul_config() {
  if ! consul validate -quiet "$CONSUL_CONFIG_FILE"; then
    log "the new configuration is invalid; restoring the previous one"
    if [[ -f "$CONSUL_CONFIG_FILE.previous" ]]; then mv "$CONSUL_CONFIG_FILE.previous" "$CONSUL_CONFIG_FILE"; fi
    exit 1
  fi
}

wait_until_healthy() {
  local waited=0
  until curl -fsS --cacert "$CONSUL_CA_FILE" "https://$CONSUL_HTTPS_ADDR/v1/status/leader" 2>/dev/null | grep -q '[0-9]'; do
    if ((waited >= 300)); then
      log "the Consul agent has no leader after ${waited}s; see journalctl -u consul"
      exit 1
    fi
    sleep 3
    waited=$((waited + 3))
  done
}

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
  done
  # Units of the system (e.g. systemd-resolved) whose configuration changed: restart them if running.
  for unit in "${changed_units[@]}"; do
    if [[ " ${START_UNITS[*]} " != *" $unit "* ]]; then
      log "restarting $unit"
      systemctl try-restart "$unit"
    fi
  done
}

IFS=, read -r -a START_UNITS <<<"${NODE_UNITS:-consul.service}"

wait_for_cloud_init
ensure_packages
mount_data_volume
install_files
validate_consul_config
restart_changed_units
log "node converged (${NODE_ROLE})"
