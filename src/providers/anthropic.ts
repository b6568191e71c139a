// Anthropic's messages API: system messages become the top-level `system`, tool calls and results become
// tool_use/tool_result blocks, and the answer (whole or streamed) comes back as text and a PromptLayer message.
import { z } from "zod";
import { isJsonObject, type JsonObject, type JsonValue } from "../core/template.js";
import { argumentsOf, blocksOf, dataUrlParts, functionTools, imageOf, textOf } from "./convert.js";
import { assistantOutput, type ModelReply, type ProviderFormat, type StreamAssembler } from "./types.js";

export const ANTHROPIC_VERSION = "2023-06-01";
/** Anthropic requires max_tokens; this is used when the template sets none. */
export const DEFAULT_MAX_TOKENS = 4096;

function blocksFor(message: JsonObject, warnings: string[]): JsonObject[] {
  const out: JsonObject[] = [];
  for (const block of blocksOf(message.content)) {
    if (block.type === "text") {
      if (String(block.text ?? "") !== "") out.push({ type: "text", text: String(block.text) });
      continue;
    }
    if (block.type === "thinking") {
      out.push({ type: "thinking", thinking: block.thinking ?? "", signature: block.signature ?? "" });
      continue;
    }
    const image = imageOf(block);
    if (image) {
      const data = dataUrlParts(image.url);
      out.push({
        type: "image",
        source: data
          ? { type: "base64", media_type: data.mediaType, data: data.data }
          : { type: "url", url: image.url },
      });
      continue;
    }
    warnings.push(`a ${String(block.type)} content block is not sent to Anthropic`);
  }
  if (message.role === "assistant" && Array.isArray(message.tool_calls)) {
    for (const call of message.tool_calls.filter(isJsonObject)) {
      const fn = isJsonObject(call.function) ? call.function : {};
      out.push({ type: "tool_use", id: call.id ?? "", name: fn.name ?? "", input: argumentsOf(fn.arguments) });
    }
  }
  return out;
}

function conversation(promptTemplate: JsonObject, warnings: string[]): { system: string[]; messages: JsonObject[] } {
  if (!Array.isArray(promptTemplate.messages)) {
    return {
      system: [],
      messages: [{ role: "user", content: [{ type: "text", text: textOf(promptTemplate.content) }] }],
    };
  }
  const system: string[] = [];
  const messages: JsonObject[] = [];
  for (const message of promptTemplate.messages.filter(isJsonObject)) {
    const role = String(message.role);
    if (role === "system" || role === "developer") {
      system.push(textOf(message.content));
      continue;
    }
    const content =
      role === "tool" || role === "function"
        ? [
            {
              type: "tool_result",
              tool_use_id: message.tool_call_id ?? message.name ?? "",
              content: textOf(message.content),
            },
          ]
        : blocksFor(message, warnings);
    const speaker = role === "assistant" ? "assistant" : "user";
    // Turns alternate: consecutive messages from one side are one turn.
    const previous = messages.at(-1);
    if (previous?.role === speaker) (previous.content as JsonValue[]).push(...content);
    else messages.push({ role: speaker, content });
  }
  return { system, messages };
}

function toolChoiceFor(choice: JsonValue | undefined): JsonValue | undefined {
  if (choice === "auto") return { type: "auto" };
  if (choice === "required") return { type: "any" };
  if (choice === "none") return { type: "none" };
  if (isJsonObject(choice) && isJsonObject(choice.function) && typeof choice.function.name === "string")
    return { type: "tool", name: choice.function.name };
  return undefined;
}

const usageSchema = z.looseObject({ input_tokens: z.number().optional(), output_tokens: z.number().optional() });
const contentBlockSchema = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
  id: z.string().optional(),
  name: z.string().optional(),
  input: z.unknown().optional(),
  thinking: z.string().optional(),
  signature: z.string().optional(),
});
const replySchema = z.looseObject({
  type: z.literal("message").optional(),
  model: z.string().optional(),
  content: z.array(contentBlockSchema),
  stop_reason: z.string().nullish(),
  usage: usageSchema.nullish(),
});

type Block = z.infer<typeof contentBlockSchema>;

function replyOf(
  blocks: Block[],
  usage: z.infer<typeof usageSchema>,
  stopReason: string | null | undefined,
  model: string | undefined,
  raw: JsonValue,
): ModelReply {
  const text = blocks
    .filter((block) => block.type === "text")
    .map((block) => block.text ?? "")
    .join("");
  const calls = blocks
    .filter((block) => block.type === "tool_use")
    .map((block) => ({
      id: block.id ?? "",
      type: "function",
      function: { name: block.name ?? "", arguments: JSON.stringify(block.input ?? {}) },
    }));
  return {
    text,
    output: assistantOutput(text, calls.length > 0 ? { tool_calls: calls } : {}),
    usage: { inputTokens: usage.input_tokens ?? 0, outputTokens: usage.output_tokens ?? 0 },
    ...(stopReason ? { finishReason: stopReason } : {}),
    ...(model ? { model } : {}),
    raw,
  };
}

const eventSchema = z.looseObject({
  type: z.string(),
  index: z.number().optional(),
  message: z.looseObject({ model: z.string().optional(), usage: usageSchema.optional() }).optional(),
  content_block: contentBlockSchema.optional(),
  delta: z
    .looseObject({
      type: z.string().optional(),
      text: z.string().optional(),
      partial_json: z.string().optional(),
      thinking: z.string().optional(),
      stop_reason: z.string().nullish(),
    })
    .optional(),
  usage: usageSchema.optional(),
  error: z.looseObject({ message: z.string().optional() }).optional(),
});

export const anthropic: ProviderFormat = {
  request(promptTemplate, model, stream, warnings) {
    const { system, messages } = conversation(promptTemplate, warnings);
    const body: JsonObject = { model: model.name, max_tokens: DEFAULT_MAX_TOKENS, messages };
    if (system.length === 1) body.system = system[0]!;
    else if (system.length > 1) body.system = system.map((text) => ({ type: "text", text }));
    const tools = functionTools(promptTemplate, warnings);
    if (tools.length > 0) {
      body.tools = tools.map((fn) => ({
        name: fn.name!,
        ...(typeof fn.description === "string" && fn.description !== "" ? { description: fn.description } : {}),
        input_schema: isJsonObject(fn.parameters) ? fn.parameters : { type: "object", properties: {} },
      }));
      const choice = toolChoiceFor(promptTemplate.tool_choice ?? undefined);
      if (choice) body.tool_choice = choice;
    }
    Object.assign(body, model.parameters);
    body.model = model.name;
    if (stream) body.stream = true;
    return { provider: "anthropic", path: "/v1/messages", body, stream };
  },

  reply(body) {
    const parsed = replySchema.safeParse(body);
    if (!parsed.success) return undefined;
    const { content, usage, stop_reason: stopReason, model } = parsed.data;
    return replyOf(content, usage ?? {}, stopReason, model, body as JsonValue);
  },

  stream(): StreamAssembler {
    const blocks: Block[] = [];
    const partialJson: string[] = [];
    const usage: { input_tokens?: number; output_tokens?: number } = {};
    let stopReason: string | undefined;
    let model: string | undefined;
    return {
      push({ data }) {
        const parsed = eventSchema.safeParse(JSON.parse(data));
        if (!parsed.success) return "";
        const event = parsed.data;
        if (event.type === "error") throw new Error(event.error?.message ?? "the stream reported an error");
        if (event.type === "message_start") {
          model = event.message?.model;
          Object.assign(usage, event.message?.usage ?? {});
        } else if (event.type === "content_block_start" && event.index !== undefined && event.content_block) {
          blocks[event.index] = { ...event.content_block };
        } else if (event.type === "content_block_delta" && event.index !== undefined && event.delta) {
          const block = (blocks[event.index] ??= { type: "text", text: "" });
          if (event.delta.text !== undefined) {
            block.text = (block.text ?? "") + event.delta.text;
            return event.delta.text;
          }
          if (event.delta.partial_json !== undefined)
            partialJson[event.index] = (partialJson[event.index] ?? "") + event.delta.partial_json;
          if (event.delta.thinking !== undefined) block.thinking = (block.thinking ?? "") + event.delta.thinking;
        } else if (event.type === "message_delta") {
          if (event.delta?.stop_reason) stopReason = event.delta.stop_reason;
          Object.assign(usage, event.usage ?? {});
        }
        return "";
      },
      finish() {
        partialJson.forEach((json, index) => {
          if (json !== undefined && blocks[index]) blocks[index]!.input = json === "" ? {} : JSON.parse(json);
        });
        const present = blocks.filter(Boolean);
        const raw: JsonObject = {
          type: "message",
          role: "assistant",
          ...(model ? { model } : {}),
          content: present as JsonValue[],
          stop_reason: stopReason ?? null,
          usage: usage as JsonObject,
        };
        return replyOf(present, usage, stopReason, model, raw);
      },
    };
  },

  errorMessage(body) {
    const error = isJsonObject(body as JsonValue) ? (body as JsonObject).error : undefined;
    return isJsonObject(error) && typeof error.message === "string" ? error.message : undefined;
  },
};
