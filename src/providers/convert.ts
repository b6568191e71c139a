// Pieces every provider format needs: reading PromptLayer's content blocks, and carrying model parameters from the
// provider a template was written for to the one a run calls.
import { isJsonObject, type JsonObject, type JsonValue } from "../core/template.js";
import type { ProviderName } from "./types.js";

/** The text blocks of a content list (or a plain string), joined. */
export function textOf(content: JsonValue | undefined): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((block) => (isJsonObject(block) && typeof block.text === "string" ? block.text : "")).join("");
}

/** Content blocks as a list, a plain string being one text block. */
export function blocksOf(content: JsonValue | undefined): JsonObject[] {
  if (typeof content === "string") return content === "" ? [] : [{ type: "text", text: content }];
  return Array.isArray(content) ? content.filter(isJsonObject) : [];
}

/** The URL of an image block (`image_url`, or `media` with a URL or base64 data). */
export function imageOf(block: JsonObject): { url: string; detail?: string } | undefined {
  if (block.type === "image_url" && isJsonObject(block.image_url) && typeof block.image_url.url === "string") {
    const detail = typeof block.image_url.detail === "string" ? block.image_url.detail : undefined;
    return { url: block.image_url.url, ...(detail ? { detail } : {}) };
  }
  if (block.type === "media" && isJsonObject(block.media) && typeof block.media.url === "string") {
    const { url, format, type } = block.media;
    if (format === "base64") return { url: `data:${typeof type === "string" ? type : "image/jpeg"};base64,${url}` };
    return { url };
  }
  return undefined;
}

/** A `data:` URL's media type and base64 payload. */
export function dataUrlParts(url: string): { mediaType: string; data: string } | undefined {
  const match = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  return match ? { mediaType: match[1]!, data: match[2]! } : undefined;
}

/** A tool call's arguments, which PromptLayer keeps as a JSON string, as an object. */
export function argumentsOf(text: JsonValue | undefined): JsonObject {
  if (isJsonObject(text)) return text;
  if (typeof text !== "string" || text.trim() === "") return {};
  try {
    const parsed = JSON.parse(text) as JsonValue;
    return isJsonObject(parsed) ? parsed : { value: parsed };
  } catch {
    return { arguments: text };
  }
}

/** Function tools of a template as `{name, description, parameters}`; other tools are reported and left out. */
export function functionTools(promptTemplate: JsonObject, warnings: string[]): JsonObject[] {
  const tools = Array.isArray(promptTemplate.tools) ? promptTemplate.tools : [];
  const functions = Array.isArray(promptTemplate.functions) ? promptTemplate.functions : [];
  const found: JsonObject[] = [];
  for (const tool of tools) {
    if (isJsonObject(tool) && tool.type === "function" && isJsonObject(tool.function)) found.push(tool.function);
    else if (isJsonObject(tool))
      warnings.push(
        `the ${String(tool.type ?? "unknown")} tool "${String(tool.name ?? "")}" is not sent: plx sends function tools only`,
      );
  }
  for (const fn of functions) if (isJsonObject(fn)) found.push(fn);
  return found.filter((fn) => typeof fn.name === "string");
}

/** One parameter known under each provider's name; undefined where the provider has no such parameter. */
const SHARED: Array<Record<ProviderName, string | undefined> & { aliases?: string[] }> = [
  { openai: "temperature", anthropic: "temperature", google: "temperature" },
  { openai: "top_p", anthropic: "top_p", google: "topP" },
  { openai: undefined, anthropic: "top_k", google: "topK" },
  {
    openai: "max_tokens",
    anthropic: "max_tokens",
    google: "maxOutputTokens",
    aliases: ["max_completion_tokens", "max_output_tokens", "maxTokens", "max_tokens_to_sample"],
  },
  { openai: "stop", anthropic: "stop_sequences", google: "stopSequences", aliases: ["stop_sequences"] },
  { openai: "seed", anthropic: undefined, google: "seed" },
  { openai: "frequency_penalty", anthropic: undefined, google: "frequencyPenalty" },
  { openai: "presence_penalty", anthropic: undefined, google: "presencePenalty" },
  { openai: "n", anthropic: undefined, google: "candidateCount" },
];

const snakeToCamel = (key: string) => key.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());

/**
 * Parameters for `target`. Written for that same provider they pass unchanged, Gemini's put in its camelCase;
 * written for another, the common ones are renamed and the rest left out with a warning, since a provider refuses
 * parameters it does not know. `stream` is plx's to decide, so it is never carried over.
 */
export function parametersFor(
  parameters: JsonObject,
  from: ProviderName | undefined,
  target: ProviderName,
  warnings: string[],
): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(parameters)) {
    if (key === "stream" || key === "stream_options") continue;
    if (from === target && target !== "google") {
      out[key] = value;
      continue;
    }
    const shared = SHARED.find(
      (entry) =>
        [entry.openai, entry.anthropic, entry.google, ...(entry.aliases ?? [])].includes(key) ||
        entry.google === snakeToCamel(key),
    );
    const name = shared?.[target];
    if (name) out[name] = target !== "openai" && name.toLowerCase().includes("stop") ? [value].flat() : value;
    else if (key === "response_format" && target === "google") {
      // Gemini's JSON mode; a schema in OpenAI's json_schema form is not Gemini's, so only the mode carries over.
      if (isJsonObject(value) && value.type !== "text") out.responseMimeType = "application/json";
    } else if (from === target) out[snakeToCamel(key)] = value;
    else warnings.push(`the parameter ${key} is not sent: ${target} has no equivalent`);
  }
  return out;
}
