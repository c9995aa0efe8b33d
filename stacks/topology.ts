import type { FederationConfig } from "../config/schema";
import { MESH_GATEWAY_PORT, renderPortMatrixMarkdown } from "../domain/ports";
import { STAGE_DESCRIPTIONS, stageSettings } from "../domain/stages";
import { federationPortMatrix } from "./datacenter-foundation";
import { planFederation } from "./federation-plan";

const id = (...parts: string[]) => parts.join("_").replace(/[^A-Za-z0-9_]/g, "_");

/**
 * The federation as a Mermaid flowchart (GitHub renders it natively): datacenters, servers, gateways
 * with their floating IPs, and the WAN paths, all of which run through the mesh gateways' port.
 */
export function renderTopologyMermaid(federation: FederationConfig): string {
  const plan = planFederation(federation);
  const lines = ["flowchart LR"];
  for (const dc of plan.datacenters) {
    lines.push(
      `  subgraph ${id(dc.name)}["${dc.name} (${dc.role}) ${dc.config.openstack.network.cidr}, ${dc.config.openstack.region}"]`,
    );
    lines.push(`    subgraph ${id(dc.name, "servers")}["servers"]`);
    for (const node of dc.servers) lines.push(`      ${id(node.name)}[("${node.name}<br/>${node.privateIp}")]`);
    lines.push("    end");
    lines.push(`    subgraph ${id(dc.name, "gateways")}["mesh gateways"]`);
    for (const node of dc.gateways) {
      lines.push(`      ${id(node.name)}{{"${node.name}<br/>${node.privateIp} / floating IP:${MESH_GATEWAY_PORT}"}}`);
    }
    lines.push("    end");
    lines.push("  end");
  }
  const primaryGateways = id(plan.primary.name, "gateways");
  for (const dc of plan.secondaries) {
    lines.push(`  ${id(dc.name, "servers")} -.->|"primary_gateways, ${MESH_GATEWAY_PORT}"| ${primaryGateways}`);
    lines.push(`  ${id(dc.name, "gateways")} <==>|"WAN, ${MESH_GATEWAY_PORT}"| ${primaryGateways}`);
  }
  plan.secondaries.forEach((dc, i) => {
    for (const other of plan.secondaries.slice(i + 1)) {
      lines.push(`  ${id(dc.name, "gateways")} <==>|"WAN, ${MESH_GATEWAY_PORT}"| ${id(other.name, "gateways")}`);
    }
  });
  return lines.join("\n");
}

/** `federation.md`: the picture, the rollout stage and the port matrix, written next to the stacks. */
export function renderTopologyDocument(federation: FederationConfig): string {
  const stage = federation.rollout.stage;
  return [
    "# Consul federation",
    "",
    `Rollout stage: **${stage}** (${STAGE_DESCRIPTIONS[stage]}).${stageSettings(stage).mesh ? "" : " WAN paths below carry traffic from the `mesh` stage on."}`,
    "",
    "```mermaid",
    renderTopologyMermaid(federation),
    "```",
    "",
    "## Port matrix",
    "",
    renderPortMatrixMarkdown(federationPortMatrix(federation)),
    "",
  ].join("\n");
}
