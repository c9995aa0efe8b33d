import { rule as defaultPolicyAllow } from "./rules/cf-default-policy-allow";
import { rule as evenServers } from "./rules/cf-even-servers";
import { rule as gatewayRedundancy } from "./rules/cf-gateway-redundancy";
import { rule as privateWanAddress } from "./rules/cf-private-wan-address";
import { rule as secondaryWiring } from "./rules/cf-secondary-wiring";
import { rule as secretOutput } from "./rules/cf-secret-output";
import { rule as serverCertSans } from "./rules/cf-server-cert-sans";
import { rule as serverPortExposed } from "./rules/cf-server-port-exposed";
import type { FederationRule } from "./engine";

/** The federation pack: every rule, one per file under rules/, named by its id. */
export const FEDERATION_RULES: readonly FederationRule[] = [
  evenServers,
  gatewayRedundancy,
  serverCertSans,
  serverPortExposed,
  defaultPolicyAllow,
  secondaryWiring,
  secretOutput,
  privateWanAddress,
];
