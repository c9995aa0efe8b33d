/**
 * The subject alternative names of agent certificates. Consul verifies servers by name
 * (`verify_server_hostname`), and federation over mesh gateways dials each server by its node name.
 */

export interface SubjectAlternativeNames {
  readonly dnsNames: string[];
  readonly ipAddresses: string[];
}

export interface AgentIdentity {
  readonly nodeName: string;
  readonly datacenter: string;
  readonly domain: string;
}

/** The common name of a server certificate: the name every server of the datacenter shares. */
export function serverCommonName(identity: Pick<AgentIdentity, "datacenter" | "domain">): string {
  return `server.${identity.datacenter}.${identity.domain}`;
}

/** The common name of a client agent's certificate. */
export function clientCommonName(identity: Pick<AgentIdentity, "datacenter" | "domain">): string {
  return `client.${identity.datacenter}.${identity.domain}`;
}

const LOOPBACK = { name: "localhost", address: "127.0.0.1" } as const;

/** The name by which servers of other datacenters dial this server through the mesh gateways. */
export function serverNodeDnsName({ nodeName, datacenter, domain }: AgentIdentity): string {
  return `${nodeName}.server.${datacenter}.${domain}`;
}

/**
 * What a server certificate cannot do without: `server.<dc>.<domain>` satisfies verify_server_hostname;
 * `<node>.server.<dc>.<domain>` is how servers of other datacenters dial it through mesh gateways (without
 * it, WAN federation fails its TLS handshake); `localhost` and `127.0.0.1` serve the local API.
 */
export function requiredServerSans(identity: AgentIdentity): SubjectAlternativeNames {
  return {
    dnsNames: [serverCommonName(identity), serverNodeDnsName(identity), LOOPBACK.name],
    ipAddresses: [LOOPBACK.address],
  };
}

/** The full SAN list of a server certificate; `ipAddresses` are its private address and floating IP. */
export function serverCertificateSans(
  identity: AgentIdentity,
  ipAddresses: readonly string[],
): SubjectAlternativeNames {
  const { domain } = identity;
  return {
    dnsNames: [
      serverCommonName(identity),
      serverNodeDnsName(identity),
      `consul.service.${domain}`,
      "consul",
      "consul.local",
      LOOPBACK.name,
      identity.nodeName,
    ],
    ipAddresses: [LOOPBACK.address, ...ipAddresses],
  };
}

/** The SAN list of a client agent's certificate (a mesh gateway's agent). */
export function clientCertificateSans(identity: AgentIdentity, privateIp: string): SubjectAlternativeNames {
  return {
    dnsNames: [clientCommonName(identity), identity.nodeName, LOOPBACK.name],
    ipAddresses: [LOOPBACK.address, privateIp],
  };
}
