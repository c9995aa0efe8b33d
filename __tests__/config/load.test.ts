import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { configPathFromEnvironment, loadFederationConfig, validateFederationConfig } from "../../config/load";
import { ConfigError } from "../../domain/errors";
import type { FederationConfigInput } from "../../config/schema";
import { configProblems, EXAMPLE_CONFIG_PATH, exampleInput } from "../support/fixtures";

/** The problems reported for the example after `mutate`, or a failure if it still validates. */
function problemsAfter(mutate: Parameters<typeof configProblems>[0]): string[] {
  const problems = configProblems(mutate);
  if (problems.length === 0) throw new Error("the configuration was accepted");
  return problems;
}

describe("the bundled example", () => {
  it("validates into the seed's topology", () => {
    const config = loadFederationConfig(EXAMPLE_CONFIG_PATH);
    expect(config.datacenters.map((dc) => [dc.name, dc.primary, dc.servers.count, dc.gateways.count])).toEqual([
      ["prod1", true, 3, 2],
      ["prod2", false, 3, 2],
      ["prod3", false, 3, 2],
    ]);
  });

  it("gets the documented defaults", () => {
    const config = validateFederationConfig({
      ...exampleInput(),
      consul: { version: "1.22.4" },
      rollout: undefined,
    });
    expect(config.consul.domain).toBe("consul");
    expect(config.rollout.stage).toBe("enforced");
    expect(config.envoy.logLevel).toBe("info");
    expect(config.ssh.pinHostKeys).toBe(true);
    expect(config.packages.hashicorp.keyUrl).toBe("https://apt.releases.hashicorp.com/gpg");
  });
});

describe("bad input is rejected with the field path and the fix", () => {
  it.each<[string, (input: FederationConfigInput & Record<string, unknown>) => void, RegExp]>([
    [
      "an unknown top-level key",
      (c) => (c.datacentres = []),
      /^\(top level\): unknown key "datacentres" \(did you mean "datacenters"\?\) \(allowed keys: .*datacenters/,
    ],
    [
      "an unknown nested key",
      (c) => Object.assign(c.datacenters[1].servers, { cuont: 3 }),
      /^datacenters\[1\]\.servers: unknown key "cuont" \(did you mean "count"\?\)/,
    ],
    [
      "a wrong type",
      (c) => Object.assign(c.datacenters[0].servers, { count: "3" }),
      /^datacenters\[0\]\.servers\.count: must be a whole number of servers, got "3"/,
    ],
    ["a missing field", (c) => delete (c.ssh as Record<string, unknown>).publicKey, /^ssh\.publicKey: is missing/],
    [
      "no primary",
      (c) => (c.datacenters[0].primary = false),
      /^datacenters: no datacenter is the primary \(set primary: true on exactly one\)/,
    ],
    [
      "two primaries",
      (c) => (c.datacenters[2].primary = true),
      /^datacenters\[2\]\.primary: a second primary \(datacenters\[0\] is already the primary/,
    ],
    [
      "a duplicate datacenter name",
      (c) => (c.datacenters[2].name = "prod2"),
      /^datacenters\[2\]\.name: duplicate datacenter name "prod2" \(already used by datacenters\[1\]/,
    ],
    [
      "an even server count",
      (c) => (c.datacenters[1].servers.count = 4),
      /^datacenters\[1\]\.servers\.count: must be odd .*\(use 3 or 5\)/,
    ],
    [
      "a zero server count",
      (c) => (c.datacenters[1].servers.count = 0),
      /^datacenters\[1\]\.servers\.count: must be at least 1/,
    ],
    [
      "zero gateways",
      (c) => (c.datacenters[1].gateways.count = 0),
      /^datacenters\[1\]\.gateways\.count: must be at least 1/,
    ],
    [
      "an invalid CIDR",
      (c) => (c.datacenters[0].openstack.network.cidr = "10.10.0.300/24"),
      /^datacenters\[0\]\.openstack\.network\.cidr: "10\.10\.0\.300\/24" is not an IPv4 CIDR/,
    ],
    [
      "a CIDR with host bits",
      (c) => (c.access.adminCidrs = ["203.0.113.7/24"]),
      /^access\.adminCidrs\[0\]: "203\.0\.113\.7\/24" has host bits set \(did you mean 203\.0\.113\.0\/24\?\)/,
    ],
    [
      "a network too small for the address plan",
      (c) => (c.datacenters[0].openstack.network.cidr = "10.10.0.0/27"),
      /^datacenters\[0\]\.openstack\.network\.cidr: a \/27 network does not fit the address plan \(use a \/16 to \/25 network\)/,
    ],
    [
      "overlapping datacenter CIDRs",
      (c) => (c.datacenters[2].openstack.network.cidr = "10.10.0.0/25"),
      /^datacenters\[2\]\.openstack\.network\.cidr: 10\.10\.0\.0\/25 overlaps 10\.10\.0\.0\/24 of datacenters\[0\]/,
    ],
    [
      "an invalid Consul datacenter name",
      (c) => (c.datacenters[1].name = "Prod_2"),
      /^datacenters\[1\]\.name: is not a valid Consul datacenter name \(use lowercase letters, digits and '-'/,
    ],
    [
      "a dotted datacenter name",
      (c) => (c.datacenters[1].name = "prod2.example"),
      /^datacenters\[1\]\.name: is not a valid Consul datacenter name/,
    ],
    [
      "an Envoy release the Consul release does not support",
      (c) => (c.envoy.version = "1.29"),
      /^envoy\.version: Envoy 1\.29 is not supported by Consul 1\.22\.\d+ \(use Envoy 1\.35\.x, 1\.34\.x/,
    ],
    [
      "an unquoted Envoy release line, which YAML reads as a number",
      (c) => (c.envoy.version = 1.35 as never),
      /^envoy\.version: must be quoted text such as "1\.35"/,
    ],
    [
      "an s3 backend without its bucket",
      (c) => (c.state = { backend: "s3" }),
      /^state\.s3: is missing \(give bucket and endpoint for backend s3\)/,
    ],
    [
      "state encrypted with KMS but no key named",
      (c) => (c.state = { backend: "s3", s3: { bucket: "fed-state", encryption: "sse-kms" } }),
      /^state\.s3\.encryption: sse-kms needs state\.s3\.kmsKeyId \(give the key's ID or ARN\)/,
    ],
    [
      "a KMS key that no setting uses",
      (c) => (c.state = { backend: "s3", s3: { bucket: "fed-state", kmsKeyId: "alias/state" } }),
      /^state\.s3\.kmsKeyId: is only used with encryption sse-kms/,
    ],
    [
      "an encryption the backend does not offer",
      (c) => (c.state = { backend: "s3", s3: { bucket: "fed-state", encryption: "aes" as never } }),
      /^state\.s3\.encryption: must be one of sse-s3, sse-kms, sse-c, none/,
    ],
    [
      "an unknown rollout stage",
      (c) => (c.rollout = { stage: "deny" as never }),
      /^rollout\.stage: must be one of cluster, acl, mesh, enforced/,
    ],
    [
      "a setting that is gone, with the reason",
      (c) => Object.assign(c.datacenters[0].openstack, { interface: "ens3" }),
      /^datacenters\[0\]\.openstack: "interface" is no longer a setting: every node's private address is fixed .*\(remove it\)/,
    ],
    [
      "a keyserver, which nodes no longer use",
      (c) => (c.packages = { hashicorp: { keyserver: "keyserver.ubuntu.com" } as never }),
      /^packages\.hashicorp: "keyserver" is no longer a setting: nodes download the signing key over HTTPS/,
    ],
    [
      "a key URL that is not HTTPS",
      (c) => (c.packages = { envoy: { keyUrl: "http://apt.envoyproxy.io/signing.key" } }),
      /^packages\.envoy\.keyUrl: must be an https:\/\/ URL/,
    ],
    [
      "a private key where the public key belongs",
      (c) => (c.ssh.publicKey = "-----BEGIN OPENSSH PRIVATE KEY-----"),
      /^ssh\.publicKey: must be an OpenSSH public key line/,
    ],
  ])("%s", (_name, mutate, expected) => {
    const problems = problemsAfter(mutate);
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
  });

  it("lists every problem of a file at once, each with its line", () => {
    const dir = mkdtempSync(join(tmpdir(), "federation-config-"));
    const file = join(dir, "federation.yaml");
    const input = exampleInput();
    input.datacenters[0].servers.count = 2;
    input.datacenters[1].name = "BAD";
    input.datacenters[2].openstack.network.cidr = "10.20.0.0/24";
    writeFileSync(file, stringify(input));
    let error: unknown;
    try {
      loadFederationConfig(file);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(3);
    expect(problems.every((p) => new RegExp(`\\[${file}:\\d+\\]$`).test(p))).toBe(true);
  });

  it("names a missing file and how to fix it", () => {
    expect(() => loadFederationConfig("/nonexistent/federation.yaml")).toThrow(
      /cannot read \/nonexistent\/federation\.yaml: file not found .*FEDERATION_CONFIG/,
    );
  });

  it("names an unreadable file", () => {
    expect(() => loadFederationConfig(tmpdir())).toThrow(/cannot read .*EISDIR/);
  });

  it("reports YAML syntax errors with their position", () => {
    const file = join(mkdtempSync(join(tmpdir(), "federation-config-")), "broken.yaml");
    writeFileSync(file, "consul:\n  version: [1.21.5\nenvoy: {}\n");
    expect(() => loadFederationConfig(file)).toThrow(/\(yaml line \d+, column \d+\): .*\(fix the YAML syntax\)/);
  });

  it("rejects duplicate keys, which YAML would otherwise resolve silently", () => {
    const file = join(mkdtempSync(join(tmpdir(), "federation-config-")), "dup.yaml");
    writeFileSync(file, "consul:\n  version: 1.21.5\nconsul:\n  version: 1.20.1\n");
    expect(() => loadFederationConfig(file)).toThrow(/Map keys must be unique/);
  });
});

describe("configuration path", () => {
  it("defaults to federation.yaml and follows FEDERATION_CONFIG", () => {
    expect(configPathFromEnvironment({})).toBe("federation.yaml");
    expect(configPathFromEnvironment({ FEDERATION_CONFIG: "/etc/fed.yaml" })).toBe("/etc/fed.yaml");
  });
});
