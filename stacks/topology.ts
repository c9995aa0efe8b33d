import type { FederationConfig } from "../config/schema";
import { renderPortMatrixMarkdown } from "../constructs/security/port-matrix";
import { datacenterAddresses } from "./datacenter-foundation";
import { gatewayNodeName, serverNodeName } from "./node-groups";
import { stageSettings } from "./rollout";

const id = (...parts: string[]) => parts.join("_").replace(/[^A-Za-z0-9_]/g, "_");

/**
 * The federation as a Mermaid flowchart (GitHub renders it natively): datacenters, servers, gateways
 * with their floating IPs, and the WAN paths, all of which run through the mesh gateways' 8443.
 */
export function renderTopologyMermaid(federation: FederationConfig): string {
  const primary = federation.datacenters.find((dc) => dc.primary);
  if (!primary) throw new Error("the federation has no primary datacenter");
  const lines = ["flowchart LR"];
  for (const dc of federation.datacenters) {
    const addresses = datacenterAddresses(dc);
    const role = dc.primary ? "primary" : "secondary";
    lines.push(
      `  subgraph ${id(dc.name)}["${dc.name} (${role}) ${dc.openstack.network.cidr}, ${dc.openstack.region}"]`,
    );
    lines.push(`    subgraph ${id(dc.name, "servers")}["servers"]`);
    addresses.servers.forEach((ip, i) => {
      const name = serverNodeName(dc.name, i);
      lines.push(`      ${id(name)}[("${name}<br/>${ip}")]`);
    });
    lines.push("    end");
    lines.push(`    subgraph ${id(dc.name, "gateways")}["mesh gateways"]`);
    addresses.gateways.forEach((ip, i) => {
      const name = gatewayNodeName(dc.name, i);
      lines.push(`      ${id(name)}{{"${name}<br/>${ip} / floating IP:8443"}}`);
    });
    lines.push("    end");
    lines.push("  end");
  }
  const secondaries = federation.datacenters.filter((dc) => !dc.primary);
  for (const dc of secondaries) {
    lines.push(`  ${id(dc.name, "servers")} -.->|"primary_gateways, 8443"| ${id(primary.name, "gateways")}`);
    lines.push(`  ${id(dc.name, "gateways")} <==>|"WAN, 8443"| ${id(primary.name, "gateways")}`);
  }
  secondaries.forEach((dc, i) => {
    for (const other of secondaries.slice(i + 1)) {
      lines.push(`  ${id(dc.name, "gateways")} <==>|"WAN, 8443"| ${id(other.name, "gateways")}`);
    }
  });
  return lines.join("\n");
}

const STAGE_TEXT = {
  cluster: "servers and gateways with TLS and gossip; no ACLs, no Connect",
  acl: 'ACLs on (default_policy "allow"), tokens delivered, replication on',
  mesh: 'Connect and WAN federation over mesh gateways, proxy-defaults; default_policy "allow"',
  enforced: 'default_policy "deny"',
};

/** `federation.md`: the picture, the rollout stage and the port matrix, written next to the stacks. */
export function renderTopologyDocument(federation: FederationConfig): string {
  const stage = federation.rollout.stage;
  const settings = stageSettings(stage);
  return [
    "# Consul federation",
    "",
    `Rollout stage: **${stage}** (${STAGE_TEXT[stage]}).${settings.mesh ? "" : " WAN paths below carry traffic from the `mesh` stage on."}`,
    "",
    "```mermaid",
    renderTopologyMermaid(federation),
    "```",
    "",
    "## Port matrix",
    "",
    renderPortMatrixMarkdown(),
    "",
  ].join("\n");
}
