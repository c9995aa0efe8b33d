import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rotatedAccessorId } from "../../domain/token-rotation";
import { exampleConfig } from "../support/fixtures";
import { synthesize } from "../support/synth";

const haveTerraform = spawnSync("terraform", ["version"]).status === 0;
const itWithTerraform = haveTerraform ? it : it.skip;

/**
 * The ACL stack's token slots as Terraform itself plans them, deploy after deploy. No Consul provider runs here,
 * so each synthesized `consul_acl_token` becomes a `terraform_data` that keeps its address, its lifecycle and,
 * as `triggers_replace`, its accessor ID (a ForceNew attribute of the provider), and each `removed` block follows
 * it. What is checked is Terraform's reading of exactly what the stack emits.
 */
function aclStackModel(tokens: number): string {
  const { stacks } = synthesize(exampleConfig((input) => (input.rotation = { tokens })));
  const stack = JSON.parse(stacks.get("prod1-acl") as string);
  const model: Record<string, object> = {};
  for (const [id, token] of Object.entries(
    stack.resource.consul_acl_token as Record<
      string,
      { description: string; accessor_id?: string; lifecycle?: object }
    >,
  )) {
    model[id] = {
      input: token.description,
      triggers_replace: [token.accessor_id ?? "random accessor ID of the first generation"],
      ...(token.lifecycle ? { lifecycle: token.lifecycle } : {}),
    };
  }
  const removed = (stack.removed as { from: string; lifecycle: object }[]).map((block) => ({
    ...block,
    from: block.from.replace(/^consul_acl_token\./, "terraform_data."),
  }));
  return JSON.stringify({
    terraform: { required_version: stack.terraform.required_version },
    resource: { terraform_data: model },
    removed,
  });
}

describe("the ACL stack's token slots, planned by Terraform", () => {
  const workdir = mkdtempSync(join(tmpdir(), "token-slots-"));
  const terraform = (...args: string[]) =>
    spawnSync("terraform", [...args, "-input=false", "-no-color"], {
      cwd: workdir,
      encoding: "utf8",
      env: { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" },
    });
  const deploy = (tokens: number) => {
    writeFileSync(join(workdir, "main.tf.json"), aclStackModel(tokens));
    return terraform("apply", "-auto-approve");
  };

  itWithTerraform(
    "makes each generation beside the previous one, forgets that one, and refuses a counter moved by two",
    () => {
      expect(terraform("init").status).toBe(0);
      const first = deploy(0);
      expect([first.status, first.stderr]).toEqual([0, expect.any(String)]);
      const created = Number(/Resources: (\d+) added, 0 changed, 0 destroyed/.exec(first.stdout)?.[1]);
      expect(created).toBeGreaterThan(20);

      // The operator's two tokens (Nomad's) rotate with their own counters only.
      const rotating = created - 2;
      for (const generation of [1, 2]) {
        const next = deploy(generation);
        expect([next.status, next.stderr]).toEqual([0, expect.any(String)]);
        // Every token anew; the previous generation is left to Consul (and the last stack), none destroyed.
        expect(next.stdout).toContain(`Resources: ${rotating} added, 0 changed, 0 destroyed`);
        expect(next.stdout.match(/# terraform_data\.\S+ will no longer be managed by Terraform/g)).toHaveLength(
          rotating,
        );
      }

      // Raised by two: a new generation would replace the live one before any node holds it.
      writeFileSync(join(workdir, "main.tf.json"), aclStackModel(4));
      const jump = terraform("plan");
      expect(jump.status).toBe(1);
      expect(jump.stderr).toContain("Instance cannot be destroyed");
    },
    60_000,
  );
});

describe("rotated accessor IDs", () => {
  itWithTerraform("are Terraform's uuidv5 of the URL namespace, as a reviewer can recompute them", () => {
    const result = spawnSync("terraform", ["console"], {
      input: 'uuidv5("url", "consul-federation:prod1/dns-token/3")\n',
      encoding: "utf8",
      env: { ...process.env, CHECKPOINT_DISABLE: "1" },
    });
    expect(result.stdout.trim()).toBe(JSON.stringify(rotatedAccessorId("prod1", "dns-token", 3)));
  });

  it("leave the first generation to Consul and differ per token and generation", () => {
    expect(rotatedAccessorId("prod1", "dns-token", 0)).toBeUndefined();
    const ids = ["dns-token", "autopilot-health-token"].flatMap((token) =>
      [1, 2].map((generation) => rotatedAccessorId("prod1", token, generation)),
    );
    expect(new Set(ids).size).toBe(4);
  });
});
