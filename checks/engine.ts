import { Annotations, IAspect } from "cdktf";
import type { IConstruct } from "constructs";
import type { RolloutStage } from "../domain/stages";

/**
 * The engine of the federation checks, the way cdk-nag packs AWS CDK rules: rules judge what the app emits
 * (resources, outputs, the files nodes receive), every finding becomes an Annotation on the construct it
 * concerns (an error fails synthesis) unless a suppression with a reason acknowledges it, in which case the
 * suppression itself is reported.
 */

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

/** One federation check, in a file of `rules/` named after its id. */
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

export interface FederationChecksProps {
  readonly stage: RolloutStage;
  /** The root of the tree: the App whose stacks the checks are added to. */
  readonly root: IConstruct;
  readonly rules: readonly FederationRule[];
}

/**
 * The checks as a cdktf Aspect. cdktf runs the aspects of each stack (not those of the App), so one
 * instance is added to every stack; it reports a finding once even when several stacks see it.
 */
export class FederationChecks implements IAspect {
  private readonly context: RuleContext;
  private readonly rules: readonly FederationRule[];
  private readonly reported = new Set<string>();

  constructor(props: FederationChecksProps) {
    this.context = { stage: props.stage, root: props.root };
    this.rules = props.rules;
  }

  visit(node: IConstruct): void {
    for (const rule of this.rules) {
      for (const finding of rule.check(node, this.context)) {
        const target = finding.construct ?? node;
        const key = `${rule.id}|${target.node.path}|${finding.message}`;
        if (this.reported.has(key)) continue;
        this.reported.add(key);
        const suppression = suppressionOf(target, rule.id);
        const annotations = Annotations.of(target);
        if (suppression) {
          annotations.addInfo(`[${rule.id}] suppressed: ${finding.message} (reason: ${suppression.reason})`);
        } else if (rule.level === "error") {
          annotations.addError(`[${rule.id}] ${finding.message}. Fix: ${rule.fix}`);
        } else {
          annotations.addWarning(`[${rule.id}] ${finding.message}. Fix: ${rule.fix}`);
        }
      }
    }
  }
}
