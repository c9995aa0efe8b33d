import { ServerCertificate } from "../../tls/server-certificate";
import type { FederationRule } from "../rule";

/** Reads what the certificate request really asks for, so a later override of its SANs is caught too. */
export const serverCertificateSans: FederationRule = {
  id: "CF-SERVER-CERT-SANS",
  level: "error",
  fix: "issue server certificates through ServerCertificate, whose SAN list is derived from the node",
  check(construct) {
    if (!(construct instanceof ServerCertificate)) return [];
    const { nodeName, datacenter, domain } = construct;
    const required = [`server.${datacenter}.${domain}`, `${nodeName}.server.${datacenter}.${domain}`, "localhost"];
    const dnsNames = construct.request.dnsNamesInput ?? [];
    const ipAddresses = construct.request.ipAddressesInput ?? [];
    const missing = [
      ...required.filter((name) => !dnsNames.includes(name)),
      ...(ipAddresses.includes("127.0.0.1") ? [] : ["127.0.0.1"]),
    ];
    return missing.length > 0
      ? [{ message: `the certificate of ${nodeName} lacks the SAN(s) ${missing.join(", ")}` }]
      : [];
  },
};
