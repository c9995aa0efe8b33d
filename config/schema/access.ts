import { z } from "zod";
import { cidr, strictObject } from "./primitives";

/** `access` and `ssh`: who reaches the nodes, and how settings are delivered. */

export const accessSchema = strictObject({
  adminCidrs: z
    .array(cidr)
    .min(1, { error: "must list at least one CIDR (the operators' addresses, e.g. 203.0.113.0/24)" })
    .describe(
      "CIDRs allowed to reach SSH (22) and the Consul HTTPS API (8501) of every node. None may be wider than /8, and together they may cover no more public addresses than one /8 holds.",
    ),
  monitoringCidrs: z
    .array(cidr)
    .default([])
    .describe(
      "CIDRs allowed to scrape Envoy's Prometheus endpoint (9102) on the gateways. Bounded like access.adminCidrs.",
    ),
  wanCidrs: z
    .array(cidr)
    .min(1, { error: "must list at least one CIDR (0.0.0.0/0 when other datacenters' addresses are not fixed)" })
    .default(["0.0.0.0/0"])
    .describe(
      "Where other datacenters reach the mesh gateways' 8443 from (their egress addresses); mTLS protects the port.",
    ),
});

const SSH_PUBLIC_KEY =
  /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com) [A-Za-z0-9+/=]+( .*)?$/;

export const sshSchema = strictObject({
  user: z
    .string()
    .regex(/^[a-z_][a-z0-9_-]{0,31}$/, { error: "must be a Linux user name such as ubuntu" })
    .default("ubuntu")
    .describe("The image's login user, used by operators and by the provisioners that deliver settings."),
  publicKey: z
    .string()
    .regex(SSH_PUBLIC_KEY, { error: "must be an OpenSSH public key line (ssh-ed25519 AAAA... comment)" })
    .describe("OpenSSH public key installed for the login user. Only the public half ever appears here."),
  pinHostKeys: z
    .boolean()
    .default(true)
    .describe(
      "Pin each node's SSH host key (made by Terraform) in every connection. Turn off for one deploy only, to move nodes made before keys were pinned.",
    ),
});
