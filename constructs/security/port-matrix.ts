/**
 * Which port of which node role is reachable from where, for WAN federation over mesh gateways.
 * Only the gateways' 8443 accepts traffic from other datacenters; server RPC and serf WAN (8300,
 * 8302) are reached by the local gateways only, and never from the internet. Gateway agents bind
 * their API, gRPC and DNS to loopback (Envoy is local), so those ports stay closed on gateways.
 */

export type NodeRole = "server" | "gateway";
export type Protocol = "tcp" | "udp";

/** Where traffic may come from: resolved to CIDRs per datacenter by the security-group construct. */
export type TrafficSource = "datacenter" | "admin" | "monitoring" | "wan";

export interface PortRule {
  readonly port: number;
  readonly protocol: Protocol;
  readonly roles: readonly NodeRole[];
  readonly sources: readonly TrafficSource[];
  readonly purpose: string;
}

const BOTH: readonly NodeRole[] = ["server", "gateway"];

export const PORT_MATRIX: readonly PortRule[] = [
  { port: 22, protocol: "tcp", roles: BOTH, sources: ["admin"], purpose: "SSH (operators, settings delivery)" },
  { port: 8300, protocol: "tcp", roles: ["server"], sources: ["datacenter"], purpose: "server RPC" },
  { port: 8301, protocol: "tcp", roles: BOTH, sources: ["datacenter"], purpose: "serf LAN" },
  { port: 8301, protocol: "udp", roles: BOTH, sources: ["datacenter"], purpose: "serf LAN" },
  {
    port: 8302,
    protocol: "tcp",
    roles: ["server"],
    sources: ["datacenter"],
    purpose: "serf WAN (through the local gateways)",
  },
  {
    port: 8302,
    protocol: "udp",
    roles: ["server"],
    sources: ["datacenter"],
    purpose: "serf WAN (through the local gateways)",
  },
  {
    port: 8443,
    protocol: "tcp",
    roles: ["gateway"],
    sources: ["datacenter", "wan"],
    purpose: "mesh gateway (WAN federation)",
  },
  { port: 8501, protocol: "tcp", roles: ["server"], sources: ["datacenter", "admin"], purpose: "HTTPS API" },
  { port: 8503, protocol: "tcp", roles: ["server"], sources: ["datacenter"], purpose: "gRPC TLS (xDS)" },
  { port: 8600, protocol: "tcp", roles: ["server"], sources: ["datacenter"], purpose: "DNS" },
  { port: 8600, protocol: "udp", roles: ["server"], sources: ["datacenter"], purpose: "DNS" },
  { port: 9102, protocol: "tcp", roles: ["gateway"], sources: ["monitoring"], purpose: "Envoy Prometheus metrics" },
];

/** Ports that must never be reachable from the internet (checked by tests and the synth checks). */
export const SERVER_ONLY_PORTS: readonly number[] = [8300, 8302];

const SOURCE_LABELS: Record<TrafficSource, string> = {
  datacenter: "own datacenter network",
  admin: "`access.adminCidrs`",
  monitoring: "`access.monitoringCidrs`",
  wan: "`access.wanCidrs` (default anywhere)",
};

/** The matrix as the Markdown table printed in the README (a test keeps the two identical). */
export function renderPortMatrixMarkdown(): string {
  const rows = PORT_MATRIX.map(
    (rule) =>
      `| ${rule.port}/${rule.protocol} | ${rule.purpose} | ${rule.roles.join(", ")} | ${rule.sources.map((s) => SOURCE_LABELS[s]).join(", ")} |`,
  );
  return ["| port | purpose | open on | reachable from |", "| --- | --- | --- | --- |", ...rows].join("\n");
}
