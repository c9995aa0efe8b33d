import { Annotations, IAspect } from "cdktf";
import type { IConstruct } from "constructs";
import type { RolloutStage } from "../../config/schema";
import { FederationRule, RuleContext, suppressionOf } from "./rule";
import { defaultPolicyEnforced } from "./rules/default-policy-enforced";
import { evenServerCount } from "./rules/even-server-count";
import { gatewayRedundancy } from "./rules/gateway-redundancy";
import { privateWanAddress } from "./rules/private-wan-address";
import { secondaryFederation } from "./rules/secondary-federation";
import { secretOutput } from "./rules/secret-output";
import { serverCertificateSans } from "./rules/server-certificate-sans";
import { serverPortExposed } from "./rules/server-port-exposed";

export const FEDERATION_RULES: readonly FederationRule[] = [
  evenServerCount,
  gatewayRedundancy,
  serverCertificateSans,
  serverPortExposed,
  defaultPolicyEnforced,
  secondaryFederation,
  secretOutput,
  privateWanAddress,
];

export interface FederationChecksProps {
  readonly stage: RolloutStage;
  /** The root the checks were added to (an App). */
  readonly root: IConstruct;
  /** @default FEDERATION_RULES */
  readonly rules?: readonly FederationRule[];
}

/**
 * The federation's checks as a cdktf Aspect, the way cdk-nag packs AWS CDK rules: every finding becomes
 * an Annotation on the construct it concerns (an error fails synthesis) unless a suppression with a
 * reason acknowledges it, in which case the suppression itself is reported.
 */
export class FederationChecks implements IAspect {
  private readonly context: RuleContext;
  private readonly rules: readonly FederationRule[];
  // A root-level rule is visited once per stack when the aspect is added to the app: report once.
  private readonly reported = new Set<string>();

  constructor(props: FederationChecksProps) {
    this.context = { stage: props.stage, root: props.root };
    this.rules = props.rules ?? FEDERATION_RULES;
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
