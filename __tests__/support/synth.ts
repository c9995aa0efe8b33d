import { Testing } from "cdktf";
import type { FederationConfig } from "../../config/schema";
import { buildFederation } from "../../stacks/federation";

export type SynthesizedStack = Record<string, unknown>;

/**
 * Synthesizes every stack of a federation the way `app.synth()` does: cross-stack references are
 * resolved only after every stack has been prepared.
 */
export function synthFederation(config: FederationConfig): Map<string, string> {
  const app = Testing.app();
  const federation = buildFederation(app, config);
  for (const stack of federation.stacks) stack.prepareStack();
  return new Map(federation.stacks.map((stack) => [stack.node.id, Testing.synth(stack)]));
}
