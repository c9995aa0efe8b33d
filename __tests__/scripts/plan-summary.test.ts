import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JsonChange, JsonPlan, JsonResourceChange } from "../../scripts/plan-json";
import {
  COMMENT_MARKER,
  MAX_COMMENT_LENGTH,
  redactSecrets,
  renderComment,
  resourceType,
  summarizeFailedPlan,
  summarizePlanJson,
} from "../../scripts/plan-summary-lib";

// Fixtures are written for these tests in the shape of `terraform show -json <planfile>` (format 1.2, Terraform
// 1.11); __tests__/scripts/plan-redaction.test.ts feeds the summary with real ones.

function resource(address: string, change: JsonChange, extra: Partial<JsonResourceChange> = {}): JsonResourceChange {
  const [type] = address.split(".");
  return { address, mode: "managed", type, change, ...extra };
}

function plan(resources: JsonResourceChange[], outputs: Record<string, JsonChange> = {}): JsonPlan {
  return { format_version: "1.2", resource_changes: resources, output_changes: outputs };
}

const SERVER = "openstack_compute_instance_v2.prod1-server-1_vm_instance_F9D8B538";
const GATEWAY = "openstack_compute_instance_v2.prod2-gateway-1_vm_instance_0A1B2C3D";
const VOLUME = "openstack_blockstorage_volume_v3.prod3-server-3_vm_data-volume_7D573019";
const SETTINGS = "terraform_data.prod1-server-2_settings_apply_9C8D7E6F";

const NO_CHANGES = plan([
  resource(SETTINGS, { actions: ["no-op"], before: { id: "x" }, after: { id: "x" }, after_unknown: {} }),
]);

const ADDS_ONLY = plan([
  resource("consul_acl_policy.acl_policy-dns-lookups_1A2B3C4D", {
    actions: ["create"],
    before: null,
    after: { name: "dns-lookups", rules: 'node_prefix "" {\n  policy = "read"\n}\n' },
    after_unknown: { id: true, datacenters: true },
    after_sensitive: {},
  }),
  resource("consul_acl_token.acl_token-prod4-replication_5E6F7A8B", {
    actions: ["create"],
    before: null,
    after: { description: "replication token of prod4", local: false, policies: ["acl-replication"] },
    after_unknown: { accessor_id: true, id: true, policies: [false] },
    after_sensitive: { policies: [] },
  }),
]);

const IN_PLACE = plan([
  resource(SETTINGS, {
    actions: ["update"],
    before: { id: "6a1f0e3c-5d2b-4c8a-9f7e-0b1c2d3e4f50", triggers_replace: { settings: "sha256:1111" } },
    after: { id: "6a1f0e3c-5d2b-4c8a-9f7e-0b1c2d3e4f50", triggers_replace: { settings: "sha256:2222" } },
    after_unknown: {},
    before_sensitive: {},
    after_sensitive: {},
  }),
]);

const SERVER_REPLACED = plan([
  resource(SERVER, {
    actions: ["delete", "create"],
    before: { name: "prod1-server-1", image_name: "ubuntu-22.04", access_ip_v4: "10.10.0.11" },
    after: { name: "prod1-server-1", image_name: "ubuntu-24.04" },
    after_unknown: { access_ip_v4: true, id: true },
    replace_paths: [["image_name"]],
  }),
]);

const GATEWAY_REPLACED_CBD = plan([
  resource(GATEWAY, {
    actions: ["create", "delete"],
    before: { name: "prod2-gateway-1", image_name: "ubuntu-22.04" },
    after: { name: "prod2-gateway-1", image_name: "ubuntu-24.04" },
    after_unknown: {},
  }),
]);

const VOLUME_DESTROYED = plan([
  resource(VOLUME, { actions: ["delete"], before: { name: "prod3-server-3-data", size: 10 }, after: null }),
]);

const PLAN_ERROR = `
\u001b[31m╷\u001b[0m
│ Error: Error creating OpenStack compute client: Authentication failed
│
│   with provider["registry.terraform.io/terraform-provider-openstack/openstack"],
│   on cdk.tf.json line 1030, in provider.openstack[0]:
╵
`;

const FAKE_PEM = [
  "-----BEGIN RSA PRIVATE KEY-----",
  "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu",
  "KUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQJAIJLixBy2qpFoS4DSmoEm",
  "-----END RSA PRIVATE KEY-----",
].join("\n");

describe("summarizePlanJson", () => {
  it("recognises a plan without changes", () => {
    const summary = summarizePlanJson("prod1", NO_CHANGES);
    expect(summary).toMatchObject({ stack: "prod1", add: 0, change: 0, destroy: 0, noChanges: true });
    expect(summary.error).toBeUndefined();
    expect(summary.replacements).toEqual([]);
    expect(summary.planText).toBe("No changes.");
  });

  it("counts additions and shows their known values, and unknown ones as such", () => {
    const summary = summarizePlanJson("prod1-acl", ADDS_ONLY);
    expect(summary).toMatchObject({ add: 2, change: 0, destroy: 0, noChanges: false, replacements: [] });
    expect(summary.planText).toContain("# consul_acl_policy.acl_policy-dns-lookups_1A2B3C4D will be created");
    expect(summary.planText).toContain('+ name = "dns-lookups"');
    expect(summary.planText).toContain("+ id = (known after apply)");
    expect(summary.planText).toContain('+ policies[0] = "acl-replication"');
  });

  it("counts an in-place change, which is no replacement, and shows only what changes", () => {
    const summary = summarizePlanJson("prod1", IN_PLACE);
    expect(summary).toMatchObject({ add: 0, change: 1, destroy: 0, replacements: [], destructions: [] });
    expect(summary.planText).toContain('~ triggers_replace.settings = "sha256:1111" -> "sha256:2222"');
    expect(summary.planText).not.toContain("6a1f0e3c");
  });

  it("lists a replaced server instance with its type, and what forces the replacement", () => {
    const summary = summarizePlanJson("prod1", SERVER_REPLACED);
    expect(summary).toMatchObject({ add: 1, change: 0, destroy: 1, noChanges: false });
    expect(summary.replacements).toEqual([{ address: SERVER, type: "openstack_compute_instance_v2" }]);
    expect(summary.planText).toContain(`# ${SERVER} must be replaced`);
    expect(summary.planText).toContain('~ image_name = "ubuntu-22.04" -> "ubuntu-24.04" # forces replacement');
    expect(summary.planText).toContain('~ access_ip_v4 = "10.10.0.11" -> (known after apply)\n');
  });

  it("treats create-before-destroy as a replacement too", () => {
    const summary = summarizePlanJson("prod2", GATEWAY_REPLACED_CBD);
    expect(summary.replacements.map((action) => action.address)).toEqual([GATEWAY]);
    expect(summary.planText).toContain("must be replaced (create before destroy)");
  });

  it("lists a destroyed data volume", () => {
    const summary = summarizePlanJson("prod3", VOLUME_DESTROYED);
    expect(summary.destroy).toBe(1);
    expect(summary.replacements).toEqual([]);
    expect(summary.destructions).toEqual([{ address: VOLUME, type: "openstack_blockstorage_volume_v3" }]);
  });

  it("names a deposed object, and leaves data sources out of the counts", () => {
    const summary = summarizePlanJson(
      "prod1",
      plan([
        resource(GATEWAY, { actions: ["delete"], before: {} }, { deposed: "1a2b3c4d" }),
        resource("openstack_images_image_v2.ubuntu", { actions: ["read"], after: {} }, { mode: "data" }),
      ]),
    );
    expect(summary).toMatchObject({ add: 0, change: 0, destroy: 1 });
    expect(summary.planText).toContain(`# ${GATEWAY} (deposed object 1a2b3c4d) will be destroyed`);
    expect(summary.planText).toContain("# openstack_images_image_v2.ubuntu will be read during apply");
  });

  it("accepts a plan that changes only output values, and hides sensitive ones", () => {
    const summary = summarizePlanJson(
      "prod1",
      plan([], {
        "server-addresses": { actions: ["update"], before: ["203.0.113.10"], after: ["203.0.113.11"] },
        "cross-stack-output-token": {
          actions: ["update"],
          before: "old-value",
          after: "new-value",
          before_sensitive: true,
          after_sensitive: true,
        },
      }),
    );
    expect(summary).toMatchObject({ outputsOnly: true, noChanges: false, add: 0 });
    expect(summary.planText).toContain('~ server-addresses = ["203.0.113.10"] -> ["203.0.113.11"]');
    expect(summary.planText).toContain("~ cross-stack-output-token = (sensitive) -> (sensitive)");
    expect(summary.planText).not.toMatch(/old-value|new-value/);
  });
});

describe("summarizeFailedPlan", () => {
  it("reports terraform's error, no counts, and no other line of the log", () => {
    const summary = summarizeFailedPlan("prod1", `  # ${SERVER} must be replaced\n${PLAN_ERROR}`, "1");
    expect(summary.error).toBe("Error creating OpenStack compute client: Authentication failed");
    expect(summary.planText).toBe("Error: Error creating OpenStack compute client: Authentication failed");
    expect(summary.noChanges).toBe(false);
  });

  it("reports a failure that printed no error by its exit status", () => {
    expect(summarizeFailedPlan("prod1", "Initializing the backend...\n", "2").error).toBe(
      "the plan exited with status 2 and printed no error",
    );
  });
});

describe("resourceType", () => {
  it.each([
    ["openstack_networking_port_v2.prod1-server-1_vm_port_2F007484", "openstack_networking_port_v2"],
    ['module.dc["prod 1"].openstack_compute_instance_v2.vm[0]', "openstack_compute_instance_v2"],
    ["module.a.module.b.data.openstack_images_image_v2.ubuntu", "openstack_images_image_v2"],
  ])("%s is a %s", (address, type) => {
    expect(resourceType(address)).toBe(type);
  });
});

describe("redactSecrets", () => {
  it("removes a PEM block, keeping its label", () => {
    const text = redactSecrets(`content = <<-EOT\n${FAKE_PEM}\nEOT`);
    expect(text).not.toContain("MIIBOgIBAAJBAKj34");
    expect(text).toContain("-----BEGIN RSA PRIVATE KEY----- (redacted)");
    expect(text).toContain("EOT");
  });

  it("removes a PEM block cut off before its end line", () => {
    const text = redactSecrets(FAKE_PEM.split("\n").slice(0, 2).join("\n"));
    expect(text).not.toContain("MIIBOgIBAAJBAKj34");
  });

  it("removes UUIDs after token and secret words, on both sides of an update arrow", () => {
    const text = redactSecrets(
      [
        '      ~ secret_id = "0f8e2a34-9b1c-4d6e-8f70-a1b2c3d4e5f6" -> "1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d"',
        '        token     = "cafebabe-0000-4000-8000-000000000001"',
        '        id        = "6a1f0e3c-5d2b-4c8a-9f7e-0b1c2d3e4f50"',
      ].join("\n"),
    );
    expect(text).not.toMatch(/0f8e2a34|1a2b3c4d|cafebabe/);
    // A resource id is no secret and helps the reviewer.
    expect(text).toContain("6a1f0e3c-5d2b-4c8a-9f7e-0b1c2d3e4f50");
  });

  it("applies to the plan that the comment shows, for a key that reaches it unmarked", () => {
    const unmarked = plan([
      resource("terraform_data.key", {
        actions: ["create"],
        before: null,
        after: { triggers_replace: { "key.pem": FAKE_PEM } },
        after_unknown: {},
      }),
    ]);
    expect(JSON.stringify(unmarked)).toContain("MIIBOgIBAAJBAKj34");
    expect(renderComment([summarizePlanJson("prod1", unmarked)])).not.toContain("MIIBOgIBAAJBAKj34");
  });
});

describe("renderComment", () => {
  const context = { sha: "0123456789abcdef0123", runUrl: "https://github.example/o/r/actions/runs/42" };

  it("starts with the marker and tabulates every stack", () => {
    const comment = renderComment(
      [
        summarizePlanJson("prod1", IN_PLACE),
        summarizePlanJson("prod1-acl", ADDS_ONLY),
        summarizePlanJson("prod2", NO_CHANGES),
      ],
      context,
    );
    expect(comment.split("\n")[0]).toBe(COMMENT_MARKER);
    expect(comment).toContain("| stack | add | change | destroy |");
    expect(comment).toContain("| `prod1` | 0 | 1 | 0 |");
    expect(comment).toContain("| `prod1-acl` | 2 | 0 | 0 |");
    expect(comment).toContain("| `prod2` | 0 | 0 | 0 |");
    expect(comment).toContain("`0123456789ab`");
    expect(comment).toContain(context.runUrl);
    expect(comment).not.toContain("[!CAUTION]");
    expect(comment).not.toContain("[!WARNING]");
  });

  it("raises a CAUTION alert naming a replaced server", () => {
    const comment = renderComment([summarizePlanJson("prod1", SERVER_REPLACED)], context);
    const alert = comment.slice(comment.indexOf("> [!CAUTION]"), comment.indexOf("| stack |"));
    expect(alert).toContain("> [!CAUTION]");
    expect(alert).toContain("openstack_compute_instance_v2.prod1-server-1_vm_instance_F9D8B538");
    expect(alert).toMatch(/Raft/);
  });

  it("raises a CAUTION alert for a destroyed server data volume", () => {
    const comment = renderComment([summarizePlanJson("prod3", VOLUME_DESTROYED)], context);
    expect(comment).toContain("> [!CAUTION]");
    expect(comment).toMatch(/prod3-server-3_vm_data-volume_7D573019` will be \*\*destroyed\*\*/);
  });

  it("raises a CAUTION alert when a secret of Terraform's management token would be destroyed (a lowered counter)", () => {
    const lowered = plan([
      resource("random_uuid.federation-secrets_terraform-token-2_4E5F6071", {
        actions: ["delete"],
        before: { id: "x", result: "x" },
        after: null,
      }),
    ]);
    const comment = renderComment([summarizePlanJson("prod1", lowered)], context);
    const alert = comment.slice(comment.indexOf("> [!CAUTION]"), comment.indexOf("| stack |"));
    expect(alert).toContain("rotation.terraformToken");
    expect(alert).toContain("random_uuid.federation-secrets_terraform-token-2_4E5F6071");
    expect(comment).not.toContain("[!WARNING]");
    // Another random_uuid going is only the softer warning.
    const other = plan([
      resource("random_uuid.federation-secrets_initial-management-token_5148555F", {
        actions: ["delete"],
        before: { id: "x" },
        after: null,
      }),
    ]);
    expect(renderComment([summarizePlanJson("prod1", other)], context)).not.toContain("[!CAUTION]");
  });

  it("gives a replaced gateway only the softer warning", () => {
    const comment = renderComment([summarizePlanJson("prod2", GATEWAY_REPLACED_CBD)], context);
    expect(comment).not.toContain("[!CAUTION]");
    const warning = comment.slice(comment.indexOf("> [!WARNING]"));
    expect(warning).toContain("openstack_compute_instance_v2.prod2-gateway-1_vm_instance_0A1B2C3D");
  });

  it("marks a failed plan in the table and names its error", () => {
    const comment = renderComment([summarizeFailedPlan("prod1-acl", PLAN_ERROR, "1")], context);
    expect(comment).toContain("| `prod1-acl` ⚠️ failed | – | – | – |");
    expect(comment).toContain("Authentication failed");
  });

  it("shows each plan in a collapsed section", () => {
    const comment = renderComment([summarizePlanJson("prod1", IN_PLACE)], context);
    expect(comment).toMatch(/<details><summary><b>prod1<\/b>: 0 to add, 1 to change, 0 to destroy<\/summary>/);
    expect(comment).toContain('~ triggers_replace.settings = "sha256:1111" -> "sha256:2222"');
  });

  it("cannot be broken out of its code block by backticks in a plan", () => {
    const fenced = plan([resource(SETTINGS, { actions: ["create"], after: { input: "````" }, after_unknown: {} })]);
    const comment = renderComment([summarizePlanJson("prod1", fenced)]);
    expect(comment).toContain("`````text");
  });

  it("stays under the limit by truncating plan bodies, and says so", () => {
    const huge = plan(
      Array.from({ length: 4000 }, (_, index) =>
        resource(`openstack_networking_port_v2.port_${index}`, {
          actions: ["create"],
          after: { tags: { n: `${index}` }, description: "a long enough value to fill a plan body quickly" },
          after_unknown: {},
        }),
      ),
    );
    const summaries = ["prod1", "prod2", "prod3"].map((stack) => summarizePlanJson(stack, huge));
    summaries.push(summarizePlanJson("prod1-acl", ADDS_ONLY));
    const comment = renderComment(summaries, context);
    expect(summaries[0].planText.length * 3).toBeGreaterThan(MAX_COMMENT_LENGTH);
    expect(comment.length).toBeLessThanOrEqual(MAX_COMMENT_LENGTH);
    expect(comment.match(/Truncated: the last \d+ lines/g)).toHaveLength(3);
    // The short plan is shown whole, and the table still has the real counts.
    expect(comment).toContain("acl_token-prod4-replication_5E6F7A8B");
    expect(comment).toContain("| `prod2` | 4000 | 0 | 0 |");
    // The long plans share the room: none is cut to nothing.
    expect(comment.match(/# openstack_networking_port_v2\.port_100 will be created/g)).toHaveLength(3);
  });

  it("stays under the limit even when the list of replacements alone would not fit", () => {
    const ports = plan(
      Array.from({ length: 3000 }, (_, index) =>
        resource(`openstack_networking_port_v2.prod1-server-${index}_vm_port_${"A".repeat(40)}`, {
          actions: ["delete", "create"],
          before: {},
          after: {},
          after_unknown: {},
        }),
      ),
    );
    const comment = renderComment([summarizePlanJson("prod1", ports)]);
    expect(comment.length).toBeLessThanOrEqual(MAX_COMMENT_LENGTH);
    expect(comment).toContain("> [!CAUTION]");
    expect(comment).toContain("… and 2900 more");
  });
});

describe("scripts/plan-summary.ts", () => {
  it("reads <stack>.plan.json files, and the logs of failed plans, and prints the comment", () => {
    const directory = mkdtempSync(join(tmpdir(), "plan-summary-"));
    try {
      writeFileSync(join(directory, "prod1.plan.json"), JSON.stringify(SERVER_REPLACED));
      writeFileSync(join(directory, "prod1-acl.plan.json"), JSON.stringify(ADDS_ONLY));
      // cdktf diff failed after printing plan text: only its error lines reach the comment.
      writeFileSync(join(directory, "prod2.log"), `  # ${GATEWAY} must be replaced\n${PLAN_ERROR}`);
      writeFileSync(join(directory, "prod2.exitcode"), "1\n");
      writeFileSync(join(directory, "prod3.plan.json"), '{"format_version": "1.2", "truncated');
      writeFileSync(join(directory, "notes.txt"), "not a plan");
      const result = spawnSync(process.execPath, ["--import", "tsx", "scripts/plan-summary.ts", directory], {
        cwd: join(__dirname, "..", ".."),
        encoding: "utf8",
        env: { ...process.env, GITHUB_SHA: "feedface", PLAN_HEAD_SHA: "" },
      });
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
      const rows = result.stdout.split("\n").filter((line) => line.startsWith("| `"));
      expect(rows).toEqual([
        "| `prod1` | 1 | 0 | 1 |",
        "| `prod1-acl` | 2 | 0 | 0 |",
        "| `prod2` ⚠️ failed | – | – | – |",
        "| `prod3` ⚠️ failed | – | – | – |",
      ]);
      expect(result.stdout).toContain("Authentication failed");
      expect(result.stdout).not.toContain(GATEWAY);
      expect(result.stdout).toContain("its JSON plan cannot be parsed");
      expect(result.stdout).not.toContain("truncated");
      expect(result.stdout).toContain("`feedface`");
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
