import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { MESH_GATEWAY_SERVICE } from "../../domain/names";
import { ENVOY_ADMIN_FIREWALL_UNIT, MESH_GATEWAY_UNIT, NODE_PATHS, SYSTEM_USERS_OF } from "../../domain/node-paths";
import { renderCloudConfig } from "../bootstrap/cloud-config";
import { renderEnvironmentFile } from "../bootstrap/environment-file";
import { renderSystemdUnit } from "../bootstrap/systemd-unit";
import { FloatingIpInstance } from "../compute/floating-ip-instance";
import { ClientCertificate } from "../tls/agent-certificates";
import type { IssuedCertificate } from "../tls/certificate-authority";
import { gatewayAgentConfig } from "./agent-config";
import { agentInput, ConsulNodeProps, consulNodeValidator, deliverNodeFiles, nodeFile, SshHostKey } from "./node-files";
import {
  consulNodeCloudConfig,
  envoyAdminFirewall,
  envoyAdminFirewallUnit,
  meshGatewayUnit,
  nftablesServiceDropIn,
  nodeEnvironment,
} from "./system-files";

export interface MeshGatewayNodeProps extends ConsulNodeProps {
  /** Run Envoy and register the gateway; needs Connect on the servers. */
  readonly startGateway: boolean;
  /** ACL token Envoy registers and fetches its configuration with (sensitive); none while ACLs are off. */
  readonly gatewayToken?: string;
  /** Envoy's log level. */
  readonly envoyLogLevel: string;
}

/**
 * A mesh gateway: a Consul client agent (its certificate from the federation CA) and Envoy registered as
 * the datacenter's mesh gateway, advertising its floating IP as the WAN address.
 */
export class MeshGatewayNode extends Construct {
  readonly vm: FloatingIpInstance;
  readonly hostKey: SshHostKey;
  readonly settingsApplied: ITerraformDependable;

  constructor(scope: Construct, id: string, props: MeshGatewayNodeProps) {
    super(scope, id);
    consulNodeValidator(this, props).throwIfInvalid();

    this.hostKey = new SshHostKey(this, "ssh-host-key");
    const cloudConfig = renderCloudConfig({
      ...consulNodeCloudConfig(props.nodeName, SYSTEM_USERS_OF.gateway),
      ssh_keys: this.hostKey.cloudConfigKeys(),
    });
    this.vm = new FloatingIpInstance(this, "vm", { name: props.nodeName, ...props.vm, userData: cloudConfig });
    const certificate: IssuedCertificate =
      "issuer" in props.certificate
        ? new ClientCertificate(this, "certificate", {
            ca: props.certificate.issuer,
            validity: props.certificate.validity,
            nodeName: props.nodeName,
            datacenter: props.datacenter,
            domain: props.domain,
            privateIp: this.vm.privateIp,
          })
        : props.certificate.issued;
    const agentConfig = gatewayAgentConfig({
      ...agentInput(props, this.vm),
      wanAddress: this.vm.publicIp,
    });
    this.settingsApplied = deliverNodeFiles(this, props, {
      vm: this.vm,
      cloudConfig,
      hostKey: this.hostKey,
      files: [
        nodeFile.applyScript(),
        nodeFile.staged(
          "node.env",
          nodeEnvironment({
            nodeName: props.nodeName,
            role: "gateway",
            packages: props.packages,
            systemUsers: SYSTEM_USERS_OF.gateway,
            aclsOffConfirmed: props.aclsOffConfirmed,
            startGateway: props.startGateway,
          }),
        ),
        nodeFile.caCertificate(props.caCertPem, "gateway"),
        nodeFile.agentConfig(agentConfig),
        nodeFile.consulUnit("gateway"),
        nodeFile.dnsForwarding(props),
        ...nodeFile.certificate(certificate),
        ...nodeFile.hostKey(this.hostKey),
        nodeFile.installed(
          MESH_GATEWAY_UNIT,
          `/etc/systemd/system/${MESH_GATEWAY_UNIT}`,
          renderSystemdUnit(meshGatewayUnit(props.envoyLogLevel)),
          { restarts: [MESH_GATEWAY_UNIT] },
        ),
        nodeFile.installed(
          "envoy-admin-firewall.json",
          NODE_PATHS.envoyAdminFirewall,
          `${JSON.stringify(envoyAdminFirewall(), null, 2)}\n`,
          { restarts: [ENVOY_ADMIN_FIREWALL_UNIT] },
        ),
        nodeFile.installed(
          ENVOY_ADMIN_FIREWALL_UNIT,
          `/etc/systemd/system/${ENVOY_ADMIN_FIREWALL_UNIT}`,
          renderSystemdUnit(envoyAdminFirewallUnit()),
          { restarts: [ENVOY_ADMIN_FIREWALL_UNIT] },
        ),
        // Read by systemd at the daemon-reload that installing files ends with; nothing restarts for it.
        nodeFile.installed(
          "nftables-consul-envoy-admin-firewall.conf",
          NODE_PATHS.nftablesDropIn,
          nftablesServiceDropIn(),
        ),
        nodeFile.installed(
          "mesh-gateway.env",
          NODE_PATHS.gatewayEnvironment,
          renderEnvironmentFile({
            GATEWAY_SERVICE: MESH_GATEWAY_SERVICE,
            LAN_ADDRESS: this.vm.privateIp,
            WAN_ADDRESS: this.vm.publicIp,
            ...(props.gatewayToken ? { CONSUL_HTTP_TOKEN: props.gatewayToken } : {}),
          }),
          // systemd reads an EnvironmentFile as root before it drops to the service's user, so the file is
          // root's alone (Envoy still receives the token in its environment; see the README's residual risk).
          { mode: "0600", restarts: [MESH_GATEWAY_UNIT] },
        ),
      ],
    });
  }
}
