import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Construct } from "constructs";
import { DeliveredFile, SshFileDelivery } from "../compute/ssh-file-delivery";
import { NODE_PATHS } from "../../domain/node-paths";
import { localAgentEnvironment, nodeFile } from "./node-files";

const SCRIPT = "set-agent-token.sh";
const SCRIPT_SOURCE = readFileSync(join(__dirname, "files", SCRIPT), "utf8");

/** Tokens a running agent receives through its API, by the API's name for them. */
export interface AgentApiTokens {
  readonly agent?: string;
  readonly dns?: string;
  readonly replication?: string;
  readonly config_file_service_registration?: string;
}

export interface AgentTokenDeliveryProps {
  /** The node's floating IP. */
  readonly host: string;
  /** The node's SSH host key, pinned in the connection; none to trust any (see ConsulNodeProps.pinHostKey). */
  readonly hostKey?: string;
  readonly sshUser: string;
  /** The secrets to set (sensitive). */
  readonly tokens: AgentApiTokens;
  /** Root-only credential files to install beside them (e.g. the snapshot token). */
  readonly files: readonly DeliveredFile[];
  /** A token allowed to set agent tokens (the management token). */
  readonly managementToken: string;
  /** The node's machine (instance, image, flavor): a new or rebuilt VM gets its tokens again. */
  readonly target: string;
  /**
   * A primary server: the management token just worked, so the ACL system holds it, and the initial management
   * token leaves its `consul.json` (where a server that finished before the ACL system existed still has it).
   * @default false
   */
  readonly dropInitialManagement?: boolean;
}

/**
 * Sets the tokens of a running agent (Consul's `PUT /v1/agent/token/<kind>`), for agents that started
 * before their tokens could exist: the primary's servers, whose ACL system makes them; and installs the
 * node's other tokens that only exist once the ACL stack has made them, as files.
 */
export class AgentTokenDelivery extends Construct {
  readonly delivery: SshFileDelivery;

  constructor(scope: Construct, id: string, props: AgentTokenDeliveryProps) {
    super(scope, id);
    const tokens = Object.entries(props.tokens).filter((entry): entry is [string, string] => entry[1] !== undefined);
    this.delivery = new SshFileDelivery(this, "delivery", {
      host: props.host,
      hostKey: props.hostKey,
      user: props.sshUser,
      applyScript: SCRIPT,
      target: props.target,
      files: [
        nodeFile.staged(SCRIPT, SCRIPT_SOURCE, "0700"),
        localAgentEnvironment(
          "agent-api.env",
          props.dropInitialManagement
            ? {
                CONSUL_CONFIG_FILE: NODE_PATHS.agentConfig,
                ACL_BOOTSTRAPPED_MARKER: NODE_PATHS.aclBootstrappedMarker,
              }
            : {},
        ),
        ...(props.dropInitialManagement ? [nodeFile.dropInitialManagement()] : []),
        ...tokens.map(([kind, secret]) => nodeFile.staged(`token-${kind}.json`, JSON.stringify({ Token: secret }))),
        ...props.files,
        nodeFile.tokenHeader("management-token.header", props.managementToken),
      ],
    });
  }
}
