import { Testing } from "cdktf";
import { NodeSecurityGroups } from "../../../constructs/security/security-groups";
import { portMatrix } from "../../../domain/ports";
import { testStack } from "../../support/fixtures";
import { resourcesOf } from "../../support/synth";

describe("NodeSecurityGroups", () => {
  const matrix = portMatrix({ envoyMetricsPort: 9102 });
  const props = {
    namePrefix: "dc1",
    datacenterCidr: "10.1.0.0/24",
    adminCidrs: ["203.0.113.0/24"],
    monitoringCidrs: [],
    wanCidrs: ["0.0.0.0/0"],
    matrix,
  };

  it("refuses to open admin ports to the whole internet", () => {
    expect(() => new NodeSecurityGroups(testStack(), "sg", { ...props, adminCidrs: ["0.0.0.0/0"] })).toThrow(
      /^test\/sg: adminCidrs: 0\.0\.0\.0\/0 would open admin ports \(22, 8501\) to the whole internet/,
    );
  });

  it("refuses the internet opened in pieces, to operators and to scrapers alike", () => {
    expect(
      () => new NodeSecurityGroups(testStack(), "sg", { ...props, adminCidrs: ["0.0.0.0/1", "128.0.0.0/1"] }),
    ).toThrow(/adminCidrs: 0\.0\.0\.0\/1 would open admin ports \(22, 8501\) to 2,147,483,648 addresses/);
    expect(
      () => new NodeSecurityGroups(testStack(), "sg", { ...props, monitoringCidrs: ["11.0.0.0/8", "12.0.0.0/8"] }),
    ).toThrow(
      /monitoringCidrs: together these CIDRs would open monitoring ports \(9102\) to 33,554,432 public addresses/,
    );
  });

  it("leaves the mesh port open to the internet: mTLS guards it", () => {
    expect(() => new NodeSecurityGroups(testStack(), "sg", { ...props, wanCidrs: ["0.0.0.0/0"] })).not.toThrow();
  });

  it("creates one rule per port, protocol and source CIDR, or source security group", () => {
    const scope = testStack();
    new NodeSecurityGroups(scope, "sg", { ...props, monitoringCidrs: ["198.51.100.0/28", "198.51.100.16/28"] });
    const rules = Object.values(resourcesOf(Testing.synth(scope), "openstack_networking_secgroup_rule_v2"));
    const expected = matrix.reduce(
      (sum, rule) =>
        sum + rule.kinds.length * rule.sources.reduce((n, source) => n + (source === "monitoring" ? 2 : 1), 0),
      0,
    );
    expect(rules).toHaveLength(expected);
  });

  it("opens Envoy's metrics on the port the matrix is given", () => {
    const scope = testStack();
    new NodeSecurityGroups(scope, "sg", {
      ...props,
      monitoringCidrs: ["198.51.100.0/28"],
      matrix: portMatrix({ envoyMetricsPort: 9300 }),
    });
    const rules = Object.values(resourcesOf(Testing.synth(scope), "openstack_networking_secgroup_rule_v2"));
    const metrics = rules.filter((rule) => rule.remote_ip_prefix === "198.51.100.0/28");
    expect(metrics.map((rule) => rule.port_range_min)).toEqual([9300]);
  });
});
