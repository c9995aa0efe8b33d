import { z, type core } from "zod";
import { POLICY_VALUES, RESOURCE_RULE_KINDS, SCALAR_RULE_KINDS, UNSAFE_RULE_NAME } from "../constructs/acl/rules";
import { envoyCompatibilityProblem } from "./compatibility";
import { closestMatch } from "./did-you-mean";
import { cidrsOverlap, Ipv4Cidr, parseIpv4Cidr } from "./ipv4";

/**
 * The federation configuration: one YAML document describing every datacenter. This schema is the
 * single source of truth for validation, for the TypeScript model and for the published JSON Schema.
 */

/** Rollout stages in the order a federation moves through them. */
export const ROLLOUT_STAGES = ["cluster", "acl", "mesh", "enforced"] as const;
export type RolloutStage = (typeof ROLLOUT_STAGES)[number];

/** Offsets inside a datacenter's network; DHCP hands out addresses from DHCP_POOL_START_OFFSET up. */
export const ADDRESS_PLAN = {
  routerOffset: 1,
  firstServerOffset: 10,
  firstGatewayOffset: 30,
  dhcpPoolStartOffset: 64,
  maxServers: 9,
  maxGateways: 8,
  /** /25 is the smallest network that holds the fixed addresses and a DHCP pool. */
  longestPrefix: 25,
  shortestPrefix: 16,
} as const;

// Consul accepts [a-z0-9_-]; '_' is dropped because datacenter names become DNS names in certificate
// SANs (server.<dc>.<domain>) and Terraform stack names, where it is not valid.
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const SEMVER = /^\d+\.\d+\.\d+$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const ENVOY_VERSION = /^\d+\.\d+(\.\d+)?$/;
// Interface names as the Linux kernel accepts them (IFNAMSIZ - 1 characters, no '/' or spaces).
const INTERFACE_NAME = /^[A-Za-z0-9_.-]{1,15}$/;
const SSH_PUBLIC_KEY =
  /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com) [A-Za-z0-9+/=]+( .*)?$/;

/** An object that rejects unknown keys, naming the allowed ones and the closest match. */
function strictObject<T extends z.ZodRawShape>(shape: T) {
  const allowed = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code !== "unrecognized_keys") return undefined;
      const keys = issue.keys;
      const hints = keys.map((key) => {
        const closest = closestMatch(key, allowed);
        return closest ? `"${key}" (did you mean "${closest}"?)` : `"${key}"`;
      });
      return `unknown key ${hints.join(", ")} (allowed keys: ${allowed.join(", ")})`;
    },
  });
}

const cidr = z.string().superRefine((value, ctx) => {
  const parsed = parseIpv4Cidr(value);
  if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.problem });
});

const nonEmpty = (what: string) => z.string().min(1, { error: `must not be empty (give the ${what})` });

const version = (what: string, example: string) =>
  z.string().regex(SEMVER, { error: `must be a full ${what} release version such as ${example}` });

const consulSchema = strictObject({
  version: version("Consul", "1.22.4").describe("Consul release installed on every node, e.g. 1.22.4."),
  domain: z
    .string()
    .regex(DNS_LABEL, { error: "must be a single DNS label such as consul" })
    .default("consul")
    .describe("Consul's DNS domain (default consul)."),
  altDomain: z
    .string()
    .regex(DNS_NAME, { error: "must be a DNS name such as consul.example.org" })
    .optional()
    .describe("Alternative DNS domain Consul also answers for (alt_domain); forwarded on every node too."),
  dns: strictObject({
    recursors: z
      .array(z.string().regex(IPV4, { error: "must be an IPv4 address such as 192.0.2.53" }))
      .default([])
      .describe("Upstream resolvers for names outside the Consul domain (recursors)."),
    enableTruncate: z
      .boolean()
      .default(true)
      .describe("dns_config.enable_truncate: set the truncated bit on large answers."),
    udpAnswerLimit: z.number().int().min(1).max(64).default(3).describe("dns_config.udp_answer_limit."),
  })
    .prefault({})
    .describe("Consul DNS settings; every node forwards the Consul domain to its local agent."),
  agent: strictObject({
    logLevel: z
      .enum(["TRACE", "DEBUG", "INFO", "WARN", "ERR"], { error: "must be one of TRACE, DEBUG, INFO, WARN, ERR" })
      .default("INFO"),
    raftMultiplier: z
      .number()
      .int()
      .min(1)
      .max(10)
      .default(1)
      .describe("performance.raft_multiplier (1 = production timing)."),
    aclDownPolicy: z
      .enum(["allow", "deny", "extend-cache", "async-cache"], {
        error: "must be one of allow, deny, extend-cache, async-cache",
      })
      .default("extend-cache")
      .describe("acl.down_policy when the primary cannot be reached."),
    aclTokenPersistence: z
      .boolean()
      .refine((value) => value, {
        error: "must stay true: the primary's servers receive their agent token through the API, once",
      })
      .default(true)
      .describe("acl.enable_token_persistence (tokens set through the API survive restarts); must be true."),
    ui: z.boolean().default(true).describe("ui_config.enabled on servers."),
    prometheusRetentionTime: z
      .string()
      .regex(/^\d+(s|m|h)$/, { error: "must be a duration such as 60s" })
      .default("60s")
      .describe("telemetry.prometheus_retention_time (enables /v1/agent/metrics?format=prometheus)."),
    disableHostname: z.boolean().default(true).describe("telemetry.disable_hostname."),
    leaveOnTerminate: z.boolean().default(true).describe("leave_on_terminate on client agents (gateways)."),
  })
    .prefault({})
    .describe("Production agent settings."),
  proxyDefaults: strictObject({
    protocol: z
      .enum(["tcp", "http", "http2", "grpc"], { error: "must be one of tcp, http, http2, grpc" })
      .default("http")
      .describe("Default protocol of services (proxy-defaults config.protocol)."),
    envoyPrometheusBindAddr: z
      .string()
      .regex(/^\d+\.\d+\.\d+\.\d+:\d{1,5}$/, { error: "must be <ip>:<port> such as 0.0.0.0:9102" })
      .default("0.0.0.0:9102")
      .describe("Where Envoy serves Prometheus metrics (proxy-defaults config.envoy_prometheus_bind_addr)."),
  })
    .prefault({})
    .describe("The global proxy-defaults entry; mesh gateway mode is always local."),
});

const envoySchema = strictObject({
  version: z
    .string({ error: 'must be quoted text such as "1.35" (YAML reads an unquoted 1.35 as a number)' })
    .regex(ENVOY_VERSION, { error: "must be an Envoy release line such as 1.35 (or an exact release such as 1.35.6)" })
    .describe(
      "Envoy release line (1.35) or exact release (1.35.6) of the mesh gateways; must be supported by the Consul release.",
    ),
});

const accessSchema = strictObject({
  adminCidrs: z
    .array(cidr)
    .min(1, { error: "must list at least one CIDR (the operators' addresses, e.g. 203.0.113.0/24)" })
    .describe("CIDRs allowed to reach SSH (22) and the Consul HTTPS API (8501) of every node."),
  monitoringCidrs: z
    .array(cidr)
    .default([])
    .describe("CIDRs allowed to scrape Envoy's Prometheus endpoint (9102) on the gateways."),
  wanCidrs: z
    .array(cidr)
    .min(1, { error: "must list at least one CIDR (0.0.0.0/0 when other datacenters' addresses are not fixed)" })
    .default(["0.0.0.0/0"])
    .describe(
      "Where other datacenters reach the mesh gateways' 8443 from (their egress addresses); mTLS protects the port.",
    ),
});

const FINGERPRINT = /^[0-9A-F]{40}$/;

const repositorySchema = (name: string, url: string, fingerprint: string, suite?: string) =>
  strictObject({
    url: z.url({ error: "must be an https:// URL" }).default(url).describe(`Base URL of ${name}'s apt repository.`),
    suite: z
      .string()
      .regex(/^[a-z0-9$][A-Za-z0-9_$-]*$/, { error: "must be an apt suite such as jammy (or $RELEASE)" })
      .default(suite ?? "$RELEASE")
      .describe("apt suite; $RELEASE is the image's codename."),
    keyFingerprint: z
      .string()
      .regex(FINGERPRINT, { error: "must be a 40-digit uppercase hexadecimal OpenPGP fingerprint" })
      .default(fingerprint)
      .describe(`Fingerprint of ${name}'s signing key (verify it with gpg --show-keys).`),
    keyserver: z
      .string()
      .regex(/^[a-z0-9.-]+$/, { error: "must be a keyserver host name such as keyserver.ubuntu.com" })
      .default("keyserver.ubuntu.com")
      .describe("Keyserver the signing key is fetched from at first boot."),
  });

// Fingerprints: HashiCorp's signing key since its September 2026 rotation, and Envoy's apt key. Both
// are configurable because a rotation must not need a release of this project.
const packagesSchema = strictObject({
  hashicorp: repositorySchema(
    "HashiCorp",
    "https://apt.releases.hashicorp.com",
    "D55C0D1AC78A8D8126CB631CFC9CA96ACA026560",
  ).prefault({}),
  envoy: repositorySchema("Envoy", "https://apt.envoyproxy.io", "0AFCE836BA4D1D35763C8523D8CDC3750181F31F", "jammy")
    .prefault({})
    .describe("Envoy's repository publishes few suites (jammy, bookworm); its static builds run on newer releases."),
});

const sshSchema = strictObject({
  user: z
    .string()
    .regex(/^[a-z_][a-z0-9_-]{0,31}$/, { error: "must be a Linux user name such as ubuntu" })
    .default("ubuntu")
    .describe("The image's login user, used by operators and by the provisioners that deliver settings."),
  publicKey: z
    .string()
    .regex(SSH_PUBLIC_KEY, { error: "must be an OpenSSH public key line (ssh-ed25519 AAAA... comment)" })
    .describe("OpenSSH public key installed for the login user. Only the public half ever appears here."),
});

const openstackDefaultsSchema = strictObject({
  cloud: z
    .string()
    .min(1)
    .optional()
    .describe("Cloud name in clouds.yaml; when absent the provider reads the standard OS_* environment variables."),
});

const networkSchema = strictObject({
  cidr: cidr.describe(
    "IPv4 CIDR of the datacenter's private subnet (/16 to /25). Fixed addresses are derived from it.",
  ),
  existing: strictObject({
    network: nonEmpty("existing network's name").describe("Name of an existing network to attach to."),
    subnet: nonEmpty("existing subnet's name").describe("Name of the existing subnet whose CIDR is `cidr`."),
  })
    .optional()
    .describe("Attach to an existing network instead of creating network, subnet and router."),
});

const datacenterOpenstackSchema = strictObject({
  cloud: z.string().min(1).optional().describe("Overrides openstack.cloud for this datacenter."),
  region: nonEmpty("OpenStack region, e.g. RegionOne").describe("OpenStack region of this datacenter."),
  availabilityZone: z.string().min(1).optional().describe("Compute and volume availability zone."),
  image: nonEmpty("image name, e.g. ubuntu-24.04").describe("Glance image name (an Ubuntu or Debian cloud image)."),
  flavors: strictObject({
    server: nonEmpty("flavor name").describe("Flavor of the Consul server VMs."),
    gateway: nonEmpty("flavor name").describe("Flavor of the mesh-gateway VMs."),
  }),
  externalNetwork: nonEmpty("external network's name").describe("External network the router is attached to."),
  floatingIpPool: z.string().min(1).optional().describe("Floating-IP pool (default: the external network)."),
  network: networkSchema,
  interface: z
    .string()
    .regex(INTERFACE_NAME, { error: "must be a network interface name such as ens3" })
    .default("ens3")
    .describe("Name of the VM's private interface, whose address Consul advertises (default ens3)."),
  volumeType: z.string().min(1).optional().describe("Cinder volume type of the Consul data volumes."),
});

const countOf = (what: string, max: number) =>
  z
    .number({ error: (issue) => `must be a whole number of ${what}, got ${JSON.stringify(issue.input)}` })
    .int({ error: `must be a whole number of ${what}` })
    .max(max, { error: `must be at most ${max}` });

const datacenterSchema = strictObject({
  name: z
    .string()
    .regex(DNS_LABEL, {
      error: "is not a valid Consul datacenter name (use lowercase letters, digits and '-', e.g. prod1)",
    })
    .describe("Consul datacenter name; also names its stacks and nodes."),
  primary: z.boolean().default(false).describe("Exactly one datacenter is the primary."),
  servers: strictObject({
    count: countOf("servers", ADDRESS_PLAN.maxServers)
      .refine((n) => n > 0, { error: "must be at least 1 (use 3 for a fault-tolerant datacenter)" })
      .refine((n) => n <= 0 || n % 2 === 1, { error: "must be odd so that Raft keeps a majority (use 3 or 5)" })
      .describe("Number of Consul servers (odd: 1, 3, 5, ...)."),
    volumeSize: z.number().int().min(1).default(10).describe("Size in GB of each server's Consul data volume."),
  }),
  gateways: strictObject({
    count: countOf("gateways", ADDRESS_PLAN.maxGateways)
      .refine((n) => n > 0, {
        error: "must be at least 1 (a datacenter federates only through its mesh gateways; use 2)",
      })
      .describe("Number of mesh gateways (2 or more for redundancy)."),
  }),
  openstack: datacenterOpenstackSchema,
});

const policyValue = z.enum(POLICY_VALUES, { error: `must be one of ${POLICY_VALUES.join(", ")}` });
const ruleName = z.string().refine((name) => !UNSAFE_RULE_NAME.test(name), {
  error: "a rule name cannot hold quotes, backslashes, line breaks or ${ / %{ sequences",
});
const serviceRule = strictObject({ policy: policyValue, intentions: policyValue.optional() });
const resourceRule = strictObject({ policy: policyValue });

/** ACL rules written as YAML: the same kinds and fields as Consul's HCL rules. */
const aclRulesSchema = strictObject({
  ...Object.fromEntries(SCALAR_RULE_KINDS.map((kind) => [kind, policyValue.optional()])),
  ...Object.fromEntries(
    RESOURCE_RULE_KINDS.map((kind) => [
      kind,
      z.record(ruleName, kind === "service" || kind === "service_prefix" ? serviceRule : resourceRule).optional(),
    ]),
  ),
} as Record<string, z.ZodOptional<z.ZodType>>);

const ACL_NAME = /^[A-Za-z0-9_-]{1,128}$/;

const aclPolicySchema = strictObject({
  name: z.string().regex(ACL_NAME, { error: "must be letters, digits, '-' and '_' (e.g. nomad-server)" }),
  description: z.string().optional(),
  rules: aclRulesSchema.optional().describe("Rules as YAML (kinds and fields as in Consul's HCL rules)."),
  rulesFile: z.string().min(1).optional().describe("An HCL rules file, relative to the configuration file."),
  datacenters: z.array(z.string()).optional().describe("Datacenters where the policy is valid (default: all)."),
});

const aclTokenSchema = strictObject({
  description: z.string().min(1, { error: "must say what the token is for" }),
  policies: z
    .array(z.string())
    .default([])
    .describe("Policy names: your own or mesh-gateway, acl-replication, dns-lookups."),
  nodeIdentities: z.array(strictObject({ nodeName: z.string().min(1), datacenter: z.string() })).default([]),
  serviceIdentities: z
    .array(
      strictObject({
        serviceName: z.string().regex(/^[a-z0-9-]+$/, { error: "must be a service name such as nomad" }),
        datacenters: z.array(z.string()).optional(),
      }),
    )
    .default([]),
  local: z.boolean().default(false).describe("A token of one datacenter only (not replicated)."),
});

const aclSchema = strictObject({
  policies: z.array(aclPolicySchema).default([]).describe("Your own ACL policies, created in the primary."),
  tokens: z.array(aclTokenSchema).default([]).describe("Your own ACL tokens; their secrets are never outputs."),
});

/** Policies the federation itself creates, which tokens of the configuration may name. */
export const BUILT_IN_POLICIES = ["mesh-gateway", "acl-replication", "dns-lookups", "global-management"] as const;

const stateSchema = strictObject({
  backend: z
    .enum(["local", "s3"], { error: "must be local or s3" })
    .default("local")
    .describe("Where Terraform keeps state: local files beside the project, or an S3-compatible bucket."),
  s3: strictObject({
    bucket: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: "must be a bucket name such as consul-federation-state" }),
    endpoint: z
      .url({ error: "must be the https:// URL of the S3 API (e.g. the cloud's object storage)" })
      .optional()
      .describe("S3 API endpoint; leave out for AWS S3."),
    region: z.string().min(1).default("us-east-1").describe("S3 region name (any name for most S3-compatible stores)."),
    keyPrefix: z
      .string()
      .regex(/^[A-Za-z0-9._/-]+$/, { error: "must be a path prefix such as consul-federation" })
      .default("consul-federation")
      .describe("State files are <keyPrefix>/<stack>.tfstate."),
  })
    .optional()
    .describe(
      "With backend s3; credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (e.g. OpenStack EC2 credentials).",
    ),
});

const rolloutSchema = strictObject({
  stage: z
    .enum(ROLLOUT_STAGES, { error: `must be one of ${ROLLOUT_STAGES.join(", ")}` })
    .default("enforced")
    .describe("How far the rollout goes: cluster -> acl -> mesh -> enforced (default enforced)."),
});

export const federationSchema = strictObject({
  consul: consulSchema,
  envoy: envoySchema,
  access: accessSchema,
  ssh: sshSchema,
  openstack: openstackDefaultsSchema.default({}),
  packages: packagesSchema.prefault({}).describe("apt repositories of Consul and Envoy."),
  acl: aclSchema.prefault({}).describe("Your own ACL policies and tokens."),
  state: stateSchema.prefault({}).describe("Terraform state of every stack (local by default; s3 for teams and CI)."),
  rollout: rolloutSchema.default({ stage: "enforced" }),
  datacenters: z.array(datacenterSchema).min(1, { error: "must list at least one datacenter" }),
}).superRefine(crossFieldChecks, { when: () => true });

type Ctx = core.$RefinementCtx<unknown>;

/**
 * Checks that span several fields. They run even when other fields are invalid, so that one run
 * reports every problem; hence the defensive reads of a value that may not match the schema.
 */
function crossFieldChecks(raw: unknown, ctx: Ctx): void {
  const config = asRecord(raw);
  const datacenters = Array.isArray(config.datacenters) ? config.datacenters.map(asRecord) : [];

  const primaries = datacenters.flatMap((dc, index) => (dc.primary === true ? [index] : []));
  if (datacenters.length > 0 && primaries.length === 0) {
    ctx.addIssue({
      code: "custom",
      path: ["datacenters"],
      message: "no datacenter is the primary (set primary: true on exactly one)",
    });
  }
  for (const index of primaries.slice(1)) {
    ctx.addIssue({
      code: "custom",
      path: ["datacenters", index, "primary"],
      message: `a second primary (datacenters[${primaries[0]}] is already the primary; set primary: false here)`,
    });
  }

  const firstIndexByName = new Map<unknown, number>();
  datacenters.forEach((dc, index) => {
    if (typeof dc.name !== "string") return;
    const first = firstIndexByName.get(dc.name);
    if (first === undefined) {
      firstIndexByName.set(dc.name, index);
    } else {
      ctx.addIssue({
        code: "custom",
        path: ["datacenters", index, "name"],
        message: `duplicate datacenter name "${dc.name}" (already used by datacenters[${first}]; give each datacenter its own name)`,
      });
    }
  });

  const networks: { index: number; cidr: Ipv4Cidr; text: string }[] = [];
  datacenters.forEach((dc, index) => {
    const text = asRecord(asRecord(dc.openstack).network).cidr;
    if (typeof text !== "string") return;
    const parsed = parseIpv4Cidr(text);
    if (!parsed.ok) return;
    const path = ["datacenters", index, "openstack", "network", "cidr"];
    const { prefixLength } = parsed.cidr;
    if (prefixLength < ADDRESS_PLAN.shortestPrefix || prefixLength > ADDRESS_PLAN.longestPrefix) {
      ctx.addIssue({
        code: "custom",
        path,
        message: `a /${prefixLength} network does not fit the address plan (use a /${ADDRESS_PLAN.shortestPrefix} to /${ADDRESS_PLAN.longestPrefix} network)`,
      });
    }
    for (const other of networks) {
      if (cidrsOverlap(other.cidr, parsed.cidr)) {
        ctx.addIssue({
          code: "custom",
          path,
          message: `${text} overlaps ${other.text} of datacenters[${other.index}] (give each datacenter its own range)`,
        });
      }
    }
    networks.push({ index, cidr: parsed.cidr, text });
  });

  const datacenterNames = new Set<unknown>(datacenters.map((dc) => dc.name).filter((name) => typeof name === "string"));
  const acl = asRecord(config.acl);
  const policies = Array.isArray(acl.policies) ? acl.policies.map(asRecord) : [];
  const policyNames = new Set<unknown>(BUILT_IN_POLICIES);
  policies.forEach((policy, index) => {
    const path = ["acl", "policies", index];
    if (policyNames.has(policy.name)) {
      ctx.addIssue({
        code: "custom",
        path: [...path, "name"],
        message: `policy "${String(policy.name)}" is defined twice or is built in (choose another name)`,
      });
    }
    policyNames.add(policy.name);
    if ((policy.rules === undefined) === (policy.rulesFile === undefined)) {
      ctx.addIssue({
        code: "custom",
        path,
        message: "give the rules either as rules (YAML) or as rulesFile (HCL), exactly one",
      });
    }
    if (Array.isArray(policy.datacenters)) {
      policy.datacenters.forEach((dc, i) => {
        if (!datacenterNames.has(dc))
          ctx.addIssue({
            code: "custom",
            path: [...path, "datacenters", i],
            message: `"${String(dc)}" is not a datacenter of this federation (use one of ${[...datacenterNames].join(", ")})`,
          });
      });
    }
  });
  const tokens = Array.isArray(acl.tokens) ? acl.tokens.map(asRecord) : [];
  tokens.forEach((token, index) => {
    const path = ["acl", "tokens", index];
    if (Array.isArray(token.policies)) {
      token.policies.forEach((name, i) => {
        if (!policyNames.has(name))
          ctx.addIssue({
            code: "custom",
            path: [...path, "policies", i],
            message: `no policy "${String(name)}" (define it under acl.policies or use one of ${[...policyNames].join(", ")})`,
          });
      });
    }
    const identities = Array.isArray(token.nodeIdentities) ? token.nodeIdentities.map(asRecord) : [];
    identities.forEach((identity, i) => {
      if (!datacenterNames.has(identity.datacenter))
        ctx.addIssue({
          code: "custom",
          path: [...path, "nodeIdentities", i, "datacenter"],
          message: `"${String(identity.datacenter)}" is not a datacenter of this federation`,
        });
    });
    const services = Array.isArray(token.serviceIdentities) ? token.serviceIdentities.map(asRecord) : [];
    services.forEach((service, i) => {
      (Array.isArray(service.datacenters) ? service.datacenters : []).forEach((dc, k) => {
        if (!datacenterNames.has(dc))
          ctx.addIssue({
            code: "custom",
            path: [...path, "serviceIdentities", i, "datacenters", k],
            message: `"${String(dc)}" is not a datacenter of this federation`,
          });
      });
    });
    const granted = (Array.isArray(token.policies) ? token.policies.length : 0) + identities.length + services.length;
    if (granted === 0)
      ctx.addIssue({
        code: "custom",
        path,
        message: "grants nothing (give policies, nodeIdentities or serviceIdentities)",
      });
  });

  const state = asRecord(config.state);
  if (state.backend === "s3" && state.s3 === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["state", "s3"],
      message: "is missing (give bucket and endpoint for backend s3)",
    });
  }

  const consulVersion = asRecord(config.consul).version;
  const envoyVersion = asRecord(config.envoy).version;
  if (
    typeof consulVersion === "string" &&
    SEMVER.test(consulVersion) &&
    typeof envoyVersion === "string" &&
    ENVOY_VERSION.test(envoyVersion)
  ) {
    const problem = envoyCompatibilityProblem(consulVersion, envoyVersion);
    if (problem) ctx.addIssue({ code: "custom", path: ["envoy", "version"], message: problem });
  }
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** The configuration as written (before defaults). */
export type FederationConfigInput = z.input<typeof federationSchema>;
/** The validated configuration with every default applied. */
export type FederationConfig = z.output<typeof federationSchema>;
export type DatacenterConfig = FederationConfig["datacenters"][number];
