import { readFileSync } from "node:fs";
import { join } from "node:path";
import { TerraformStack, Testing } from "cdktf";
import { parse } from "yaml";
import { validateFederationConfig } from "../../config/load";
import type { FederationConfig, FederationConfigInput } from "../../config/schema";
import type { MeshGatewayNodeProps } from "../../constructs/consul/mesh-gateway-node";
import type { ConsulNodeProps } from "../../constructs/consul/node-files";
import type { ConsulServerNodeProps } from "../../constructs/consul/server-node";
import { CertificateAuthority } from "../../constructs/tls/certificate-authority";
import { ConfigError } from "../../domain/errors";
import { agentSettings, nodePackages } from "../../stacks/node-settings";

export const REPO_ROOT = join(__dirname, "..", "..");
export const EXAMPLE_CONFIG_PATH = join(REPO_ROOT, "federation.yaml");

/** The bundled example as written (a fresh copy each call, safe to mutate). */
export function exampleInput(): FederationConfigInput {
  return parse(readFileSync(EXAMPLE_CONFIG_PATH, "utf8")) as FederationConfigInput;
}

/** One year, renewed in its last 30 days: the defaults of `tls`. */
export const TEST_VALIDITY = { hours: 8760, renewBeforeHours: 720 } as const;
/** Ten years, renewed in the same last 30 days: the CA by the defaults of `tls`. */
export const TEST_CA_VALIDITY = { hours: 87600, renewBeforeHours: 720 } as const;

/** The bundled example, validated, after `mutate` has edited the raw document. */
export function exampleConfig(mutate: (input: FederationConfigInput) => void = () => undefined): FederationConfig {
  const input = exampleInput();
  mutate(input);
  return validateFederationConfig(input, "federation.yaml", REPO_ROOT);
}

/** The problems the loader reports for the example after `mutate`; none when it still validates. */
export function configProblems(mutate: (input: FederationConfigInput & Record<string, unknown>) => void): string[] {
  const input = exampleInput() as FederationConfigInput & Record<string, unknown>;
  mutate(input);
  try {
    validateFederationConfig(input);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

/** A stack of its own in a test app. */
export function testStack(id = "test"): TerraformStack {
  return new TerraformStack(Testing.app(), id);
}

/**
 * The one set of props every construct test starts from: a single-server primary datacenter `dc1`
 * (`dc1-server-1` at 10.1.0.10) whose settings come from the bundled example.
 */
export function consulNodeProps(scope: TerraformStack, overrides: Partial<ConsulNodeProps> = {}): ConsulNodeProps {
  const example = exampleConfig();
  return {
    nodeName: "dc1-server-1",
    datacenter: "dc1",
    primaryDatacenter: "dc1",
    domain: "consul",
    vm: {
      imageId: "img",
      flavorName: "m1",
      keyPairName: "kp",
      networkId: "net",
      subnetId: "sub",
      fixedIp: "10.1.0.10",
      securityGroupIds: ["sg"],
      floatingIpPool: "public",
    },
    ...(() => {
      const ca = new CertificateAuthority(scope, "ca", { validity: TEST_CA_VALIDITY, commonName: "Consul Agent CA" });
      return { caCertPem: ca.certPem, certificate: { issuer: ca, validity: TEST_VALIDITY } };
    })(),
    gossipKey: "key",
    retryJoin: ["10.1.0.10"],
    packages: nodePackages(example),
    sshUser: "ubuntu",
    pinHostKey: true,
    aclsOffConfirmed: false,
    connect: true,
    settings: agentSettings(example),
    applyAfter: [],
    ...overrides,
  };
}

export function serverNodeProps(
  scope: TerraformStack,
  overrides: Partial<ConsulServerNodeProps> = {},
): ConsulServerNodeProps {
  return {
    ...consulNodeProps(scope),
    serverCount: 1,
    waitForLeader: true,
    dataVolume: { sizeGb: 10 },
    ...overrides,
  };
}

export function gatewayNodeProps(
  scope: TerraformStack,
  overrides: Partial<MeshGatewayNodeProps> = {},
): MeshGatewayNodeProps {
  const base = consulNodeProps(scope);
  return {
    ...base,
    nodeName: "dc1-gateway-1",
    vm: { ...base.vm, fixedIp: "10.1.0.30" },
    startGateway: true,
    envoyLogLevel: "info",
    ...overrides,
  };
}
