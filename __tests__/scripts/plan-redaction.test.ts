import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parsePlanJson } from "../../scripts/plan-json";
import { renderComment, summarizePlanJson } from "../../scripts/plan-summary-lib";
import { exampleStacks } from "../support/example";

/**
 * A real plan, by Terraform itself, that rotates a token and the gossip key the way the stacks carry them: read
 * from another stack and wrapped in `sensitive()` (terraform_remote_state drops the mark, hashicorp/terraform#29544),
 * then rendered into an agent configuration (`jsonencode`) and an environment file, and passed on as a sensitive
 * output the way cdktf passes values between stacks. `terraform_data` needs no provider, so this runs offline.
 * `terraform show -json` of the saved plan goes through the pull-request summary; no secret may come out.
 */
const haveTerraform = spawnSync("terraform", ["version"]).status === 0;

const OLD = { token: "3f1c2a8e-6b1d-4c55-9a0e-1f2b3c4d5e6f", gossip: "b2xkLWdvc3NpcC1rZXktMzItYnl0ZXMtbG9uZyE=" };
const NEW = { token: "9d8e7f6a-5b4c-4d3e-8f2a-1b0c9d8e7f6a", gossip: "bmV3LWdvc3NpcC1rZXktMzItYnl0ZXMtbG9uZyE=" };

function configuration(values: typeof OLD, markSensitive: boolean): string {
  const read = (value: string) => (markSensitive ? `\${sensitive("${value}")}` : value);
  return JSON.stringify({
    locals: { token: read(values.token), gossip: read(values.gossip) },
    resource: {
      terraform_data: {
        // As the settings delivery carries node files: their contents in triggers_replace.
        settings: {
          triggers_replace: {
            "consul.json": "${jsonencode({ encrypt = local.gossip, acl = { tokens = { agent = local.token } } })}",
            "mesh-gateway.env": "CONSUL_HTTP_TOKEN=${local.token}\n",
          },
        },
      },
    },
    output: { "cross-stack-output-token": { value: "${local.token}", sensitive: true } },
  });
}

/** `terraform show -json` of a saved plan that rotates both secrets: it holds them in clear, old and new. */
function planJson(markSensitive: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), "plan-redaction-"));
  const terraform = (...args: string[]) => {
    const result = spawnSync("terraform", args, {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" },
    });
    expect({ args, failure: result.status === 0 ? undefined : result.stdout + result.stderr }).toEqual({ args });
    return result.stdout;
  };
  writeFileSync(join(dir, "main.tf.json"), configuration(OLD, markSensitive));
  terraform("init", "-input=false", "-no-color");
  terraform("apply", "-auto-approve", "-input=false", "-no-color");
  writeFileSync(join(dir, "main.tf.json"), configuration(NEW, markSensitive));
  terraform("plan", "-input=false", "-no-color", "-out=plan");
  return terraform("show", "-json", "plan");
}

const secrets = [OLD.token, OLD.gossip, NEW.token, NEW.gossip];

describe("a plan that rotates a token and the gossip key", () => {
  (haveTerraform ? it : it.skip)("shows neither the old nor the new secrets in the pull-request comment", () => {
    const json = planJson(true);
    const summary = summarizePlanJson("prod2", parsePlanJson(json));
    const comment = renderComment([summary]);
    // The JSON plan has every secret in clear: only the sensitivity marks keep them out of the comment.
    expect(secrets.filter((secret) => !json.includes(secret))).toEqual([]);
    expect(summary.replacements.map((action) => action.address)).toEqual(["terraform_data.settings"]);
    expect(comment).toContain('triggers_replace["consul.json"] = (sensitive) -> (sensitive)');
    expect(comment).toContain("cross-stack-output-token = (sensitive) -> (sensitive)");
    expect(secrets.filter((secret) => comment.includes(secret))).toEqual([]);
  });

  // Why the mark matters: without it the summary's own redaction (UUIDs on lines that name a token) misses the
  // gossip key inside the encoded configuration. This keeps the test above honest.
  (haveTerraform ? it : it.skip)("would leak the gossip key without the sensitive mark", () => {
    const comment = renderComment([summarizePlanJson("prod2", parsePlanJson(planJson(false)))]);
    expect(comment).toContain(NEW.gossip);
  });
});

describe("secrets in terraform_data", () => {
  // terraform_data shows the previous `input` in clear as its `output` (known after apply), sensitive or not
  // (found with Terraform 1.11): a secret may ride only in triggers_replace, never in input.
  it("never ride in an input in the example's stacks", () => {
    const risky = /terraform_remote_state|sensitive\(|tls_private_key|random_(id|uuid|password)|management/;
    const inputs = [...exampleStacks()].flatMap(([stack, json]) =>
      Object.entries((JSON.parse(json).resource?.terraform_data ?? {}) as Record<string, { input?: unknown }>)
        .filter(([, resource]) => risky.test(JSON.stringify(resource.input ?? "")))
        .map(([name]) => `${stack}: ${name}`),
    );
    expect(inputs).toEqual([]);
  });
});
