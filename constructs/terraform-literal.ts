/**
 * Terraform reads every string of a configuration as a template: `${...}` interpolates and `%{...}` is a
 * directive, in JSON syntax as in HCL (developer.hashicorp.com/terraform/language/syntax/json, "String
 * templates"). `$${` and `%%{` are the escapes that stand for the literal sequences.
 */

/** A plain string (no cdktf tokens) as a template that Terraform evaluates to exactly that string. */
export function terraformLiteral(text: string): string {
  return text.replace(/([$%])\{/g, "$1$1{");
}

/** The same for an optional setting: absent stays absent. */
export function optionalTerraformLiteral(text: string | undefined): string | undefined {
  return text === undefined ? undefined : terraformLiteral(text);
}

/** Whether Terraform would evaluate something in this string, i.e. it holds `${` or `%{`. */
export function holdsTemplateSequence(text: string): boolean {
  return /[$%]\{/.test(text);
}
