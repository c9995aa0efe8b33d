import type { IConstruct } from "constructs";
import { ConstructPropsError, PropsProblem } from "../domain/errors";

/**
 * Collects the problems of a construct's props and throws them together as one ConstructPropsError, so
 * that one run reports every mistake, each line starting with the construct path.
 */
export class PropsValidator {
  private readonly problems: PropsProblem[] = [];

  constructor(private readonly scope: IConstruct) {}

  check(condition: boolean, field: string, problem: string): this {
    if (!condition) this.problems.push({ field, problem });
    return this;
  }

  throwIfInvalid(): void {
    if (this.problems.length > 0) throw new ConstructPropsError(this.scope.node.path, this.problems);
  }
}
