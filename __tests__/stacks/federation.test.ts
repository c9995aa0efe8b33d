import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseHcl } from "@cdktf/hcl2json";
import { App } from "cdktf";
import { loadFederationConfig } from "../../config/load";
import type { FederationConfig } from "../../config/schema";
import { ROLLOUT_STAGES, type RolloutStage } from "../../domain/stages";
import { buildFederation } from "../../stacks/federation";
import { collectReviewableFiles } from "../../stacks/reviewable-output";
import { EXAMPLE_CONFIG_PATH, exampleConfig, REPO_ROOT } from "../support/fixtures";
import { resourcesOf, synthesize } from "../support/synth";

/** ForceNew attributes of provider 3.4.0, read from its source (the file names tag, commit and files). */
const FORCE_NEW_PATH = join(REPO_ROOT, "__tests__", "fixtures", "openstack-force-new-3.4.0.json");

function atStage(stage: RolloutStage, mutate: (c: FederationConfig) => void = () => undefined): FederationConfig {
  const config = exampleConfig((input) => (input.rollout = { stage }));
  mutate(config);
  return config;
}

const enforced = synthesize(loadFederationConfig(EXAMPLE_CONFIG_PATH));
const acl = (type: string) => resourcesOf(enforced.stacks.get("prod1-acl") as string, type);
const agentConfig = (files: Map<string, string>, node: string) =>
  JSON.parse(files.get(`nodes/${node.replace(/-(server|gateway)-\d$/, "")}/${node}/consul.json`) as string);

describe("stack order", () => {
  it("is primary servers -> primary ACLs -> primary gateways -> each secondary -> the keyring, read from the manifest", () => {
    const outdir = mkdtempSync(join(tmpdir(), "order-"));
    // Without cdktf's validations, as the app synthesizes (stacks/synthesize.ts): they would spawn
    // `terraform version` once per terraform_data resource, and the order is what is tested here.
    const app = new App({ outdir, skipValidation: true });
    buildFederation(app, loadFederationConfig(EXAMPLE_CONFIG_PATH));
    app.synth();
    const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8"));
    const deps = (name: string) => [...manifest.stacks[name].dependencies].sort();
    expect(deps("prod1")).toEqual([]);
    expect(deps("prod1-acl")).toEqual(["prod1"]);
    expect(deps("prod1-gateways")).toEqual(["prod1", "prod1-acl"]);
    // Last: after every datacenter is deployed and federated (prod1-acl comes before prod1-gateways).
    expect(deps("prod1-keyring")).toEqual(["prod1", "prod1-gateways", "prod2", "prod3"]);
    for (const secondary of ["prod2", "prod3"]) {
      expect(deps(secondary)).toEqual(["prod1", "prod1-acl", "prod1-gateways"]);
    }
  });
});

describe("ACL policies", () => {
  const policies = Object.values(acl("consul_acl_policy")) as { name: string; rules: string; datacenters: string[] }[];
  const byName = (name: string) => policies.find((policy) => policy.name === name) as (typeof policies)[number];

  it.each(["mesh-gateway", "acl-replication", "dns-lookups"])("%s parses with HashiCorp's HCL parser", async (name) => {
    await expect(parseHcl(`${name}.hcl`, byName(name).rules)).resolves.toBeDefined();
  });

  it("gives mesh gateways Consul's documented rights, valid in every datacenter", async () => {
    const policy = byName("mesh-gateway");
    expect(policy.datacenters).toEqual(["prod1", "prod2", "prod3"]);
    expect(await parseHcl("mesh.hcl", policy.rules)).toEqual({
      mesh: "write",
      service: { "mesh-gateway": [{ policy: "write" }] },
      service_prefix: { "": [{ policy: "read" }] },
      node_prefix: { "": [{ policy: "read" }] },
      agent_prefix: { "": [{ policy: "read" }] },
    });
  });

  it("gives replication ACL, operator and intention rights", async () => {
    expect(await parseHcl("replication.hcl", byName("acl-replication").rules)).toEqual({
      acl: "write",
      operator: "write",
      service_prefix: { "": [{ policy: "read", intentions: "read" }] },
    });
  });

  it("keeps DNS working under deny with a builtin/dns token on every agent, and grants the anonymous token nothing", () => {
    expect(acl("consul_acl_token_policy_attachment")).toEqual({});
    const dns = Object.values(acl("consul_acl_token")).filter((t) => t.templated_policies);
    expect(dns).toEqual([expect.objectContaining({ templated_policies: [{ template_name: "builtin/dns" }] })]);
    const files = collectReviewableFiles(enforced.app);
    for (const node of ["prod2-server-1", "prod2-gateway-1", "prod1-gateway-2"]) {
      expect(agentConfig(files, node).acl.tokens.dns).toMatch(/dns-token/);
    }
  });

  it("lets the servers' apply script read autopilot's health and hand leadership over, and nothing else", async () => {
    // operator:write, which the replication token a secondary's servers hold has as well.
    expect(await parseHcl("autopilot.hcl", byName("autopilot-health").rules)).toEqual({ operator: "write" });
  });
});

describe("tokens", () => {
  const tokens = Object.values(acl("consul_acl_token")) as {
    node_identities?: { node_name: string; datacenter: string }[];
    policies?: string[];
    local?: boolean;
  }[];

  it("gives every node of every datacenter an agent token with its node identity", () => {
    const identities = tokens.flatMap((t) => t.node_identities ?? []).map((i) => `${i.node_name}@${i.datacenter}`);
    const expected = ["prod1", "prod2", "prod3"].flatMap((dc) => [
      ...[1, 2, 3].map((n) => `${dc}-server-${n}@${dc}`),
      ...[1, 2].map((n) => `${dc}-gateway-${n}@${dc}`),
    ]);
    expect(identities.sort()).toEqual(expected.sort());
  });

  it("gives each gateway a mesh-gateway token and each secondary a replication token, all global", () => {
    const withPolicy = (id: string) =>
      tokens.filter((t) => t.policies?.some((p) => p.startsWith(`\${consul_acl_policy.acls_${id}_`)));
    expect(withPolicy("mesh-gateway-policy")).toHaveLength(6);
    expect(withPolicy("replication-policy")).toHaveLength(2);
    // One snapshot token per datacenter: global, since the secondaries' servers resolve it through replication.
    for (const dc of ["prod1", "prod2", "prod3"]) expect(withPolicy(`${dc}-snapshot-policy`)).toHaveLength(1);
    expect(tokens.every((t) => t.local === undefined)).toBe(true);
  });

  it("reads every secret through the secret-id data source, whose value is sensitive", () => {
    const secrets = JSON.parse(enforced.stacks.get("prod1-acl") as string).data.consul_acl_token_secret_id;
    // The federation's own tokens (15 agents, 6 gateways, 2 replication, DNS, autopilot health, 3 snapshot,
    // the check's registration); the operator's own tokens from acl.tokens have no secret read into Terraform.
    expect(Object.keys(secrets)).toHaveLength(29);
    expect(tokens).toHaveLength(29 + 2);
  });

  it("hands the primary servers their agent and DNS tokens through the agent API, never by restart", () => {
    const files = collectReviewableFiles(enforced.app);
    const deliveries = Object.entries(acl("terraform_data"))
      .filter(([id]) => id.includes("-agent-token_"))
      .map(([, delivery]) => delivery) as {
      provisioner: Record<string, { inline?: string[] }>[];
    }[];
    expect(deliveries).toHaveLength(3);
    for (const delivery of deliveries) {
      const run = delivery.provisioner.at(-1)?.["remote-exec"]?.inline?.at(-1);
      expect(run).toMatch(/^sudo bash \/home\/ubuntu\/\.[0-9a-f]{16}\/set-agent-token\.sh /);
      const uploads = delivery.provisioner.flatMap((p) => (p as { file?: { destination: string } }).file ?? []);
      expect(uploads.map((u) => u.destination.split("/").pop())).toEqual(
        expect.arrayContaining(["token-agent.json", "token-dns.json", "management-token.header"]),
      );
    }
    expect(agentConfig(files, "prod1-server-1").acl.tokens).toEqual({
      initial_management: expect.stringMatching(/^\$\{sensitive\(random_uuid\./),
    });
  });
});

describe("replication and federation wiring", () => {
  const files = collectReviewableFiles(enforced.app);

  it("turns on token replication in every secondary server, with a token made by the primary", () => {
    for (const dc of ["prod2", "prod3"]) {
      for (const n of [1, 2, 3]) {
        const agent = agentConfig(files, `${dc}-server-${n}`);
        expect(agent.primary_datacenter).toBe("prod1");
        expect(agent.acl.enable_token_replication).toBe(true);
        expect(agent.acl.tokens.replication).toMatch(/cross-stack-reference-input-prod1-acl\..*replication-token/);
        expect(agent.acl.tokens.agent).toMatch(/cross-stack-reference-input-prod1-acl\..*prod\d-server-\d-agent-token/);
        expect(agent.acl.tokens.initial_management).toBeUndefined();
      }
    }
  });

  it("gives gateways their agent token in the configuration and Envoy its mesh-gateway token", () => {
    const env = files.get("nodes/prod1/prod1-gateway-1/mesh-gateway.env") as string;
    expect(env).toMatch(
      /\nCONSUL_HTTP_TOKEN=\$\{data\.terraform_remote_state\.cross-stack-reference-input-prod1-acl\./,
    );
    expect(agentConfig(files, "prod2-gateway-2").acl.tokens.agent).toMatch(/prod2-gateway-2-agent-token/);
  });

  it("lists every primary gateway in every secondary server's primary_gateways", () => {
    for (const dc of ["prod2", "prod3"]) {
      const gateways = agentConfig(files, `${dc}-server-1`).primary_gateways as string[];
      expect(gateways).toEqual([
        expect.stringMatching(/prod1-gateways\..*prod1-gateway-1_vm_floating-ip.*:8443$/),
        expect.stringMatching(/prod1-gateways\..*prod1-gateway-2_vm_floating-ip.*:8443$/),
      ]);
    }
  });

  it("manages the Consul provider with the primary's management token over HTTPS with the CA pinned", () => {
    const provider = JSON.parse(enforced.stacks.get("prod1-acl") as string).provider.consul[0];
    expect(provider).toEqual({
      address: expect.stringMatching(/prod1-server-1-instance\.power_state.*prod1-server-2-instance\.power_state/),
      scheme: "https",
      ca_pem: expect.stringMatching(/federation-secrets_ca_cert/),
      token: expect.stringMatching(/initial-management-token/),
      datacenter: "prod1",
    });
  });

  it("creates the global proxy-defaults entry with mesh gateway mode local", () => {
    const entries = Object.values(acl("consul_config_entry")) as { kind: string; name: string; config_json: string }[];
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ kind: "proxy-defaults", name: "global" });
    expect(JSON.parse(entries[0].config_json)).toEqual({
      Config: { protocol: "http", envoy_prometheus_bind_addr: "0.0.0.0:9102" },
      MeshGateway: { Mode: "local" },
    });
  });
});

describe("rollout stages", () => {
  const stages = new Map(ROLLOUT_STAGES.map((stage) => [stage, synthesize(atStage(stage))]));
  const filesAt = (stage: RolloutStage) => collectReviewableFiles(stages.get(stage)?.app as App);

  it("cluster: TLS and gossip only; no ACLs, no Connect, no gateway registered", () => {
    const files = filesAt("cluster");
    const server = agentConfig(files, "prod2-server-1");
    expect(server.acl).toBeUndefined();
    expect(server.connect).toBeUndefined();
    expect(server.primary_gateways).toBeUndefined();
    expect(server.encrypt).toBeDefined();
    expect(files.get("nodes/prod2/prod2-gateway-1/node.env")).toMatch(/\nNODE_UNITS=consul\.service\n/);
    expect(resourcesOf(stages.get("cluster")?.stacks.get("prod1-acl") as string, "consul_acl_token")).toEqual({});
  });

  it("acl: ACLs on with default allow, tokens and replication, still no Connect", () => {
    const files = filesAt("acl");
    const server = agentConfig(files, "prod2-server-1");
    expect(server.acl).toMatchObject({ enabled: true, default_policy: "allow", enable_token_replication: true });
    expect(server.connect).toBeUndefined();
    expect(resourcesOf(stages.get("acl")?.stacks.get("prod1-acl") as string, "consul_config_entry")).toEqual({});
  });

  it("mesh: Connect, WAN federation, gateways registered, proxy-defaults; policy still allow", () => {
    const files = filesAt("mesh");
    const server = agentConfig(files, "prod2-server-1");
    expect(server.connect).toEqual({ enabled: true, enable_mesh_gateway_wan_federation: true });
    expect(server.primary_gateways).toHaveLength(2);
    expect(server.acl.default_policy).toBe("allow");
    expect(files.get("nodes/prod2/prod2-gateway-1/node.env")).toMatch(
      /\nNODE_UNITS=consul\.service,consul-envoy-admin-firewall\.service,consul-mesh-gateway\.service\n/,
    );
  });

  it("enforced: default_policy deny everywhere", () => {
    const files = filesAt("enforced");
    for (const [path, content] of files) {
      if (path.endsWith("/consul.json")) expect(JSON.parse(content).acl.default_policy).toBe("deny");
    }
  });

  // Which attributes force a new resource is not in the schema: the fixture holds the list read from the
  // provider's source at the pinned version.
  it("never replace a VM, a volume or their network pieces: across stages and across setting changes", () => {
    const forceNew = JSON.parse(readFileSync(FORCE_NEW_PATH, "utf8")) as Record<string, string[]>;
    const watched = [
      "openstack_compute_instance_v2",
      "openstack_blockstorage_volume_v3",
      "openstack_compute_volume_attach_v2",
      "openstack_networking_port_v2",
      "openstack_networking_floatingip_v2",
      "openstack_compute_servergroup_v2",
      "openstack_compute_keypair_v2",
    ];
    const variants = [
      ...[...stages.values()],
      synthesize(atStage("enforced", (c) => Object.assign(c.consul, { version: "1.22.5" }))),
      synthesize(atStage("enforced", (c) => Object.assign(c.consul.proxyDefaults, { protocol: "tcp" }))),
      synthesize(atStage("enforced", (c) => Object.assign(c.access, { adminCidrs: ["192.0.2.0/24"] }))),
      synthesize(atStage("enforced", (c) => Object.assign(c.envoy, { version: "1.34", logLevel: "debug" }))),
      synthesize(atStage("enforced", (c) => Object.assign(c.ssh, { pinHostKeys: false }))),
      // Certificates of another lifetime: new certificates, reloaded; never a new VM.
      synthesize(
        atStage(
          "enforced",
          (c) => (c.tls = { certificateValidityDays: 90, renewBeforeDays: 10, caValidityDays: 1000 }),
        ),
      ),
      // A rotated gossip key: the keyring step and new consul.json files, never a new VM.
      synthesize(atStage("enforced", (c) => (c.rotation = { gossipKey: 1, ca: 0, tokens: 0, terraformToken: 0 }))),
      // Rotated tokens: new secrets in every node's files, never a new VM.
      synthesize(atStage("enforced", (c) => (c.rotation = { gossipKey: 0, ca: 0, tokens: 1, terraformToken: 0 }))),
      // Terraform's token rotated (bootstrap through the API from then on): never a new VM.
      synthesize(atStage("enforced", (c) => (c.rotation = { gossipKey: 0, ca: 0, tokens: 0, terraformToken: 1 }))),
      synthesize(atStage("enforced", (c) => (c.rotation = { gossipKey: 0, ca: 0, tokens: 0, terraformToken: 2 }))),
      // A new CA: certificates issued again and a new trust bundle on every node, never a new VM.
      synthesize(atStage("enforced", (c) => (c.rotation = { gossipKey: 0, ca: 1, tokens: 0, terraformToken: 0 }))),
      // Backups on, off, on another schedule: files and units on running servers, never a new VM.
      synthesize(atStage("enforced", (c) => (c.backups = { ...c.backups, enabled: false }))),
      synthesize(atStage("enforced", (c) => (c.backups = { enabled: true, schedule: "00/6:00", retain: 5 }))),
      // Image and flavor changes rebuild and resize in place, one node at a time: no replacement.
      synthesize(atStage("enforced", (c) => c.datacenters.forEach((dc) => (dc.openstack.image = "ubuntu-26.04")))),
      synthesize(
        atStage("enforced", (c) =>
          c.datacenters.forEach((dc) => (dc.openstack.flavors = { server: "m1.large", gateway: "m1.medium" })),
        ),
      ),
    ];
    const fingerprint = (stacks: Map<string, string>) => {
      const result: Record<string, unknown> = {};
      for (const [stackName, json] of stacks) {
        for (const type of watched) {
          for (const [id, resource] of Object.entries(resourcesOf(json, type))) {
            const ignored = ((resource.lifecycle as { ignore_changes?: string[] })?.ignore_changes ?? []) as string[];
            const attributes = [...new Set(forceNew[type].map((path) => path.split(".")[0]))].filter(
              (attribute) => !ignored.includes(attribute),
            );
            result[`${stackName}/${type}.${id}`] = Object.fromEntries(attributes.map((a) => [a, resource[a] ?? null]));
          }
        }
      }
      return result;
    };
    const reference = fingerprint(variants[0].stacks);
    expect(Object.keys(reference).filter((key) => key.includes("openstack_compute_instance_v2"))).toHaveLength(15);
    for (const variant of variants.slice(1)) expect(fingerprint(variant.stacks)).toEqual(reference);
    // user_data may differ only because the instance ignores its changes.
    for (const json of variants[0].stacks.values()) {
      for (const instance of Object.values(resourcesOf(json, "openstack_compute_instance_v2"))) {
        expect(instance.lifecycle).toEqual({ ignore_changes: ["user_data"], prevent_destroy: true });
      }
    }
  }, 60_000);
});

describe("the ACL stack's Consul address", () => {
  const address = JSON.parse(enforced.stacks.get("prod1-acl") as string).provider.consul[0].address as string;
  const floatingIp = (n: number) => `192.0.2.${n}`;

  /** The address expression with Nova reporting these power states for servers 1 to 3. */
  function expressionFor(states: string[]): string {
    // Readings of the primary's outputs are marked sensitive; the console would print "(sensitive value)".
    let expression = address
      .replace(/^\$\{/, "")
      .replace(/\}$/, "")
      .replace(/sensitive\((data\.terraform_remote_state\.[\w-]+\.outputs\.[\w-]+)\)/g, "$1");
    states.forEach((state, index) => {
      expression = expression
        .replaceAll(`data.openstack_compute_instance_v2.prod1-server-${index + 1}-instance.power_state`, `"${state}"`)
        .replace(
          new RegExp(
            `data\\.terraform_remote_state\\.[\\w-]+\\.outputs\\.[\\w-]*prod1-server-${index + 1}_vm_floating-ip_\\w+address`,
            "g",
          ),
          `"${floatingIp(index + 1)}"`,
        );
    });
    return expression;
  }

  /**
   * The address Terraform computes for each list of power states, as its console prints each value: one console
   * evaluates them all as one tuple (piped, it answers only the last expression it reads) and prints an element
   * a line.
   */
  function evaluate(...cases: string[][]): string[] {
    const result = spawnSync("terraform", ["console"], {
      input: `[${cases.map(expressionFor).join(", ")}]\n`,
      encoding: "utf8",
      cwd: tmpdir(),
    });
    const printed = result.stdout.trim().split("\n");
    expect([printed[0], printed[printed.length - 1]]).toEqual(["[", "]"]);
    return printed.slice(1, -1).map((line) => line.trim().replace(/,$/, ""));
  }

  (spawnSync("terraform", ["version"]).status === 0 ? it : it.skip)(
    "is the first server whose VM runs, as Terraform evaluates it",
    () => {
      const [allRun, firstDown, onlyThird, noneRuns] = evaluate(
        ["active", "active", "active"],
        ["shutoff", "active", "active"],
        ["rebuild", "error", "ACTIVE"],
        ["shutoff", "shutoff", "shutoff"],
      );
      expect(allRun).toBe('"192.0.2.1:8501"');
      expect(firstDown).toBe('"192.0.2.2:8501"');
      expect(onlyThird).toBe('"192.0.2.3:8501"');
      // None runs: the first server, and the plan says it cannot reach it.
      expect(noneRuns).toBe('"192.0.2.1:8501"');
    },
  );
});

describe("VMs no plan may destroy", () => {
  it("refuse destruction unless the configuration names the node, one server at a time", () => {
    const instances = (stacks: Map<string, string>) =>
      [...stacks.values()].flatMap((json) => Object.entries(resourcesOf(json, "openstack_compute_instance_v2")));
    const replaceable = synthesize(
      exampleConfig((c) => (c.datacenters[1].replaceNodes = ["prod2-server-2", "prod2-gateway-1"])),
    );
    const unprotected = instances(replaceable.stacks)
      .filter(([, instance]) => !(instance.lifecycle as { prevent_destroy?: boolean }).prevent_destroy)
      .map(([id]) => id.replace(/_vm_instance_\w+$/, ""));
    expect(unprotected.sort()).toEqual(["prod2-gateway-1", "prod2-server-2"]);
    expect(() => exampleConfig((c) => (c.datacenters[1].replaceNodes = ["prod2-server-1", "prod2-server-3"]))).toThrow(
      /datacenters\[1\]\.replaceNodes: lists more than one server/,
    );
    expect(() => exampleConfig((c) => (c.datacenters[1].replaceNodes = ["prod1-server-1"]))).toThrow(
      /datacenters\[1\]\.replaceNodes\[0\]: "prod1-server-1" is not a node of prod2/,
    );
  });
});
