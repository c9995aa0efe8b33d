import { NetworkingSecgroupRuleV2 } from "../../../.gen/providers/openstack/networking-secgroup-rule-v2";
import { rule } from "../../../checks/rules/cf-server-port-exposed";
import { findings, ruleIds } from "../../support/checks";
import { testStack } from "../../support/fixtures";

describe("CF-SERVER-PORT-EXPOSED", () => {
  const stack = testStack("s");
  const open = (id: string, port: number, remoteIpPrefix?: string) =>
    new NetworkingSecgroupRuleV2(stack, id, {
      securityGroupId: "sg",
      direction: "ingress",
      ethertype: "IPv4",
      protocol: "tcp",
      portRangeMin: port,
      portRangeMax: port,
      remoteIpPrefix,
    });

  it("is quiet on the mesh port open to the internet and the API open to admins", () => {
    open("wan", 8443, "0.0.0.0/0");
    open("admin", 8501, "203.0.113.0/24");
    expect(findings(stack, "enforced", [rule])).toEqual([]);
  });

  it("fires on a server port open to 0.0.0.0/0 or to any address", () => {
    open("rpc", 8300, "0.0.0.0/0");
    open("any", 8302);
    expect(ruleIds(findings(stack, "enforced", [rule]))).toEqual(["CF-SERVER-PORT-EXPOSED", "CF-SERVER-PORT-EXPOSED"]);
  });

  it("fires on the internet opened in halves, and not on an admin /8", () => {
    const halves = testStack("halves");
    for (const [id, remoteIpPrefix] of [
      ["low", "0.0.0.0/1"],
      ["high", "128.0.0.0/1"],
      ["operators", "10.0.0.0/8"],
    ]) {
      new NetworkingSecgroupRuleV2(halves, id, {
        securityGroupId: "sg",
        direction: "ingress",
        ethertype: "IPv4",
        protocol: "tcp",
        portRangeMin: 22,
        portRangeMax: 22,
        remoteIpPrefix,
      });
    }
    expect(findings(halves, "enforced", [rule]).map((finding) => finding.message)).toEqual([
      expect.stringContaining("opens port(s) 22 to 0.0.0.0/1."),
      expect.stringContaining("opens port(s) 22 to 128.0.0.0/1."),
    ]);
  });
});
