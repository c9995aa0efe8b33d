/**
 * How the federation names things: datacenters, nodes, stacks and the mesh gateways' service. Every other
 * layer imports these; none spells a name out again.
 */

/**
 * A single DNS label: lowercase letters, digits and '-'. Datacenter and node names must be one: Consul
 * accepts '_' too, but both become parts of DNS names (certificate SANs such as server.<dc>.<domain>) and of
 * Terraform stack names, where '_' is not valid, and a dotted node name (OpenStack's `*.novalocal`) breaks
 * WAN federation ("node name does not encode a datacenter").
 */
export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A DNS name of one or more labels, 253 characters at most. */
export const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** The service every mesh gateway registers as; its ACL policy grants `service:write` on this name. */
export const MESH_GATEWAY_SERVICE = "mesh-gateway";

/** `<dc>-server-<n>`, n from 1. */
export function serverNodeName(datacenter: string, index: number): string {
  return `${datacenter}-server-${index + 1}`;
}

/** `<dc>-gateway-<n>`, n from 1. */
export function gatewayNodeName(datacenter: string, index: number): string {
  return `${datacenter}-gateway-${index + 1}`;
}

/**
 * The stacks of a federation: the primary's servers, its ACLs and its gateways each have a stack, every
 * secondary datacenter one of its own, named after the datacenter, and the gossip keyring the last one.
 */
export function stackNames(primaryDatacenter: string) {
  return {
    primary: primaryDatacenter,
    primaryAcl: `${primaryDatacenter}-acl`,
    primaryGateways: `${primaryDatacenter}-gateways`,
    primaryKeyring: `${primaryDatacenter}-keyring`,
    secondary: (datacenter: string) => datacenter,
  } as const;
}
