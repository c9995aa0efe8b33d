import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { TlsProvider } from "@cdktf/provider-tls/lib/provider";
import { LocalBackend, S3Backend, TerraformStack } from "cdktf";
import { OpenstackProvider } from "../.gen/providers/openstack/provider";
import type { DatacenterConfig, FederationConfig } from "../config/schema";
import { terraformLiteral } from "../constructs/terraform-literal";

/**
 * Terraform state lives next to the project, outside the synth output (which every synth rewrites).
 * The path is relative to the stack's working directory, cdktf.out/stacks/<stack>, so that the
 * synthesized JSON holds no absolute path and stays identical on every machine.
 */
export function localStatePath(stackName: string): string {
  return `../../../terraform.${stackName}.tfstate`;
}

/**
 * terraform_data needs 1.4 and the provisioners' connection handling 1.5; `removed` blocks 1.7 (the snapshot
 * container of backups turned off, the ACL stack's forgotten token slots); the S3 lock file 1.10.
 */
export function requiredTerraformVersion(federation: FederationConfig, forgetsResources = false): string {
  if (federation.state.backend === "s3") return ">= 1.10";
  return federation.backups.enabled && !forgetsResources ? ">= 1.5" : ">= 1.7";
}

/**
 * The stack's backend. S3 state carries a lock file (Terraform 1.10+) and skips the AWS-only checks, so
 * that any S3-compatible store (OpenStack object storage, Ceph RGW, MinIO) works.
 */
function configureBackend(stack: TerraformStack, federation: FederationConfig): void {
  const { backend, s3 } = federation.state;
  if (backend === "local" || !s3) {
    new LocalBackend(stack, { path: localStatePath(stack.node.id) });
    return;
  }
  new S3Backend(stack, {
    bucket: s3.bucket,
    key: `${s3.keyPrefix}/${stack.node.id}.tfstate`,
    region: s3.region,
    // With encrypt, Terraform asks for SSE-KMS when kms_key_id is set, else SSE-C when a customer key is
    // (AWS_SSE_CUSTOMER_KEY), else SSE-S3 (internal/backend/remote-state/s3/client.go, put). The same settings
    // reach the terraform_remote_state readers, which need the customer key to read SSE-C objects.
    encrypt: s3.encryption !== "none",
    ...(s3.encryption === "sse-kms" && s3.kmsKeyId ? { kmsKeyId: s3.kmsKeyId } : {}),
    ...(s3.endpoint
      ? {
          endpoints: { s3: s3.endpoint },
          usePathStyle: true,
          skipCredentialsValidation: true,
          skipRegionValidation: true,
          skipRequestingAccountId: true,
          skipMetadataApiCheck: true,
        }
      : {}),
  });
  stack.addOverride("terraform.backend.s3.use_lockfile", true);
  if (s3.endpoint) stack.addOverride("terraform.backend.s3.skip_s3_checksum", true);
}

/** Backend, required Terraform version and the providers every stack of a datacenter uses. */
export function configureStack(
  stack: TerraformStack,
  federation: FederationConfig,
  datacenter: DatacenterConfig,
): void {
  configureBackend(stack, federation);
  stack.addOverride("terraform.required_version", requiredTerraformVersion(federation));
  const cloud = datacenter.openstack.cloud ?? federation.openstack.cloud;
  new OpenstackProvider(stack, "openstack", {
    cloud: cloud === undefined ? undefined : terraformLiteral(cloud),
    region: terraformLiteral(datacenter.openstack.region),
  });
  new TlsProvider(stack, "tls");
  new RandomProvider(stack, "random");
}
