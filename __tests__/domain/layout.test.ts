import { parseIpv4Cidr } from "../../domain/ipv4";
import { planDatacenter, serverCountProblem } from "../../domain/layout";

describe("datacenter layout", () => {
  const cidr = parseIpv4Cidr("10.20.0.0/24");
  if (!cidr.ok) throw new Error(cidr.problem);

  it("names nodes after their datacenter and gives them fixed addresses from the plan", () => {
    const plan = planDatacenter({
      name: "prod2",
      primaryDatacenter: "prod1",
      cidr: cidr.cidr,
      servers: 3,
      gateways: 2,
    });
    expect(plan.role).toBe("secondary");
    expect(plan.servers.map((n) => [n.name, n.privateIp])).toEqual([
      ["prod2-server-1", "10.20.0.10"],
      ["prod2-server-2", "10.20.0.11"],
      ["prod2-server-3", "10.20.0.12"],
    ]);
    expect(plan.gateways.map((n) => [n.name, n.privateIp, n.role])).toEqual([
      ["prod2-gateway-1", "10.20.0.30", { kind: "gateway", datacenterRole: "secondary" }],
      ["prod2-gateway-2", "10.20.0.31", { kind: "gateway", datacenterRole: "secondary" }],
    ]);
  });

  it.each([
    [1, undefined],
    [3, undefined],
    [0, /at least 1/],
    [4, /must be odd/],
    [2.5, /must be odd/],
  ])("judges a count of %d servers", (count, expected) => {
    const problem = serverCountProblem(count);
    if (expected === undefined) expect(problem).toBeUndefined();
    else expect(problem).toMatch(expected);
  });
});
