/**
 * The deploy applies what its reviewers approved, stack by stack, or stops.
 *
 * - `tsx scripts/reviewed-plans.ts stacks <cdktf.out>`: prints `<stack> <working directory>` lines in dependency
 *   order, and refuses stacks with local state (a runner forgets it).
 * - `tsx scripts/reviewed-plans.ts record <plans dir>`: prints, as one line of JSON, the reviewed changes of every
 *   `<stack>.plan.json` (addresses, actions and digests; no value): what the approval covers.
 * - `tsx scripts/reviewed-plans.ts apply <stacks file>` with `REVIEWED_PLANS` (the output of `record`): for each
 *   stack in order, `terraform plan -out`, compares that saved plan's changes with the reviewed ones, and applies
 *   exactly that saved plan (`terraform apply <planfile>`) if they are the same; otherwise it stops.
 *
 * Why a new plan per stack, compared, rather than the reviewed plan files themselves: a later stack's plan was made
 * with the outputs of earlier stacks (terraform_remote_state) as they were before those applied, and a plan file
 * keeps the values it read, so applying it would write the old values; and a plan file holds every sensitive value
 * in clear, which an artifact would hand to anyone who may read the repository's workflow runs. A plan saved and
 * applied at once is still guarded by Terraform: it refuses a saved plan once the stack's state has changed since
 * ("Saved plan is stale", hashicorp/terraform internal/backend/local/backend_local.go), and applies it without
 * planning again (developer.hashicorp.com/terraform/cli/commands/apply, "Saved Plan Mode").
 */
import { spawnSync, SpawnSyncOptions } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parsePlanJson, planDifferences, ReviewedChange, reviewedChanges } from "./plan-json";

export type ReviewedPlans = Record<string, ReviewedChange[]>;

interface ManifestStack {
  readonly workingDirectory: string;
  readonly synthesizedStackPath: string;
  readonly dependencies?: readonly string[];
}

/** Stacks in manifest order, each after the stacks it depends on. */
export function stacksInOrder(outdir: string): { stack: string; workdir: string }[] {
  const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")) as {
    stacks: Record<string, ManifestStack>;
  };
  const stacks = manifest.stacks;
  const local = Object.keys(stacks).filter((name) => {
    const config = JSON.parse(readFileSync(join(outdir, stacks[name].synthesizedStackPath), "utf8")) as {
      terraform?: { backend?: { local?: unknown } };
    };
    return config.terraform?.backend?.local !== undefined;
  });
  if (local.length > 0) {
    throw new Error(`these stacks keep their state in a local file, which CI cannot keep: ${local.join(", ")}`);
  }
  const ordered: string[] = [];
  const visit = (name: string, path: readonly string[]) => {
    if (ordered.includes(name)) return;
    if (path.includes(name)) throw new Error(`stack dependencies form a cycle: ${[...path, name].join(" -> ")}`);
    for (const dependency of stacks[name]?.dependencies ?? []) visit(dependency, [...path, name]);
    if (stacks[name] !== undefined) ordered.push(name);
  };
  for (const name of Object.keys(stacks)) visit(name, []);
  return ordered.map((stack) => ({ stack, workdir: join(outdir, stacks[stack].workingDirectory) }));
}

export function recordReviewedPlans(directory: string): ReviewedPlans {
  const suffix = ".plan.json";
  const reviewed: ReviewedPlans = {};
  for (const name of readdirSync(directory)
    .filter((file) => file.endsWith(suffix))
    .sort()) {
    reviewed[name.slice(0, -suffix.length)] = reviewedChanges(
      parsePlanJson(readFileSync(join(directory, name), "utf8")),
    );
  }
  return reviewed;
}

const PLAN_FILE = "reviewed.tfplan";
const TERRAFORM_ENV = { ...process.env, TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1" };

function terraform(workdir: string, args: readonly string[], stdout: "inherit" | "ignore" | "pipe") {
  const options: SpawnSyncOptions = {
    env: TERRAFORM_ENV,
    stdio: ["ignore", stdout, "inherit"],
    encoding: "utf8",
    maxBuffer: 1024 * 1024 * 1024,
  };
  const result = spawnSync("terraform", [`-chdir=${workdir}`, ...args], options);
  if (result.error) throw result.error;
  return { status: result.status ?? 1, stdout: typeof result.stdout === "string" ? result.stdout : "" };
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Returns the exit status: 0 when every stack applied its reviewed plan, 1 when one was refused or failed. */
export function applyReviewedPlans(
  stacks: readonly { stack: string; workdir: string }[],
  reviewed: ReviewedPlans,
): number {
  for (const { stack, workdir } of stacks) {
    const approved = reviewed[stack];
    if (approved === undefined) {
      say(
        `${stack}: no reviewed plan (its plan failed before the approval, typically because it reads outputs that an ` +
          "earlier stack of this deploy creates). Stopped before it; re-run all jobs of this workflow to review its plan.",
      );
      return 1;
    }
    const planFile = join(workdir, PLAN_FILE);
    try {
      if (terraform(workdir, ["init", "-input=false", "-no-color"], "inherit").status !== 0) {
        say(`${stack}: terraform init failed`);
        return 1;
      }
      // The plan's text is not printed: the log keeps no redaction (see "Security model" in the README).
      if (terraform(workdir, ["plan", "-input=false", "-no-color", `-out=${PLAN_FILE}`], "ignore").status !== 0) {
        say(`${stack}: terraform plan failed`);
        return 1;
      }
      const shown = terraform(workdir, ["show", "-json", PLAN_FILE], "pipe");
      if (shown.status !== 0) {
        say(`${stack}: terraform show -json failed`);
        return 1;
      }
      const differences = planDifferences(approved, reviewedChanges(parsePlanJson(shown.stdout)));
      if (differences.length > 0) {
        say(`${stack}: its plan now differs from the reviewed one, so nothing more is applied:`);
        for (const difference of differences) say(`  ${difference}`);
        say(
          "An earlier stack of this deploy changed what this stack reads, or something changed since the review. " +
            "Re-run all jobs of this workflow to review the new plan.",
        );
        return 1;
      }
      say(`${stack}: applying the reviewed plan (${approved.length} changes)`);
      if (terraform(workdir, ["apply", "-input=false", "-no-color", PLAN_FILE], "inherit").status !== 0) {
        say(`${stack}: terraform apply failed`);
        return 1;
      }
    } finally {
      // The plan file holds the stack's sensitive values in clear.
      rmSync(planFile, { force: true });
    }
  }
  return 0;
}

function readStacksFile(path: string): { stack: string; workdir: string }[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const [stack, workdir] = line.trim().split(/\s+/);
      return { stack, workdir };
    });
}

function main(argv: readonly string[]): number {
  const [command, path] = argv;
  if (command === "stacks" && path && existsSync(path)) {
    for (const { stack, workdir } of stacksInOrder(path)) say(`${stack} ${workdir}`);
    return 0;
  }
  if (command === "record" && path && existsSync(path)) {
    say(JSON.stringify(recordReviewedPlans(path)));
    return 0;
  }
  if (command === "apply" && path && existsSync(path)) {
    const reviewed = process.env.REVIEWED_PLANS;
    if (!reviewed) {
      process.stderr.write("REVIEWED_PLANS is empty: there is no reviewed plan to apply\n");
      return 2;
    }
    return applyReviewedPlans(readStacksFile(path), JSON.parse(reviewed) as ReviewedPlans);
  }
  process.stderr.write(
    "usage: tsx scripts/reviewed-plans.ts stacks <cdktf.out> | record <plans dir> | apply <stacks file>\n",
  );
  return 2;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
