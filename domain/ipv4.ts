/**
 * Minimal IPv4 arithmetic: parsing CIDRs, detecting overlaps and
 * deriving the fixed addresses of servers and gateways. IPv6 is out of scope: Consul's
 * `advertise_addr` template and the OpenStack subnets here are IPv4.
 */

export interface Ipv4Cidr {
  /** The network address as an unsigned 32-bit integer. */
  readonly network: number;
  readonly prefixLength: number;
}

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

export function parseIpv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => OCTET.test(p))) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

export type CidrParseResult = { ok: true; cidr: Ipv4Cidr } | { ok: false; problem: string };

/** Parses `a.b.c.d/n`, rejecting host bits so that a typo never silently widens a network. */
export function parseIpv4Cidr(text: string): CidrParseResult {
  const match = /^([^/]+)\/(\d{1,2})$/.exec(text);
  const address = match ? parseIpv4(match[1]) : undefined;
  const prefixLength = match ? Number(match[2]) : NaN;
  if (address === undefined || !(prefixLength >= 0 && prefixLength <= 32)) {
    return { ok: false, problem: `"${text}" is not an IPv4 CIDR (write it as 10.10.0.0/24)` };
  }
  const size = 2 ** (32 - prefixLength);
  const network = address - (address % size);
  if (network !== address) {
    return {
      ok: false,
      problem: `"${text}" has host bits set (did you mean ${formatIpv4(network)}/${prefixLength}?)`,
    };
  }
  return { ok: true, cidr: { network, prefixLength } };
}

export function cidrSize(cidr: Ipv4Cidr): number {
  return 2 ** (32 - cidr.prefixLength);
}

export function cidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return a.network < b.network + cidrSize(b) && b.network < a.network + cidrSize(a);
}

/** The address `offset` hosts into the network (offset 1 is the conventional router address). */
export function hostAddress(cidr: Ipv4Cidr, offset: number): string {
  if (offset <= 0 || offset >= cidrSize(cidr) - 1) {
    throw new Error(`host offset ${offset} is outside ${formatCidr(cidr)}`);
  }
  return formatIpv4(cidr.network + offset);
}

export function formatCidr(cidr: Ipv4Cidr): string {
  return `${formatIpv4(cidr.network)}/${cidr.prefixLength}`;
}
