// Model endpoints on the sandbox, so `plx run` and the official SDK's `run()` can be rehearsed without provider keys
// or network: OpenAI's chat completions, Anthropic's messages and Gemini's generateContent, each checking the request
// the way the provider does and answering deterministically (the last user message echoed with the model name, or
// a reply seeded through PATCH /__sandbox/models), with plausible token counts and the provider's own streaming.
import { z } from "zod";
import { sseEvent } from "../providers/sse.js";
import type { ProviderName } from "../providers/types.js";
import type { Json } from "./records.js";

export interface ModelRoute {
  provider: ProviderName;
  /** Gemini names the model in the path. */
  model?: string;
  /** Gemini streams from its own path. */
  streamPath?: boolean;
}

/** An answer: a JSON body, or (for a stream) the server-sent events to write. */
export type ModelAnswer =
  | { status: number; body: Json; headers?: Record<string, string> }
  | { status: 200; events: string[] };

/** A failure queued through the admin route, served to the next model request instead of an answer. */
export interface ScriptedFailure {
  status: number;
  /** Seconds, sent as Retry-After. */
  retryAfter?: number;
  message?: string;
}

export interface ModelSettings {
  /** The text every model answers with; when null, each echoes the last user message with its model name. */
  reply: string | null;
  /** Failures served, in order, to the next model requests. */
  queue: ScriptedFailure[];
}

const GEMINI_PATH = /^\/(v1|v1beta)\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;

/** The model endpoint a request is for, if any; none of these paths is PromptLayer's. */
export function modelRouteOf(method: string, pathname: string): ModelRoute | undefined {
  if (method !== "POST") return undefined;
  if (pathname === "/v1/chat/completions" || pathname === "/chat/completions") return { provider: "openai" };
  if (pathname === "/v1/messages") return { provider: "anthropic" };
  const gemini = GEMINI_PATH.exec(pathname);
  if (gemini) {
    return {
      provider: "google",
      model: decodeURIComponent(gemini[2]!),
      streamPath: gemini[3] === "streamGenerateContent",
    };
  }
  return undefined;
}

/** A failure as each provider writes one. */
export function modelError(provider: ProviderName, status: number, message: string): Json {
  if (provider === "openai") return { error: { message, type: openAiType(status), param: null, code: null } };
  if (provider === "anthropic") return { type: "error", error: { type: anthropicType(status), message } };
  return { error: { code: status, message, status: googleStatus(status) } };
}

const openAiType = (status: number) =>
  status === 401
    ? "invalid_api_key"
    : status === 429
      ? "rate_limit_exceeded"
      : status >= 500
        ? "server_error"
        : "invalid_request_error";
const anthropicType = (status: number) =>
  status === 401
    ? "authentication_error"
    : status === 429
      ? "rate_limit_error"
      : status === 529
        ? "overloaded_error"
        : status >= 500
          ? "api_error"
          : "invalid_request_error";
const googleStatus = (status: number) =>
  status === 401 || status === 403
    ? "PERMISSION_DENIED"
    : status === 429
      ? "RESOURCE_EXHAUSTED"
      : status >= 500
        ? "UNAVAILABLE"
        : "INVALID_ARGUMENT";

type Headers = Readonly<Record<string, string | string[] | undefined>>;
const header = (headers: Headers, name: string) => {
  const value = headers[name];
  return (Array.isArray(value) ? value[0] : value)?.trim() || undefined;
};

/** The provider's own credential, which any non-empty value satisfies; undefined when the request may proceed. */
export function refuseUnauthorized(
  route: ModelRoute,
  headers: Headers,
  query: URLSearchParams,
): ModelAnswer | undefined {
  const refuse = (message: string): ModelAnswer => ({ status: 401, body: modelError(route.provider, 401, message) });
  if (route.provider === "openai") {
    return /^Bearer\s+\S/i.test(header(headers, "authorization") ?? "")
      ? undefined
      : refuse("You didn't provide an API key. Send it as Authorization: Bearer <key>.");
  }
  if (route.provider === "anthropic") {
    if (!header(headers, "x-api-key")) return refuse("x-api-key header is required");
    if (!header(headers, "anthropic-version"))
      return { status: 400, body: modelError("anthropic", 400, "anthropic-version: header is required") };
    return undefined;
  }
  return header(headers, "x-goog-api-key") || query.get("key")
    ? undefined
    : { status: 403, body: modelError("google", 403, "Method doesn't allow unregistered callers. Send an API key.") };
}

const text = z.string();
const openAiPart = z.looseObject({ type: z.string() });
const openAiRequest = z.looseObject({
  model: z.string().min(1),
  messages: z
    .array(
      z.looseObject({
        role: z.enum(["system", "developer", "user", "assistant", "tool", "function"]),
        content: z.union([text, z.array(openAiPart)]).nullish(),
        tool_call_id: z.string().optional(),
      }),
    )
    .min(1),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
});
const anthropicBlock = z.looseObject({ type: z.string() });
const anthropicRequest = z.looseObject({
  model: z.string().min(1),
  max_tokens: z.number().int().positive(),
  messages: z
    .array(
      z.looseObject({ role: z.enum(["user", "assistant"]), content: z.union([text, z.array(anthropicBlock).min(1)]) }),
    )
    .min(1),
  system: z.union([text, z.array(z.looseObject({ type: z.literal("text"), text }))]).optional(),
  stream: z.boolean().optional(),
  temperature: z.number().min(0).max(1).optional(),
});
const geminiPart = z.looseObject({}).refine((part) => Object.keys(part).length > 0, "a part must not be empty");
const geminiRequest = z.looseObject({
  contents: z
    .array(z.looseObject({ role: z.enum(["user", "model", "function"]).optional(), parts: z.array(geminiPart).min(1) }))
    .min(1),
  systemInstruction: z.looseObject({ parts: z.array(geminiPart) }).optional(),
  generationConfig: z.looseObject({ temperature: z.number().min(0).max(2).optional() }).optional(),
});

const describe = (error: z.ZodError) =>
  error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`)
    .join("; ");

/** Roughly four characters to a token, as English text runs: plausible counts without a tokenizer. */
const tokens = (value: string) => (value === "" ? 0 : Math.max(1, Math.ceil(value.length / 4)));

/** Every text in a request body (under `text` or `content`), for the input token count. */
function textsIn(value: unknown, key?: string): string[] {
  if (typeof value === "string") return key === "text" || key === "content" ? [value] : [];
  if (Array.isArray(value)) return value.flatMap((item) => textsIn(item, key));
  if (value !== null && typeof value === "object")
    return Object.entries(value).flatMap(([name, item]) => textsIn(item, name));
  return [];
}

function lastText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part) =>
      part && typeof part === "object" && typeof (part as { text?: unknown }).text === "string"
        ? (part as { text: string }).text
        : "",
    )
    .join("");
}

/** The chunks a streamed reply arrives in: a word at a time, each with the space before it. */
const chunksOf = (reply: string) => reply.match(/\s*\S+/g) ?? [reply];

export class ModelEndpoints {
  settings: ModelSettings = { reply: null, queue: [] };
  private counter = 0;

  /** The next scripted failure, if one is queued. */
  nextFailure(): ScriptedFailure | undefined {
    return this.settings.queue.shift();
  }

  update(body: unknown): ModelSettings | undefined {
    const parsed = z
      .strictObject({
        reply: z.string().nullable().optional(),
        queue: z
          .array(
            z.strictObject({
              status: z.number().int().min(400).max(599),
              retryAfter: z.number().min(0).optional(),
              message: z.string().optional(),
            }),
          )
          .optional(),
      })
      .safeParse(body);
    if (!parsed.success) return undefined;
    if (parsed.data.reply !== undefined) this.settings.reply = parsed.data.reply;
    if (parsed.data.queue !== undefined) this.settings.queue = parsed.data.queue;
    return this.settings;
  }

  answer(route: ModelRoute, body: unknown): ModelAnswer {
    const invalid = (message: string): ModelAnswer => ({ status: 400, body: modelError(route.provider, 400, message) });
    if (body === undefined || typeof body === "string" || body === null || typeof body !== "object")
      return invalid("The request body is not a JSON object.");
    const id = ++this.counter;
    if (route.provider === "openai") {
      const parsed = openAiRequest.safeParse(body);
      if (!parsed.success) return invalid(`Invalid request: ${describe(parsed.error)}`);
      const { model, messages, stream, stream_options } = parsed.data;
      const user = [...messages].reverse().find((message) => message.role === "user");
      const reply = this.replyFor(model, lastText(user?.content));
      return openAiAnswer(
        id,
        model,
        reply,
        tokens(textsIn(messages).join(" ")),
        Boolean(stream),
        Boolean(stream_options?.include_usage),
      );
    }
    if (route.provider === "anthropic") {
      const parsed = anthropicRequest.safeParse(body);
      if (!parsed.success) return invalid(`Invalid request: ${describe(parsed.error)}`);
      const { model, messages, system, stream } = parsed.data;
      const user = [...messages].reverse().find((message) => message.role === "user");
      const reply = this.replyFor(model, lastText(user?.content));
      return anthropicAnswer(
        id,
        model,
        reply,
        tokens(textsIn({ content: system, messages }).join(" ")),
        Boolean(stream),
      );
    }
    const parsed = geminiRequest.safeParse(body);
    if (!parsed.success) return invalid(`Invalid request: ${describe(parsed.error)}`);
    const model = route.model!;
    const { contents, systemInstruction } = parsed.data;
    const user = [...contents].reverse().find((content) => content.role !== "model");
    const reply = this.replyFor(model, lastText(user?.parts));
    return geminiAnswer(
      model,
      reply,
      tokens(textsIn([systemInstruction, contents]).join(" ")),
      Boolean(route.streamPath),
    );
  }

  private replyFor(model: string, lastUserText: string): string {
    return this.settings.reply ?? `[${model}] ${lastUserText}`;
  }
}

function openAiAnswer(
  id: number,
  model: string,
  reply: string,
  input: number,
  stream: boolean,
  usageChunk: boolean,
): ModelAnswer {
  const output = tokens(reply);
  const usage = { prompt_tokens: input, completion_tokens: output, total_tokens: input + output };
  const base = {
    id: `chatcmpl-sandbox-${id}`,
    created: Math.floor(Date.now() / 1000),
    model,
    system_fingerprint: null,
  };
  if (!stream) {
    return {
      status: 200,
      body: {
        ...base,
        object: "chat.completion",
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: reply, refusal: null },
            logprobs: null,
            finish_reason: "stop",
          },
        ],
        usage,
      },
    };
  }
  const chunk = (delta: Json, finish: string | null) =>
    sseEvent({
      ...base,
      object: "chat.completion.chunk",
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    });
  return {
    status: 200,
    events: [
      chunk({ role: "assistant", content: "" }, null),
      ...chunksOf(reply).map((piece) => chunk({ content: piece }, null)),
      chunk({}, "stop"),
      ...(usageChunk ? [sseEvent({ ...base, object: "chat.completion.chunk", choices: [], usage })] : []),
      sseEvent("[DONE]"),
    ],
  };
}

function anthropicAnswer(id: number, model: string, reply: string, input: number, stream: boolean): ModelAnswer {
  const output = tokens(reply);
  const message = { id: `msg_sandbox_${id}`, type: "message", role: "assistant", model };
  if (!stream) {
    return {
      status: 200,
      body: {
        ...message,
        content: [{ type: "text", text: reply }],
        stop_reason: "end_turn",
        stop_sequence: null,
        usage: { input_tokens: input, output_tokens: output },
      },
    };
  }
  return {
    status: 200,
    events: [
      sseEvent(
        {
          type: "message_start",
          message: {
            ...message,
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { input_tokens: input, output_tokens: 1 },
          },
        },
        "message_start",
      ),
      sseEvent(
        { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
        "content_block_start",
      ),
      sseEvent({ type: "ping" }, "ping"),
      ...chunksOf(reply).map((piece) =>
        sseEvent(
          { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: piece } },
          "content_block_delta",
        ),
      ),
      sseEvent({ type: "content_block_stop", index: 0 }, "content_block_stop"),
      sseEvent(
        {
          type: "message_delta",
          delta: { stop_reason: "end_turn", stop_sequence: null },
          usage: { output_tokens: output },
        },
        "message_delta",
      ),
      sseEvent({ type: "message_stop" }, "message_stop"),
    ],
  };
}

function geminiAnswer(model: string, reply: string, input: number, stream: boolean): ModelAnswer {
  const output = tokens(reply);
  const usageMetadata = { promptTokenCount: input, candidatesTokenCount: output, totalTokenCount: input + output };
  if (!stream) {
    return {
      status: 200,
      body: {
        candidates: [{ content: { parts: [{ text: reply }], role: "model" }, finishReason: "STOP", index: 0 }],
        usageMetadata,
        modelVersion: model,
      },
    };
  }
  const pieces = chunksOf(reply);
  return {
    status: 200,
    events: pieces.map((piece, index) =>
      sseEvent({
        candidates: [
          {
            content: { parts: [{ text: piece }], role: "model" },
            index: 0,
            ...(index === pieces.length - 1 ? { finishReason: "STOP" } : {}),
          },
        ],
        usageMetadata:
          index === pieces.length - 1 ? usageMetadata : { promptTokenCount: input, totalTokenCount: input },
        modelVersion: model,
      }),
    ),
  };
}
