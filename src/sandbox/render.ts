// How the sandbox renders a prompt template: variables filled into its text blocks, for the SDK's templates.get and
// for agent runs alike. It lives here alone so that a PromptLayer-compatible renderer can replace it in one place.
import type { Json, JsonObject } from "./state.js";

/** Fills `{name}` (f-string) or `{{ name }}` (jinja2) in every text block; an unknown variable is left as written. */
export function fillVariables(value: Json, variables: Record<string, Json>, format = "f-string"): Json {
  if (Array.isArray(value)) return value.map((item) => fillVariables(item, variables, format));
  if (value === null || typeof value !== "object") return value;
  const ownFormat = typeof value.template_format === "string" ? value.template_format : format;
  const filled = Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, fillVariables(item, variables, ownFormat)]),
  );
  if (filled.type === "text" && typeof filled.text === "string") {
    const pattern = ownFormat === "jinja2" ? /\{\{\s*(\w+)\s*\}\}/g : /(?<!\{)\{(\w+)\}(?!\})/g;
    filled.text = filled.text.replace(pattern, (whole, name: string) =>
      Object.hasOwn(variables, name) ? textOf(variables[name]!) : whole,
    );
  }
  return filled;
}

const textOf = (value: Json): string => (typeof value === "string" ? value : JSON.stringify(value));

/**
 * What an agent's prompt node outputs in the sandbox, where no model answers: the rendered template as text. A
 * completion is its text; a chat is one `role: text` line per message, so a test can see every message it sent.
 */
export function renderedText(promptTemplate: JsonObject, variables: Record<string, Json>): string {
  const filled = fillVariables(promptTemplate, variables) as JsonObject;
  if (Array.isArray(filled.messages))
    return filled.messages
      .map((message) => {
        const { role, content } = (message ?? {}) as JsonObject;
        return `${String(role)}: ${blocksText(content)}`;
      })
      .join("\n");
  return blocksText(filled.content);
}

function blocksText(content: Json | undefined): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((block) => (block !== null && typeof block === "object" && !Array.isArray(block) ? block.text : undefined))
    .filter((text): text is string => typeof text === "string")
    .join("");
}
