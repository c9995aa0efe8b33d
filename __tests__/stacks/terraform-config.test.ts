import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROLLOUT_STAGES } from "../../domain/stages";
import { synthesizeFederation } from "../../stacks/synthesize";
import { exampleConfig } from "../support/fixtures";

/**
 * Terraform itself loads every synthesized stack: `terraform init` checks the whole configuration before
 * it installs providers (which this machine cannot download), so a stack that gets as far as the provider
 * installation is one Terraform accepts. It caught cdktf writing `replace_triggered_by` as "${...}",
 * which Terraform's JSON syntax refuses.
 */
const haveTerraform = spawnSync("terraform", ["version"]).status === 0;

describe("every synthesized stack", () => {
  // The first and the last stage: every kind of resource, data source and provider the stacks ever hold; and
  // backups off, whose stacks hold a `removed` block instead of the snapshot store.
  const variants: [string, boolean][] = [
    [ROLLOUT_STAGES[0], true],
    [ROLLOUT_STAGES[ROLLOUT_STAGES.length - 1], true],
    [ROLLOUT_STAGES[ROLLOUT_STAGES.length - 1], false],
  ];
  (haveTerraform ? it.each(variants) : it.skip.each(variants))(
    "is a configuration Terraform loads (stage %s, backups %s)",
    (stage, backups) => {
      const outdir = join(mkdtempSync(join(tmpdir(), "tf-config-")), "out");
      synthesizeFederation(
        exampleConfig((c) => {
          c.rollout = { stage: stage as (typeof ROLLOUT_STAGES)[number] };
          c.backups = { enabled: backups };
        }),
        outdir,
      );
      for (const stack of readdirSync(join(outdir, "stacks"))) {
        const result = spawnSync("terraform", ["init", "-backend=false", "-input=false", "-no-color"], {
          cwd: join(outdir, "stacks", stack),
          encoding: "utf8",
          env: { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" },
        });
        const output = `${result.stdout}${result.stderr}`;
        expect({ stack, loaded: output.includes("Initializing provider plugins") }).toEqual({ stack, loaded: true });
        expect({
          stack,
          errors: output.match(/Error: (?!Failed to query available provider packages).*/g) ?? [],
        }).toEqual({ stack, errors: [] });
      }
    },
    30_000,
  );
});
