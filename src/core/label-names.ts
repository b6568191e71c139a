// What PromptLayer accepts as a release label name, checked before anything is sent: wherever a name comes from (a
// flag, plx.config.yaml, a snippet reference `@@@name@label:L@@@`, an agent's `prompt: name@label:L`).

/** Why `value` cannot be a release label name, or undefined when it can. */
export function labelNameProblem(value: string): string | undefined {
  if (value.trim() === "") return "a label name cannot be empty";
  if (/\s/.test(value)) return "a label name cannot contain whitespace";
  if (value.length > 255) return "a label name is at most 255 characters";
  return undefined;
}
