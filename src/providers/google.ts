// Google's Gemini API (generateContent and its streaming twin): system messages become `systemInstruction`,
// assistant turns are the "model" role, tool calls are functionCall/functionResponse parts, and the parameters sit
// in `generationConfig`.
import { z } from "zod";
import { isJsonObject, type JsonObject, type JsonValue } from "../core/template.js";
import { argumentsOf, blocksOf, dataUrlParts, functionTools, imageOf, textOf } from "./convert.js";
import { assistantOutput, type ModelReply, type ProviderFormat, type StreamAssembler } from "./types.js";

function partsFor(message: JsonObject, warnings: string[]): JsonObject[] {
  const parts: JsonObject[] = [];
  for (const block of blocksOf(message.content)) {
    if (block.type === "text") {
      if (String(block.text ?? "") !== "") parts.push({ text: String(block.text) });
      continue;
    }
    const image = imageOf(block);
    if (image) {
      const data = dataUrlParts(image.url);
      parts.push(
        data ? { inlineData: { mimeType: data.mediaType, data: data.data } } : { fileData: { fileUri: image.url } },
      );
      continue;
    }
    warnings.push(`a ${String(block.type)} content block is not sent to Gemini`);
  }
  if (Array.isArray(message.tool_calls)) {
    for (const call of message.tool_calls.filter(isJsonObject)) {
      const fn = isJsonObject(call.function) ? call.function : {};
      parts.push({ functionCall: { name: fn.name ?? "", args: argumentsOf(fn.arguments) } });
    }
  }
  return parts;
}

function conversation(promptTemplate: JsonObject, warnings: string[]): { system: string[]; contents: JsonObject[] } {
  if (!Array.isArray(promptTemplate.messages)) {
    return { system: [], contents: [{ role: "user", parts: [{ text: textOf(promptTemplate.content) }] }] };
  }
  const system: string[] = [];
  const contents: JsonObject[] = [];
  // A function response names the function; PromptLayer's tool messages name the call, so calls are remembered.
  const callNames = new Map<string, string>();
  for (const message of promptTemplate.messages.filter(isJsonObject)) {
    const role = String(message.role);
    if (role === "system" || role === "developer") {
      system.push(textOf(message.content));
      continue;
    }
    for (const call of Array.isArray(message.tool_calls) ? message.tool_calls.filter(isJsonObject) : []) {
      if (typeof call.id === "string" && isJsonObject(call.function))
        callNames.set(call.id, String(call.function.name));
    }
    let parts: JsonObject[];
    if (role === "tool" || role === "function") {
      const name =
        typeof message.name === "string" ? message.name : (callNames.get(String(message.tool_call_id)) ?? "");
      parts = [{ functionResponse: { name, response: { content: textOf(message.content) } } }];
    } else {
      parts = partsFor(message, warnings);
    }
    const speaker = role === "assistant" ? "model" : "user";
    const previous = contents.at(-1);
    if (previous?.role === speaker) (previous.parts as JsonValue[]).push(...parts);
    else contents.push({ role: speaker, parts });
  }
  return { system, contents };
}

const partSchema = z.looseObject({
  text: z.string().optional(),
  thought: z.boolean().optional(),
  functionCall: z.looseObject({ name: z.string(), args: z.unknown().optional() }).optional(),
});
const usageSchema = z.looseObject({
  promptTokenCount: z.number().optional(),
  candidatesTokenCount: z.number().optional(),
  thoughtsTokenCount: z.number().optional(),
});
const replySchema = z.looseObject({
  candidates: z
    .array(
      z.looseObject({
        content: z.looseObject({ parts: z.array(partSchema).optional() }).optional(),
        finishReason: z.string().optional(),
      }),
    )
    .optional(),
  usageMetadata: usageSchema.optional(),
  modelVersion: z.string().optional(),
  promptFeedback: z.looseObject({ blockReason: z.string().optional() }).optional(),
});

type Part = z.infer<typeof partSchema>;

function replyOf(
  parts: Part[],
  usage: z.infer<typeof usageSchema> | undefined,
  finishReason: string | undefined,
  model: string | undefined,
  raw: JsonValue,
): ModelReply {
  const text = parts
    .filter((part) => part.text !== undefined && part.thought !== true)
    .map((part) => part.text)
    .join("");
  const calls = parts
    .filter((part) => part.functionCall)
    .map((part, index) => ({
      id: `call_${index}`,
      type: "function",
      function: { name: part.functionCall!.name, arguments: JSON.stringify(part.functionCall!.args ?? {}) },
    }));
  return {
    text,
    output: assistantOutput(text, calls.length > 0 ? { tool_calls: calls } : {}),
    usage: {
      inputTokens: usage?.promptTokenCount ?? 0,
      outputTokens: (usage?.candidatesTokenCount ?? 0) + (usage?.thoughtsTokenCount ?? 0),
    },
    ...(finishReason ? { finishReason } : {}),
    ...(model ? { model } : {}),
    raw,
  };
}

export const google: ProviderFormat = {
  request(promptTemplate, model, stream, warnings) {
    const { system, contents } = conversation(promptTemplate, warnings);
    const body: JsonObject = { contents };
    if (system.length > 0) body.systemInstruction = { parts: system.map((text) => ({ text })) };
    const tools = functionTools(promptTemplate, warnings);
    if (tools.length > 0) {
      body.tools = [
        {
          functionDeclarations: tools.map((fn) => ({
            name: fn.name!,
            ...(typeof fn.description === "string" && fn.description !== "" ? { description: fn.description } : {}),
            ...(isJsonObject(fn.parameters) && Object.keys(fn.parameters.properties ?? {}).length > 0
              ? { parameters: fn.parameters }
              : {}),
          })),
        },
      ];
    }
    if (Object.keys(model.parameters).length > 0) body.generationConfig = { ...model.parameters };
    const name = encodeURIComponent(model.name.replace(/^models\//, ""));
    return stream
      ? {
          provider: "google",
          path: `/v1beta/models/${name}:streamGenerateContent`,
          query: { alt: "sse" },
          body,
          stream,
        }
      : { provider: "google", path: `/v1beta/models/${name}:generateContent`, body, stream };
  },

  reply(body) {
    const parsed = replySchema.safeParse(body);
    if (!parsed.success) return undefined;
    const [candidate] = parsed.data.candidates ?? [];
    const finishReason = candidate?.finishReason ?? parsed.data.promptFeedback?.blockReason;
    return replyOf(
      candidate?.content?.parts ?? [],
      parsed.data.usageMetadata,
      finishReason,
      parsed.data.modelVersion,
      body as JsonValue,
    );
  },

  stream(): StreamAssembler {
    const parts: Part[] = [];
    let usage: z.infer<typeof usageSchema> | undefined;
    let finishReason: string | undefined;
    let model: string | undefined;
    return {
      push({ data }) {
        const parsed = replySchema.safeParse(JSON.parse(data));
        if (!parsed.success) return "";
        usage = parsed.data.usageMetadata ?? usage;
        model ??= parsed.data.modelVersion;
        const [candidate] = parsed.data.candidates ?? [];
        if (candidate?.finishReason) finishReason = candidate.finishReason;
        let added = "";
        for (const part of candidate?.content?.parts ?? []) {
          parts.push(part);
          if (part.text !== undefined && part.thought !== true) added += part.text;
        }
        return added;
      },
      finish() {
        const merged = mergeText(parts);
        const raw: JsonObject = {
          candidates: [
            { content: { role: "model", parts: merged as JsonValue[] }, ...(finishReason ? { finishReason } : {}) },
          ],
          ...(usage ? { usageMetadata: usage as JsonObject } : {}),
          ...(model ? { modelVersion: model } : {}),
        };
        return replyOf(merged, usage, finishReason, model, raw);
      },
    };
  },

  errorMessage(body) {
    const error = isJsonObject(body as JsonValue) ? (body as JsonObject).error : undefined;
    return isJsonObject(error) && typeof error.message === "string" ? error.message : undefined;
  },
};

/** Streamed text arrives in many parts; the assembled answer has one per run of text. */
function mergeText(parts: Part[]): Part[] {
  const merged: Part[] = [];
  for (const part of parts) {
    const last = merged.at(-1);
    if (
      part.text !== undefined &&
      last?.text !== undefined &&
      !part.functionCall &&
      !last.functionCall &&
      part.thought === last.thought
    )
      merged[merged.length - 1] = { ...last, text: last.text + part.text };
    else merged.push({ ...part });
  }
  return merged;
}
