import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { DataResource, ITerraformDependable } from "cdktf";
import type { Construct } from "constructs";
import { DeliveredFile, SshFileDelivery } from "../compute/ssh-file-delivery";
import { localAgentEnvironment, nodeFile } from "./node-files";

/** Where a federation-wide step runs: one server of the primary, over SSH, with the management token. */
export interface PrimaryServerStepProps {
  /** A server of the primary datacenter: its floating IP. */
  readonly host: string;
  /** The server's SSH host key, pinned in the connection; none to trust any. */
  readonly hostKey?: string;
  readonly sshUser: string;
  /** The management token (sensitive): what the step works with. */
  readonly managementToken: string;
}

export interface PrimaryServerStep {
  /** The program that runs, a file of constructs/consul/files, given the staging folder. */
  readonly script: string;
  /** What the delivery is about: it runs again when this or any file changes. */
  readonly target: string;
  /** The staged environment file: the local agent's address and CA, and the step's own settings. */
  readonly environment: { readonly name: string; readonly values?: Readonly<Record<string, string | number>> };
  /** The step's other staged files. */
  readonly files?: readonly DeliveredFile[];
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * Runs a step on a primary server (construct `delivery`): its program, its environment, its files and a header
 * file of the management token, all in a staging folder the program removes. Returns what completes once it ran.
 */
export function runOnPrimaryServer(
  scope: Construct,
  props: PrimaryServerStepProps,
  step: PrimaryServerStep,
): DataResource {
  const source = readFileSync(join(__dirname, "files", step.script), "utf8");
  return new SshFileDelivery(scope, "delivery", {
    host: props.host,
    hostKey: props.hostKey,
    user: props.sshUser,
    applyScript: step.script,
    dependsOn: step.dependsOn,
    target: step.target,
    files: [
      nodeFile.staged(step.script, source, "0700"),
      localAgentEnvironment(step.environment.name, step.environment.values),
      ...(step.files ?? []),
      nodeFile.tokenHeader("management-token.header", props.managementToken),
    ],
  }).resource;
}
