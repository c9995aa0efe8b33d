import { DefaultTokenResolver, StringConcat, TerraformOutput, TerraformStack, Tokenization } from "cdktf";
import type { FederationRule } from "../engine";

/** Terraform references that hold secrets in this project's resources. */
const SECRET_REFERENCES = [
  /\btls_private_key\.[^.}\s]+\.private_key_(pem|openssh|pem_pkcs8)/,
  /\brandom_bytes\.[^.}\s]+\.(base64|hex)/,
  /\brandom_uuid\.[^.}\s]+\.result/,
  /\brandom_password\.[^.}\s]+\.result/,
  /\bconsul_acl_token_secret_id\.[^.}\s]+\.secret_id/,
  /\bsensitive\(/,
];
const RESOLVER = new DefaultTokenResolver(new StringConcat());

export const rule: FederationRule = {
  id: "CF-SECRET-OUTPUT",
  level: "error",
  fix: "mark the output sensitive: true, or output something that is not a secret",
  check(construct) {
    if (!(construct instanceof TerraformOutput) || construct.sensitive === true) return [];
    const value = JSON.stringify(
      Tokenization.resolve(construct.value, { scope: TerraformStack.of(construct), resolver: RESOLVER }),
    );
    const secret = SECRET_REFERENCES.find((pattern) => pattern.test(value));
    return secret
      ? [
          {
            message: `output ${construct.friendlyUniqueId} exposes a secret (${secret.source}) without sensitive = true`,
          },
        ]
      : [];
  },
};
