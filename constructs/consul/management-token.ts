import type { DeliveredFile } from "../compute/ssh-file-delivery";
import { nodeFile } from "./node-files";

/** A generation of a management token and its secret (a Terraform reference, sensitive). */
export interface ManagementTokenGeneration {
  readonly generation: number;
  readonly secret: string;
}

/**
 * What a primary server's apply script needs to make the current generation of the management token Terraform
 * uses, and to delete the older ones (node-apply.sh: ensure_management_token, retire_older_management_tokens).
 */
export interface ManagementTokenProps {
  /** The generation to make: every generation below it is deleted once it exists. */
  readonly generation: number;
  /** Its accessor ID (not secret). */
  readonly accessorId: string;
  /** Its description in Consul. */
  readonly description: string;
  /** The ID of the policy it links (Consul's `global-management`). */
  readonly policyId: string;
  /**
   * Every generation the ACL system may hold, newest first, down to 0, the initial management token: the first
   * that resolves makes the current one, and after a restore any of them may be the one the snapshot holds.
   */
  readonly generations: readonly ManagementTokenGeneration[];
  /**
   * The private addresses of the datacenter's servers: the initial management token is deleted only once none of
   * them holds it in memory (a server that leads re-creates it from its configuration if it is missing).
   */
  readonly servers: readonly string[];
}

/** The staged file, read by node-apply.sh only and removed with the staging folder. */
export const MANAGEMENT_TOKEN_FILE = "management-token.json";

/** The management token's generations and what to make of them, as the staged JSON the apply script reads. */
export function managementTokenFile(props: ManagementTokenProps): DeliveredFile {
  const content = {
    generation: props.generation,
    accessorId: props.accessorId,
    description: props.description,
    policyId: props.policyId,
    generations: props.generations.map(({ generation, secret }) => ({ generation, secretId: secret })),
    servers: props.servers,
  };
  return nodeFile.staged(MANAGEMENT_TOKEN_FILE, `${JSON.stringify(content, null, 2)}\n`);
}
