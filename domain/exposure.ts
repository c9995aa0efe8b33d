import { cidrSize, formatCidr, Ipv4Cidr, parseIpv4Cidr } from "./ipv4";

/**
 * How far operator-only ports (SSH, the HTTPS API, metrics) may reach. Refusing only the literal `0.0.0.0/0`
 * lets `[0.0.0.0/1, 128.0.0.0/1]` open them to everyone, so the bound is on width, one CIDR at a time and for
 * the whole list together.
 */

/** The widest single CIDR an operator-only port may be opened to: a /8 (16,777,216 addresses). */
export const WIDEST_OPERATOR_PREFIX = 8;

/** The most publicly routable addresses a whole list may cover together: as many as one /8 holds. */
export const PUBLIC_ADDRESS_BOUND = 2 ** (32 - WIDEST_OPERATOR_PREFIX);

interface Interval {
  readonly start: number;
  readonly end: number; // exclusive
}

function intervalOf(cidr: Ipv4Cidr): Interval {
  return { start: cidr.network, end: cidr.network + cidrSize(cidr) };
}

/**
 * Blocks that are not globally reachable unicast sources, from IANA's IPv4 Special-Purpose Address Registry
 * (RFC 6890 and its updates: https://www.iana.org/assignments/iana-ipv4-special-registry/) plus multicast
 * (224.0.0.0/4, RFC 5771), which is never a source address. Operators' private networks (10/8, 172.16/12,
 * 192.168/16, 100.64/10) fall in here, so a list of private networks is never counted as public reach.
 * Disjoint and sorted, which `publicAddressesCovered` relies on.
 */
const NOT_PUBLIC: readonly Interval[] = [
  "0.0.0.0/8",
  "10.0.0.0/8",
  "100.64.0.0/10",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "172.16.0.0/12",
  "192.0.0.0/24",
  "192.0.2.0/24",
  "192.168.0.0/16",
  "198.18.0.0/15",
  "198.51.100.0/24",
  "203.0.113.0/24",
  "224.0.0.0/4",
  "240.0.0.0/4",
].map((text) => {
  const parsed = parseIpv4Cidr(text);
  if (!parsed.ok) throw new Error(parsed.problem);
  return intervalOf(parsed.cidr);
});

/** The union of the CIDRs as sorted, disjoint intervals, so that overlapping entries are counted once. */
function union(cidrs: readonly Ipv4Cidr[]): Interval[] {
  const merged: Interval[] = [];
  for (const next of cidrs.map(intervalOf).sort((a, b) => a.start - b.start)) {
    const last = merged[merged.length - 1];
    if (last && next.start <= last.end)
      merged[merged.length - 1] = { start: last.start, end: Math.max(last.end, next.end) };
    else merged.push(next);
  }
  return merged;
}

/** How many globally reachable addresses the CIDRs cover together. */
export function publicAddressesCovered(cidrs: readonly Ipv4Cidr[]): number {
  let total = 0;
  for (const interval of union(cidrs)) {
    let covered = interval.end - interval.start;
    for (const reserved of NOT_PUBLIC) {
      covered -= Math.max(0, Math.min(interval.end, reserved.end) - Math.max(interval.start, reserved.start));
    }
    total += covered;
  }
  return total;
}

/**
 * Why a list of CIDRs reaches too far for operator-only ports (`what`, e.g. "admin ports"), or nothing.
 * Entries that do not parse are left to the parser's own message.
 */
export function operatorReachProblems(texts: readonly string[], what: string): string[] {
  const cidrs = texts.flatMap((text) => {
    const parsed = parseIpv4Cidr(text);
    return parsed.ok ? [parsed.cidr] : [];
  });
  const fix = `list the operators' networks, none wider than /${WIDEST_OPERATOR_PREFIX}`;
  const tooWide = cidrs
    .filter((cidr) => cidr.prefixLength < WIDEST_OPERATOR_PREFIX)
    .map((cidr) => {
      const reach = cidr.prefixLength === 0 ? "the whole internet" : `${count(cidrSize(cidr))} addresses`;
      return `${formatCidr(cidr)} would open ${what} to ${reach} (${fix})`;
    });
  if (tooWide.length > 0) return tooWide;
  const covered = publicAddressesCovered(cidrs);
  if (covered <= PUBLIC_ADDRESS_BOUND) return [];
  return [
    `together these CIDRs would open ${what} to ${count(covered)} public addresses, more than a /${WIDEST_OPERATOR_PREFIX} holds (${fix}, not public address space wholesale)`,
  ];
}

/** 16777216 as 16,777,216, without depending on the runtime's locale data. */
const count = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
