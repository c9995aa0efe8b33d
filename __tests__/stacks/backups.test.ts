import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseHcl } from "@cdktf/hcl2json";
import type { FederationConfig } from "../../config/schema";
import { collectReviewableFiles } from "../../stacks/reviewable-output";
import { exampleConfig } from "../support/fixtures";
import { exampleFiles, exampleStacks } from "../support/example";
import { resourcesOf, synthesize } from "../support/synth";

/** Scheduled snapshots as the example federation synthesizes them, and without them. */
const stacks = exampleStacks();
const files = exampleFiles();
const stackOf = (name: string) => stacks.get(name) as string;

function variant(mutate: (input: Record<string, unknown>) => void) {
  const config: FederationConfig = exampleConfig((input) => mutate(input as Record<string, unknown>));
  const { app, stacks } = synthesize(config);
  return { stacks, files: collectReviewableFiles(app) };
}

describe("each datacenter's snapshot store", () => {
  it.each([
    ["prod1", "RegionOne"],
    ["prod2", "RegionTwo"],
    ["prod3", "RegionThree"],
  ])("%s: a container in %s that survives the stack, and one credential scoped to it", (dc, region) => {
    const containers = resourcesOf(stackOf(dc), "openstack_objectstorage_container_v1");
    // At the address that the stack's `removed` block names once backups are turned off.
    expect(containers).toEqual({
      snapshots_container: { name: `consul-snapshots-${dc}`, region, force_destroy: false },
    });
    const [credential] = Object.values(resourcesOf(stackOf(dc), "openstack_identity_application_credential_v3"));
    expect(credential.unrestricted).toBe(false);
    const rules = credential.access_rules as { service: string; method: string; path: string }[];
    expect(rules.every((rule) => rule.service === "object-store")).toBe(true);
    expect(rules.map((rule) => `${rule.method} ${rule.path}`).sort()).toEqual(
      [
        `GET /v1/*/consul-snapshots-${dc}`,
        `GET /v1/*/consul-snapshots-${dc}/*`,
        `PUT /v1/*/consul-snapshots-${dc}/*`,
        `DELETE /v1/*/consul-snapshots-${dc}/*`,
      ].sort(),
    );
    // The deploying token's catalog (any project member may read it; Keystone's endpoint list is admin-only).
    const data = JSON.parse(stackOf(dc)).data;
    expect(data.openstack_identity_endpoint_v3).toBeUndefined();
    expect(Object.values(data.openstack_identity_auth_scope_v3)).toEqual([{ name: `consul-snapshots-${dc}`, region }]);
  });

  it("hands the credential's secret to the servers only as a sensitive value, with the catalog and region", () => {
    const login = files.get("nodes/prod2/prod2-server-1/object-store-login") as string;
    expect(login).toMatch(/^\$\{sensitive\(jsonencode\(\{.*application_credential.*secret.*\}\)\)\}$/s);
    expect(login).toContain("openstack_identity_application_credential_v3.snapshots_credential");
    expect(login).toMatch(
      /"catalog" = data\.openstack_identity_auth_scope_v3\.snapshots_deployer-scope_\w+\.service_catalog/,
    );
    expect(login).toContain('"region" = "RegionTwo"');
  });
});

describe("the backup on every server, and on no gateway", () => {
  const servers = [...files.keys()].filter((path) => /\/\w+-server-\d\/consul-snapshot\.timer$/.test(path));
  const gatewayFiles = [...files.keys()].filter((path) => /-gateway-\d\/consul-snapshot/.test(path));

  it("runs an hourly timer on all nine servers, and nothing on gateways", () => {
    expect(servers).toHaveLength(9);
    expect(gatewayFiles).toEqual([]);
    for (const path of servers) expect(files.get(path)).toContain("\nOnCalendar=hourly\nPersistent=yes\n");
  });

  it("registers a TTL freshness check of two periods, with the registration token where the agent takes it", () => {
    const agent = (path: string) => JSON.parse(files.get(path) as string);
    for (const dc of ["prod1", "prod2"]) {
      const config = agent(`nodes/${dc}/${dc}-server-1/consul.json`);
      // A report is due every run: one period and five minutes of slack for the timers' accuracy and the run.
      expect(config.services).toEqual([
        {
          id: "consul-snapshot",
          name: "consul-snapshot",
          checks: [expect.objectContaining({ id: "consul-snapshot-age", ttl: "3900s" })],
        },
      ]);
    }
    // Secondaries start with it; the primary's servers get it from the ACL stack, after they run.
    expect(agent("nodes/prod2/prod2-server-1/consul.json").acl.tokens.config_file_service_registration).toMatch(
      /^\$\{.*service-registration-token-secret.*\}$/,
    );
    expect(agent("nodes/prod1/prod1-server-1/consul.json").acl.tokens.config_file_service_registration).toBe(undefined);
    expect(agent("nodes/prod1/prod1-gateway-1/consul.json").services).toBeUndefined();
  });

  it("delivers the snapshot token with the secondaries' settings and, for the primary, from the ACL stack", () => {
    expect(files.get("nodes/prod2/prod2-server-1/snapshot.token")).toMatch(/prod2-snapshot-token/);
    expect(files.has("nodes/prod1/prod1-server-1/snapshot.token")).toBe(false);
    // Until the ACL stack installs it, the primary's servers keep an empty file, so that the unit starts and says why.
    expect(files.get("nodes/prod1/prod1-server-1/node.env")).toContain(
      "\nCREDENTIAL_PLACEHOLDERS=/etc/consul-backup/snapshot.token\n",
    );
    expect(files.get("nodes/prod2/prod2-server-1/node.env")).not.toContain("CREDENTIAL_PLACEHOLDERS");
    const deliveries = Object.entries(resourcesOf(stackOf("prod1-acl"), "terraform_data")).filter(([id]) =>
      id.includes("-agent-token_"),
    );
    expect(deliveries).toHaveLength(3);
    for (const [, delivery] of deliveries) {
      const uploads = (delivery.provisioner as { file?: { destination: string; content: string } }[]).flatMap((p) =>
        p.file ? [p.file] : [],
      );
      const token = uploads.find((file) => file.destination.endsWith("/snapshot.token"));
      expect(token?.content).toMatch(/acls_prod1-snapshot-token-secret/);
      const manifest = uploads.find((file) => file.destination.endsWith("/manifest.tsv"))?.content;
      expect(manifest).toBe("0600\troot\troot\tsnapshot.token\t/etc/consul-backup/snapshot.token\t-\t-\n");
    }
  });

  it("gives each datacenter a snapshot token whose policy is what Consul asks for snapshots, there alone", async () => {
    const policies = Object.values(resourcesOf(stackOf("prod1-acl"), "consul_acl_policy"));
    for (const dc of ["prod1", "prod2", "prod3"]) {
      const snapshot = policies.find((policy) => policy.name === `consul-snapshots-${dc}`);
      expect(snapshot?.datacenters).toEqual([dc]);
      await expect(parseHcl("policy.hcl", snapshot?.rules as string)).resolves.toEqual({
        acl: "write",
        service: { "consul-snapshot": [{ policy: "write" }] },
      });
    }
    const tokens = Object.values(resourcesOf(stackOf("prod1-acl"), "consul_acl_token"));
    const snapshotTokens = tokens.filter((token) => String(token.description).startsWith("Scheduled snapshots of"));
    expect(snapshotTokens.map((token) => token.policies)).toEqual(
      ["prod1", "prod2", "prod3"].map((dc) => [
        expect.stringMatching(new RegExp(`^\\$\\{consul_acl_policy\\.acls_${dc}-snapshot-policy_\\w+\\.name\\}$`)),
      ]),
    );
    const registration = tokens.filter((token) => String(token.description).startsWith("Registers the servers'"));
    expect(registration).toEqual([
      expect.objectContaining({ service_identities: [{ service_name: "consul-snapshot" }] }),
    ]);
  });
});

describe("backups at other settings", () => {
  it("loads no snapshot token while ACLs are off (the cluster stage)", () => {
    const cluster = variant((input) => (input.rollout = { stage: "cluster" }));
    const unit = cluster.files.get("nodes/prod2/prod2-server-1/consul-snapshot.service") as string;
    expect(unit).toContain("LoadCredential=object-store-login:/etc/consul-backup/object-store-login.json\n");
    expect(unit).not.toContain("snapshot-token");
    expect(files.get("nodes/prod2/prod2-server-1/consul-snapshot.service")).toContain(
      "LoadCredential=snapshot-token:/etc/consul-backup/snapshot.token\n",
    );
  });

  it("makes nothing for backups when they are off, and stops the timer of servers that had it", () => {
    const off = variant((input) => (input.backups = { enabled: false }));
    // The container and its snapshots are forgotten by Terraform, not destroyed; the credential goes.
    for (const dc of ["prod1", "prod2", "prod3"]) {
      const stack = JSON.parse(off.stacks.get(dc) as string);
      expect(stack.removed).toEqual([
        { from: "openstack_objectstorage_container_v1.snapshots_container", lifecycle: { destroy: false } },
      ]);
      expect(stack.terraform.required_version).toBe(">= 1.7");
    }
    for (const [, json] of off.stacks) {
      expect(Object.keys(resourcesOf(json, "openstack_objectstorage_container_v1"))).toEqual([]);
      expect(Object.keys(resourcesOf(json, "openstack_identity_application_credential_v3"))).toEqual([]);
      expect(json).not.toContain("snapshot-token");
      expect(json).not.toContain("service-registration-token");
    }
    expect([...off.files.keys()].filter((path) => path.includes("snapshot") || path.includes("backup"))).toEqual([]);
    const env = off.files.get("nodes/prod2/prod2-server-1/node.env") as string;
    expect(env).toContain(
      "\nNODE_UNITS=consul.service\nSTOP_UNITS=consul-snapshot.timer\nRETIRED_PATHS=/etc/consul-backup,/usr/local/sbin/consul-snapshot\n",
    );
    expect(JSON.parse(off.files.get("nodes/prod2/prod2-server-1/consul.json") as string).services).toBeUndefined();
  });

  it("delivers the encryption key to every server and names it in the settings", () => {
    const key = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZ0example\n-----END PGP PUBLIC KEY BLOCK-----\n";
    const encrypted = variant((input) => (input.backups = { encryptionKey: key }));
    expect(encrypted.files.get("nodes/prod2/prod2-server-3/encryption-key.asc")).toBe(key);
    expect(encrypted.files.get("nodes/prod2/prod2-server-3/manifest.tsv")).toContain(
      "0644\troot\troot\tencryption-key.asc\t/etc/consul-backup/encryption-key.asc\t-\t-\n",
    );
    expect(encrypted.files.get("nodes/prod2/prod2-server-3/backup.env")).toContain(
      "\nENCRYPT_TO=/etc/consul-backup/encryption-key.asc\n",
    );
    expect(files.get("nodes/prod2/prod2-server-3/backup.env")).not.toContain("ENCRYPT_TO");
  });

  it("sizes the freshness check from the schedule", () => {
    const sixHourly = variant((input) => (input.backups = { schedule: "00/6:00", retain: 5 }));
    const config = JSON.parse(sixHourly.files.get("nodes/prod3/prod3-server-2/consul.json") as string);
    expect(config.services[0].checks[0].ttl).toBe(`${6 * 3600 + 300}s`);
    expect(config.services[0].checks[0].name).toBe(`Newest snapshot of prod3 younger than ${2 * 6 * 3600 + 300}s`);
    const env = sixHourly.files.get("nodes/prod3/prod3-server-2/backup.env") as string;
    expect(env).toMatch(/\nRETAIN=5\nSTALE_AFTER_SECONDS=43500\n/);
    expect(sixHourly.files.get("nodes/prod3/prod3-server-2/consul-snapshot.timer")).toContain("OnCalendar=00/6:00\n");
  });
});

describe("the credential's owner guard, run by Terraform", () => {
  const haveTerraform = spawnSync("terraform", ["version"]).status === 0;
  const stack = JSON.parse(stackOf("prod2"));
  const [ownerId, owner] = Object.entries(stack.resource.terraform_data as Record<string, unknown>).find(([id]) =>
    id.includes("credential-owner"),
  ) as [string, Record<string, unknown>];
  const credential = Object.values(
    stack.resource.openstack_identity_application_credential_v3 as Record<string, { lifecycle: unknown }>,
  )[0];

  /**
   * The owner record and the credential's precondition as synthesized, with the deploying user as a variable
   * and the credential as a terraform_data (no provider can be downloaded here).
   */
  function configuration(): string {
    const asVariable = (text: string) =>
      text.replace(/data\.openstack_identity_auth_scope_v3\.[\w-]+\.user_(id|name)/g, "var.user");
    return asVariable(
      JSON.stringify({
        variable: { user: { type: "string" } },
        resource: {
          terraform_data: {
            [ownerId]: { input: owner.input, lifecycle: owner.lifecycle },
            credential: { input: "credential", lifecycle: credential.lifecycle },
          },
        },
      }),
    );
  }

  (haveTerraform ? it : it.skip)(
    "lets the first deployer plan again and stops anyone else with the owner's name",
    () => {
      const dir = mkdtempSync(join(tmpdir(), "owner-guard-"));
      writeFileSync(join(dir, "main.tf.json"), configuration());
      const terraform = (...args: string[]) =>
        spawnSync("terraform", [...args, "-no-color", "-input=false"], {
          cwd: dir,
          encoding: "utf8",
          env: { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" },
        });
      expect(terraform("init").status).toBe(0);
      expect(terraform("apply", "-auto-approve", "-var", "user=alice-id").status).toBe(0);
      expect(terraform("plan", "-var", "user=alice-id").status).toBe(0);
      const other = terraform("plan", "-var", "user=bob-id");
      expect(other.status).toBe(1);
      expect(other.stderr.replace(/\s+/g, " ")).toContain(
        "The application credential consul-snapshots-prod2 belongs to the OpenStack user alice-id, who made it; this plan runs as bob-id.",
      );
    },
    60_000,
  );
});
