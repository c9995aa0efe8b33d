/**
 * Turns the JSON plans of `terraform show -json <planfile>` into one pull-request comment (and step summary).
 * Values Terraform marks sensitive are shown as `(sensitive)` (see `plan-json.ts`); the rendered text then goes
 * through `redactSecrets` as well, for secrets that reach a plan unmarked. Pure functions only: the CLI
 * (`plan-summary.ts`) does the file reading, so everything here is unit-tested.
 */
import { terraformTokenGenerationOf } from "../domain/terraform-token";
import {
  actionPhrase,
  changedAttributes,
  isNoOp,
  isReplacement,
  JsonChange,
  JsonPlan,
  renderValue,
  resourceLabel,
  visibleChange,
} from "./plan-json";

/** The hidden line by which the workflow finds its own comment again instead of adding one per push. */
export const COMMENT_MARKER = "<!-- consul-federation-plan -->";

/** GitHub rejects comments over 65536 characters; the rest is headroom for the API's own accounting. */
export const MAX_COMMENT_LENGTH = 60_000;

export interface ResourceAction {
  readonly address: string;
  readonly type: string;
}

export interface PlanSummary {
  readonly stack: string;
  readonly add: number;
  readonly change: number;
  readonly destroy: number;
  readonly replacements: ResourceAction[];
  readonly destructions: ResourceAction[];
  readonly noChanges: boolean;
  /** Only output values change: Terraform prints no `Plan:` line then. */
  readonly outputsOnly: boolean;
  readonly error?: string;
  /** The plan without colours or stack prefixes, with secrets redacted: what the comment shows. */
  readonly planText: string;
}

export interface CommentContext {
  readonly sha?: string;
  readonly runUrl?: string;
}

/**
 * Resource types whose replacement loses a Consul server's Raft data (the VM's root disk, the data
 * volume, its attachment, or the port that carries the server's address in the Raft peer set).
 */
const RAFT_CRITICAL_TYPES = new Set([
  "openstack_compute_instance_v2",
  "openstack_blockstorage_volume_v3",
  "openstack_compute_volume_attach_v2",
  "openstack_networking_port_v2",
]);

// CSI sequences (colours, cursor movement) and OSC sequences (hyperlinks) as terminals and chalk emit them.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, "");
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?(?:-----END \1-----|$)/g;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const SECRET_WORD = /token|secret/i;

/**
 * Terraform already hides sensitive values; this is a second line of defence for values that reach the
 * plan unmarked (a key rendered into a file's content, an ACL token secret in a heredoc). An unterminated
 * PEM block, as a truncated line leaves it, is redacted to the end of the text.
 */
export function redactSecrets(text: string): string {
  const withoutPem = text.replace(PEM_BLOCK, (_block, label: string) => `-----BEGIN ${label}----- (redacted)`);
  return withoutPem
    .split("\n")
    .map((line) => {
      const word = SECRET_WORD.exec(line);
      if (!word) return line;
      const cut = word.index;
      return line.slice(0, cut) + line.slice(cut).replace(UUID, "(redacted)");
    })
    .join("\n");
}

/** `module.a["x"].openstack_foo.bar[0]` → `openstack_foo`; data sources keep their `data.` out of the type. */
export function resourceType(address: string): string {
  let rest = address;
  for (;;) {
    const module = /^module\.[^.[]+(?:\[(?:"(?:[^"\\]|\\.)*"|\d+)\])?\./.exec(rest);
    if (!module) break;
    rest = rest.slice(module[0].length);
  }
  rest = rest.replace(/^data\./, "");
  const dot = rest.indexOf(".");
  return dot === -1 ? rest : rest.slice(0, dot);
}

function attributeLines(change: JsonChange): string[] {
  const actions = change.actions;
  // A destroyed or read object has nothing of its own to review but its address.
  if (actions.length === 1 && (actions[0] === "delete" || actions[0] === "read" || actions[0] === "forget")) return [];
  const sign = actions.length === 1 && actions[0] === "create" ? "+" : "~";
  return changedAttributes(change).map((attribute) => {
    const value =
      sign === "+"
        ? renderValue(attribute.after)
        : `${renderValue(attribute.before)} -> ${renderValue(attribute.after)}`;
    return `    ${sign} ${attribute.path} = ${value}${attribute.forcesReplacement ? " # forces replacement" : ""}`;
  });
}

function outputLine(name: string, change: JsonChange): string {
  const { before, after } = visibleChange(change);
  const actions = change.actions.join(",");
  if (actions === "create") return `  + ${name} = ${renderValue(after)}`;
  if (actions === "delete") return `  - ${name}`;
  return `  ~ ${name} = ${renderValue(before)} -> ${renderValue(after)}`;
}

/** The plan as the comment shows it: one block per changed resource, then the changed outputs. */
export function describePlan(plan: JsonPlan): string {
  const resources = (plan.resource_changes ?? []).filter((resource) => !isNoOp(resource.change));
  const outputs = Object.entries(plan.output_changes ?? {}).filter(([, change]) => !isNoOp(change));
  if (resources.length === 0 && outputs.length === 0) return "No changes.";
  const blocks = resources.map((resource) =>
    [`# ${resourceLabel(resource)} ${actionPhrase(resource.change)}`, ...attributeLines(resource.change)].join("\n"),
  );
  if (outputs.length > 0)
    blocks.push(["Changes to outputs:", ...outputs.map(([name, change]) => outputLine(name, change))].join("\n"));
  // Line by line: every rendered value is on one line, so an unterminated PEM block (a value cut at its length
  // limit) is redacted to the end of its line only.
  return blocks.join("\n\n").split("\n").map(redactSecrets).join("\n");
}

export function summarizePlanJson(stackName: string, plan: JsonPlan): PlanSummary {
  const replacements: ResourceAction[] = [];
  const destructions: ResourceAction[] = [];
  let add = 0;
  let change = 0;
  let destroy = 0;
  for (const resource of plan.resource_changes ?? []) {
    if (resource.mode !== "managed" || isNoOp(resource.change)) continue;
    const actions = resource.change.actions;
    // Terraform's own `Plan:` line counts a replacement as one to add and one to destroy.
    if (actions.includes("create")) add += 1;
    if (actions.includes("update")) change += 1;
    if (actions.includes("delete")) destroy += 1;
    const action = { address: resourceLabel(resource), type: resource.type };
    if (isReplacement(resource.change)) replacements.push(action);
    else if (actions.length === 1 && actions[0] === "delete") destructions.push(action);
  }
  const outputsChange = Object.values(plan.output_changes ?? {}).some((output) => !isNoOp(output));
  const resourcesChange = add + change + destroy > 0;
  return {
    stack: stackName,
    add,
    change,
    destroy,
    replacements,
    destructions,
    noChanges: !resourcesChange && !outputsChange,
    outputsOnly: !resourcesChange && outputsChange,
    planText: describePlan(plan),
  };
}

const ERROR_LINE = /^(?:│\s*)?Error: (.+)$/;

/**
 * A plan that failed has no JSON plan; of its log only Terraform's `Error:` lines are shown (redacted): the rest
 * may be plan text, which the comment shows only from JSON.
 */
export function summarizeFailedPlan(stackName: string, log: string, exitCode: string): PlanSummary {
  const errors = stripAnsi(log)
    .split(/\r?\n/)
    .map((line) => ERROR_LINE.exec(line.trim()))
    .flatMap((match) => (match ? [match[1].trim()] : []));
  const error = errors[0] ?? `the plan exited with status ${exitCode} and printed no error`;
  return {
    stack: stackName,
    add: 0,
    change: 0,
    destroy: 0,
    replacements: [],
    destructions: [],
    noChanges: false,
    outputsOnly: false,
    error: redactSecrets(error),
    planText: redactSecrets(errors.map((line) => `Error: ${line}`).join("\n") || error),
  };
}

/** Raft data lives on the servers' VMs and volumes, named `<dc>-server-<n>_…` by the stacks. */
export function isRaftCritical(action: ResourceAction): boolean {
  return RAFT_CRITICAL_TYPES.has(action.type) && action.address.includes("-server-");
}

/**
 * A generation of Terraform's management token whose secret would go (a lowered `rotation.terraformToken`, which
 * synthesis can refuse only with local state): Consul still uses it, and no secret made anew replaces it.
 */
export function losesManagementSecret(action: ResourceAction): boolean {
  // The resource's name, as the primary's state also gives it: `<type>.<name>`.
  const name = action.address.slice(action.address.lastIndexOf(".") + 1);
  return action.type === "random_uuid" && terraformTokenGenerationOf(name) !== undefined;
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A fence longer than any backtick run inside, so a plan cannot end its own code block. */
function fence(body: string): string {
  const longest = Math.max(2, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  const marks = "`".repeat(longest + 1);
  return `${marks}text\n${body}\n${marks}`;
}

interface Finding {
  readonly stack: string;
  readonly action: ResourceAction;
  readonly verb: "replaced" | "destroyed";
}

function findings(summaries: readonly PlanSummary[]): Finding[] {
  return summaries.flatMap((summary) => [
    ...summary.replacements.map((action) => ({ stack: summary.stack, action, verb: "replaced" as const })),
    ...summary.destructions.map((action) => ({ stack: summary.stack, action, verb: "destroyed" as const })),
  ]);
}

/** Keeps a warning readable (and the comment under the limit) when a plan touches hundreds of resources. */
const MAX_LISTED_FINDINGS = 100;

function alert(kind: "CAUTION" | "WARNING", headline: string, items: readonly Finding[]): string {
  const listed = items.slice(0, MAX_LISTED_FINDINGS).map((item) => {
    return `> - ${code(item.stack)}: ${code(item.action.address)} will be **${item.verb}**`;
  });
  if (items.length > listed.length) listed.push(`> - … and ${items.length - listed.length} more`);
  return [`> [!${kind}]`, `> ${headline}`, ">", ...listed].join("\n");
}

function row(summary: PlanSummary): string {
  if (summary.error !== undefined) return `| ${code(summary.stack)} ⚠️ failed | – | – | – |`;
  return `| ${code(summary.stack)} | ${summary.add} | ${summary.change} | ${summary.destroy} |`;
}

function status(summary: PlanSummary): string {
  if (summary.error !== undefined) return "plan failed";
  if (summary.noChanges) return "no changes";
  if (summary.outputsOnly) return "only output values change";
  return `${summary.add} to add, ${summary.change} to change, ${summary.destroy} to destroy`;
}

function details(summary: PlanSummary, body: string, note: string): string {
  return [
    `<details><summary><b>${escapeHtml(summary.stack)}</b>: ${status(summary)}</summary>`,
    "",
    ...(note ? [note, ""] : []),
    fence(body),
    "",
    "</details>",
  ].join("\n");
}

function truncationNote(summary: PlanSummary, keptChars: number): string {
  if (keptChars >= summary.planText.length) return "";
  const cutLines = summary.planText.slice(keptChars).split("\n").length;
  return `✂️ Truncated: the last ${cutLines} lines of this plan are cut to fit GitHub's comment limit; \`npx cdktf diff\` shows the whole plan.`;
}

/** Cuts at a line end so that no half line (or half-redacted value) is shown. */
function head(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const cut = text.lastIndexOf("\n", maxChars);
  return cut > 0 ? text.slice(0, cut) : text.slice(0, Math.max(0, maxChars));
}

/**
 * Shares the characters left after everything else fairly: short plans are shown whole, and what they
 * do not use goes to the long ones.
 */
function planBudgets(summaries: readonly PlanSummary[], available: number): number[] {
  const budgets = summaries.map(() => 0);
  const byLength = summaries.map((summary, index) => ({ length: summary.planText.length, index }));
  byLength.sort((a, b) => a.length - b.length);
  let left = Math.max(0, available);
  byLength.forEach(({ length, index }, rank) => {
    const granted = Math.min(length, Math.floor(left / (byLength.length - rank)));
    budgets[index] = granted;
    left -= granted;
  });
  return budgets;
}

/** Room for the truncation note and for the lines a cut at a line end gives up. */
const NOTE_RESERVE = 400;

export function renderComment(summaries: readonly PlanSummary[], context: CommentContext = {}): string {
  const all = findings(summaries);
  const critical = all.filter((finding) => isRaftCritical(finding.action));
  const secrets = all.filter((finding) => losesManagementSecret(finding.action));
  const other = all.filter((finding) => !isRaftCritical(finding.action) && !losesManagementSecret(finding.action));
  const failed = summaries.filter((summary) => summary.error !== undefined);

  const commit = context.sha ? ` for ${code(context.sha.slice(0, 12))}` : "";
  const top: string[] = [COMMENT_MARKER, `## Terraform plan${commit}`, ""];
  if (critical.length > 0) {
    top.push(
      alert(
        "CAUTION",
        "**Consul server VMs, data volumes or ports would be replaced or destroyed. This wipes the Raft data of those servers.** Do not merge unless that is intended (and one server at a time).",
        critical,
      ),
      "",
    );
  }
  if (secrets.length > 0) {
    top.push(
      alert(
        "CAUTION",
        "**A secret of Terraform's management token that Consul may still use would be destroyed: `rotation.terraformToken` was lowered.** Do not merge; set it back (README: \"Rotating Terraform's token\").",
        secrets,
      ),
      "",
    );
  }
  if (other.length > 0) {
    top.push(alert("WARNING", "These resources would be replaced or destroyed:", other), "");
  }
  if (failed.length > 0) {
    top.push("> [!WARNING]", "> Some plans failed; their counts are unknown:", ">");
    for (const summary of failed) top.push(`> - ${code(summary.stack)}: ${code(summary.error ?? "")}`);
    top.push("");
  }
  if (summaries.length === 0) top.push("No plans were found.", "");
  else top.push("| stack | add | change | destroy |", "| --- | ---: | ---: | ---: |", ...summaries.map(row), "");

  const footer: string[] = [];
  if (context.runUrl) footer.push(`Full output: [workflow run](${context.runUrl})`);

  const assemble = (bodies: readonly string[]): string =>
    [...top, ...bodies.flatMap((body) => [body, ""]), ...footer].join("\n").replace(/\n+$/, "\n");

  const emptyDetails = summaries.map((summary) => details(summary, "", ""));
  const overhead = assemble(emptyDetails).length + summaries.length * NOTE_RESERVE;
  const budgets = planBudgets(summaries, MAX_COMMENT_LENGTH - overhead);
  const bodies = summaries.map((summary, index) => {
    const kept = head(summary.planText, budgets[index]);
    return details(summary, kept, truncationNote(summary, kept.length));
  });

  const comment = assemble(bodies);
  if (comment.length <= MAX_COMMENT_LENGTH) return comment;
  // Only reachable with very many stacks or findings: the overview matters more than any plan body.
  const overview = assemble([]);
  const note = "\n✂️ The plans themselves are left out to fit GitHub's comment limit; see the workflow run.\n";
  return overview.length + note.length <= MAX_COMMENT_LENGTH
    ? overview + note
    : overview.slice(0, MAX_COMMENT_LENGTH - note.length) + note;
}
