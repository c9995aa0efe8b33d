/**
 * The layout of a datacenter: which nodes it has, what each is called, which role it plays and which fixed
 * address it gets. Worked out once from the configuration; every stack, file and picture reads it from here.
 */
import { hostAddress, Ipv4Cidr } from "./ipv4";
import { gatewayNodeName, serverNodeName } from "./names";
import type { NodeKind } from "./ports";

/** Offsets inside a datacenter's network; DHCP hands out addresses from `dhcpPoolStartOffset` up. */
export const ADDRESS_PLAN = {
  firstServerOffset: 10,
  firstGatewayOffset: 30,
  dhcpPoolStartOffset: 64,
  maxServers: 9,
  maxGateways: 8,
  /** /25 is the smallest network that holds the fixed addresses and a DHCP pool. */
  longestPrefix: 25,
  shortestPrefix: 16,
} as const;

/**
 * Raft needs a majority: an even number of servers tolerates no more failures than one server fewer and
 * can split its votes. Returns the problem, or undefined for a valid count.
 */
export function serverCountProblem(count: number): string | undefined {
  if (!(count >= 1)) return "must be at least 1 (use 3 for a fault-tolerant datacenter)";
  if (count % 2 !== 1) return "must be odd so that Raft keeps a majority (use 3 or 5)";
  return undefined;
}

/** Whether a datacenter is the federation's primary (ACLs are bootstrapped and managed there) or a secondary. */
export type DatacenterRole = "primary" | "secondary";

export interface NodeRole {
  readonly kind: NodeKind;
  readonly datacenterRole: DatacenterRole;
}

export interface PlannedNode {
  readonly name: string;
  readonly datacenter: string;
  readonly role: NodeRole;
  /** Position among the datacenter's nodes of its kind, from 0. */
  readonly index: number;
  readonly privateIp: string;
}

export interface DatacenterPlan {
  readonly name: string;
  readonly role: DatacenterRole;
  readonly primaryDatacenter: string;
  readonly servers: readonly PlannedNode[];
  readonly gateways: readonly PlannedNode[];
}

export interface DatacenterLayoutInput {
  readonly name: string;
  readonly primaryDatacenter: string;
  readonly cidr: Ipv4Cidr;
  readonly servers: number;
  readonly gateways: number;
}

/** The nodes of a datacenter with their names, roles and fixed addresses from the address plan. */
export function planDatacenter(input: DatacenterLayoutInput): DatacenterPlan {
  const datacenterRole: DatacenterRole = input.name === input.primaryDatacenter ? "primary" : "secondary";
  const nodes = (kind: NodeKind, count: number, firstOffset: number, name: typeof serverNodeName) =>
    Array.from({ length: count }, (_, index) => ({
      name: name(input.name, index),
      datacenter: input.name,
      role: { kind, datacenterRole },
      index,
      privateIp: hostAddress(input.cidr, firstOffset + index),
    }));
  return {
    name: input.name,
    role: datacenterRole,
    primaryDatacenter: input.primaryDatacenter,
    servers: nodes("server", input.servers, ADDRESS_PLAN.firstServerOffset, serverNodeName),
    gateways: nodes("gateway", input.gateways, ADDRESS_PLAN.firstGatewayOffset, gatewayNodeName),
  };
}
