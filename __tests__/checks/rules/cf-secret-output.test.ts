import { TerraformOutput } from "cdktf";
import { rule } from "../../../checks/rules/cf-secret-output";
import { FederationSecrets } from "../../../constructs/consul/federation-secrets";
import { findings } from "../../support/checks";
import { TEST_CA_VALIDITY, testStack } from "../../support/fixtures";

describe("CF-SECRET-OUTPUT", () => {
  const stack = testStack("s");
  const secrets = new FederationSecrets(stack, "secrets", {
    caValidity: TEST_CA_VALIDITY,
    gossipKeyRotation: 0,
    caRotation: 0,
    terraformTokenRotation: 0,
  });

  it("is quiet on public values and on sensitive outputs", () => {
    new TerraformOutput(stack, "ca-cert", { value: secrets.ca.certPem });
    new TerraformOutput(stack, "hidden", { value: secrets.gossipKey, sensitive: true });
    expect(findings(stack, "enforced", [rule])).toEqual([]);
  });

  it("fires on a secret in a non-sensitive output", () => {
    new TerraformOutput(stack, "leak", { value: secrets.ca.privateKeyPem });
    expect(findings(stack, "enforced", [rule])).toEqual([
      expect.objectContaining({ path: "s/leak", message: expect.stringMatching(/CF-SECRET-OUTPUT.*private_key/) }),
    ]);
  });
});
