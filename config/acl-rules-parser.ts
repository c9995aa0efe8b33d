import {
  AclRules,
  POLICY_VALUES,
  PolicyValue,
  RESOURCE_RULE_KINDS,
  ResourceRule,
  ResourceRuleKind,
  SCALAR_RULE_KINDS,
  ScalarRuleKind,
  UNSAFE_RULE_NAME,
} from "../domain/acl-rules";
import { closestMatch } from "./did-you-mean";

/**
 * A strict reader of Consul's ACL rule language (the HCL subset Consul documents: `kind = "value"` and
 * `kind "name" { policy = "..." intentions = "..." }`, with comments). Consul silently ignores rule kinds
 * it does not know, so a typo would grant nothing and only show at run time; here every unknown kind,
 * field or value is an error with its line and column.
 */

export interface RuleProblem {
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

export type RulesParseResult = { ok: true; rules: AclRules } | { ok: false; problems: RuleProblem[] };

type Token =
  | { kind: "ident"; value: string; line: number; column: number }
  | { kind: "string"; value: string; line: number; column: number }
  | { kind: "punct"; value: "=" | "{" | "}"; line: number; column: number }
  | { kind: "newline"; line: number; column: number };

class RulesSyntaxError extends Error {
  constructor(readonly problem: RuleProblem) {
    super(problem.message);
  }
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let column = 1;
  let i = 0;
  const advance = (n: number) => {
    for (let k = 0; k < n; k++) {
      if (text[i] === "\n") {
        line++;
        column = 1;
      } else {
        column++;
      }
      i++;
    }
  };
  while (i < text.length) {
    const c = text[i];
    const rest = text.slice(i);
    if (c === "\n") {
      tokens.push({ kind: "newline", line, column });
      advance(1);
    } else if (/\s/.test(c)) {
      advance(1);
    } else if (c === "#" || rest.startsWith("//")) {
      while (i < text.length && text[i] !== "\n") advance(1);
    } else if (rest.startsWith("/*")) {
      const end = text.indexOf("*/", i + 2);
      if (end < 0) throw new RulesSyntaxError({ line, column, message: "unterminated /* comment" });
      advance(end + 2 - i);
    } else if (c === "=" || c === "{" || c === "}") {
      tokens.push({ kind: "punct", value: c, line, column });
      advance(1);
    } else if (c === '"') {
      const start = { line, column };
      let value = "";
      advance(1);
      for (;;) {
        if (i >= text.length || text[i] === "\n") {
          throw new RulesSyntaxError({ ...start, message: "unterminated string" });
        }
        if (text[i] === '"') break;
        if (text[i] === "\\") {
          const escaped = text[i + 1];
          const map: Record<string, string> = { '"': '"', "\\": "\\", n: "\n", t: "\t" };
          if (!(escaped in map)) throw new RulesSyntaxError({ line, column, message: `unknown escape \\${escaped}` });
          value += map[escaped];
          advance(2);
        } else {
          value += text[i];
          advance(1);
        }
      }
      advance(1);
      tokens.push({ kind: "string", value, ...start });
    } else if (/[A-Za-z_]/.test(c)) {
      const match = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(rest) as RegExpExecArray;
      tokens.push({ kind: "ident", value: match[0], line, column });
      advance(match[0].length);
    } else {
      throw new RulesSyntaxError({ line, column, message: `unexpected character ${JSON.stringify(c)}` });
    }
  }
  return tokens;
}

function unknown(what: string, word: string, candidates: readonly string[]): string {
  const hint = closestMatch(word, candidates);
  return `unknown ${what} "${word}"${hint ? ` (did you mean "${hint}"?)` : ` (use one of ${candidates.join(", ")})`}`;
}

/** Parses rule text; returns every problem found, each with its position. */
export function parseAclRules(text: string): RulesParseResult {
  let tokens: Token[];
  try {
    tokens = tokenize(text);
  } catch (error) {
    if (error instanceof RulesSyntaxError) return { ok: false, problems: [error.problem] };
    throw error;
  }
  const problems: RuleProblem[] = [];
  const scalars: Partial<Record<ScalarRuleKind, PolicyValue>> = {};
  // Maps, not objects: a rule may be named "__proto__" or "toString".
  const resources = new Map<ResourceRuleKind, Map<string, ResourceRule>>();
  let i = 0;
  const peek = () => {
    while (tokens[i]?.kind === "newline") i++;
    return tokens[i];
  };
  const fail = (token: Token | undefined, message: string): never => {
    const last = tokens[tokens.length - 1];
    throw new RulesSyntaxError({ line: token?.line ?? last?.line ?? 1, column: token?.column ?? 1, message });
  };
  const expect = <K extends Token["kind"]>(kind: K, value?: string): Extract<Token, { kind: K }> => {
    const token = peek();
    if (!token || token.kind !== kind || (value !== undefined && "value" in token && token.value !== value)) {
      fail(
        token,
        `expected ${value ? `"${value}"` : kind === "string" ? "a quoted string" : kind}${token ? "" : " before the end"}`,
      );
    }
    i++;
    return token as Extract<Token, { kind: K }>;
  };
  const policyValue = (token: Extract<Token, { kind: "string" }>): PolicyValue | undefined => {
    if ((POLICY_VALUES as readonly string[]).includes(token.value)) return token.value as PolicyValue;
    problems.push({
      line: token.line,
      column: token.column,
      message: `policy value "${token.value}" is not one of ${POLICY_VALUES.join(", ")}`,
    });
    return undefined;
  };

  try {
    while (peek()) {
      const kindToken = expect("ident");
      const kind = kindToken.value;
      const next = peek();
      if (next?.kind === "punct" && next.value === "=") {
        i++;
        const valueToken = expect("string");
        if (!(SCALAR_RULE_KINDS as readonly string[]).includes(kind)) {
          problems.push({
            line: kindToken.line,
            column: kindToken.column,
            message: unknown("rule kind", kind, [...SCALAR_RULE_KINDS, ...RESOURCE_RULE_KINDS]),
          });
          continue;
        }
        if (scalars[kind as ScalarRuleKind] !== undefined)
          problems.push({ line: kindToken.line, column: kindToken.column, message: `"${kind}" is defined twice` });
        const value = policyValue(valueToken);
        if (value) scalars[kind as ScalarRuleKind] = value;
        continue;
      }
      const nameToken = expect("string");
      if (UNSAFE_RULE_NAME.test(nameToken.value)) {
        problems.push({
          line: nameToken.line,
          column: nameToken.column,
          message: "a rule name cannot hold quotes, backslashes, line breaks or ${ / %{ sequences",
        });
      }
      const open = expect("punct", "{");
      const fields: Record<string, PolicyValue> = {};
      for (let field = peek(); !(field?.kind === "punct" && field.value === "}"); field = peek()) {
        if (!field) fail(open, `the block of ${kind} "${nameToken.value}" is not closed (add "}")`);
        const fieldToken = expect("ident");
        expect("punct", "=");
        const valueToken = expect("string");
        const allowed = kind === "service" || kind === "service_prefix" ? ["policy", "intentions"] : ["policy"];
        if (!allowed.includes(fieldToken.value)) {
          problems.push({
            line: fieldToken.line,
            column: fieldToken.column,
            message: `${kind} "${nameToken.value}": ${unknown("field", fieldToken.value, allowed)}`,
          });
          continue;
        }
        const value = policyValue(valueToken);
        if (value) fields[fieldToken.value] = value;
      }
      expect("punct", "}");
      if (!(RESOURCE_RULE_KINDS as readonly string[]).includes(kind)) {
        problems.push({
          line: kindToken.line,
          column: kindToken.column,
          message: unknown("rule kind", kind, [...RESOURCE_RULE_KINDS, ...SCALAR_RULE_KINDS]),
        });
        continue;
      }
      if (!fields.policy) {
        problems.push({
          line: kindToken.line,
          column: kindToken.column,
          message: `${kind} "${nameToken.value}" has no policy (add policy = "read")`,
        });
        continue;
      }
      const byName = resources.get(kind as ResourceRuleKind) ?? new Map<string, ResourceRule>();
      resources.set(kind as ResourceRuleKind, byName);
      if (byName.has(nameToken.value)) {
        problems.push({
          line: kindToken.line,
          column: kindToken.column,
          message: `${kind} "${nameToken.value}" is defined twice`,
        });
      }
      byName.set(nameToken.value, {
        policy: fields.policy,
        ...(fields.intentions ? { intentions: fields.intentions } : {}),
      });
    }
  } catch (error) {
    if (error instanceof RulesSyntaxError) return { ok: false, problems: [...problems, error.problem] };
    throw error;
  }
  if (problems.length > 0) return { ok: false, problems };
  if (Object.keys(scalars).length === 0 && resources.size === 0) {
    return { ok: false, problems: [{ line: 1, column: 1, message: "no rules (a policy needs at least one)" }] };
  }
  const byKind = Object.fromEntries([...resources].map(([kind, byName]) => [kind, Object.fromEntries(byName)]));
  return { ok: true, rules: { ...scalars, ...byKind } as AclRules };
}
