import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  COMMENT_MARKER,
  MAX_COMMENT_LENGTH,
  redactSecrets,
  renderComment,
  resourceType,
  summarizePlan,
} from "../../scripts/plan-summary-lib";

// Fixtures are written for these tests in the shape of `terraform show` / `cdktf diff` output.

const NO_CHANGES = `
No changes. Your infrastructure matches the configuration.

Terraform has compared your real infrastructure against your configuration and found no differences,
so no changes are needed.
`;

const ADDS_ONLY = `
Terraform used the selected providers to generate the following execution plan. Resource actions are
indicated with the following symbols:
  + create

Terraform will perform the following actions:

  # consul_acl_policy.acl_policy-dns-lookups_1A2B3C4D will be created
  + resource "consul_acl_policy" "acl_policy-dns-lookups_1A2B3C4D" {
      + datacenters = (known after apply)
      + id          = (known after apply)
      + name        = "dns-lookups"
      + rules       = <<-EOT
            node_prefix "" { policy = "read" }
        EOT
    }

  # consul_acl_token.acl_token-prod4-replication_5E6F7A8B will be created
  + resource "consul_acl_token" "acl_token-prod4-replication_5E6F7A8B" {
      + accessor_id = (known after apply)
      + description = "replication token of prod4"
      + id          = (known after apply)
      + local       = false
      + policies    = [
          + "acl-replication",
        ]
    }

Plan: 2 to add, 0 to change, 0 to destroy.
`;

const IN_PLACE = `
Terraform will perform the following actions:

  # terraform_data.prod1-server-2_settings_apply_9C8D7E6F will be updated in-place
  ~ resource "terraform_data" "prod1-server-2_settings_apply_9C8D7E6F" {
        id               = "6a1f0e3c-5d2b-4c8a-9f7e-0b1c2d3e4f50"
      ~ triggers_replace = {
          ~ "settings" = "sha256:1111" -> "sha256:2222"
        }
    }

Plan: 0 to add, 1 to change, 0 to destroy.
`;

const SERVER_REPLACED = `
Terraform used the selected providers to generate the following execution plan. Resource actions are
indicated with the following symbols:
-/+ destroy and then create replacement

Terraform will perform the following actions:

  # openstack_compute_instance_v2.prod1-server-1_vm_instance_F9D8B538 must be replaced
-/+ resource "openstack_compute_instance_v2" "prod1-server-1_vm_instance_F9D8B538" {
      ~ access_ip_v4        = "10.10.0.11" -> (known after apply)
      ~ flavor_name         = "m1.medium" -> "m1.large"
      ~ image_name          = "ubuntu-22.04" -> "ubuntu-24.04" # forces replacement
        name                = "prod1-server-1"
        # (9 unchanged attributes hidden)
    }

Plan: 1 to add, 0 to change, 1 to destroy.
`;

const GATEWAY_REPLACED_CBD = `
Terraform will perform the following actions:

  # openstack_compute_instance_v2.prod2-gateway-1_vm_instance_0A1B2C3D must be replaced
+/- resource "openstack_compute_instance_v2" "prod2-gateway-1_vm_instance_0A1B2C3D" {
      ~ image_name = "ubuntu-22.04" -> "ubuntu-24.04" # forces replacement
        name       = "prod2-gateway-1"
    }

Plan: 1 to add, 0 to change, 1 to destroy.
`;

const VOLUME_DESTROYED = `
Terraform will perform the following actions:

  # openstack_blockstorage_volume_v3.prod3-server-3_vm_data-volume_7D573019 will be destroyed
  # (because openstack_blockstorage_volume_v3.prod3-server-3_vm_data-volume_7D573019 is not in configuration)
  - resource "openstack_blockstorage_volume_v3" "prod3-server-3_vm_data-volume_7D573019" {
      - name = "prod3-server-3-data" -> null
      - size = 10 -> null
    }

Plan: 0 to add, 0 to change, 1 to destroy.
`;

const PLAN_ERROR = `
╷
│ Error: Error creating OpenStack compute client: Authentication failed
│
│   with provider["registry.terraform.io/terraform-provider-openstack/openstack"],
│   on cdk.tf.json line 1030, in provider.openstack[0]:
╵
`;

/** What `cdktf diff` prints on a CI runner: a coloured stack name, two spaces, then terraform's line. */
function asCdktfStream(stack: string, text: string): string {
  return text
    .split("\n")
    .map(
      (line) =>
        `\u001b[1m\u001b[33m${stack}\u001b[39m\u001b[22m  ${line.replace(/forces replacement/, "\u001b[31mforces replacement\u001b[0m")}`,
    )
    .join("\n");
}

const FAKE_PEM = [
  "-----BEGIN RSA PRIVATE KEY-----",
  "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu",
  "KUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQJAIJLixBy2qpFoS4DSmoEm",
  "-----END RSA PRIVATE KEY-----",
].join("\n");

describe("summarizePlan", () => {
  it("recognises a plan without changes", () => {
    const summary = summarizePlan("prod1", NO_CHANGES);
    expect(summary).toMatchObject({ stack: "prod1", add: 0, change: 0, destroy: 0, noChanges: true });
    expect(summary.error).toBeUndefined();
    expect(summary.replacements).toEqual([]);
  });

  it("counts additions", () => {
    const summary = summarizePlan("prod1-acl", ADDS_ONLY);
    expect(summary).toMatchObject({ add: 2, change: 0, destroy: 0, noChanges: false, replacements: [] });
    expect(summary.error).toBeUndefined();
  });

  it("counts an in-place change, which is no replacement", () => {
    const summary = summarizePlan("prod1", IN_PLACE);
    expect(summary).toMatchObject({ add: 0, change: 1, destroy: 0, replacements: [], destructions: [] });
  });

  it("lists a replaced server instance with its type", () => {
    const summary = summarizePlan("prod1", SERVER_REPLACED);
    expect(summary).toMatchObject({ add: 1, change: 0, destroy: 1, noChanges: false });
    expect(summary.replacements).toEqual([
      {
        address: "openstack_compute_instance_v2.prod1-server-1_vm_instance_F9D8B538",
        type: "openstack_compute_instance_v2",
      },
    ]);
  });

  it("treats create-before-destroy (+/-) as a replacement too", () => {
    const summary = summarizePlan("prod2", GATEWAY_REPLACED_CBD);
    expect(summary.replacements.map((action) => action.address)).toEqual([
      "openstack_compute_instance_v2.prod2-gateway-1_vm_instance_0A1B2C3D",
    ]);
  });

  it("lists a destroyed data volume", () => {
    const summary = summarizePlan("prod3", VOLUME_DESTROYED);
    expect(summary.destroy).toBe(1);
    expect(summary.replacements).toEqual([]);
    expect(summary.destructions).toEqual([
      {
        address: "openstack_blockstorage_volume_v3.prod3-server-3_vm_data-volume_7D573019",
        type: "openstack_blockstorage_volume_v3",
      },
    ]);
  });

  it("reads cdktf's coloured, stack-prefixed stream like terraform's own output", () => {
    const streamed = summarizePlan("prod1", asCdktfStream("prod1", SERVER_REPLACED));
    const plain = summarizePlan("prod1", SERVER_REPLACED);
    expect(streamed.planText).not.toContain("\u001b");
    expect(streamed.planText).not.toMatch(/^prod1 {2}/m);
    expect(streamed).toEqual(plain);
  });

  it("keeps a stack prefix that only starts like the stack name", () => {
    const summary = summarizePlan("prod1", asCdktfStream("prod1-acl", ADDS_ONLY));
    expect(summary.planText.split("\n")[0]).toMatch(/^prod1-acl {2}/);
  });

  it("reports terraform's error, and no counts", () => {
    const summary = summarizePlan("prod1", asCdktfStream("prod1", PLAN_ERROR));
    expect(summary.error).toBe("Error creating OpenStack compute client: Authentication failed");
    expect(summary.noChanges).toBe(false);
  });

  it("reports output without any plan summary as an error", () => {
    expect(summarizePlan("prod1", "Initializing the backend...\n").error).toMatch(/no plan summary/);
  });

  it("counts imports apart from additions", () => {
    const summary = summarizePlan("prod1", "Plan: 1 to import, 2 to add, 0 to change, 3 to destroy.\n");
    expect(summary).toMatchObject({ add: 2, change: 0, destroy: 3 });
  });

  it("accepts a plan that changes only output values", () => {
    const text = [
      "Changes to Outputs:",
      '  ~ server-addresses = ["203.0.113.10"] -> ["203.0.113.11"]',
      "",
      "You can apply this plan to save these new output values to the Terraform state, without changing any",
      "real infrastructure.",
    ].join("\n");
    const summary = summarizePlan("prod1", text);
    expect(summary).toMatchObject({ outputsOnly: true, noChanges: false, add: 0 });
    expect(summary.error).toBeUndefined();
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

  it("applies to the plan text that the comment shows", () => {
    const summary = summarizePlan("prod1", asCdktfStream("prod1", `${IN_PLACE}\n${FAKE_PEM}\n`));
    expect(renderComment([summary])).not.toContain("MIIBOgIBAAJBAKj34");
  });
});

describe("renderComment", () => {
  const context = { sha: "0123456789abcdef0123", runUrl: "https://github.example/o/r/actions/runs/42" };

  it("starts with the marker and tabulates every stack", () => {
    const comment = renderComment(
      [summarizePlan("prod1", IN_PLACE), summarizePlan("prod1-acl", ADDS_ONLY), summarizePlan("prod2", NO_CHANGES)],
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
    const comment = renderComment([summarizePlan("prod1", SERVER_REPLACED)], context);
    const alert = comment.slice(comment.indexOf("> [!CAUTION]"), comment.indexOf("| stack |"));
    expect(alert).toContain("> [!CAUTION]");
    expect(alert).toContain("openstack_compute_instance_v2.prod1-server-1_vm_instance_F9D8B538");
    expect(alert).toMatch(/Raft/);
  });

  it("raises a CAUTION alert for a destroyed server data volume", () => {
    const comment = renderComment([summarizePlan("prod3", VOLUME_DESTROYED)], context);
    expect(comment).toContain("> [!CAUTION]");
    expect(comment).toMatch(/prod3-server-3_vm_data-volume_7D573019` will be \*\*destroyed\*\*/);
  });

  it("gives a replaced gateway only the softer warning", () => {
    const comment = renderComment([summarizePlan("prod2", GATEWAY_REPLACED_CBD)], context);
    expect(comment).not.toContain("[!CAUTION]");
    const warning = comment.slice(comment.indexOf("> [!WARNING]"));
    expect(warning).toContain("openstack_compute_instance_v2.prod2-gateway-1_vm_instance_0A1B2C3D");
  });

  it("marks a failed plan in the table and names its error", () => {
    const comment = renderComment([summarizePlan("prod1-acl", PLAN_ERROR)], context);
    expect(comment).toContain("| `prod1-acl` ⚠️ failed | – | – | – |");
    expect(comment).toContain("Authentication failed");
  });

  it("shows each plan in a collapsed section", () => {
    const comment = renderComment([summarizePlan("prod1", IN_PLACE)], context);
    expect(comment).toMatch(/<details><summary><b>prod1<\/b>: 0 to add, 1 to change, 0 to destroy<\/summary>/);
    expect(comment).toContain('~ "settings" = "sha256:1111" -> "sha256:2222"');
  });

  it("cannot be broken out of its code block by backticks in a plan", () => {
    const comment = renderComment([summarizePlan("prod1", `${IN_PLACE}\n\`\`\`\`\n`)]);
    expect(comment).toContain("`````text");
  });

  it("stays under the limit by truncating plan bodies, and says so", () => {
    const body = Array.from(
      { length: 4000 },
      (_, index) => `      + tags = { "n" = "${index}" } # a long enough line to fill a plan body quickly`,
    ).join("\n");
    const huge = `Terraform will perform the following actions:\n${body}\n\nPlan: 4000 to add, 0 to change, 0 to destroy.\n`;
    const summaries = ["prod1", "prod2", "prod3"].map((stack) => summarizePlan(stack, huge));
    summaries.push(summarizePlan("prod1-acl", ADDS_ONLY));
    const comment = renderComment(summaries, context);
    expect(huge.length * 3).toBeGreaterThan(MAX_COMMENT_LENGTH);
    expect(comment.length).toBeLessThanOrEqual(MAX_COMMENT_LENGTH);
    expect(comment.match(/Truncated: the last \d+ lines/g)).toHaveLength(3);
    // The short plan is shown whole, and the table still has the real counts.
    expect(comment).toContain("acl_token-prod4-replication_5E6F7A8B");
    expect(comment).toContain("| `prod2` | 4000 | 0 | 0 |");
    // The long plans share the room: none is cut to nothing.
    expect(comment.match(/\+ tags = \{ "n" = "100" \}/g)).toHaveLength(3);
  });

  it("stays under the limit even when the list of replacements alone would not fit", () => {
    const headers = Array.from(
      { length: 3000 },
      (_, index) => `  # openstack_networking_port_v2.prod1-server-${index}_vm_port_${"A".repeat(40)} must be replaced`,
    ).join("\n");
    const comment = renderComment([
      summarizePlan("prod1", `${headers}\nPlan: 3000 to add, 0 to change, 3000 to destroy.`),
    ]);
    expect(comment.length).toBeLessThanOrEqual(MAX_COMMENT_LENGTH);
    expect(comment).toContain("> [!CAUTION]");
    expect(comment).toContain("… and 2900 more");
  });
});

describe("scripts/plan-summary.ts", () => {
  it("reads <stack>.plan.txt files and prints the comment", () => {
    const directory = mkdtempSync(join(tmpdir(), "plan-summary-"));
    try {
      writeFileSync(join(directory, "prod1.plan.txt"), SERVER_REPLACED);
      writeFileSync(join(directory, "prod1-acl.plan.txt"), ADDS_ONLY);
      // cdktf diff failed after printing something that looks like a plan: the exit code still counts.
      writeFileSync(join(directory, "prod2.plan.txt"), NO_CHANGES);
      writeFileSync(join(directory, "prod2.exitcode"), "1\n");
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
      ]);
      expect(result.stdout).toContain("cdktf diff exited with status 1");
      expect(result.stdout).toContain("`feedface`");
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
