import { Construct, IConstruct } from "constructs";
import { PropsValidator } from "../validation";

export interface ReviewableFilesProps {
  /** Folder below `<synth output>/`, e.g. `nodes/prod1/prod1-server-1`. */
  readonly folder: string;
  /** File name to content; Terraform references stay as `${...}` expressions when written. */
  readonly files: Readonly<Record<string, string>>;
}

/**
 * Files that a reviewer should see next to the synthesized Terraform: what a VM will receive, with
 * values known only at apply time shown as their Terraform expression. Collected by
 * `writeReviewableFiles` after synthesis.
 */
export class ReviewableFiles extends Construct {
  readonly folder: string;
  readonly files: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: ReviewableFilesProps) {
    super(scope, id);
    const validator = new PropsValidator(this).check(
      /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/i.test(props.folder),
      "folder",
      `"${props.folder}" must be a relative path without '..'`,
    );
    for (const name of Object.keys(props.files)) {
      validator.check(/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name), "files", `"${name}" must be a plain file name`);
    }
    validator.throwIfInvalid();
    this.folder = props.folder;
    this.files = props.files;
  }

  static isReviewableFiles(x: IConstruct): x is ReviewableFiles {
    return x instanceof ReviewableFiles;
  }
}
