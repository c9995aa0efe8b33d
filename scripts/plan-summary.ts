/**
 * `tsx scripts/plan-summary.ts <dir>`: reads `<dir>/<stack>.plan.json` (`terraform show -json` of the stack's saved
 * plan) or, where the plan failed, `<stack>.exitcode` and `<stack>.log`, and prints the pull-request comment as
 * markdown. Nothing of a plan reaches the output but what `plan-summary-lib.ts` renders from the JSON, with its
 * sensitive values hidden. `GITHUB_SHA`, `GITHUB_SERVER_URL`, `GITHUB_REPOSITORY` and `GITHUB_RUN_ID` (set by
 * Actions) name the commit and the run in the comment.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parsePlanJson } from "./plan-json";
import { PlanSummary, renderComment, summarizeFailedPlan, summarizePlanJson } from "./plan-summary-lib";

const PLAN_SUFFIX = ".plan.json";
const EXIT_SUFFIX = ".exitcode";

function readSummaries(directory: string): PlanSummary[] {
  const names = readdirSync(directory);
  const stacks = [
    ...new Set(
      names
        .filter((name) => name.endsWith(PLAN_SUFFIX) || name.endsWith(EXIT_SUFFIX))
        .map((name) => name.slice(0, -(name.endsWith(PLAN_SUFFIX) ? PLAN_SUFFIX : EXIT_SUFFIX).length)),
    ),
  ]
    // Alphabetical order is the deploy order for the usual names (prod1, prod1-acl, prod1-gateways, prod2).
    .sort();
  return stacks.map((stack) => {
    const exitFile = join(directory, `${stack}${EXIT_SUFFIX}`);
    if (existsSync(exitFile)) {
      const logFile = join(directory, `${stack}.log`);
      const log = existsSync(logFile) ? readFileSync(logFile, "utf8") : "";
      return summarizeFailedPlan(stack, log, readFileSync(exitFile, "utf8").trim());
    }
    try {
      return summarizePlanJson(stack, parsePlanJson(readFileSync(join(directory, `${stack}${PLAN_SUFFIX}`), "utf8")));
    } catch (error) {
      // The message of a JSON parse error quotes the text around the fault: it is not shown.
      const reason = error instanceof SyntaxError ? "its JSON plan cannot be parsed" : String(error);
      return summarizeFailedPlan(stack, `Error: ${reason}`, "1");
    }
  });
}

function runUrl(env: NodeJS.ProcessEnv): string | undefined {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repository, GITHUB_RUN_ID: run } = env;
  return server && repository && run ? `${server}/${repository}/actions/runs/${run}` : undefined;
}

function main(argv: readonly string[]): number {
  const directory = argv[0];
  if (!directory || !existsSync(directory)) {
    process.stderr.write("usage: tsx scripts/plan-summary.ts <directory with <stack>.plan.json files>\n");
    return 2;
  }
  // In a pull request GITHUB_SHA is the merge commit; the head commit is what reviewers recognise.
  const sha = process.env.PLAN_HEAD_SHA || process.env.GITHUB_SHA;
  process.stdout.write(renderComment(readSummaries(directory), { sha, runUrl: runUrl(process.env) }));
  return 0;
}

process.exitCode = main(process.argv.slice(2));
