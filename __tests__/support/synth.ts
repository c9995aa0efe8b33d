import { App, Testing } from "cdktf";
import type { FederationConfig } from "../../config/schema";
import { buildFederation, Federation } from "../../stacks/federation";
import { markRemoteStateSensitive } from "../../stacks/sensitive-remote-state";

export interface SynthesizedFederation {
  readonly app: App;
  readonly federation: Federation;
  /** Stack name -> synthesized JSON text. */
  readonly stacks: Map<string, string>;
}

/**
 * Synthesizes every stack of a federation the way `app.synth()` does: cross-stack references are
 * resolved only after every stack has been prepared.
 */
export function synthesize(config: FederationConfig): SynthesizedFederation {
  const app = Testing.app();
  const federation = buildFederation(app, config);
  for (const stack of federation.stacks) stack.prepareStack();
  // As the app writes them: readings of other stacks' outputs marked sensitive.
  const stacks = new Map(
    federation.stacks.map((stack) => [stack.node.id, markRemoteStateSensitive(Testing.synth(stack))]),
  );
  return { app, federation, stacks };
}

export function synthFederation(config: FederationConfig): Map<string, string> {
  return synthesize(config).stacks;
}

/** The resources of one type in a synthesized stack, by logical ID. */
export function resourcesOf(stackJson: string, type: string): Record<string, Record<string, unknown>> {
  return (JSON.parse(stackJson).resource?.[type] ?? {}) as Record<string, Record<string, unknown>>;
}
