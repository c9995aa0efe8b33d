/**
 * Every port of the federation, and which port of which node role is reachable from where (the port
 * matrix), for WAN federation over mesh gateways. Only the gateways' mesh port accepts traffic from other
 * datacenters; server RPC and serf WAN are reached by the local gateways only, never from the internet.
 * Gateway agents bind their API, gRPC and DNS to loopback (Envoy is local), so those ports stay closed on
 * gateways.
 */

/** Consul's ports (its defaults). The agents turn the plaintext `http` and `grpc` listeners off. */
export const CONSUL_PORTS = {
  serverRpc: 8300,
  serfLan: 8301,
  serfWan: 8302,
  http: 8500,
  https: 8501,
  grpc: 8502,
  grpcTls: 8503,
  dns: 8600,
} as const;

export const SSH_PORT = 22;

/** Where each mesh gateway's Envoy listens, on the LAN address and (through the floating IP) on the WAN. */
export const MESH_GATEWAY_PORT = 8443;

/** Envoy's admin listener: loopback only; the apply script asks its /ready. */
export const ENVOY_ADMIN_ADDRESS = "127.0.0.1:19000";

/** Ports that must never be open to everywhere: SSH and every port a Consul server can listen on. */
export const ADMIN_AND_SERVER_PORTS: readonly number[] = [SSH_PORT, ...Object.values(CONSUL_PORTS)];

export type NodeKind = "server" | "gateway";
export type Protocol = "tcp" | "udp";

/**
 * Where traffic may come from, resolved per datacenter by the security-group construct: `servers` are the
 * datacenter's own servers (their security group), the others CIDRs (`datacenter` its whole network).
 */
export type TrafficSource = "datacenter" | "servers" | "admin" | "monitoring" | "wan";

export interface PortRule {
  readonly port: number;
  readonly protocol: Protocol;
  readonly kinds: readonly NodeKind[];
  readonly sources: readonly TrafficSource[];
  readonly purpose: string;
}

export interface PortMatrixOptions {
  /** The port of Envoy's Prometheus listener (`proxy-defaults` `envoy_prometheus_bind_addr`). */
  readonly envoyMetricsPort: number;
}

const BOTH: readonly NodeKind[] = ["server", "gateway"];

/** The port matrix of a federation; the metrics port is the one Envoy is configured to serve. */
export function portMatrix(options: PortMatrixOptions): readonly PortRule[] {
  const serfWan = "serf WAN (the datacenter's servers)";
  return [
    { port: SSH_PORT, protocol: "tcp", kinds: BOTH, sources: ["admin"], purpose: "SSH (operators, settings delivery)" },
    {
      port: CONSUL_PORTS.serverRpc,
      protocol: "tcp",
      kinds: ["server"],
      sources: ["datacenter"],
      purpose: "server RPC",
    },
    { port: CONSUL_PORTS.serfLan, protocol: "tcp", kinds: BOTH, sources: ["datacenter"], purpose: "serf LAN" },
    { port: CONSUL_PORTS.serfLan, protocol: "udp", kinds: BOTH, sources: ["datacenter"], purpose: "serf LAN" },
    // Only servers join the WAN pool. Over mesh gateways, only gossip between servers of the same datacenter uses
    // memberlist's own transport on 8302; gossip with other datacenters reaches a server through the local gateways
    // on its RPC port, as TLS with the ALPN names consul/wan-gossip/* (agent/consul/wanfed/wanfed.go and the RPC
    // listener's ALPN cases in agent/consul/rpc.go, hashicorp/consul).
    { port: CONSUL_PORTS.serfWan, protocol: "tcp", kinds: ["server"], sources: ["servers"], purpose: serfWan },
    { port: CONSUL_PORTS.serfWan, protocol: "udp", kinds: ["server"], sources: ["servers"], purpose: serfWan },
    {
      port: MESH_GATEWAY_PORT,
      protocol: "tcp",
      kinds: ["gateway"],
      sources: ["datacenter", "wan"],
      purpose: "mesh gateway (WAN federation)",
    },
    {
      port: CONSUL_PORTS.https,
      protocol: "tcp",
      kinds: ["server"],
      sources: ["datacenter", "admin"],
      purpose: "HTTPS API",
    },
    {
      port: CONSUL_PORTS.grpcTls,
      protocol: "tcp",
      kinds: ["server"],
      sources: ["datacenter"],
      purpose: "gRPC TLS (xDS)",
    },
    { port: CONSUL_PORTS.dns, protocol: "tcp", kinds: ["server"], sources: ["datacenter"], purpose: "DNS" },
    { port: CONSUL_PORTS.dns, protocol: "udp", kinds: ["server"], sources: ["datacenter"], purpose: "DNS" },
    {
      port: options.envoyMetricsPort,
      protocol: "tcp",
      kinds: ["gateway"],
      sources: ["monitoring"],
      purpose: "Envoy Prometheus metrics",
    },
  ];
}

const SOURCE_LABELS: Record<TrafficSource, string> = {
  datacenter: "own datacenter network",
  servers: "own datacenter's servers (their security group)",
  admin: "`access.adminCidrs`",
  monitoring: "`access.monitoringCidrs`",
  wan: "`access.wanCidrs` (default anywhere)",
};

/** A port matrix as the Markdown table printed in the README and in federation.md. */
export function renderPortMatrixMarkdown(matrix: readonly PortRule[]): string {
  const rows = matrix.map(
    (rule) =>
      `| ${rule.port}/${rule.protocol} | ${rule.purpose} | ${rule.kinds.join(", ")} | ${rule.sources.map((s) => SOURCE_LABELS[s]).join(", ")} |`,
  );
  return ["| port | purpose | open on | reachable from |", "| --- | --- | --- | --- |", ...rows].join("\n");
}

/** The address of an `<ip>:<port>` bind address (IPv4). */
export function hostOf(bindAddress: string): string {
  return bindAddress.slice(0, bindAddress.lastIndexOf(":"));
}

/** The port of an `<ip>:<port>` bind address. */
export function portOf(bindAddress: string): number {
  return Number(bindAddress.slice(bindAddress.lastIndexOf(":") + 1));
}
