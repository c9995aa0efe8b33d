/**
 * Reads `terraform show -json <planfile>` and turns it into what people and the deploy may see of a plan: the
 * changes with every value Terraform marks sensitive replaced by `(sensitive)`, and a digest of those changes
 * that a later plan can be compared with. Pure functions only; nothing here prints.
 *
 * `terraform show -json` prints sensitive values in clear (developer.hashicorp.com/terraform/cli/commands/show,
 * "Note: When using the -json command-line flag, any sensitive values in Terraform state will be displayed in
 * plain text"): its output is read here and never shown as it is. The marks are `before_sensitive` and
 * `after_sensitive`, "object values with similar structure to Before and After, but with all sensitive leaf values
 * replaced with true" (hashicorp/terraform, internal/command/jsonplan/plan.go, type Change).
 */
import { createHash } from "node:crypto";

export interface JsonChange {
  readonly actions: readonly string[];
  readonly before?: unknown;
  readonly after?: unknown;
  readonly after_unknown?: unknown;
  readonly before_sensitive?: unknown;
  readonly after_sensitive?: unknown;
  readonly replace_paths?: readonly (readonly (string | number)[])[];
  readonly importing?: unknown;
}

export interface JsonResourceChange {
  readonly address: string;
  readonly mode: string;
  readonly type: string;
  readonly deposed?: string;
  readonly change: JsonChange;
}

export interface JsonPlan {
  readonly format_version: string;
  readonly resource_changes?: readonly JsonResourceChange[];
  readonly output_changes?: Readonly<Record<string, JsonChange>>;
}

/** Only the 1.x format is read: "Reject any input which reports an unsupported major version" (internals/json-format). */
export function parsePlanJson(text: string): JsonPlan {
  const plan = JSON.parse(text) as Partial<JsonPlan> | null;
  const version = typeof plan?.format_version === "string" ? plan.format_version : "";
  if (!/^1\./.test(version))
    throw new Error(`not a Terraform JSON plan of format 1.x (format_version ${version || "missing"})`);
  return plan as JsonPlan;
}

/** Stands for a value that is not shown: serialized by its label, rendered without quotes. */
export class Hidden {
  constructor(readonly label: string) {}
  toJSON(): string {
    return this.label;
  }
}

export const SENSITIVE = new Hidden("(sensitive)");
export const UNKNOWN = new Hidden("(known after apply)");

type Path = readonly (string | number)[];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Hidden);
}

function child(container: unknown, key: string | number): unknown {
  if (Array.isArray(container) && typeof key === "number") return container[key];
  if (isRecord(container) && typeof key === "string") return container[key];
  return undefined;
}

/** The value with every leaf (or subtree) that `marks` flags with `true` replaced by SENSITIVE. */
export function maskSensitive(value: unknown, marks: unknown): unknown {
  if (marks === true) return SENSITIVE;
  if (Array.isArray(value)) return value.map((item, index) => maskSensitive(item, child(marks, index)));
  if (isRecord(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, maskSensitive(item, child(marks, key))]),
    );
  }
  return value;
}

/** The value with UNKNOWN wherever `after_unknown` says so; unknown attributes are absent from `after`. */
export function markUnknown(value: unknown, unknown: unknown): unknown {
  if (unknown === true) return UNKNOWN;
  if (Array.isArray(value)) return value.map((item, index) => markUnknown(item, child(unknown, index)));
  if (isRecord(value) || (value == null && isRecord(unknown))) {
    const known = isRecord(value) ? value : {};
    const keys = new Set([...Object.keys(known), ...(isRecord(unknown) ? Object.keys(unknown) : [])]);
    const entries = [...keys].map((key) => [key, markUnknown(known[key], child(unknown, key))] as const);
    return Object.fromEntries(entries.filter(([, item]) => item !== undefined));
  }
  return value;
}

/** What the change may show: `before` and `after` masked, `after` with its unknown parts marked. */
export function visibleChange(change: JsonChange): { before: unknown; after: unknown } {
  return {
    before: maskSensitive(change.before ?? null, change.before_sensitive),
    after: markUnknown(maskSensitive(change.after ?? null, change.after_sensitive), change.after_unknown),
  };
}

interface Leaf {
  readonly path: Path;
  readonly value: unknown;
}

/** Scalars, hidden values and empty containers, with their paths; nested objects and lists are walked. */
function leaves(value: unknown, path: Path = []): Leaf[] {
  if (Array.isArray(value) && value.length > 0) return value.flatMap((item, index) => leaves(item, [...path, index]));
  if (isRecord(value) && Object.keys(value).length > 0) {
    return Object.entries(value).flatMap(([key, item]) => leaves(item, [...path, key]));
  }
  return [{ path, value }];
}

function valueAt(value: unknown, path: Path): unknown {
  return path.reduce<unknown>((current, key) => child(current, key), value);
}

function pathText(path: Path): string {
  return path
    .map((key, index) => {
      if (typeof key === "number") return `[${key}]`;
      if (/^[A-Za-z_][\w-]*$/.test(key)) return index === 0 ? key : `.${key}`;
      return `[${JSON.stringify(key)}]`;
    })
    .join("");
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** At most this many characters of one value are shown; the digest always covers the whole value. */
const MAX_VALUE_CHARS = 200;

export function renderValue(value: unknown): string {
  if (value instanceof Hidden) return value.label;
  if (value === undefined) return "null";
  const text = JSON.stringify(value);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}…` : text;
}

export interface AttributeChange {
  readonly path: string;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly forcesReplacement: boolean;
}

/**
 * The attributes whose value changes. Where a value is sensitive on both sides, the raw values decide whether it
 * changes (as Terraform's own renderer does), and only that verdict leaves this function.
 */
export function changedAttributes(change: JsonChange): AttributeChange[] {
  const { before, after } = visibleChange(change);
  const beforeLeaves = new Map(leaves(before).map((leaf) => [pathText(leaf.path), leaf]));
  const afterLeaves = new Map(leaves(after).map((leaf) => [pathText(leaf.path), leaf]));
  const replacePaths = (change.replace_paths ?? []).map(pathText);
  const result: AttributeChange[] = [];
  for (const key of new Set([...beforeLeaves.keys(), ...afterLeaves.keys()])) {
    if (key === "") continue;
    const old = beforeLeaves.get(key);
    const now = afterLeaves.get(key);
    const path = (old ?? now)?.path ?? [];
    const bothSensitive = old?.value === SENSITIVE && now?.value === SENSITIVE;
    const same = bothSensitive
      ? deepEqual(valueAt(change.before, path), valueAt(change.after, path))
      : now?.value !== UNKNOWN && deepEqual(old?.value ?? null, now?.value ?? null);
    if (same) continue;
    result.push({
      path: key,
      before: old?.value ?? null,
      after: now?.value ?? null,
      forcesReplacement: replacePaths.some(
        (prefix) => key === prefix || (/^[.[]/.test(key.slice(prefix.length)) && key.startsWith(prefix)),
      ),
    });
  }
  return result;
}

export function isNoOp(change: JsonChange): boolean {
  return change.actions.length === 0 || change.actions.every((action) => action === "no-op");
}

export function isReplacement(change: JsonChange): boolean {
  const actions = change.actions;
  return (
    actions.length === 2 && actions.includes("create") && (actions.includes("delete") || actions.includes("forget"))
  );
}

export function resourceLabel(resource: JsonResourceChange): string {
  return resource.deposed ? `${resource.address} (deposed object ${resource.deposed})` : resource.address;
}

/** The words of Terraform's own plan rendering, so that the comment reads like the plans people know. */
export function actionPhrase(change: JsonChange): string {
  const actions = change.actions.join(",");
  const phrase =
    {
      create: "will be created",
      update: "will be updated in-place",
      delete: "will be destroyed",
      "delete,create": "must be replaced",
      "create,delete": "must be replaced (create before destroy)",
      "create,forget": "must be replaced (the old object is forgotten, not destroyed)",
      read: "will be read during apply",
      forget: "will be removed from the state, not destroyed",
    }[actions] ?? `will be changed (${actions})`;
  return change.importing ? `will be imported, then ${phrase.replace(/^will be /, "")}` : phrase;
}

/** One change with its reviewable identity: what it does and a digest of the values it leaves behind. */
export interface ReviewedChange {
  readonly address: string;
  readonly actions: string;
  readonly digest: string;
}

/**
 * The digest covers the after value as the comment may show it (sensitive parts masked, unknown parts marked)
 * and which sensitive values change; it cannot see *which* new value a sensitive attribute gets.
 */
function digestOf(change: JsonChange): string {
  const { after } = visibleChange(change);
  const sensitiveChanges = changedAttributes(change)
    .filter((attribute) => attribute.before === SENSITIVE || attribute.after === SENSITIVE)
    .map((attribute) => attribute.path);
  return createHash("sha256").update(JSON.stringify({ after, sensitiveChanges })).digest("hex");
}

/** Every resource and output change of a plan that is not a no-op, in a stable order. */
export function reviewedChanges(plan: JsonPlan): ReviewedChange[] {
  const resources = (plan.resource_changes ?? [])
    .filter((resource) => !isNoOp(resource.change))
    .map((resource) => ({
      address: resourceLabel(resource),
      actions: resource.change.actions.join(","),
      digest: digestOf(resource.change),
    }));
  const outputs = Object.entries(plan.output_changes ?? {})
    .filter(([, change]) => !isNoOp(change))
    .map(([name, change]) => ({
      address: `output.${name}`,
      actions: change.actions.join(","),
      digest: digestOf(change),
    }));
  return [...resources, ...outputs].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
}

/** How a new plan departs from the reviewed one, by address and action only: no value is ever named. */
export function planDifferences(reviewed: readonly ReviewedChange[], current: readonly ReviewedChange[]): string[] {
  const before = new Map(reviewed.map((change) => [change.address, change]));
  const now = new Map(current.map((change) => [change.address, change]));
  const differences: string[] = [];
  for (const address of [...new Set([...before.keys(), ...now.keys()])].sort()) {
    const old = before.get(address);
    const next = now.get(address);
    if (old === undefined && next !== undefined)
      differences.push(`${address}: ${next.actions}, which was not reviewed`);
    else if (old !== undefined && next === undefined)
      differences.push(`${address}: reviewed ${old.actions}, no longer planned`);
    else if (old !== undefined && next !== undefined && old.actions !== next.actions) {
      differences.push(`${address}: reviewed ${old.actions}, now ${next.actions}`);
    } else if (old !== undefined && next !== undefined && old.digest !== next.digest) {
      differences.push(`${address}: ${next.actions} with other values than reviewed`);
    }
  }
  return differences;
}
