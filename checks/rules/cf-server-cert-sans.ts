import { requiredServerSans } from "../../domain/sans";
import { ServerCertificate } from "../../constructs/tls/agent-certificates";
import type { FederationRule } from "../engine";

/** Reads what the certificate request really asks for, so a later override of its SANs is caught too. */
export const rule: FederationRule = {
  id: "CF-SERVER-CERT-SANS",
  level: "error",
  fix: "issue server certificates through ServerCertificate, whose SAN list is derived from the node",
  check(construct) {
    if (!(construct instanceof ServerCertificate)) return [];
    const required = requiredServerSans(construct.identity);
    const dnsNames = construct.request.dnsNamesInput ?? [];
    const ipAddresses = construct.request.ipAddressesInput ?? [];
    const missing = [
      ...required.dnsNames.filter((name) => !dnsNames.includes(name)),
      ...required.ipAddresses.filter((address) => !ipAddresses.includes(address)),
    ];
    return missing.length > 0
      ? [{ message: `the certificate of ${construct.identity.nodeName} lacks the SAN(s) ${missing.join(", ")}` }]
      : [];
  },
};
