import { rule } from "../../../checks/rules/cf-default-policy-allow";
import { federationApp, findings, ruleIds } from "../../support/checks";

describe("CF-DEFAULT-POLICY-ALLOW", () => {
  it("is quiet when every agent denies by default in the enforced stage, and before that stage", () => {
    expect(findings(federationApp(), "enforced", [rule])).toEqual([]);
    expect(
      findings(
        federationApp((c) => (c.rollout.stage = "mesh")),
        "mesh",
        [rule],
      ),
    ).toEqual([]);
  });

  it("fires for every agent that allows by default in the enforced stage", () => {
    const errors = findings(
      federationApp((c) => (c.rollout.stage = "mesh")),
      "enforced",
      [rule],
    );
    expect(errors).toHaveLength(15);
    expect(new Set(ruleIds(errors))).toEqual(new Set(["CF-DEFAULT-POLICY-ALLOW"]));
  });
});
