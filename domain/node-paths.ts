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
  resolvedDropIn: "/etc/systemd/resolved.conf.d/consul.conf",
  dataDir: "/opt/consul",
} as const;

export const CONSUL_UNIT = "consul.service";
export const MESH_GATEWAY_UNIT = "consul-mesh-gateway.service";
export const RESOLVED_UNIT = "systemd-resolved.service";
