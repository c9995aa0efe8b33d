import type { DataResource } from "cdktf";
import { Construct } from "constructs";
import type { RetiredGenerations } from "../../domain/token-rotation";
import { PropsValidator } from "../validation";
import { nodeFile } from "./node-files";
import { PrimaryServerStepProps, runOnPrimaryServer } from "./primary-server-step";

export interface TokenRetirementProps extends PrimaryServerStepProps {
  /** The rotated tokens: what to delete of each one's other generations. */
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
          (token) =>
            token.description.length > 0 &&
            Number.isInteger(token.current) &&
            token.current > 0 &&
            token.retireBelow <= token.current,
        ),
        "retired",
        "each rotated token needs its description, a generation above 0 and nothing retired at or above it",
      )
      .throwIfInvalid();
    this.applied = runOnPrimaryServer(this, props, {
      script: "retire-tokens.sh",
      // Nothing on the server is this step's: a rebuilt server needs nothing from it.
      target: "token-retirement",
      environment: { name: "retire.env" },
      files: [nodeFile.staged("retired.json", JSON.stringify(props.retired))],
    });
  }
}
