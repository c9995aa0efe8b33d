import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { serverCountProblem } from "../../domain/layout";
import { SYSTEM_USERS_OF } from "../../domain/node-paths";
import { renderCloudConfig } from "../bootstrap/cloud-config";
import { DataVolumeProps, FloatingIpInstance } from "../compute/floating-ip-instance";
import { ServerCertificate } from "../tls/agent-certificates";
import type { IssuedCertificate } from "../tls/certificate-authority";
import { serverAgentConfig } from "./agent-config";
import { managementTokenFile, ManagementTokenProps } from "./management-token";
import { agentInput, ConsulNodeProps, consulNodeValidator, deliverNodeFiles, nodeFile, SshHostKey } from "./node-files";
import {
  snapshotBackupFiles,
  SnapshotBackupProps,
  snapshotCheckService,
  snapshotTokenPlaceholder,
} from "./snapshot-backup";
import { consulNodeCloudConfig, nodeEnvironment } from "./system-files";

export interface ConsulServerNodeProps extends ConsulNodeProps {
  /** Wait until the datacenter has a leader before the node counts as applied (its last server). */
  readonly waitForLeader: boolean;
  /** Number of servers in the datacenter (bootstrap_expect). */
  readonly serverCount: number;
  /** Secondary datacenters: the primary's mesh gateways, `<address>:<port>`. */
  readonly primaryGateways?: readonly string[];
  /** The Raft data volume. */
  readonly dataVolume: DataVolumeProps;
  /** The token the apply script asks autopilot for the datacenter's health with (operator:read). */
  readonly healthCheckToken?: string;
  /** Scheduled snapshots of the datacenter to object storage; none to take no snapshots. */
  readonly backup?: SnapshotBackupProps;
  /**
   * Primary servers, from the first rotation of Terraform's management token on: the generations the apply script
   * makes and deletes; none where the token is the initial management token.
   */
  readonly managementToken?: ManagementTokenProps;
}

/**
 * A Consul server: VM in the server group with its Raft data on a Cinder volume, a certificate with
 * every SAN that federation needs, and its agent configuration delivered to the running VM.
 */
export class ConsulServerNode extends Construct {
  readonly vm: FloatingIpInstance;
  readonly hostKey: SshHostKey;
  /** The certificate when this construct issued it (the CA lives in the same stack). */
  readonly certificate?: ServerCertificate;
  /** Completes when the node runs its current settings. */
  readonly settingsApplied: ITerraformDependable;

  constructor(scope: Construct, id: string, props: ConsulServerNodeProps) {
    super(scope, id);
    const serverCount = serverCountProblem(props.serverCount);
    consulNodeValidator(this, props)
      .check(serverCount === undefined, "serverCount", `${props.serverCount} ${serverCount}`)
      .check(props.retryJoin.includes(props.vm.fixedIp), "retryJoin", "must include this server's own address")
      .check(
        props.primaryGateways === undefined || props.primaryDatacenter !== props.datacenter,
        "primaryGateways",
        "are only for servers of secondary datacenters",
      )
      .check(
        props.primaryGateways === undefined || props.primaryGateways.length > 0,
        "primaryGateways",
        "must list the primary's gateways (<address>:<port>)",
      )
      .throwIfInvalid();

    this.hostKey = new SshHostKey(this, "ssh-host-key");
    const cloudConfig = renderCloudConfig({
      ...consulNodeCloudConfig(props.nodeName, SYSTEM_USERS_OF.server),
      ssh_keys: this.hostKey.cloudConfigKeys(),
    });
    this.vm = new FloatingIpInstance(this, "vm", {
      name: props.nodeName,
      ...props.vm,
      userData: cloudConfig,
      dataVolume: props.dataVolume,
    });
    let certificate: IssuedCertificate;
    if ("issuer" in props.certificate) {
      this.certificate = new ServerCertificate(this, "certificate", {
        ca: props.certificate.issuer,
        validity: props.certificate.validity,
        nodeName: props.nodeName,
        datacenter: props.datacenter,
        domain: props.domain,
        ipAddresses: [this.vm.privateIp, this.vm.publicIp],
      });
      certificate = this.certificate;
    } else {
      certificate = props.certificate.issued;
    }
    const agentConfig = serverAgentConfig({
      ...agentInput(props, this.vm),
      serverCount: props.serverCount,
      primaryGateways: props.primaryGateways,
      services: props.backup ? [snapshotCheckService(props.datacenter, props.backup)] : [],
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
            role: "server",
            packages: props.packages,
            systemUsers: SYSTEM_USERS_OF.server,
            aclsOffConfirmed: props.aclsOffConfirmed,
            privateAddress: this.vm.privateIp,
            dataVolumeId: this.vm.dataVolumeId,
            waitForLeader: props.waitForLeader,
            snapshotTimer: props.backup !== undefined,
            credentialPlaceholders: props.backup ? snapshotTokenPlaceholder(props.backup) : [],
          }),
        ),
        ...(props.healthCheckToken ? [nodeFile.tokenHeader("health-check.token", props.healthCheckToken)] : []),
        ...(props.managementToken ? [managementTokenFile(props.managementToken)] : []),
        nodeFile.caCertificate(props.caCertPem, "server"),
        nodeFile.agentConfig(agentConfig),
        ...(agentConfig.acl?.tokens?.initial_management ? [nodeFile.dropInitialManagement()] : []),
        nodeFile.consulUnit("server"),
        nodeFile.dnsForwarding(props),
        ...nodeFile.certificate(certificate),
        ...nodeFile.hostKey(this.hostKey),
        ...(props.backup
          ? snapshotBackupFiles(props.backup, { datacenter: props.datacenter, privateAddress: this.vm.privateIp })
          : []),
      ],
    });
  }
}
