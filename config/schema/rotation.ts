import { rotationCounter, strictObject } from "./primitives";

/** `rotation`: counters a user raises to rotate a secret at the next deploy. */
export const rotationSchema = strictObject({
  gossipKey: rotationCounter("rotations").describe(
    "Raise by one to rotate the gossip encryption key at the next deploy, through Consul's keyring: a new key is installed on every agent, used, and the old one removed. Needs every datacenter federated.",
  ),
  ca: rotationCounter("rotations").describe(
    "Raise by one to move every agent certificate to a new CA (a new key) at the next deploy. Every node already trusts the next CA, and keeps trusting the previous one until the rotation after: no node distrusts a peer during the roll. Raise it by one per deploy.",
  ),
  tokens: rotationCounter("rotations").describe(
    "Raise by one to rotate every token the federation makes for its nodes (agent, DNS, replication, mesh gateway, autopilot health, snapshot, service registration) at the next deploy: each new token is created and delivered before the old one is deleted, by the last stack. Raise it by one per deploy. Your own tokens rotate with their own `rotation`.",
  ),
  terraformToken: rotationCounter("rotations").describe(
    "Raise by one to give Terraform and the federation's scripts a new management token at the next deploy. From 1 on, the ACL system is bootstrapped through Consul's API (no server's configuration holds a management token) and the primary's servers make each new generation with an older one, then delete every older one, the initial management token once no server holds it in memory. After restoring the primary from a snapshot, raising it also makes the current generation again. Never lower it.",
  ),
})
  .prefault({})
  .describe("Counters that rotate a secret when raised.");
