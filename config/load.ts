import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { isNode, LineCounter, parseDocument } from "yaml";
import type { core } from "zod";
import type { AclRules } from "../domain/acl-rules";
import { ConfigError } from "../domain/errors";
import { parseAclRules } from "./acl-rules-parser";
import { FederationConfig, federationSchema } from "./schema";
import { armoredPublicKeyProblem } from "./schema/backups";

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

/** Fields that may hold key material by mistake (a private key pasted for a public one): never echoed. */
const KEY_MATERIAL_FIELDS = new Set(["ssh.publicKey"]);

function describeIssue(issue: core.$ZodIssue): string {
  if (issue.code === "invalid_type") {
    const received = (issue as { input?: unknown }).input;
    if (received === undefined) return `is missing (expected ${issue.expected})`;
    if (KEY_MATERIAL_FIELDS.has(formatPath(issue.path)))
      return `must be ${issue.expected === "array" ? "a list" : `a ${issue.expected}`}`;
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
  const { backups } = result.data;
  if (backups.encryptionKeyFile !== undefined) {
    const field = "backups.encryptionKeyFile";
    if (backups.encryptionKey !== undefined) {
      problems.push(`${field}: give the key either as encryptionKey or as encryptionKeyFile, not both`);
    } else {
      try {
        const text = readFileSync(resolve(baseDir, backups.encryptionKeyFile), "utf8");
        const problem = armoredPublicKeyProblem(text);
        if (problem) problems.push(`${field}: ${backups.encryptionKeyFile} ${problem}`);
        else backups.encryptionKey = text;
      } catch (error) {
        problems.push(
          `${field}: cannot read ${backups.encryptionKeyFile} (${(error as NodeJS.ErrnoException).code ?? String(error)}; the path is relative to the configuration file)`,
        );
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(source, problems);
  return result.data;
}

/** What a file cannot be read as YAML text for, as the problem a user reads; undefined when it can. */
function unreadable(path: string): { problem: string } | { text: string } {
  const fix = `create it from the bundled federation.yaml, or point ${CONFIG_PATH_VARIABLE} at your file`;
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT"
        ? "file not found"
        : code === "EISDIR"
          ? "it is a directory (EISDIR)"
          : code === "EACCES"
            ? "permission denied (EACCES)"
            : `${code ?? "unreadable"}`;
    return { problem: `(file): cannot read ${path}: ${reason} (${fix})` };
  }
  if (bytes.includes(0)) return { problem: `(file): ${path} is not a text file (a YAML file is UTF-8 text)` };
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { problem: `(file): ${path} is not UTF-8 text (save it as UTF-8)` };
  }
  return { text };
}

/** YAML aliases may repeat a node at most this often: more is a resource-exhaustion attack, not a configuration. */
const MAX_ALIAS_COUNT = 100;

/**
 * Reads, parses and validates a federation file. Every problem a file can have (unreadable, binary, empty,
 * broken YAML, aliases expanding without bound, duplicate keys, schema and cross-field problems, rules
 * files) is a ConfigError; problems carry the line of the offending field, so the error can be fixed without
 * counting list indexes by hand.
 */
export function loadFederationConfig(path: string): FederationConfig {
  const read = unreadable(path);
  if ("problem" in read) throw new ConfigError(path, [read.problem]);

  const lineCounter = new LineCounter();
  const document = parseDocument(read.text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new ConfigError(
      path,
      document.errors.map((e) => {
        const position = e.linePos?.[0];
        return `(yaml${position ? ` line ${position.line}, column ${position.col}` : ""}): ${e.message.split("\n")[0]} (fix the YAML syntax)`;
      }),
    );
  }
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    throw new ConfigError(path, [
      `(yaml): ${error instanceof Error ? error.message : String(error)} (use at most ${MAX_ALIAS_COUNT} alias expansions)`,
    ]);
  }
  if (value === null || value === undefined) {
    throw new ConfigError(path, [`(file): ${path} is empty (start from the bundled federation.yaml)`]);
  }

  try {
    return validateFederationConfig(value, path, dirname(resolve(path)));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(path, locateProblems(path, error.problems, { document, lineCounter }));
  }
}

/**
 * Adds `[file:line]` to every `path.to.field: problem` whose field the file holds: for problems found after
 * loading (a construct's validation mapped back to its configuration field).
 */
export function locateProblems(
  path: string,
  problems: readonly string[],
  parsed?: { document: ReturnType<typeof parseDocument>; lineCounter: LineCounter },
): string[] {
  let source = parsed;
  if (!source) {
    const read = unreadable(path);
    const lineCounter = new LineCounter();
    source = "text" in read ? { document: parseDocument(read.text, { lineCounter }), lineCounter } : undefined;
  }
  return problems.map((problem) => {
    const fieldPath = problem.slice(0, problem.indexOf(": "));
    const line = source ? lineOf(source.document, fieldPath, source.lineCounter) : undefined;
    return line ? `${problem} [${path}:${line}]` : problem;
  });
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
