// What plx sends to a model provider and what it keeps of the answer, whichever provider it is.
import type { JsonObject, JsonValue } from "../core/template.js";

export const PROVIDERS = ["openai", "anthropic", "google"] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/** The model a run calls and how: the template's `metadata.model`, after --model and --param. */
export interface ModelChoice {
  provider: ProviderName;
  name: string;
  /** Model parameters (temperature, max_tokens, response_format…), in the provider's own names. */
  parameters: JsonObject;
}

/** The HTTP request for one model call, without the key (added when sending, so it never sits in a report). */
export interface ProviderRequest {
  provider: ProviderName;
  /** Path after the base URL, e.g. `/chat/completions`. */
  path: string;
  query?: Record<string, string>;
  body: JsonObject;
  stream: boolean;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

/** A model's answer: its text, the answer as a PromptLayer chat template (what a request log stores), usage. */
export interface ModelReply {
  text: string;
  output: JsonObject;
  usage: Usage;
  /** Why generation stopped, in the provider's words (stop, length, end_turn, STOP…). */
  finishReason?: string;
  /** The model that answered, when the provider says (it may name a dated snapshot). */
  model?: string;
  /** The provider's answer as received; for streams, the answer assembled from its events. */
  raw: JsonValue;
}

/** Assembles a streamed answer: fed each server-sent event, it reports new text and finally the whole reply. */
export interface StreamAssembler {
  /** Takes one event; returns the text it adds, if any. */
  push(event: { event?: string; data: string }): string;
  finish(): ModelReply;
}

/** What each provider module provides: request building (pure) and answer parsing. */
export interface ProviderFormat {
  /** The provider's request for a rendered PromptLayer template. `warnings` collects what could not be carried over. */
  request(promptTemplate: JsonObject, model: ModelChoice, stream: boolean, warnings: string[]): ProviderRequest;
  /** A non-streamed answer; undefined when it does not have the provider's shape. */
  reply(body: unknown): ModelReply | undefined;
  stream(): StreamAssembler;
  /** The error message in a provider's error body. */
  errorMessage(body: unknown): string | undefined;
}

/** An assistant turn as PromptLayer records one. */
export function assistantOutput(text: string, extra: JsonObject = {}): JsonObject {
  return {
    type: "chat",
    messages: [{ role: "assistant", content: text === "" ? [] : [{ type: "text", text }], ...extra }],
  };
}
