import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { COMPLETED_ROTATIONS_OUTPUT } from "../../stacks/rotation-gate";
import { exampleStacks } from "../support/example";
import { exampleConfig } from "../support/fixtures";
import { synthesize } from "../support/synth";

const haveTerraform = spawnSync("terraform", ["version"]).status === 0;
const itWithTerraform = haveTerraform ? it : it.skip;

/** The primary stack's gate and the reading it judges, as emitted, run by Terraform against a last stack's state. */
function planGate(generation: number, completed: number | undefined) {
  const { stacks } = synthesize(exampleConfig((input) => (input.rotation = { ca: generation })));
  const prod1 = JSON.parse(stacks.get("prod1") as string);
  const gates = Object.fromEntries(
    Object.entries(prod1.resource.terraform_data as Record<string, object>).filter(([id]) =>
      id.startsWith("ca-rotation-gate"),
    ),
  );
  const project = mkdtempSync(join(tmpdir(), "rotation-gate-"));
  // The stack's working directory lies three levels below the project, where the state files are.
  const workdir = join(project, "cdktf.out", "stacks", "prod1");
  mkdirSync(workdir, { recursive: true });
  const outputs =
    completed === undefined
      ? {}
      : { [COMPLETED_ROTATIONS_OUTPUT]: { value: { ca: completed }, type: ["object", { ca: "number" }] } };
  writeFileSync(
    join(project, "terraform.prod1-keyring.tfstate"),
    JSON.stringify({ version: 4, terraform_version: "1.11.4", serial: 1, lineage: "test", outputs, resources: [] }),
  );
  writeFileSync(
    join(workdir, "main.tf.json"),
    JSON.stringify({
      data: { terraform_remote_state: prod1.data.terraform_remote_state },
      resource: { terraform_data: gates },
    }),
  );
  const terraform = (...args: string[]) =>
    spawnSync("terraform", [...args, "-input=false", "-no-color"], {
      cwd: workdir,
      encoding: "utf8",
      env: { ...process.env, CHECKPOINT_DISABLE: "1" },
    });
  expect(terraform("init").status).toBe(0);
  return terraform("plan");
}

describe("the CA rotation gate", () => {
  it("is absent while the CA is the first one, and the last stack records the rotations it has seen through", () => {
    const example = exampleStacks();
    expect(JSON.stringify(JSON.parse(example.get("prod1") as string).resource.terraform_data)).not.toContain(
      "ca-rotation-gate",
    );
    const record = JSON.parse(example.get("prod1-keyring") as string).output[COMPLETED_ROTATIONS_OUTPUT];
    // Written once the stack's own steps have run, as bare addresses (Terraform refuses "${...}" there).
    expect(record.depends_on).toEqual([expect.stringMatching(/^terraform_data\.gossip-key-rotation_delivery_\w+$/)]);
    expect(JSON.parse(example.get("prod1-keyring") as string).output[COMPLETED_ROTATIONS_OUTPUT].value).toEqual({
      ca: 0,
    });
  });

  itWithTerraform(
    "lets a rotation by one through, after a completed one or on a federation without a record",
    () => {
      expect(planGate(1, 0).status).toBe(0);
      expect(planGate(2, 1).status).toBe(0);
      expect(planGate(1, undefined).status).toBe(0);
    },
    60_000,
  );

  itWithTerraform(
    "refuses a rotation while the one before has not reached every node, before anything changes",
    () => {
      const refused = planGate(2, 0);
      expect(refused.status).toBe(1);
      expect(refused.stderr.replace(/[\s│]+/g, " ")).toContain(
        "rotation.ca: 2 is more than one above the last CA rotation every node has been through (0)",
      );
      expect(planGate(2, undefined).status).toBe(1);
    },
    60_000,
  );
});
