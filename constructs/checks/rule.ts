import type { IConstruct } from "constructs";
import type { RolloutStage } from "../../config/schema";

export type RuleLevel = "error" | "warning";

/** What a rule knows about the app beyond the construct it visits. */
export interface RuleContext {
  /** The rollout stage the federation is synthesized for. */
  readonly stage: RolloutStage;
  /** The root of the construct tree (for rules that look across datacenters). */
  readonly root: IConstruct;
}

export interface RuleFinding {
  /** Where the problem is; defaults to the visited construct. */
  readonly construct?: IConstruct;
  readonly message: string;
}

/**
 * One federation check: it inspects a construct and reports what is wrong, with the fix. Rules live
 * one per file under rules/; the FederationChecks aspect runs them.
 */
export interface FederationRule {
  /** Stable identifier used in messages and suppressions, e.g. `CF-EVEN-SERVERS`. */
  readonly id: string;
  readonly level: RuleLevel;
  /** How to fix a finding, printed after the message. */
  readonly fix: string;
  check(construct: IConstruct, context: RuleContext): readonly RuleFinding[];
}

const SUPPRESSIONS = "consul-federation/suppressions";

export interface RuleSuppression {
  readonly id: string;
  readonly reason: string;
}

/**
 * Acknowledges a rule for a construct and everything below it, as cdk-nag suppressions do. The reason
 * is printed at synth, so that a reviewer sees every acknowledged finding.
 */
export function suppressRule(construct: IConstruct, id: string, reason: string): void {
  if (reason.trim().length < 10) {
    throw new Error(
      `${construct.node.path}: suppressing ${id} needs a reason a reviewer can judge (10 characters or more)`,
    );
  }
  construct.node.addMetadata(SUPPRESSIONS, { id, reason } satisfies RuleSuppression);
}

/** The suppression of `id` on the construct or its nearest ancestor, if any. */
export function suppressionOf(construct: IConstruct, id: string): RuleSuppression | undefined {
  for (const scope of [...construct.node.scopes].reverse()) {
    const entry = scope.node.metadata.find((m) => m.type === SUPPRESSIONS && (m.data as RuleSuppression).id === id);
    if (entry) return entry.data as RuleSuppression;
  }
  return undefined;
}
