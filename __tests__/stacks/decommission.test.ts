import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "cdktf";
import type { FederationConfigInput } from "../../config/schema";
import { buildFederation } from "../../stacks/federation";
import { ConfigFieldError } from "../../domain/errors";
import { synthesizeFederation } from "../../stacks/synthesize";
import { configProblems, exampleConfig, REPO_ROOT } from "../support/fixtures";
import { resourcesOf, synthesize } from "../support/synth";

/** The example with prod3 (datacenters[2]) marked for decommissioning, after `mutate`. */
const decommissioningProd3 = (mutate: (input: FederationConfigInput) => void = () => undefined) =>
  exampleConfig((input) => {
    (input.datacenters[2] as Record<string, unknown>).decommission = true;
    mutate(input);
  });

const example = synthesize(exampleConfig());
const withProd3Gone = synthesize(decommissioningProd3());
const json = (stacks: Map<string, string>, name: string) => JSON.parse(stacks.get(name) as string);
const keyringFiles = (stacks: Map<string, string>) =>
  Object.entries(resourcesOf(stacks.get("prod1-keyring") as string, "terraform_data")).map(([id, resource]) => ({
    id,
    files: resource.triggers_replace as Record<string, string>,
    dependsOn: (resource.depends_on as string[] | undefined) ?? [],
    provisioners: resource.provisioner as { "remote-exec"?: { inline: string[] } }[],
  }));

describe("a decommissioned secondary's stack", () => {
  const prod3 = json(withProd3Gone.stacks, "prod3");

  it("keeps its name and state, and configures nothing but its providers, so Terraform destroys what the state holds", () => {
    // Nothing but the backup credential's owner record and the gate on it (below).
    expect(Object.keys(prod3.resource)).toEqual(["terraform_data"]);
    expect(Object.keys(prod3.data)).toEqual(["openstack_identity_auth_scope_v3"]);
    expect(prod3.output).toBeUndefined();
    // The same state as the running datacenter's stack, and the providers it was made with (same region).
    expect(prod3.terraform.backend).toEqual(json(example.stacks, "prod3").terraform.backend);
    expect(prod3.provider.openstack).toEqual(json(example.stacks, "prod3").provider.openstack);
    expect(Object.keys(prod3.terraform.required_providers).sort()).toEqual(["openstack", "random", "tls"]);
    // The running stack held the VMs and volumes that prevent_destroy protects only while their blocks are there.
    const running = json(example.stacks, "prod3").resource;
    expect(Object.keys(running.openstack_compute_instance_v2)).toHaveLength(5);
    expect(Object.keys(running.openstack_blockstorage_volume_v3)).toHaveLength(3);
  });

  it("is planned only by the backup credential's owner, whose record keeps its address", () => {
    const running = json(example.stacks, "prod3");
    const owner = Object.keys(running.resource.terraform_data).find((id) =>
      id.startsWith("snapshots_credential-owner"),
    );
    expect(owner).toBeDefined();
    expect(prod3.resource.terraform_data[owner as string]).toEqual(running.resource.terraform_data[owner as string]);
    expect(prod3.data.openstack_identity_auth_scope_v3).toEqual(running.data.openstack_identity_auth_scope_v3);
    const gate = prod3.resource.terraform_data["credential-owner-gate"];
    expect(gate.lifecycle.precondition).toEqual([
      expect.objectContaining({
        condition: expect.stringMatching(
          /data\.openstack_identity_auth_scope_v3\.snapshots_deployer-scope_\w+\.user_id == terraform_data\.snapshots_credential-owner_\w+\.output\.user_id/,
        ),
        error_message: expect.stringContaining(
          "The application credential consul-snapshots-prod3 belongs to the OpenStack user",
        ),
      }),
    ]);
  });

  it("forgets the snapshot container instead of destroying it, with Terraform 1.7 for the removed block", () => {
    const containerAddress = Object.keys(json(example.stacks, "prod3").resource.openstack_objectstorage_container_v1);
    expect(prod3.removed).toEqual([
      { from: `openstack_objectstorage_container_v1.${containerAddress[0]}`, lifecycle: { destroy: false } },
    ]);
    expect(prod3.terraform.required_version).toBe(">= 1.7");
    const s3 = json(
      synthesize(
        decommissioningProd3((input) => {
          input.state = { backend: "s3", s3: { bucket: "state", endpoint: "https://object.example.org" } };
        }),
      ).stacks,
      "prod3",
    );
    expect(s3.terraform.required_version).toBe(">= 1.10");
  });
});

describe("the order of a deploy that decommissions prod3", () => {
  it("is prod1 -> prod3 (destroyed) -> prod1-acl (its tokens deleted) -> prod1-gateways -> prod2 -> prod1-keyring", () => {
    const outdir = mkdtempSync(join(tmpdir(), "decommission-order-"));
    // Without cdktf's validations, as the app synthesizes (stacks/synthesize.ts): they would spawn
    // `terraform version` once per terraform_data resource, and the order is what is tested here.
    const app = new App({ outdir, skipValidation: true });
    buildFederation(app, decommissioningProd3());
    app.synth();
    const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8"));
    const deps = (name: string) => [...manifest.stacks[name].dependencies].sort();
    expect(deps("prod3")).toEqual(["prod1"]);
    // The ACL stack deletes prod3's tokens only once prod3's agents, which use them, are gone.
    expect(deps("prod1-acl")).toEqual(["prod1", "prod3"]);
    expect(deps("prod2")).toEqual(["prod1", "prod1-acl", "prod1-gateways"]);
    expect(deps("prod1-keyring")).toEqual(["prod1", "prod1-gateways", "prod2"]);
  });
});

describe("the rest of the federation while prod3 is decommissioned", () => {
  it("leaves prod2 and the primary's gateways exactly as they were", () => {
    for (const name of ["prod2", "prod1-gateways"]) {
      expect({ name, json: withProd3Gone.stacks.get(name) }).toEqual({ name, json: example.stacks.get(name) });
    }
  });

  it("deletes prod3's ACL objects in the ACL stack: agent, gateway, replication and snapshot tokens, snapshot policy", () => {
    const mentionsProd3 = (stacks: Map<string, string>) =>
      ["consul_acl_token", "consul_acl_policy"].flatMap((type) =>
        Object.entries(resourcesOf(stacks.get("prod1-acl") as string, type))
          .filter(([id, resource]) => /prod3/.test(id) || /prod3/.test(JSON.stringify(resource)))
          .map(([id]) => id),
      );
    expect(mentionsProd3(example.stacks).length).toBeGreaterThan(5);
    expect(mentionsProd3(withProd3Gone.stacks)).toEqual([]);
    // The others' stay as they were.
    const prod2Tokens = (stacks: Map<string, string>) =>
      Object.entries(resourcesOf(stacks.get("prod1-acl") as string, "consul_acl_token")).filter(([id]) =>
        id.includes("prod2"),
      );
    expect(prod2Tokens(withProd3Gone.stacks)).toEqual(prod2Tokens(example.stacks));
  });

  it("stops issuing certificates for prod3's nodes in the primary's stack", () => {
    const certificates = (stacks: Map<string, string>) =>
      Object.keys(resourcesOf(stacks.get("prod1") as string, "tls_locally_signed_cert"));
    expect(certificates(example.stacks).some((id) => id.includes("prod3"))).toBe(true);
    expect(certificates(withProd3Gone.stacks).filter((id) => id.includes("prod3"))).toEqual([]);
  });

  it("prunes prod3's servers from the WAN pool before the keyring counts it, and counts prod3 no more", () => {
    const steps = keyringFiles(withProd3Gone.stacks);
    const prune = steps.find((step) => step.files["prune-wan-members.sh"]);
    const rotation = steps.find((step) => step.files["rotate-gossip-key.sh"]);
    expect(prune?.files["prune.env"]).toContain(
      "GONE_SERVERS=prod3-server-1.prod3,prod3-server-2.prod3,prod3-server-3.prod3\n",
    );
    expect(rotation?.dependsOn).toEqual([`terraform_data.${prune?.id}`]);
    expect(rotation?.files["keyring.env"]).toContain("LAN_MEMBERS=prod1:5,prod2:5\nWAN_MEMBERS=6\n");
    // The example has neither the step nor the wait.
    const before = keyringFiles(example.stacks);
    expect(before.map((step) => Object.keys(step.files).includes("prune-wan-members.sh"))).toEqual([false]);
    expect(before[0].dependsOn).toEqual([]);
    expect(before[0].files["keyring.env"]).toContain("LAN_MEMBERS=prod1:5,prod2:5,prod3:5\nWAN_MEMBERS=9\n");
  });

  it("runs the prune as Terraform runs a provisioner: errexit first, the script with sudo, the staging folder removed", () => {
    const prune = keyringFiles(withProd3Gone.stacks).find((step) => step.files["prune-wan-members.sh"]);
    const inline = prune?.provisioners.at(-1)?.["remote-exec"]?.inline ?? [];
    expect(inline[0]).toBe("set -o errexit");
    expect(inline.at(-1)).toMatch(
      /^sudo bash \/home\/ubuntu\/\.[0-9a-f]+\/prune-wan-members\.sh \/home\/ubuntu\/\.[0-9a-f]+$/,
    );
  });
});

describe("configurations a decommission refuses", () => {
  const decommission = (index: number, mutate: (input: FederationConfigInput) => void = () => undefined) =>
    configProblems((input) => {
      (input.datacenters[index] as Record<string, unknown>).decommission = true;
      mutate(input);
    });

  it("accepts a secondary with backups on", () => {
    expect(decommission(2)).toEqual([]);
  });

  it("refuses the primary, which holds the CA, the ACL system and every token", () => {
    expect(decommission(0)).toEqual([
      expect.stringMatching(
        /^datacenters\[0\]\.decommission: the primary cannot be decommissioned: .*\(remove decommission;/,
      ),
    ]);
  });

  it("refuses a secondary whose Raft data no snapshot would keep (backups off)", () => {
    expect(decommission(1, (input) => (input.backups = { enabled: false }))).toEqual([
      expect.stringMatching(
        /^datacenters\[1\]\.decommission: would destroy the servers of prod2 and their Raft data .* because backups\.enabled is false \(turn backups on and deploy, .*\)/,
      ),
    ]);
  });

  it("refuses nodes to replace in a datacenter whose every node goes", () => {
    expect(decommission(2, (input) => (input.datacenters[2].replaceNodes = ["prod3-server-1"]))).toEqual([
      expect.stringMatching(
        /^datacenters\[2\]\.replaceNodes: names nodes of a datacenter being decommissioned.*\(empty the list\)/,
      ),
    ]);
  });
});

const haveTerraform = spawnSync("terraform", ["version"]).status === 0;

describe("Terraform and the decommissioned stack", () => {
  (haveTerraform ? it : it.skip)(
    "loads it (its removed block included) up to the provider installation",
    () => {
      const outdir = join(mkdtempSync(join(tmpdir(), "decommission-tf-")), "out");
      synthesizeFederation(decommissioningProd3(), outdir);
      const result = spawnSync("terraform", ["init", "-backend=false", "-input=false", "-no-color"], {
        cwd: join(outdir, "stacks", "prod3"),
        encoding: "utf8",
        env: { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" },
      });
      const output = `${result.stdout}${result.stderr}`;
      expect(output).toContain("Initializing provider plugins");
      expect(output.match(/Error: (?!Failed to query available provider packages).*/g) ?? []).toEqual([]);
    },
    30_000,
  );
});

/**
 * What the decommissioned stack rests on, shown by Terraform itself with its built-in terraform_data (no provider
 * to download): a resource whose block is gone is destroyed even though it had prevent_destroy, and one named by
 * a `removed` block with `destroy = false` is only forgotten.
 */
describe("Terraform's handling of resources that leave the configuration", () => {
  (haveTerraform ? it : it.skip)(
    "destroys a resource that had prevent_destroy once its block is gone, and forgets one that a removed block keeps",
    () => {
      const dir = mkdtempSync(join(tmpdir(), "decommission-plan-"));
      const terraform = (...args: string[]) => {
        const result = spawnSync("terraform", [...args, "-input=false", "-no-color"], {
          cwd: dir,
          encoding: "utf8",
          env: { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" },
        });
        return { status: result.status, output: `${result.stdout}${result.stderr}` };
      };
      const write = (config: object) => writeFileSync(join(dir, "main.tf.json"), JSON.stringify(config));
      write({
        resource: {
          terraform_data: {
            data_volume: { input: "raft", lifecycle: { prevent_destroy: true } },
            snapshots_container: { input: "snapshots" },
          },
        },
      });
      expect(terraform("init").status).toBe(0);
      expect(terraform("apply", "-auto-approve").status).toBe(0);
      write({
        terraform: { required_version: ">= 1.7" },
        removed: [{ from: "terraform_data.snapshots_container", lifecycle: { destroy: false } }],
      });
      const plan = terraform("plan");
      expect(plan.status).toBe(0);
      expect(plan.output).toContain("terraform_data.data_volume will be destroyed");
      expect(plan.output).toContain("terraform_data.snapshots_container will no longer be managed by Terraform");
      expect(plan.output).toContain("0 to add, 0 to change, 1 to destroy");
    },
    30_000,
  );
});

describe("the README's configuration reference", () => {
  it("documents datacenters[].decommission with the default of the JSON Schema", () => {
    const schema = JSON.parse(readFileSync(join(REPO_ROOT, "federation.schema.json"), "utf8"));
    const field = schema.properties.datacenters.items.properties.decommission;
    const row = readFileSync(join(REPO_ROOT, "README.md"), "utf8")
      .split("\n")
      .find((line) => line.startsWith("| `datacenters[].decommission`"));
    expect(row?.split("|")[2].trim()).toBe(`\`${JSON.stringify(field.default)}\``);
  });
});

describe("an entry deleted without being decommissioned first, with local state", () => {
  const synthBeside = (states: Record<string, object | string>) => {
    const base = mkdtempSync(join(tmpdir(), "orphaned-state-"));
    for (const [stack, state] of Object.entries(states)) {
      writeFileSync(
        join(base, `terraform.${stack}.tfstate`),
        typeof state === "string" ? state : JSON.stringify(state),
      );
    }
    const outdir = join(base, "out");
    let error: unknown;
    try {
      synthesizeFederation(exampleConfig(), outdir);
    } catch (caught) {
      error = caught;
    }
    return { error, written: existsSync(outdir) };
  };
  const holding = (count: number) => ({
    version: 4,
    resources: [
      ...Array.from({ length: count }, (_, i) => ({
        mode: "managed",
        type: "openstack_compute_instance_v2",
        name: `vm${i}`,
      })),
      { mode: "data", type: "openstack_networking_network_v2", name: "external" },
    ],
  });

  it("is refused, nothing written, when the state of a stack the app no longer makes still holds resources", () => {
    const { error, written } = synthBeside({ prod4: holding(2), prod2: holding(3) });
    expect(error).toBeInstanceOf(ConfigFieldError);
    expect((error as ConfigFieldError).problems).toEqual([
      expect.stringMatching(
        /^datacenters: terraform\.prod4\.tfstate still holds 2 resources of the stack prod4, which this configuration no longer makes, .*\(put the datacenter's entry back as it was with decommission: true and deploy, then delete the entry;/,
      ),
    ]);
    expect(written).toBe(false);
  });

  it("is accepted once the stack's state is empty (decommissioned, then its entry deleted) or was never written", () => {
    expect(synthBeside({ prod4: { version: 4, resources: [] }, prod5: "" })).toEqual({
      error: undefined,
      written: true,
    });
  });
});
