import { rule } from "../../../checks/rules/cf-gateway-redundancy";
import { federationApp, findings } from "../../support/checks";

describe("CF-GATEWAY-REDUNDANCY", () => {
  it("is quiet with two gateways per datacenter", () => {
    expect(findings(federationApp(), "enforced", [rule])).toEqual([]);
  });

  it("warns below 2 gateways, once, on the datacenter's stack", () => {
    const app = federationApp((c) => (c.datacenters[1].gateways.count = 1));
    expect(findings(app, "enforced", [rule])).toEqual([
      {
        level: "warning",
        path: "prod2",
        message: expect.stringMatching(/^\[CF-GATEWAY-REDUNDANCY\] datacenter prod2 has 1 mesh gateway/),
      },
    ]);
  });
});
