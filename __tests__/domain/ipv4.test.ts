import { cidrsOverlap, hostAddress, parseIpv4Cidr } from "../../domain/ipv4";

describe("IPv4 CIDR parsing", () => {
  it.each(["10.0.0.0/8", "192.168.1.0/24", "0.0.0.0/0", "203.0.113.255/32"])("accepts %s", (text) => {
    expect(parseIpv4Cidr(text).ok).toBe(true);
  });
  it.each(["10.0.0.0", "10.0.0/8", "10.0.0.0/33", "256.0.0.0/8", "01.0.0.0/8", "10.0.0.1/24", " 10.0.0.0/8"])(
    "rejects %s",
    (text) => {
      expect(parseIpv4Cidr(text).ok).toBe(false);
    },
  );
});

describe("IPv4 arithmetic", () => {
  const cidr = (text: string) => {
    const parsed = parseIpv4Cidr(text);
    if (!parsed.ok) throw new Error(parsed.problem);
    return parsed.cidr;
  };

  it("finds overlapping networks in either order", () => {
    expect(cidrsOverlap(cidr("10.10.0.0/24"), cidr("10.10.0.128/25"))).toBe(true);
    expect(cidrsOverlap(cidr("10.10.0.128/25"), cidr("10.10.0.0/16"))).toBe(true);
    expect(cidrsOverlap(cidr("10.10.0.0/24"), cidr("10.10.1.0/24"))).toBe(false);
  });

  it("derives host addresses and refuses the network and broadcast addresses", () => {
    expect(hostAddress(cidr("10.20.0.0/24"), 10)).toBe("10.20.0.10");
    expect(() => hostAddress(cidr("10.20.0.0/24"), 0)).toThrow(/outside 10\.20\.0\.0\/24/);
    expect(() => hostAddress(cidr("10.20.0.0/24"), 255)).toThrow(/outside/);
  });
});
