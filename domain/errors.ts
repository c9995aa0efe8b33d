/**
 * The errors a user can cause and fix. `main.ts` prints any `FederationError` as its message alone, with
 * exit status 1 and nothing written; anything else is a bug and keeps its stack trace.
 */

export abstract class FederationError extends Error {}

/** Every problem of a configuration file, each as `path.to.field: what is wrong (what would be right)`. */
export class ConfigError extends FederationError {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`${file}: invalid federation configuration\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export interface PropsProblem {
  readonly field: string;
  readonly problem: string;
}

/**
 * Impossible props of a construct, raised while the tree is built. Each line starts with the construct
 * path, so that the offending call in a large app is found without a stack trace.
 */
export class ConstructPropsError extends FederationError {
  constructor(
    readonly constructPath: string,
    readonly problems: readonly PropsProblem[],
  ) {
    super(problems.map(({ field, problem }) => `${constructPath}: ${field}: ${problem}`).join("\n"));
    this.name = "ConstructPropsError";
  }
}

/**
 * Problems of configuration fields found while the federation is built (a construct refusing a value the
 * schema let through), each `path.to.field: what is wrong (what would be right)`. The app reports them as a
 * ConfigError of the configuration file, with the fields' lines.
 */
export class ConfigFieldError extends FederationError {
  constructor(readonly problems: readonly string[]) {
    super(problems.join("\n"));
    this.name = "ConfigFieldError";
  }
}

/** Synthesis stopped by an error finding of the federation checks. */
export class FederationCheckError extends FederationError {
  constructor(readonly findings: string) {
    super(`federation checks failed:\n${findings}`);
    this.name = "FederationCheckError";
  }
}
