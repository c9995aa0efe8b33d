import type { IConstruct } from "constructs";

/**
 * Thrown at construction when a construct's props are impossible. The message starts with the
 * construct path so that the offending call in a large app is found without a stack trace.
 */
export class InvalidPropsError extends Error {
  constructor(scope: IConstruct, field: string, problem: string) {
    super(`${scope.node.path}: ${field}: ${problem}`);
    this.name = "InvalidPropsError";
  }
}

/** Collects problems and throws them together, so one run reports every mistake. */
export class PropsValidator {
  private readonly problems: string[] = [];

  constructor(private readonly scope: IConstruct) {}

  check(condition: boolean, field: string, problem: string): this {
    if (!condition) this.problems.push(`${field}: ${problem}`);
    return this;
  }

  throwIfInvalid(): void {
    if (this.problems.length === 0) return;
    const [first, ...rest] = this.problems;
    const [field, ...problem] = first.split(": ");
    const error = new InvalidPropsError(this.scope, field, problem.join(": "));
    if (rest.length > 0) error.message += `\n${rest.map((p) => `${this.scope.node.path}: ${p}`).join("\n")}`;
    throw error;
  }
}

/** A short host name without dots: Consul's WAN federation rejects dotted node names. */
export const NODE_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
export const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
