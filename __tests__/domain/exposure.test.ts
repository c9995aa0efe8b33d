import { operatorReachProblems, PUBLIC_ADDRESS_BOUND, publicAddressesCovered } from "../../domain/exposure";
import { parseIpv4Cidr } from "../../domain/ipv4";

const cidrs = (...texts: string[]) =>
  texts.map((text) => {
    const parsed = parseIpv4Cidr(text);
    if (!parsed.ok) throw new Error(parsed.problem);
    return parsed.cidr;
  });

describe("how far operator-only ports reach", () => {
  it("counts the whole internet less the blocks that are never public sources", () => {
    // 2^32 less 0/8, 10/8, 127/8, 224/4 and 240/4 (each /4 is 16 /8s) and the smaller special blocks.
    const specialSmall = 2 ** 22 + 2 ** 16 + 2 ** 8 + 2 ** 8 + 2 ** 20 + 2 ** 16 + 2 ** 17 + 2 ** 8 + 2 ** 8;
    expect(publicAddressesCovered(cidrs("0.0.0.0/0"))).toBe(2 ** 32 - 35 * 2 ** 24 - specialSmall);
  });

  it("counts overlapping entries once and private networks not at all", () => {
    expect(publicAddressesCovered(cidrs("198.51.100.0/24", "203.0.113.0/24"))).toBe(0);
    expect(publicAddressesCovered(cidrs("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))).toBe(0);
    expect(publicAddressesCovered(cidrs("11.0.0.0/8", "11.1.0.0/16", "11.0.0.0/9"))).toBe(2 ** 24);
  });

  it("accepts the operators' networks, up to one public /8", () => {
    expect(operatorReachProblems(["203.0.113.0/24", "10.0.0.0/8"], "admin ports (22, 8501)")).toEqual([]);
    expect(operatorReachProblems(["11.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12"], "admin ports")).toEqual([]);
    expect(operatorReachProblems([], "monitoring ports")).toEqual([]);
  });

  it("refuses each CIDR wider than /8, including the internet in halves", () => {
    expect(operatorReachProblems(["0.0.0.0/1", "128.0.0.0/1"], "admin ports (22, 8501)")).toEqual([
      "0.0.0.0/1 would open admin ports (22, 8501) to 2,147,483,648 addresses (list the operators' networks, none wider than /8)",
      "128.0.0.0/1 would open admin ports (22, 8501) to 2,147,483,648 addresses (list the operators' networks, none wider than /8)",
    ]);
    expect(operatorReachProblems(["0.0.0.0/0"], "admin ports")).toEqual([
      "0.0.0.0/0 would open admin ports to the whole internet (list the operators' networks, none wider than /8)",
    ]);
    expect(operatorReachProblems(["10.0.0.0/7"], "admin ports")).toHaveLength(1);
  });

  it("refuses a list of /8s that together cover more public space than one /8", () => {
    expect(2 * PUBLIC_ADDRESS_BOUND).toBe(33_554_432);
    const problems = operatorReachProblems(["11.0.0.0/8", "12.0.0.0/8"], "admin ports");
    expect(problems).toEqual([
      "together these CIDRs would open admin ports to 33,554,432 public addresses, more than a /8 holds (list the operators' networks, none wider than /8, not public address space wholesale)",
    ]);
  });

  it("leaves entries it cannot parse to the parser", () => {
    expect(operatorReachProblems(["not a cidr", "203.0.113.0/24"], "admin ports")).toEqual([]);
  });
});
