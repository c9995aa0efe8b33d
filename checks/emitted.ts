import type { IConstruct } from "constructs";
import { MESH_GATEWAY_UNIT, NODE_PATHS } from "../domain/node-paths";
import { SshFileDelivery } from "../constructs/compute/ssh-file-delivery";
import type { ConsulAgentConfig } from "../constructs/consul/agent-config";

/**
 * What a node receives, read back from its settings delivery: the rules judge these files as delivered,
 * not the objects they were rendered from.
 */
export interface DeliveredNode {
  readonly delivery: SshFileDelivery;
  /** The agent configuration file, parsed (Terraform references stay as cdktf tokens). */
  readonly agentConfig: ConsulAgentConfig;
  /** Whether the node runs a mesh gateway (it receives the gateway's unit). */
  readonly meshGateway: boolean;
  /** The gateway's environment file, as variables. */
  readonly gatewayEnvironment?: Readonly<Record<string, string>>;
}

function fileAt(delivery: SshFileDelivery, destination: string): string | undefined {
  return delivery.files.find((file) => file.destination === destination)?.content;
}

function parseEnvironmentFile(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split("\n")
      .filter((line) => line.includes("="))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
}

/** The Consul node a construct delivers to, if it is a settings delivery with an agent configuration. */
export function deliveredNode(construct: IConstruct): DeliveredNode | undefined {
  if (!(construct instanceof SshFileDelivery)) return undefined;
  const agentConfig = fileAt(construct, NODE_PATHS.agentConfig);
  if (agentConfig === undefined) return undefined;
  const environment = fileAt(construct, NODE_PATHS.gatewayEnvironment);
  return {
    delivery: construct,
    agentConfig: JSON.parse(agentConfig) as ConsulAgentConfig,
    meshGateway: construct.files.some((file) => file.name === MESH_GATEWAY_UNIT),
    gatewayEnvironment: environment === undefined ? undefined : parseEnvironmentFile(environment),
  };
}
