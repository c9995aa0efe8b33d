import type { DataResource } from "cdktf";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Construct } from "constructs";
import type { RetiredGenerations } from "../../domain/token-rotation";
import { SshFileDelivery } from "../compute/ssh-file-delivery";
import { PropsValidator } from "../validation";
import { localAgentEnvironment, nodeFile } from "./node-files";

const SCRIPT = "retire-tokens.sh";
const SCRIPT_SOURCE = readFileSync(join(__dirname, "files", SCRIPT), "utf8");

export interface TokenRetirementProps {
  /** A server of the primary datacenter: its floating IP. */
  readonly host: string;
  /** The server's SSH host key, pinned in the connection; none to trust any. */
  readonly hostKey?: string;
  readonly sshUser: string;
  /** A token with `acl = "write"` (the management token; sensitive). */
  readonly managementToken: string;
  /** The rotated tokens: each one's first description and current generation. */
  readonly retired: readonly RetiredGenerations[];
}

/**
 * Deletes the generations of rotated tokens that are retired (see RetiredGenerations), from one server of the
 * primary, in a stack that runs after every node has received the current generation. Runs again whenever what
 * it is to delete changes.
 */
export class TokenRetirement extends Construct {
  /** Completes once the step has run on the server. */
  readonly applied: DataResource;

  constructor(scope: Construct, id: string, props: TokenRetirementProps) {
    super(scope, id);
    new PropsValidator(this)
      .check(props.retired.length > 0, "retired", "must name at least one rotated token")
      .check(
        props.retired.every(
          (token) => token.description.length > 0 && Number.isInteger(token.current) && token.current > 0,
        ),
        "retired",
        "each rotated token needs its description and a generation above 0",
      )
      .throwIfInvalid();
    this.applied = new SshFileDelivery(this, "delivery", {
      host: props.host,
      hostKey: props.hostKey,
      user: props.sshUser,
      applyScript: SCRIPT,
      // Nothing on the server is this step's: a rebuilt server needs nothing from it.
      target: "token-retirement",
      files: [
        nodeFile.staged(SCRIPT, SCRIPT_SOURCE, "0700"),
        localAgentEnvironment("retire.env"),
        nodeFile.staged("retired.json", JSON.stringify(props.retired)),
        nodeFile.tokenHeader("management-token.header", props.managementToken),
      ],
    }).resource;
  }
}
