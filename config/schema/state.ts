import { z } from "zod";
import { ROLLOUT_STAGES } from "../../domain/stages";
import { httpsUrl, strictObject, withoutTemplates } from "./primitives";

/** How the S3 backend encrypts state at rest (its `encrypt`, `kms_key_id` and `sse_customer_key`). */
export const S3_STATE_ENCRYPTION = ["sse-s3", "sse-kms", "sse-c", "none"] as const;

/** `state` and `rollout`: where Terraform keeps state, and how far the rollout goes. */

export const stateSchema = strictObject({
  backend: z
    .enum(["local", "s3"], { error: "must be local or s3" })
    .default("local")
    .describe("Where Terraform keeps state: local files beside the project, or an S3-compatible bucket."),
  s3: strictObject({
    bucket: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: "must be a bucket name such as consul-federation-state" }),
    endpoint: httpsUrl("must be the https:// URL of the S3 API (e.g. the cloud's object storage)")
      .optional()
      .describe("S3 API endpoint; leave out for AWS S3."),
    region: withoutTemplates(z.string().min(1))
      .default("us-east-1")
      .describe("S3 region name (any name for most S3-compatible stores)."),
    keyPrefix: z
      .string()
      .regex(/^[A-Za-z0-9._/-]+$/, { error: "must be a path prefix such as consul-federation" })
      .default("consul-federation")
      .describe("State files are <keyPrefix>/<stack>.tfstate."),
    encryption: z
      .enum(S3_STATE_ENCRYPTION, { error: `must be one of ${S3_STATE_ENCRYPTION.join(", ")}` })
      .default("sse-s3")
      .describe(
        "Server-side encryption of every state file: sse-s3 (the store's own key), sse-kms (kmsKeyId), sse-c (a 256-bit key from AWS_SSE_CUSTOMER_KEY, never from this file), or none for a store that offers none.",
      ),
    kmsKeyId: withoutTemplates(z.string().regex(/^\S+$/, { error: "must be a KMS key ID or ARN, without spaces" }))
      .optional()
      .describe("With encryption sse-kms: the key's ID or ARN."),
  })
    .optional()
    .describe(
      "With backend s3; credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (e.g. OpenStack EC2 credentials).",
    ),
});

export const rolloutSchema = strictObject({
  stage: z
    .enum(ROLLOUT_STAGES, { error: `must be one of ${ROLLOUT_STAGES.join(", ")}` })
    .default("enforced")
    .describe("How far the rollout goes: cluster -> acl -> mesh -> enforced (default enforced)."),
  confirmAclsOff: z
    .boolean()
    .default(false)
    .describe(
      "Moving back to cluster turns ACLs off: servers refuse it unless this confirms that the ACL stack's objects were destroyed first.",
    ),
});
