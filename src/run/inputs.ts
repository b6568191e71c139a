// What `plx run` is given on the command line, read into values: variables (`--var`, `--vars-file`), model
// parameters (`--param`) and request metadata (`--metadata`). Pure; bad input is a usage error naming it.
import { isJsonObject, type JsonObject, type JsonValue } from "../core/template.js";
import { plxError } from "../errors/index.js";

/**
 * Variables: the file's first, then each `--var` over them. `name=value` is text, as a shell gives it;
 * `name:=<JSON>` is a JSON value (a list of messages for a placeholder, a number, an object for jinja2).
 */
export function readVariables(vars: readonly string[], file?: { path: string; text: string }): JsonObject {
  const variables: JsonObject = file ? variablesFile(file.path, file.text) : {};
  for (const given of vars) {
    const equals = given.indexOf("=");
    if (equals < 0) throw plxError("RUN.VARIABLE_INVALID", { given, problem: "it has no =" });
    const json = equals > 0 && given[equals - 1] === ":";
    const name = given.slice(0, json ? equals - 1 : equals).trim();
    if (name === "") throw plxError("RUN.VARIABLE_INVALID", { given, problem: "the name before = is empty" });
    const raw = given.slice(equals + 1);
    variables[name] = json ? parseJsonValue(raw, given) : raw;
  }
  return variables;
}

function parseJsonValue(raw: string, given: string): JsonValue {
  try {
    return JSON.parse(raw) as JsonValue;
  } catch (error) {
    throw plxError("RUN.VARIABLE_INVALID", {
      given,
      problem: `the value after := is not JSON (${(error as Error).message})`,
    });
  }
}

function variablesFile(path: string, text: string): JsonObject {
  let parsed: JsonValue;
  try {
    parsed = JSON.parse(text) as JsonValue;
  } catch (error) {
    throw plxError("RUN.VARS_FILE_INVALID", { file: path, problem: `it is not JSON (${(error as Error).message})` });
  }
  if (!isJsonObject(parsed))
    throw plxError("RUN.VARS_FILE_INVALID", { file: path, problem: "it is not a JSON object" });
  return parsed;
}

/** `--param name=value`: the value as JSON when it parses (0.2, true, ["\n"]), else as text. */
export function readParameters(params: readonly string[]): JsonObject {
  const parameters: JsonObject = {};
  for (const given of params) {
    const equals = given.indexOf("=");
    const name = given.slice(0, equals).trim();
    if (equals < 0 || name === "") throw plxError("RUN.PARAM_INVALID", { given });
    const raw = given.slice(equals + 1);
    try {
      parameters[name] = JSON.parse(raw) as JsonValue;
    } catch {
      parameters[name] = raw;
    }
  }
  return parameters;
}

/** `--metadata key=value`, kept as text as PromptLayer keeps metadata. */
export function readMetadata(pairs: readonly string[]): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const given of pairs) {
    const equals = given.indexOf("=");
    const key = given.slice(0, equals).trim();
    if (equals < 0 || key === "") throw plxError("RUN.METADATA_INVALID", { given });
    metadata[key] = given.slice(equals + 1);
  }
  return metadata;
}

/** `--model name` or `--model provider:name` (a name may itself hold a colon, as fine-tuned OpenAI models do). */
export function readModel(given: string): { provider?: string; name: string } {
  const match = /^(openai|anthropic|google|gemini|vertexai):(.+)$/i.exec(given.trim());
  return match ? { provider: match[1]!.toLowerCase(), name: match[2]! } : { name: given.trim() };
}
