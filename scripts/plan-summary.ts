/**
 * `tsx scripts/plan-summary.ts <dir>`: reads `<dir>/<stack>.plan.txt` (and `<stack>.exitcode`, written when
 * `cdktf diff` failed) and prints the pull-request comment as markdown. `GITHUB_SHA`, `GITHUB_SERVER_URL`,
 * `GITHUB_REPOSITORY` and `GITHUB_RUN_ID` (set by Actions) name the commit and the run in the comment.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PlanSummary, renderComment, summarizePlan } from "./plan-summary-lib";

const PLAN_SUFFIX = ".plan.txt";

function readSummaries(directory: string): PlanSummary[] {
  const stacks = readdirSync(directory)
    .filter((name) => name.endsWith(PLAN_SUFFIX))
    .map((name) => name.slice(0, -PLAN_SUFFIX.length))
    // Alphabetical order is the deploy order for the usual names (prod1, prod1-acl, prod1-gateways, prod2).
    .sort();
  return stacks.map((stack) => {
    const summary = summarizePlan(stack, readFileSync(join(directory, `${stack}${PLAN_SUFFIX}`), "utf8"));
    const exitFile = join(directory, `${stack}.exitcode`);
    const exitCode = existsSync(exitFile) ? readFileSync(exitFile, "utf8").trim() : "0";
    // A failed diff can still print a plan (e.g. an error after planning): the exit code decides.
    if (exitCode !== "0" && summary.error === undefined) {
      return { ...summary, error: `cdktf diff exited with status ${exitCode}` };
    }
    return summary;
  });
}

function runUrl(env: NodeJS.ProcessEnv): string | undefined {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repository, GITHUB_RUN_ID: run } = env;
  return server && repository && run ? `${server}/${repository}/actions/runs/${run}` : undefined;
}

function main(argv: readonly string[]): number {
  const directory = argv[0];
  if (!directory || !existsSync(directory)) {
    process.stderr.write("usage: tsx scripts/plan-summary.ts <directory with <stack>.plan.txt files>\n");
    return 2;
  }
  // In a pull request GITHUB_SHA is the merge commit; the head commit is what reviewers recognise.
  const sha = process.env.PLAN_HEAD_SHA || process.env.GITHUB_SHA;
  process.stdout.write(renderComment(readSummaries(directory), { sha, runUrl: runUrl(process.env) }));
  return 0;
}

process.exitCode = main(process.argv.slice(2));
