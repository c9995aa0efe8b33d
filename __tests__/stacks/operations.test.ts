import { exampleFiles, exampleStacks } from "./../support/example";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseHcl } from "@cdktf/hcl2json";
import { stringify } from "yaml";
import { loadFederationConfig } from "../../config/load";
import { ConfigError } from "../../domain/errors";
import { collectReviewableFiles } from "../../stacks/reviewable-output";
import { exampleInput, REPO_ROOT } from "../support/fixtures";
import { resourcesOf, synthesize } from "../support/synth";

/** Keys that resolved.conf(5) of systemd 252 documents for [Resolve]. */
const RESOLVED_KEYS = new Set([
  "DNS",
  "FallbackDNS",
  "Domains",
  "DNSSEC",
  "DNSOverTLS",
  "MulticastDNS",
  "LLMNR",
  "Cache",
  "CacheFromLocalhost",
  "DNSStubListener",
  "DNSStubListenerExtra",
  "ReadEtcHosts",
  "ResolveUnicastSingleLabel",
  "StaleRetentionSec",
]);

const example = { stacks: exampleStacks() };
const files = exampleFiles();

interface AclInput {
  policies: { rulesFile?: string; rules?: Record<string, unknown>; datacenters?: string[] }[];
  tokens: { policies: string[] }[];
}
const aclOf = (input: ReturnType<typeof exampleInput>) => input.acl as unknown as AclInput;

/** Writes a configuration (and files beside it) and returns the problems of loading it. */
function problemsOf(
  mutate: (input: ReturnType<typeof exampleInput>) => void,
  extraFiles: Record<string, string> = {},
): string[] {
  const dir = mkdtempSync(join(tmpdir(), "ops-"));
  writeFileSync(join(dir, "policies-nomad-server.hcl"), readFileSync(join(REPO_ROOT, "policies", "nomad-server.hcl")));
  for (const [name, content] of Object.entries(extraFiles)) writeFileSync(join(dir, name), content);
  const input = exampleInput();
  aclOf(input).policies[0].rulesFile = "policies-nomad-server.hcl";
  mutate(input);
  writeFileSync(join(dir, "federation.yaml"), stringify(input));
  try {
    loadFederationConfig(join(dir, "federation.yaml"));
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe("your own policies and tokens in the configuration", () => {
  it("accept the example (an HCL rules file and YAML rules)", () => {
    expect(problemsOf(() => undefined)).toEqual([]);
  });

  it("reject a rules file with a typo, naming the file, line and field", () => {
    const problems = problemsOf((c) => (aclOf(c).policies[0].rulesFile = "bad.hcl"), {
      "bad.hcl": 'agent_prefix "" {\n  policy = "read"\n}\nservce_prefix "" {\n  policy = "write"\n}\n',
    });
    expect(problems).toEqual([
      expect.stringMatching(
        /^acl\.policies\[0\]\.rulesFile: bad\.hcl:4:1: unknown rule kind "servce_prefix" \(did you mean "service_prefix"\?\)/,
      ),
    ]);
  });

  it("reject a missing rules file", () => {
    expect(problemsOf((c) => (aclOf(c).policies[0].rulesFile = "missing.hcl"))).toEqual([
      expect.stringMatching(
        /^acl\.policies\[0\]\.rulesFile: cannot read missing\.hcl \(ENOENT; the path is relative to the configuration file\)/,
      ),
    ]);
  });

  it("reject unknown rule kinds and values in YAML rules", () => {
    const problems = problemsOf((c) => {
      const rules = aclOf(c).policies[1].rules as Record<string, unknown>;
      rules.servce_prefix = { "": { policy: "read" } };
      rules.node_prefix = { "": { policy: "reed" } };
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^acl\.policies\[1\]\.rules: unknown key "servce_prefix" \(did you mean "service_prefix"\?\)/,
        ),
        expect.stringMatching(
          /^acl\.policies\[1\]\.rules\.node_prefix\[""\]\.policy: must be one of read, write, deny, list/,
        ),
      ]),
    );
  });

  it("reject tokens that name an unknown policy or grant nothing, and unknown datacenters", () => {
    const problems = problemsOf((c) => {
      aclOf(c).tokens[0].policies = ["nomad-sever"];
      aclOf(c).tokens[1].policies = [];
      aclOf(c).policies[1].datacenters = ["prod9"];
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^acl\.tokens\[0\]\.policies\[0\]: no policy "nomad-sever"/),
        expect.stringMatching(/^acl\.tokens\[1\]: grants nothing/),
        expect.stringMatching(/^acl\.policies\[1\]\.datacenters\[0\]: "prod9" is not a datacenter of this federation/),
      ]),
    );
  });

  it("become policies valid in every datacenter and tokens whose secrets are never outputs", async () => {
    const json = example.stacks.get("prod1-acl") as string;
    const policies = Object.values(resourcesOf(json, "consul_acl_policy")) as {
      name: string;
      rules: string;
      datacenters: string[];
    }[];
    for (const name of ["nomad-server", "nomad-client"]) {
      const policy = policies.find((p) => p.name === name) as (typeof policies)[number];
      expect(policy.datacenters).toEqual(["prod1", "prod2", "prod3"]);
      await expect(parseHcl(`${name}.hcl`, policy.rules)).resolves.toBeDefined();
    }
    const tokens = Object.values(resourcesOf(json, "consul_acl_token")).filter((t) =>
      String(t.description).startsWith("Nomad"),
    );
    expect(tokens).toHaveLength(2);
    const outputs = [...example.stacks.values()].flatMap((stack) => Object.entries(JSON.parse(stack).output ?? {}));
    for (const [, output] of outputs as [string, { value: unknown; sensitive?: boolean }][]) {
      if (/acls_token-\d/.test(JSON.stringify(output.value))) expect(output.sensitive).toBe(true);
    }
  });
});

describe("DNS and production settings on every node", () => {
  const nodes = [...new Set([...files.keys()].map((path) => path.split("/").slice(0, 3).join("/")))];

  it("forwards the Consul domain to the local agent through systemd-resolved", () => {
    expect(nodes).toHaveLength(15);
    for (const node of nodes) {
      const dropIn = files.get(`${node}/resolved-consul.conf`) as string;
      expect(dropIn).toBe("[Resolve]\nDNS=127.0.0.1:8600\nDNSSEC=no\nDomains=~consul\n");
      const keys = dropIn
        .split("\n")
        .filter((l) => l.includes("="))
        .map((l) => l.split("=")[0]);
      expect(keys.filter((key) => !RESOLVED_KEYS.has(key))).toEqual([]);
      expect(files.get(`${node}/manifest.tsv`)).toMatch(
        /\tresolved-consul\.conf\t\/etc\/systemd\/resolved\.conf\.d\/consul\.conf\tsystemd-resolved\.service\t-\n/,
      );
    }
  });

  it("carries recursors, DNS and telemetry settings, and leave_on_terminate on gateways", () => {
    for (const node of nodes) {
      const agent = JSON.parse(files.get(`${node}/consul.json`) as string);
      expect(agent.recursors).toEqual(["192.0.2.53", "192.0.2.54"]);
      expect(agent.dns_config).toEqual({ enable_truncate: true, a_record_limit: 3 });
      expect(agent.telemetry).toEqual({ prometheus_retention_time: "60s", disable_hostname: true });
      expect(agent.acl).toMatchObject({ down_policy: "extend-cache", enable_token_persistence: true });
      expect(agent.retry_join.every((address: string) => /^10\.\d+\.0\.\d+$/.test(address))).toBe(true);
      if (agent.server) {
        expect(agent.performance).toEqual({ raft_multiplier: 1 });
        expect(agent.ui_config).toEqual({ enabled: true });
      } else {
        expect(agent.leave_on_terminate).toBe(true);
      }
    }
  });

  it("forwards the alternative domain too when one is configured", () => {
    const input = exampleInput();
    input.consul.altDomain = "consul.example.org";
    const dir = mkdtempSync(join(tmpdir(), "alt-"));
    writeFileSync(join(dir, "federation.yaml"), stringify({ ...input, acl: undefined }));
    const withAlt = collectReviewableFiles(synthesize(loadFederationConfig(join(dir, "federation.yaml"))).app);
    expect(withAlt.get("nodes/prod3/prod3-gateway-2/resolved-consul.conf")).toMatch(
      /\nDomains=~consul ~consul\.example\.org\n/,
    );
    expect(JSON.parse(withAlt.get("nodes/prod3/prod3-gateway-2/consul.json") as string).alt_domain).toBe(
      "consul.example.org",
    );
  });
});
