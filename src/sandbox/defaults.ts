// The fields PromptLayer fills in on a stored version, so the sandbox hands back what the real registry does and
// plx's canonical comparison is exercised against server-shaped reads, not only against its own writes.
import type { Json, JsonObject } from "./records.js";

const NAMED_ROLES = new Set(["system", "user", "developer", "assistant", "tool"]);
const F_STRING_VARIABLE = /(?<!\{)\{(\w+)(?:[!:][^}]*)?\}(?!\})/g;
const JINJA_VARIABLE = /\{\{\s*(\w+)/g;

export function fillServerDefaults(promptTemplate: JsonObject): JsonObject {
  const copy = structuredClone(promptTemplate);
  if (copy.type === "completion") {
    copy.template_format ??= "f-string";
    copy.input_variables = variablesIn(copy.content, copy.template_format as string);
    return copy;
  }
  const messages = (Array.isArray(copy.messages) ? (copy.messages as JsonObject[]) : []).map(fillMessageDefaults);
  copy.messages = messages;
  copy.functions ??= null;
  copy.tools ??= null;
  copy.function_call ??= null;
  copy.tool_choice ??= null;
  copy.input_variables = [...new Set(messages.flatMap((message) => message.input_variables as string[]))];
  return copy;
}

function fillMessageDefaults(message: JsonObject): JsonObject {
  const filled: JsonObject = { ...message };
  filled.template_format ??= "f-string";
  if (NAMED_ROLES.has(filled.role as string)) filled.name ??= null;
  if (filled.role === "assistant") {
    filled.tool_calls ??= null;
    filled.function_call ??= null;
  }
  if (filled.role === "placeholder") {
    filled.content ??= null;
    filled.raw_request_display_role ??= "";
  }
  filled.input_variables = variablesIn(filled.content ?? null, filled.template_format as string);
  return filled;
}

/** Variable names in the text blocks, in order of first use, as the registry derives `input_variables`. */
function variablesIn(content: Json | undefined, format: string): string[] {
  const blocks = Array.isArray(content) ? content : [];
  const pattern = format === "jinja2" ? JINJA_VARIABLE : F_STRING_VARIABLE;
  const names = blocks.flatMap((block) => {
    const text = block !== null && typeof block === "object" && !Array.isArray(block) ? block.text : undefined;
    return typeof text === "string" ? [...text.matchAll(pattern)].map((match) => match[1]!) : [];
  });
  return [...new Set(names)];
}
