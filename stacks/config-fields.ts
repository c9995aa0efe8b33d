import { ConfigFieldError, ConstructPropsError } from "../domain/errors";

/**
 * Builds a construct from configuration values and, should it refuse its props, names the configuration
 * fields they came from: `fields` maps a prop (the first part of the construct's field) to its field path.
 * A refusal of a prop that no field feeds is a bug, and stays a ConstructPropsError.
 */
export function fromConfig<T>(fields: Readonly<Record<string, string>>, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (!(error instanceof ConstructPropsError)) throw error;
    const mapped = error.problems.map(({ field, problem }) => {
      const configField = fields[field.split(/[.[]/)[0]];
      return configField === undefined ? undefined : `${configField}: ${problem}`;
    });
    if (mapped.some((problem) => problem === undefined)) throw error;
    throw new ConfigFieldError(mapped as string[]);
  }
}
