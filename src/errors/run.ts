import { defineErrors, entry, ExitCode } from "./define.js";

const PROVIDER_LABELS: Record<string, string> = { openai: "OpenAI", anthropic: "Anthropic", google: "Gemini" };
const label = (provider: string) => PROVIDER_LABELS[provider] ?? provider;
const attemptsNote = (attempts: number) => (attempts > 1 ? ` (after ${attempts} attempts)` : "");
const listed = (items: readonly string[]) => items.join(", ");

export interface MissingVariableParams {
  name: string;
  /** Where the template reads it, e.g. "message 2 (user), line 1, column 8". */
  where: string;
}

/** `plx run`: the prompt, its variables, the model provider and the request log. */
export const runErrors = defineErrors({
  "RUN.VARIABLES_MISSING": entry<{ prompt: string; missing: readonly MissingVariableParams[] }>({
    exit: ExitCode.Usage,
    message: (p) =>
      `${p.prompt} needs ${p.missing.length === 1 ? "a variable" : `${p.missing.length} variables`} that ${p.missing.length === 1 ? "was" : "were"} not given:\n${p.missing
        .map((variable) => `  ${variable.name}: used in ${variable.where}`)
        .join("\n")}`,
    hint: (p) =>
      `Give ${p.missing.length === 1 ? "it" : "them"} with --var (${p.missing[0]!.name}=…) or --vars-file; PromptLayer would send an empty value in ${p.missing.length === 1 ? "its" : "their"} place.`,
    details: (p) => ({ missing: p.missing }),
  }),
  "RUN.RENDER_FAILED": entry<{ prompt: string; failures: ReadonlyArray<{ where: string; message: string }> }>({
    exit: ExitCode.Usage,
    message: (p) =>
      `${p.prompt} cannot be rendered; PromptLayer would send ${p.failures.length === 1 ? "this text" : "these texts"} unfilled:\n${p.failures
        .map((failure) => `  ${failure.where}: ${failure.message}`)
        .join("\n")}`,
    hint: "Fix the template (an f-string writes a literal brace as {{ or }}; jinja2 suits text full of braces), or the variable's value.",
    details: (p) => ({ failures: p.failures }),
  }),
  "RUN.VARIABLE_INVALID": entry<{ given: string; problem: string }>({
    exit: ExitCode.Usage,
    message: (p) => `--var "${p.given}" is not valid: ${p.problem}.`,
    hint: "Write --var name=text for a text value, or --var name:=<JSON> for a list, number or object.",
  }),
  "RUN.VARS_FILE_INVALID": entry<{ file: string; problem: string }>({
    exit: ExitCode.Usage,
    message: (p) => `--vars-file ${p.file} cannot be used: ${p.problem}.`,
    hint: 'The file holds one JSON object of variables, e.g. {"cart": "2 apples", "history": [...]}.',
    details: (p) => ({ file: p.file }),
  }),
  "RUN.PARAM_INVALID": entry<{ given: string }>({
    exit: ExitCode.Usage,
    message: (p) => `--param "${p.given}" is not name=value.`,
    hint: "For example --param temperature=0 or --param max_tokens=200; values are read as JSON when they parse.",
  }),
  "RUN.METADATA_INVALID": entry<{ given: string }>({
    exit: ExitCode.Usage,
    message: (p) => `--metadata "${p.given}" is not key=value.`,
    hint: "For example --metadata ticket=SUP-12; PromptLayer keeps metadata values as text.",
  }),
  "RUN.PROMPT_NOT_FOUND": entry<{ name: string; selector?: string; baseUrl: string }>({
    exit: ExitCode.Usage,
    message: (p) => `PromptLayer (${p.baseUrl}) has no template "${p.name}"${p.selector ? ` with ${p.selector}` : ""}.`,
    hint: "Check the name (plx label ls lists templates and labels), or run a local file with --file.",
    details: (p) => ({ name: p.name, ...(p.selector ? { selector: p.selector } : {}) }),
  }),
  "RUN.NO_LOCAL_FILE": entry<{ name: string; promptsDir: string }>({
    exit: ExitCode.Usage,
    message: (p) => `No prompt file under ${p.promptsDir} holds the template "${p.name}".`,
    hint: "Give the file itself with --file, or run the published template by leaving out --local.",
  }),
  "RUN.FILE_UNREADABLE": entry<{ file: string; problem: string }>({
    exit: ExitCode.Usage,
    message: (p) => `${p.file} cannot be run: ${p.problem}.`,
    hint: "Give a .prompt.yaml file inside the prompts directory; `plx check` explains problems in one.",
    details: (p) => ({ file: p.file }),
  }),
  "RUN.SNIPPET_UNRESOLVED": entry<{ reference: string; reason: string }>({
    exit: ExitCode.Usage,
    message: (p) => `The snippet ${p.reference} cannot be expanded: ${p.reason}.`,
    hint: "Add the snippet's prompt file, or publish it to PromptLayer, then run again.",
    details: (p) => ({ reference: p.reference }),
  }),
  "RUN.NO_MODEL": entry<{ prompt: string }>({
    exit: ExitCode.Usage,
    message: (p) => `${p.prompt} names no model to run (its metadata.model is empty).`,
    hint: "Set the model in the template, or give one with --model (e.g. --model openai:gpt-4o-mini).",
  }),
  "RUN.PROVIDER_UNSUPPORTED": entry<{ provider: string; model: string }>({
    exit: ExitCode.Usage,
    message: (p) =>
      `plx run cannot call the provider "${p.provider}" (model ${p.model}): it calls OpenAI, Anthropic, Gemini and OpenAI-compatible endpoints.`,
    hint: "Run through an OpenAI-compatible endpoint with --model openai:<model> and OPENAI_BASE_URL, or pick another model with --model.",
  }),
  "RUN.PROVIDER_KEY_MISSING": entry<{ provider: string; variables: readonly string[]; baseUrlVariable: string }>({
    exit: ExitCode.Auth,
    message: (p) =>
      `No ${label(p.provider)} API key: ${listed(p.variables)} ${p.variables.length === 1 ? "is" : "are"} not set.`,
    hint: (p) =>
      `Set ${p.variables[0]} in the environment (in CI, from a secret). To rehearse without a real key, start plx sandbox, point ${p.baseUrlVariable} at it and set ${p.variables[0]} to any value.`,
    details: (p) => ({ provider: p.provider, variables: p.variables }),
  }),
  "RUN.PROVIDER_AUTH": entry<{ provider: string; status: number; variable: string; serverMessage?: string }>({
    exit: ExitCode.Auth,
    message: (p) =>
      `${label(p.provider)} rejected the API key from ${p.variable} (HTTP ${p.status})${p.serverMessage ? `: ${p.serverMessage}` : "."}`,
    hint: (p) => `Check that ${p.variable} holds a current key, and that the base URL points at ${label(p.provider)}.`,
    details: (p) => ({ provider: p.provider, status: p.status, variable: p.variable }),
  }),
  "RUN.PROVIDER_REJECTED": entry<{ provider: string; status: number; url: string; serverMessage?: string }>({
    exit: ExitCode.Usage,
    message: (p) =>
      `${label(p.provider)} refused the request to ${p.url} (HTTP ${p.status})${p.serverMessage ? `: ${p.serverMessage}` : "."}`,
    hint: "The provider objected to what was sent (the model name, a parameter, a message); --json shows the request as sent.",
    details: (p) => ({ provider: p.provider, status: p.status }),
  }),
  "RUN.PROVIDER_FAILED": entry<{ provider: string; url: string; reason: string; attempts: number; status?: number }>({
    exit: ExitCode.Remote,
    message: (p) => `${label(p.provider)} did not answer ${p.url}: ${p.reason}${attemptsNote(p.attempts)}.`,
    hint: "The provider is failing, throttling or unreachable; run again in a while, or allow more retries with --retries.",
    details: (p) => ({
      provider: p.provider,
      attempts: p.attempts,
      ...(p.status === undefined ? {} : { status: p.status }),
    }),
  }),
  "RUN.PROVIDER_INVALID_RESPONSE": entry<{ provider: string; url: string; problem: string }>({
    exit: ExitCode.Remote,
    message: (p) => `${label(p.provider)}'s answer from ${p.url} was not what plx expects: ${p.problem}.`,
    hint: "If the base URL points at a proxy or a compatible server, check that it speaks the provider's API.",
    details: (p) => ({ provider: p.provider }),
  }),
  "RUN.BASE_URL_INVALID": entry<{ variable: string; url: string }>({
    exit: ExitCode.Usage,
    message: (p) => `${p.variable} "${p.url}" is not an http(s) URL.`,
    hint: (p) => `Set ${p.variable} to the provider API's root, e.g. http://127.0.0.1:4010/v1 for plx sandbox.`,
  }),
});
