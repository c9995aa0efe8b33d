import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadFederationConfig } from "../../config/load";
import { renderPortMatrixMarkdown } from "../../domain/ports";
import { federationPortMatrix } from "../../stacks/datacenter-foundation";
import { renderTopologyDocument, renderTopologyMermaid } from "../../stacks/topology";
import { EXAMPLE_CONFIG_PATH, exampleConfig, REPO_ROOT } from "../support/fixtures";

const example = loadFederationConfig(EXAMPLE_CONFIG_PATH);

describe("topology picture", () => {
  const mermaid = renderTopologyMermaid(example);

  it("draws every server and gateway with its fixed address", () => {
    for (const dc of ["prod1", "prod2", "prod3"]) {
      for (const n of [1, 2, 3]) expect(mermaid).toContain(`${dc}-server-${n}<br/>10.${dc.slice(-1)}0.0.${9 + n}`);
      for (const n of [1, 2])
        expect(mermaid).toContain(`${dc}-gateway-${n}<br/>10.${dc.slice(-1)}0.0.${29 + n} / floating IP:8443`);
    }
  });

  it("draws the WAN paths through the gateways only", () => {
    const edges = mermaid.split("\n").filter((line) => /-\.->|<==>/.test(line));
    expect(edges).toEqual([
      '  prod2_servers -.->|"primary_gateways, 8443"| prod1_gateways',
      '  prod2_gateways <==>|"WAN, 8443"| prod1_gateways',
      '  prod3_servers -.->|"primary_gateways, 8443"| prod1_gateways',
      '  prod3_gateways <==>|"WAN, 8443"| prod1_gateways',
      '  prod2_gateways <==>|"WAN, 8443"| prod3_gateways',
    ]);
  });

  it("states the rollout stage and the port matrix", () => {
    const document = renderTopologyDocument(exampleConfig((c) => (c.rollout = { stage: "acl" })));
    expect(document).toContain("Rollout stage: **acl**");
    expect(document).toContain(renderPortMatrixMarkdown(federationPortMatrix(example)));
  });

  it("is embedded in the README for the example", () => {
    expect(readFileSync(join(REPO_ROOT, "README.md"), "utf8")).toContain(`\`\`\`mermaid\n${mermaid}\n\`\`\``);
  });
});
