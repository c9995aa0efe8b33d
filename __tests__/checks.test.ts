import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, Testing, TerraformOutput, TerraformStack } from "cdktf";
import { evenServerCount } from "../constructs/checks/rules/even-server-count";
import { privateWanAddress } from "../constructs/checks/rules/private-wan-address";
import { secondaryFederation } from "../constructs/checks/rules/secondary-federation";
import type { IConstruct } from "constructs";
import { NetworkingSecgroupRuleV2 } from "../.gen/providers/openstack/networking-secgroup-rule-v2";
import type { FederationConfig, RolloutStage } from "../config/schema";
import { FederationChecks, FEDERATION_RULES } from "../constructs/checks/federation-checks";
import { suppressRule } from "../constructs/checks/rule";
import { ConsulServerNode } from "../constructs/consul/consul-nodes";
import { FederationSecrets } from "../constructs/consul/federation-secrets";
import { CertificateAuthority } from "../constructs/tls/certificate-authority";
import { ServerCertificate } from "../constructs/tls/server-certificate";
import { buildFederation, Federation } from "../stacks/federation";
import { synthesizeFederation } from "../stacks/synthesize";
import { nodePackages } from "../stacks/node-groups";
import { exampleConfig } from "./support/fixtures";

interface Finding {
  readonly level: "error" | "warning" | "info";
  readonly path: string;
  readonly message: string;
}

const LEVELS: Record<string, Finding["level"]> = {
  "@cdktf/error": "error",
  "@cdktf/warn": "warning",
  "@cdktf/info": "info",
};

/** Runs the checks over a tree the way the aspect does at synth, and returns the annotations. */
function findings(root: IConstruct, stage: RolloutStage = "enforced", rules = FEDERATION_RULES): Finding[] {
  const checks = new FederationChecks({ stage, root, rules });
  for (const node of root.node.findAll()) checks.visit(node);
  return root.node
    .findAll()
    .flatMap((node) =>
      node.node.metadata
        .filter((entry) => entry.type in LEVELS)
        .map((entry) => ({ level: LEVELS[entry.type], path: node.node.path, message: String(entry.data) })),
    );
}

const ruleIds = (list: Finding[]) =>
  list.filter((f) => f.level !== "info").map((f) => f.message.match(/^\[([A-Z-]+)\]/)?.[1]);

function federationApp(mutate: (config: FederationConfig) => void = () => undefined): App {
  const config = exampleConfig();
  mutate(config);
  const app = Testing.app();
  buildFederation(app, config);
  return app;
}

function serverIn(stack: TerraformStack, overrides: Partial<ConstructorParameters<typeof ConsulServerNode>[2]> = {}) {
  const secrets = new FederationSecrets(stack, "secrets");
  return new ConsulServerNode(stack, "server", {
    nodeName: "dc2-server-1",
    datacenter: "dc2",
    primaryDatacenter: "dc1",
    vm: {
      imageName: "img",
      flavorName: "f",
      keyPairName: "k",
      networkId: "n",
      subnetId: "s",
      fixedIp: "10.2.0.10",
      securityGroupIds: ["sg"],
      floatingIpPool: "public",
    },
    ca: secrets.ca,
    gossipKey: secrets.gossipKey,
    retryJoin: ["10.2.0.10"],
    packages: nodePackages(exampleConfig()),
    sshUser: "ubuntu",
    serverCount: 1,
    dataVolume: { sizeGb: 10 },
    ...overrides,
  });
}

describe("federation checks", () => {
  it("are quiet on the example federation at every stage", () => {
    for (const stage of ["cluster", "acl", "mesh", "enforced"] as const) {
      const app = federationApp((c) => (c.rollout.stage = stage));
      expect({ stage, findings: findings(app, stage) }).toEqual({ stage, findings: [] });
    }
  });

  it("has one rule per file with a fix for each", () => {
    expect(FEDERATION_RULES).toHaveLength(8);
    expect(FEDERATION_RULES.every((rule) => rule.fix.length > 20)).toBe(true);
  });

  it("CF-EVEN-SERVERS fires on an even bootstrap_expect", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    // The construct refuses an even count itself; the rule guards configurations built around it.
    const server = serverIn(stack);
    (server.agentConfig as { bootstrap_expect?: number }).bootstrap_expect = 4;
    expect(ruleIds(findings(stack, "cluster", [evenServerCount]))).toEqual(["CF-EVEN-SERVERS"]);
  });

  it("CF-GATEWAY-REDUNDANCY warns below 2 gateways, on the datacenter's stack", () => {
    const app = federationApp((c) => (c.datacenters[1].gateways.count = 1));
    const list = findings(app).filter((f) => f.level === "warning");
    expect(list).toEqual([
      {
        level: "warning",
        path: "prod2",
        message: expect.stringMatching(/^\[CF-GATEWAY-REDUNDANCY\] datacenter prod2 has 1 mesh gateway/),
      },
    ]);
  });

  it("CF-SERVER-CERT-SANS fires when the request lacks <node>.server.<dc>.<domain>", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    const ca = new CertificateAuthority(stack, "ca");
    const cert = new ServerCertificate(stack, "cert", {
      ca,
      nodeName: "dc1-server-1",
      datacenter: "dc1",
      ipAddresses: ["10.0.0.1"],
    });
    expect(findings(stack)).toEqual([]);
    cert.request.dnsNames = ["server.dc1.consul", "localhost"];
    expect(findings(stack)).toEqual([
      expect.objectContaining({
        level: "error",
        message: expect.stringMatching(/CF-SERVER-CERT-SANS.*dc1-server-1\.server\.dc1\.consul/),
      }),
    ]);
  });

  it("CF-SERVER-PORT-EXPOSED fires on a server port open to 0.0.0.0/0 and not on 8443", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    const rule = (id: string, port: number, remoteIpPrefix?: string) =>
      new NetworkingSecgroupRuleV2(stack, id, {
        securityGroupId: "sg",
        direction: "ingress",
        ethertype: "IPv4",
        protocol: "tcp",
        portRangeMin: port,
        portRangeMax: port,
        remoteIpPrefix,
      });
    rule("wan", 8443, "0.0.0.0/0");
    rule("admin", 8501, "203.0.113.0/24");
    expect(findings(stack)).toEqual([]);
    rule("rpc", 8300, "0.0.0.0/0");
    rule("any", 8302);
    expect(ruleIds(findings(stack))).toEqual(["CF-SERVER-PORT-EXPOSED", "CF-SERVER-PORT-EXPOSED"]);
  });

  it("CF-DEFAULT-POLICY-ALLOW fires in the enforced stage only", () => {
    const app = federationApp((c) => (c.rollout.stage = "mesh"));
    expect(findings(app, "mesh")).toEqual([]);
    const errors = findings(app, "enforced");
    expect(errors.length).toBe(15);
    expect(new Set(ruleIds(errors))).toEqual(new Set(["CF-DEFAULT-POLICY-ALLOW"]));
  });

  it("CF-SECONDARY-WIRING fires on a secondary without primary_gateways or replication", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    serverIn(stack);
    expect(findings(stack, "cluster", [secondaryFederation])).toEqual([]);
    const list = findings(stack, "mesh", [secondaryFederation]).map((f) => f.message);
    expect(list).toEqual([
      expect.stringMatching(/CF-SECONDARY-WIRING.*no primary_gateways/),
      expect.stringMatching(/CF-SECONDARY-WIRING.*no ACL token replication/),
    ]);
  });

  it("CF-SECRET-OUTPUT fires on a secret in a non-sensitive output", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    const secrets = new FederationSecrets(stack, "secrets");
    new TerraformOutput(stack, "ca-cert", { value: secrets.ca.certPem });
    new TerraformOutput(stack, "hidden", { value: secrets.gossipKey, sensitive: true });
    expect(findings(stack)).toEqual([]);
    new TerraformOutput(stack, "leak", { value: secrets.ca.privateKeyPem });
    expect(findings(stack)).toEqual([
      expect.objectContaining({ path: "s/leak", message: expect.stringMatching(/CF-SECRET-OUTPUT.*private_key/) }),
    ]);
  });

  it("CF-PRIVATE-WAN-ADDRESS fires when a node advertises a private WAN address", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    const server = serverIn(stack);
    expect(findings(stack, "cluster", [privateWanAddress])).toEqual([]);
    (server.agentConfig as { advertise_addr_wan: string }).advertise_addr_wan = "10.2.0.10";
    expect(ruleIds(findings(stack, "cluster", [privateWanAddress]))).toEqual(["CF-PRIVATE-WAN-ADDRESS"]);
  });

  it("a suppression with a reason acknowledges a finding and reports it as info", () => {
    const app = federationApp((c) => (c.datacenters[2].gateways.count = 1));
    const prod3 = app.node.findChild("prod3");
    suppressRule(prod3, "CF-GATEWAY-REDUNDANCY", "lab datacenter, one gateway is enough here");
    const list = findings(app);
    expect(list).toEqual([
      expect.objectContaining({
        level: "info",
        message: expect.stringMatching(/suppressed: .*reason: lab datacenter/),
      }),
    ]);
    expect(() => suppressRule(prod3, "CF-EVEN-SERVERS", "because")).toThrow(/needs a reason/);
  });
});

describe("an error finding at synth", () => {
  it("fails synthesis naming the construct and the fix, and leaves the previous output as it was", () => {
    const outdir = join(mkdtempSync(join(tmpdir(), "checks-")), "out");
    synthesizeFederation(exampleConfig(), outdir);
    const before = readFileSync(join(outdir, "stacks", "prod2", "cdk.tf.json"), "utf8");
    const breakWiring = (built: Federation) => {
      (built.secondaries[0].servers[0].agentConfig as { primary_gateways?: string[] }).primary_gateways = undefined;
    };
    expect(() => synthesizeFederation(exampleConfig(), outdir, breakWiring)).toThrow(
      /\[prod2\/prod2-server-1\] \[CF-SECONDARY-WIRING\] secondary server prod2-server-1: no primary_gateways\. Fix: give secondary servers primary_gateways/,
    );
    expect(readFileSync(join(outdir, "stacks", "prod2", "cdk.tf.json"), "utf8")).toBe(before);
    expect(readdirSync(join(outdir, ".."))).toEqual(["out"]);
  });
});
