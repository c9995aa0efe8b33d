import { serverCountProblem } from "../../domain/layout";
import { deliveredNode } from "../emitted";
import type { FederationRule } from "../engine";

/** An even number of servers tolerates no more failures than one server fewer, and can split votes. */
export const rule: FederationRule = {
  id: "CF-EVEN-SERVERS",
  level: "error",
  fix: "run an odd number of servers per datacenter (3 or 5)",
  check(construct) {
    const node = deliveredNode(construct);
    if (!node?.agentConfig.server) return [];
    const expected = node.agentConfig.bootstrap_expect ?? 0;
    const problem = serverCountProblem(expected);
    return problem ? [{ message: `bootstrap_expect is ${expected}: it ${problem}` }] : [];
  },
};
