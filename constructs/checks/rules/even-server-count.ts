import { ConsulServerNode } from "../../consul/consul-nodes";
import type { FederationRule } from "../rule";

/** An even number of servers tolerates no more failures than one server fewer, and can split votes. */
export const evenServerCount: FederationRule = {
  id: "CF-EVEN-SERVERS",
  level: "error",
  fix: "run an odd number of servers per datacenter (3 or 5)",
  check(construct) {
    if (!(construct instanceof ConsulServerNode)) return [];
    const expected = construct.agentConfig.bootstrap_expect ?? 0;
    return expected % 2 === 0 ? [{ message: `bootstrap_expect is ${expected}, an even number of servers` }] : [];
  },
};
