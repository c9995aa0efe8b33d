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
 * older snapshot recoverable. Each generation has a random secret of its own, made once and kept in the primary's
 * state (so that whoever read the state before a rotation cannot tell the next secret), which is why a generation,
 * once made, is never given back: a counter set lower would destroy the secrets Consul still uses.
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

/** The construct ID of a generation's secret in the primary's stack (also how its state names it). */
export function terraformTokenResourceId(generation: number): string {
  return `${TERRAFORM_TOKEN_KEY}-${generation}`;
}

/** The generation whose secret a resource of the primary's state holds, by its name there; none for another. */
export function terraformTokenGenerationOf(resourceName: string): number | undefined {
  const match = new RegExp(`(?:^|_)${TERRAFORM_TOKEN_KEY}-(\\d+)_[0-9A-F]{8}$`).exec(resourceName);
  return match ? Number(match[1]) : undefined;
}

/** The description of a generation that the primary's servers create. */
export function terraformTokenDescription(generation: number): string {
  return `Terraform and the federation's scripts (consul-federation-openstack), generation ${generation}`;
}

/** The accessor ID of a generation the primary's servers create (a bootstrapped one has Consul's random one). */
export function terraformTokenAccessorId(federation: string, generation: number): string {
  return rotatedAccessorId(federation, TERRAFORM_TOKEN_KEY, generation) as string;
}
