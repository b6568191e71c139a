// What an agent's prompt node outputs in the sandbox: the template rendered as PromptLayer renders it (src/render),
// flattened to text.
import { renderPromptTemplate } from "../render/index.js";
import type { Json, JsonObject } from "./records.js";

/**
 * What an agent's prompt node outputs in the sandbox, where no model answers: the rendered template as text. A
 * completion is its text; a chat is one `role: text` line per message, so a test can see every message it sent.
 */
export function renderedText(promptTemplate: JsonObject, variables: Record<string, Json>): string {
  const filled = renderPromptTemplate(promptTemplate, variables).promptTemplate as JsonObject;
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
