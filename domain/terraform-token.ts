/**
 * Terraform's own management token: the facts the primary's stack (which makes its secrets), its servers (which
 * create each generation in Consul) and the stacks that use it agree on.
 *
 * Generation 0 is the initial management token, with which the primary's servers bootstrap the ACL system from
 * their configuration (`acl.tokens.initial_management`). From generation 1 on (`rotation.terraformToken`), no
 * configuration holds a management token: the ACL system is bootstrapped through the API with the current
 * generation's secret (`PUT /v1/acl/bootstrap` with `BootstrapSecret`, developer.hashicorp.com/consul/api-docs/acl:
 * "a mechanism to bootstrap ACLs without having any secrets present in Consul's configuration files"), or the
 * current generation is created with any older one that still resolves, which is what makes a restore from an
 * older snapshot recoverable. Every generation's secret derives from one random seed in the primary's state, so
 * that each older one can be tried and deleted without keeping a slot per generation.
 */
import { rotatedAccessorId } from "./token-rotation";

/** The token's key among the federation's tokens: part of its accessor IDs. */
export const TERRAFORM_TOKEN_KEY = "terraform-token";

/** Consul's built-in policy `global-management` (structs.ACLPolicyGlobalManagementID). */
export const GLOBAL_MANAGEMENT_POLICY_ID = "00000000-0000-0000-0000-000000000001";

/** Whether the primary's servers bootstrap the ACL system from their configuration (generation 0 only). */
export function bootstrapsFromConfiguration(generation: number): boolean {
  return generation === 0;
}

/** The name a generation's secret is derived under (Terraform `uuidv5(seed, name)`). */
export function terraformTokenSecretName(generation: number): string {
  return `${TERRAFORM_TOKEN_KEY}-${generation}`;
}

/** The description of a generation that the primary's servers create. */
export function terraformTokenDescription(generation: number): string {
  return `Terraform and the federation's scripts (consul-federation-openstack), generation ${generation}`;
}

/** The accessor ID of a generation the primary's servers create (a bootstrapped one has Consul's random one). */
export function terraformTokenAccessorId(federation: string, generation: number): string {
  return rotatedAccessorId(federation, TERRAFORM_TOKEN_KEY, generation) as string;
}
