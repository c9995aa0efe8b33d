import { App, Testing } from "cdktf";
import type { IConstruct } from "constructs";
import { FederationChecks, FederationRule } from "../../checks/engine";
import { FEDERATION_RULES } from "../../checks/pack";
import type { FederationConfig } from "../../config/schema";
import { SshFileDelivery } from "../../constructs/compute/ssh-file-delivery";
import { NODE_PATHS } from "../../domain/node-paths";
import type { RolloutStage } from "../../domain/stages";
import { buildFederation } from "../../stacks/federation";
import { exampleConfig } from "./fixtures";

export interface Finding {
  readonly level: "error" | "warning" | "info";
  readonly path: string;
  readonly message: string;
}

const LEVELS: Record<string, Finding["level"]> = {
  "@cdktf/error": "error",
  "@cdktf/warn": "warning",
  "@cdktf/info": "info",
};

/** Runs the checks over a tree the way the aspect does at synth, and returns the annotations. */
export function findings(root: IConstruct, stage: RolloutStage = "enforced", rules = FEDERATION_RULES): Finding[] {
  const checks = new FederationChecks({ stage, root, rules });
  for (const node of root.node.findAll()) checks.visit(node);
  return root.node
    .findAll()
    .flatMap((node) =>
      node.node.metadata
        .filter((entry) => entry.type in LEVELS)
        .map((entry) => ({ level: LEVELS[entry.type], path: node.node.path, message: String(entry.data) })),
    );
}

/** The ids of the rules that fired (errors and warnings). */
export const ruleIds = (list: Finding[]) =>
  list.filter((f) => f.level !== "info").map((f) => f.message.match(/^\[([A-Z-]+)\]/)?.[1]);

/** The example federation's construct tree, after `mutate` edited its validated configuration. */
export function federationApp(mutate: (config: FederationConfig) => void = () => undefined): App {
  const config = exampleConfig();
  mutate(config);
  const app = Testing.app();
  buildFederation(app, config);
  return app;
}

/** A settings delivery of a hand-written agent configuration (and gateway files), as a broken app would emit it. */
export function deliveryOf(
  scope: IConstruct,
  id: string,
  agentConfig: Record<string, unknown>,
  gateway?: { environment: string },
): SshFileDelivery {
  const file = (name: string, destination: string, content: string) => ({
    name,
    destination,
    owner: "root",
    group: "root",
    mode: "0644",
    content,
  });
  return new SshFileDelivery(scope as never, id, {
    host: "192.0.2.1",
    user: "ubuntu",
    applyScript: "apply.sh",
    target: "instance",
    files: [
      file("apply.sh", "-", ""),
      file("consul.json", NODE_PATHS.agentConfig, JSON.stringify(agentConfig)),
      ...(gateway
        ? [
            file("consul-mesh-gateway.service", "/etc/systemd/system/consul-mesh-gateway.service", ""),
            file("mesh-gateway.env", NODE_PATHS.gatewayEnvironment, gateway.environment),
          ]
        : []),
    ],
  });
}

export type { FederationRule };
