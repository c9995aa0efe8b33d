import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { DataOpenstackNetworkingNetworkV2 } from "../../.gen/providers/openstack/data-openstack-networking-network-v2";
import { DataOpenstackNetworkingSubnetV2 } from "../../.gen/providers/openstack/data-openstack-networking-subnet-v2";
import { NetworkingNetworkV2 } from "../../.gen/providers/openstack/networking-network-v2";
import { NetworkingRouterInterfaceV2 } from "../../.gen/providers/openstack/networking-router-interface-v2";
import { NetworkingRouterV2 } from "../../.gen/providers/openstack/networking-router-v2";
import { NetworkingSubnetV2 } from "../../.gen/providers/openstack/networking-subnet-v2";
import { cidrSize, formatCidr, hostAddress, Ipv4Cidr, parseIpv4Cidr } from "../../domain/ipv4";
import { PropsValidator } from "../validation";

export interface ExistingNetwork {
  /** Name of the existing network. */
  readonly networkName: string;
  /** Name of its subnet; its CIDR must equal `cidr` (checked by Terraform at plan time). */
  readonly subnetName: string;
}

export interface DatacenterNetworkProps {
  /** Prefix of every OpenStack resource name, e.g. the datacenter name. */
  readonly namePrefix: string;
  /** IPv4 CIDR of the subnet. */
  readonly cidr: string;
  /** External network the router uplinks to; required unless `existing` is given. */
  readonly externalNetworkName?: string;
  /** Attach to this network instead of creating network, subnet and router. */
  readonly existing?: ExistingNetwork;
  /** First host offset that DHCP may hand out; fixed addresses live below it. */
  readonly dhcpPoolStartOffset: number;
}

/**
 * A datacenter's private network: network, subnet (DHCP kept above the fixed addresses) and a router
 * to the external network that floating IPs come from; or an existing network and subnet.
 */
export class DatacenterNetwork extends Construct {
  readonly networkId: string;
  readonly subnetId: string;
  readonly cidr: Ipv4Cidr;
  /** Resources that must exist before a port on this network can reach the outside. */
  readonly ready: ITerraformDependable[] = [];

  constructor(scope: Construct, id: string, props: DatacenterNetworkProps) {
    super(scope, id);
    const parsed = parseIpv4Cidr(props.cidr);
    const dhcpStart = props.dhcpPoolStartOffset;
    new PropsValidator(this)
      .check(parsed.ok, "cidr", parsed.ok ? "" : parsed.problem)
      .check(
        !parsed.ok || dhcpStart < cidrSize(parsed.cidr) - 2,
        "dhcpPoolStartOffset",
        `${dhcpStart} leaves no DHCP pool in ${props.cidr} (use a larger network)`,
      )
      .check(
        props.existing !== undefined || Boolean(props.externalNetworkName),
        "externalNetworkName",
        "is required to create a router (or give `existing` to attach to an existing network)",
      )
      .throwIfInvalid();
    if (!parsed.ok) throw new Error("unreachable");
    this.cidr = parsed.cidr;

    if (props.existing) {
      const network = new DataOpenstackNetworkingNetworkV2(this, "existing-network", {
        name: props.existing.networkName,
      });
      const subnet = new DataOpenstackNetworkingSubnetV2(this, "existing-subnet", {
        name: props.existing.subnetName,
        networkId: network.id,
        lifecycle: {
          postcondition: [
            {
              condition: `\${self.cidr == "${formatCidr(parsed.cidr)}"}`,
              errorMessage: `subnet ${props.existing.subnetName} must have the CIDR ${formatCidr(parsed.cidr)} that the federation configuration gives`,
            },
          ],
        },
      });
      this.networkId = network.id;
      this.subnetId = subnet.id;
      return;
    }

    const external = new DataOpenstackNetworkingNetworkV2(this, "external", {
      name: props.externalNetworkName,
      external: true,
    });
    const network = new NetworkingNetworkV2(this, "network", {
      name: `${props.namePrefix}-consul`,
      adminStateUp: true,
    });
    const subnet = new NetworkingSubnetV2(this, "subnet", {
      name: `${props.namePrefix}-consul`,
      networkId: network.id,
      cidr: formatCidr(parsed.cidr),
      ipVersion: 4,
      gatewayIp: hostAddress(parsed.cidr, 1),
      allocationPool: [
        { start: hostAddress(parsed.cidr, dhcpStart), end: hostAddress(parsed.cidr, cidrSize(parsed.cidr) - 2) },
      ],
    });
    const router = new NetworkingRouterV2(this, "router", {
      name: `${props.namePrefix}-consul`,
      externalNetworkId: external.id,
      adminStateUp: true,
    });
    const uplink = new NetworkingRouterInterfaceV2(this, "router-interface", {
      routerId: router.id,
      subnetId: subnet.id,
    });
    this.networkId = network.id;
    this.subnetId = subnet.id;
    this.ready.push(uplink);
  }

  /** The fixed address `offset` hosts into the subnet. */
  address(offset: number): string {
    return hostAddress(this.cidr, offset);
  }
}
