import type { NodeKind } from "./ports";

/**
 * Where things live on every node: the files the settings delivery installs and the systemd units it
 * manages. The agent configuration, the units and the apply script all refer to these paths.
 */
export const NODE_PATHS = {
  agentConfig: "/etc/consul.d/consul.json",
  caFile: "/etc/consul.d/tls/ca.pem",
  certFile: "/etc/consul.d/tls/agent.pem",
  keyFile: "/etc/consul.d/tls/agent-key.pem",
  gatewayEnvironment: "/etc/consul.d/mesh-gateway.env",
  /** Gateways: the nftables rules that keep Envoy's admin listener to root and Envoy's own user (JSON ruleset). */
  envoyAdminFirewall: "/etc/consul.d/envoy-admin-firewall.json",
  /** Gateways: loads that firewall again whenever nftables.service (re)loads or flushes its rule set. */
  nftablesDropIn: "/etc/systemd/system/nftables.service.d/consul-envoy-admin-firewall.conf",
  resolvedDropIn: "/etc/systemd/resolved.conf.d/consul.conf",
  dataDir: "/opt/consul",
  /** On a server's data volume once the ACL system holds the initial management token: no file keeps it after. */
  aclBootstrappedMarker: "/opt/consul/.consul-federation-acl-bootstrapped",
  sshHostKey: "/etc/ssh/ssh_host_ed25519_key",
} as const;

export const CONSUL_UNIT = "consul.service";
export const MESH_GATEWAY_UNIT = "consul-mesh-gateway.service";
/** Gateways: loads the firewall of Envoy's admin interface, again whenever nftables.service (re)loads its rules. */
export const ENVOY_ADMIN_FIREWALL_UNIT = "consul-envoy-admin-firewall.service";
export const RESOLVED_UNIT = "systemd-resolved.service";
/** OpenSSH's server on Debian and Ubuntu. */
export const SSH_UNIT = "ssh.service";

/** root, which runs the apply script and every script of the federation on a node. */
export const ROOT_UID = 0;

export interface SystemUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

/**
 * The users services run as, with IDs pinned so that a VM rebuilt from another image still owns its data
 * volume. The IDs lie outside the range Debian and Ubuntu hand out to system users dynamically (100-999),
 * where a package of the image could already hold them; nothing on a cloud image uses these.
 */
export const SYSTEM_USERS = {
  consul: { name: "consul", uid: 8300, gid: 8300, home: NODE_PATHS.dataDir },
  // Envoy on the gateways faces other datacenters: it runs apart from the agent, without access to the agent's
  // key, configuration or data. It needs no home; /nonexistent is Debian's convention for that.
  envoy: { name: "consul-envoy", uid: 8301, gid: 8301, home: "/nonexistent" },
} as const satisfies Record<string, SystemUser>;

/** The users each kind of node runs services as: the agent's everywhere, Envoy's on the gateways. */
export const SYSTEM_USERS_OF: Readonly<Record<NodeKind, readonly SystemUser[]>> = {
  server: [SYSTEM_USERS.consul],
  gateway: [SYSTEM_USERS.consul, SYSTEM_USERS.envoy],
};
