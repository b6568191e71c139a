// OpenAI's chat completions (and every OpenAI-compatible endpoint): a PromptLayer template as a request body, and
// the answer, whole or streamed, back as text, a PromptLayer assistant message and token counts.
import { z } from "zod";
import { isJsonObject, type JsonObject, type JsonValue } from "../core/template.js";
import { blocksOf, functionTools, imageOf, textOf } from "./convert.js";
import { assistantOutput, type ModelReply, type ProviderFormat, type StreamAssembler } from "./types.js";

/** A message's content for OpenAI: a string when it is only text (every compatible server takes that), else parts. */
function contentFor(content: JsonValue | undefined, warnings: string[]): JsonValue {
  const blocks = blocksOf(content);
  if (blocks.every((block) => block.type === "text")) return textOf(blocks);
  return blocks.flatMap((block): JsonObject[] => {
    if (block.type === "text") return [{ type: "text", text: String(block.text ?? "") }];
    const image = imageOf(block);
    if (image) return [{ type: "image_url", image_url: image }];
    warnings.push(`a ${String(block.type)} content block is not sent to OpenAI`);
    return [];
  });
}

function messagesFor(promptTemplate: JsonObject, warnings: string[]): JsonObject[] {
  if (!Array.isArray(promptTemplate.messages)) return [{ role: "user", content: textOf(promptTemplate.content) }];
  return promptTemplate.messages.filter(isJsonObject).map((message) => {
    const role = String(message.role);
    const out: JsonObject = { role };
    if (typeof message.name === "string" && role !== "tool") out.name = message.name;
    if (role === "assistant") {
      const text = textOf(message.content);
      out.content = text === "" && message.tool_calls ? null : text;
      if (Array.isArray(message.tool_calls) && message.tool_calls.length > 0) {
        out.tool_calls = message.tool_calls.filter(isJsonObject).map(
          (call): JsonObject => ({
            id: call.id ?? null,
            type: "function",
            function: isJsonObject(call.function)
              ? { name: call.function.name ?? null, arguments: call.function.arguments ?? "{}" }
              : {},
          }),
        );
      }
      if (isJsonObject(message.function_call)) out.function_call = message.function_call;
      return out;
    }
    if (role === "tool") {
      out.tool_call_id = message.tool_call_id ?? null;
      out.content = textOf(message.content);
      return out;
    }
    out.content = role === "user" ? contentFor(message.content, warnings) : textOf(message.content);
    return out;
  });
}

const toolCallSchema = z.looseObject({
  id: z.string().optional(),
  type: z.string().optional(),
  function: z.looseObject({ name: z.string(), arguments: z.string() }),
});

const replySchema = z.looseObject({
  id: z.string().optional(),
  model: z.string().optional(),
  choices: z
    .array(
      z.looseObject({
        message: z.looseObject({
          content: z.string().nullish(),
          tool_calls: z.array(toolCallSchema).nullish(),
        }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: z.looseObject({ prompt_tokens: z.number(), completion_tokens: z.number() }).nullish(),
});

const chunkSchema = z.looseObject({
  model: z.string().optional(),
  choices: z
    .array(
      z.looseObject({
        delta: z
          .looseObject({
            content: z.string().nullish(),
            tool_calls: z
              .array(
                z.looseObject({
                  index: z.number(),
                  id: z.string().nullish(),
                  function: z.looseObject({ name: z.string().nullish(), arguments: z.string().nullish() }).nullish(),
                }),
              )
              .nullish(),
          })
          .nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  usage: z.looseObject({ prompt_tokens: z.number(), completion_tokens: z.number() }).nullish(),
});

type ToolCall = z.infer<typeof toolCallSchema>;

function replyOf(
  text: string,
  toolCalls: ToolCall[],
  usage: { prompt_tokens: number; completion_tokens: number } | null | undefined,
  finishReason: string | null | undefined,
  model: string | undefined,
  raw: JsonValue,
): ModelReply {
  const calls = toolCalls.map((call) => ({
    id: call.id ?? "",
    type: "function",
    function: { name: call.function.name, arguments: call.function.arguments },
  }));
  return {
    text,
    output: assistantOutput(text, calls.length > 0 ? { tool_calls: calls } : {}),
    usage: { inputTokens: usage?.prompt_tokens ?? 0, outputTokens: usage?.completion_tokens ?? 0 },
    ...(finishReason ? { finishReason } : {}),
    ...(model ? { model } : {}),
    raw,
  };
}

export const openai: ProviderFormat = {
  request(promptTemplate, model, stream, warnings) {
    const body: JsonObject = { model: model.name, messages: messagesFor(promptTemplate, warnings) };
    const tools = functionTools(promptTemplate, warnings);
    if (tools.length > 0) body.tools = tools.map((fn) => ({ type: "function", function: fn }));
    if (tools.length > 0 && promptTemplate.tool_choice != null) body.tool_choice = promptTemplate.tool_choice;
    Object.assign(body, model.parameters);
    body.model = model.name;
    if (stream) Object.assign(body, { stream: true, stream_options: { include_usage: true } });
    return { provider: "openai", path: "/chat/completions", body, stream };
  },

  reply(body) {
    const parsed = replySchema.safeParse(body);
    if (!parsed.success) return undefined;
    const [choice] = parsed.data.choices;
    return replyOf(
      choice!.message.content ?? "",
      choice!.message.tool_calls ?? [],
      parsed.data.usage,
      choice!.finish_reason,
      parsed.data.model,
      body as JsonValue,
    );
  },

  stream(): StreamAssembler {
    let text = "";
    let finishReason: string | undefined;
    let model: string | undefined;
    let usage: { prompt_tokens: number; completion_tokens: number } | undefined;
    const calls: Array<{ id: string; name: string; arguments: string }> = [];
    return {
      push({ data }) {
        if (data.trim() === "[DONE]") return "";
        const parsed = chunkSchema.safeParse(JSON.parse(data));
        if (!parsed.success) return "";
        model ??= parsed.data.model;
        if (parsed.data.usage) usage = parsed.data.usage;
        let added = "";
        for (const choice of parsed.data.choices ?? []) {
          if (choice.finish_reason) finishReason = choice.finish_reason;
          if (choice.delta?.content) added += choice.delta.content;
          for (const call of choice.delta?.tool_calls ?? []) {
            const slot = (calls[call.index] ??= { id: "", name: "", arguments: "" });
            if (call.id) slot.id = call.id;
            if (call.function?.name) slot.name += call.function.name;
            if (call.function?.arguments) slot.arguments += call.function.arguments;
          }
        }
        text += added;
        return added;
      },
      finish() {
        const toolCalls = calls.filter(Boolean).map((call) => ({
          id: call.id,
          type: "function",
          function: { name: call.name, arguments: call.arguments },
        }));
        const raw: JsonObject = {
          object: "chat.completion",
          ...(model ? { model } : {}),
          choices: [
            {
              index: 0,
              message: { role: "assistant", content: text, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) },
              finish_reason: finishReason ?? null,
            },
          ],
          ...(usage ? { usage } : {}),
        };
        return replyOf(text, toolCalls, usage, finishReason, model, raw);
      },
    };
  },

  errorMessage(body) {
    if (isJsonObject(body as JsonValue) && isJsonObject((body as JsonObject).error as JsonValue)) {
      const message = ((body as JsonObject).error as JsonObject).message;
      return typeof message === "string" ? message : undefined;
    }
    return undefined;
  },
};
