import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { isNode, LineCounter, parseDocument } from "yaml";
import type { core } from "zod";
import type { AclRules } from "../domain/acl-rules";
import { ConfigError } from "../domain/errors";
import { parseAclRules } from "./acl-rules-parser";
import { FederationConfig, federationSchema } from "./schema";

export const DEFAULT_CONFIG_PATH = "federation.yaml";
export const CONFIG_PATH_VARIABLE = "FEDERATION_CONFIG";

/** `datacenters[1].servers.count` from `["datacenters", 1, "servers", "count"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => {
    if (typeof key === "number") return `${text}[${key}]`;
    if (typeof key === "string" && !/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) return `${text}[${JSON.stringify(key)}]`;
    return text ? `${text}.${String(key)}` : String(key);
  }, "");
}

function describeIssue(issue: core.$ZodIssue): string {
  if (issue.code === "invalid_type") {
    const received = (issue as { input?: unknown }).input;
    if (received === undefined) return `is missing (expected ${issue.expected})`;
    if (!issue.message.startsWith("Invalid input")) return issue.message;
    return `must be ${issue.expected === "array" ? "a list" : `a ${issue.expected}`}, got ${JSON.stringify(received)}`;
  }
  return issue.message;
}

/**
 * Validates an already-parsed document; `source` only names the file in messages, `baseDir` is where
 * rules files are looked up. Rules files are read and checked here, so a typo in a policy stops the
 * synth before anything is written, with the file, line and column.
 */
export function validateFederationConfig(
  document: unknown,
  source = "<inline>",
  baseDir = process.cwd(),
): FederationConfig {
  const result = federationSchema.safeParse(document, { reportInput: true });
  if (!result.success) {
    throw new ConfigError(
      source,
      result.error.issues.map((issue) => `${formatPath(issue.path) || "(top level)"}: ${describeIssue(issue)}`),
    );
  }
  const problems: string[] = [];
  result.data.acl.policies.forEach((policy, index) => {
    if (policy.rulesFile === undefined) return;
    const field = `acl.policies[${index}].rulesFile`;
    const file = resolve(baseDir, policy.rulesFile);
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      problems.push(
        `${field}: cannot read ${policy.rulesFile} (${(error as NodeJS.ErrnoException).code ?? String(error)}; the path is relative to the configuration file)`,
      );
      return;
    }
    const parsed = parseAclRules(text);
    if (parsed.ok) {
      (policy as { rules?: AclRules }).rules = parsed.rules;
    } else {
      for (const p of parsed.problems)
        problems.push(`${field}: ${policy.rulesFile}:${p.line}:${p.column}: ${p.message}`);
    }
  });
  if (problems.length > 0) throw new ConfigError(source, problems);
  return result.data;
}

/**
 * Reads, parses and validates a federation file. Problems carry the line of the offending field, so
 * the error can be fixed without counting list indexes by hand.
 */
export function loadFederationConfig(path: string): FederationConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : String(error);
    throw new ConfigError(path, [
      `(file): cannot read ${path}: ${reason} (create it from the bundled federation.yaml, or point ${CONFIG_PATH_VARIABLE} at your file)`,
    ]);
  }

  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new ConfigError(
      path,
      document.errors.map((e) => {
        const position = e.linePos?.[0];
        return `(yaml${position ? ` line ${position.line}, column ${position.col}` : ""}): ${e.message.split("\n")[0]} (fix the YAML syntax)`;
      }),
    );
  }

  try {
    return validateFederationConfig(document.toJS(), path, dirname(resolve(path)));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const located = error.problems.map((problem) => {
      const fieldPath = problem.slice(0, problem.indexOf(": "));
      const line = lineOf(document, fieldPath, lineCounter);
      return line ? `${problem} [${path}:${line}]` : problem;
    });
    throw new ConfigError(path, located);
  }
}

/** The line of the deepest existing node along a formatted path. */
function lineOf(document: ReturnType<typeof parseDocument>, fieldPath: string, lines: LineCounter): number | undefined {
  const keys = fieldPath
    .split(/\.|\[(\d+)\]/)
    .filter((k) => k !== undefined && k !== "")
    .map((k) => (/^\d+$/.test(k) ? Number(k) : k));
  for (let depth = keys.length; depth > 0; depth--) {
    const node = document.getIn(keys.slice(0, depth), true);
    if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
  }
  return undefined;
}

/** The configuration named by FEDERATION_CONFIG, or federation.yaml in the working directory. */
export function configPathFromEnvironment(env: NodeJS.ProcessEnv = process.env): string {
  return env[CONFIG_PATH_VARIABLE] || DEFAULT_CONFIG_PATH;
}
