// Sending one model call: the provider's headers, a generous timeout (a model may think for minutes before its
// first byte), retries on 429 (after the Retry-After the provider asks for) and on 5xx or a lost connection with
// backoff, and streamed answers read event by event. A failure becomes a PlxError whose every outside string went
// through the redactor.
import { setTimeout as sleep } from "node:timers/promises";
import { Agent, request } from "undici";
import { plxError, type PlxError } from "../errors/index.js";
import { describeTransportFailure, messageFromBody } from "../promptlayer/errors.js";
import { backoffDelay, parseRetryAfter, type RetryPolicy } from "../promptlayer/retry.js";
import type { Redactor } from "../redact.js";
import { PLX_VERSION } from "../version.js";
import { authHeaders, FORMATS } from "./index.js";
import { serverSentEvents } from "./sse.js";
import type { ModelReply, ProviderRequest } from "./types.js";

export interface ProviderEndpoint {
  baseUrl: string;
  apiKey: string;
  /** The variable the key came from, named when the provider rejects it. */
  keyVariable: string;
}

export interface CallOptions {
  redactor: Redactor;
  signal: AbortSignal;
  retry: RetryPolicy;
  /** Per attempt: until the answer's first byte, and the longest pause within a streamed answer. */
  timeoutMs: number;
  /** Waits before a retry; tests pass one that records the delay instead of sleeping. */
  wait?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Streamed text as it arrives. */
  onText?: (text: string) => void;
  /** Before each retry: why, and how long plx waits. */
  onRetry?: (retry: { attempt: number; delayMs: number; reason: string }) => void;
}

export interface ModelCall {
  reply: ModelReply;
  /** Attempts made, the successful one included. */
  attempts: number;
}

export const DEFAULT_PROVIDER_TIMEOUT_MS = 600_000;

// Four attempts, as the official SDKs make; waits of up to 0.5, 1 and 2 s unless the provider asks for another.
export const PROVIDER_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 60_000,
};

type Outcome =
  | { kind: "reply"; call: ModelCall }
  | { kind: "retry"; error: PlxError; reason: string; retryAfterMs?: number }
  | { kind: "fail"; error: PlxError };

const defaultWait = async (ms: number, signal: AbortSignal) => {
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    throw plxError("INTERRUPTED");
  }
};

/** Sends the request, retrying what may be retried, and returns the provider's answer. */
export async function callProvider(
  providerRequest: ProviderRequest,
  endpoint: ProviderEndpoint,
  options: CallOptions,
): Promise<ModelCall> {
  const url = urlOf(endpoint.baseUrl, providerRequest);
  const shownUrl = options.redactor.redact(url);
  const agent = new Agent({
    connect: { timeout: Math.min(options.timeoutMs, 30_000) },
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });
  const wait = options.wait ?? defaultWait;
  try {
    for (let attempt = 1; ; attempt++) {
      const outcome = await attemptCall(providerRequest, endpoint, url, shownUrl, attempt, agent, options);
      if (outcome.kind === "reply") return outcome.call;
      if (outcome.kind === "fail" || attempt >= options.retry.maxAttempts) throw outcome.error;
      const delayMs =
        outcome.retryAfterMs === undefined
          ? backoffDelay(attempt, options.retry)
          : Math.min(outcome.retryAfterMs, options.retry.maxRetryAfterMs);
      options.onRetry?.({ attempt, delayMs, reason: outcome.reason });
      await wait(delayMs, options.signal);
    }
  } finally {
    await agent.close();
  }
}

export function urlOf(baseUrl: string, providerRequest: ProviderRequest): string {
  const query = new URLSearchParams(providerRequest.query ?? {}).toString();
  return `${baseUrl.replace(/\/+$/, "")}${providerRequest.path}${query ? `?${query}` : ""}`;
}

async function attemptCall(
  providerRequest: ProviderRequest,
  endpoint: ProviderEndpoint,
  url: string,
  shownUrl: string,
  attempt: number,
  agent: Agent,
  options: CallOptions,
): Promise<Outcome> {
  const { provider } = providerRequest;
  const format = FORMATS[provider];
  const { redactor, signal } = options;
  if (signal.aborted) throw plxError("INTERRUPTED");
  const failed = (reason: string, status?: number) =>
    plxError("RUN.PROVIDER_FAILED", {
      provider,
      url: shownUrl,
      reason: redactor.redact(reason),
      attempts: attempt,
      ...(status === undefined ? {} : { status }),
    });
  let response: Awaited<ReturnType<typeof request>>;
  try {
    response = await request(url, {
      dispatcher: agent,
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: providerRequest.stream ? "text/event-stream" : "application/json",
        "user-agent": `plx/${PLX_VERSION}`,
        ...authHeaders(provider, endpoint.apiKey),
      },
      body: JSON.stringify(providerRequest.body),
      signal,
    });
  } catch (error) {
    if (signal.aborted) throw plxError("INTERRUPTED");
    const { reason } = describeTransportFailure(error, undefined);
    // A model call changes nothing on the provider's side, so even one that may have been received is sent again.
    return { kind: "retry", error: failed(reason), reason };
  }

  const { statusCode: status, headers } = response;
  if (status < 200 || status >= 300) {
    const text = await response.body.text().catch(() => "");
    const serverMessage = messageOf(text, format.errorMessage, redactor);
    if (status === 401 || status === 403)
      return {
        kind: "fail",
        error: plxError("RUN.PROVIDER_AUTH", { provider, status, variable: endpoint.keyVariable, serverMessage }),
      };
    const reason = `HTTP ${status}${serverMessage ? `: ${serverMessage}` : ""}`;
    if (status === 408 || status === 409 || status === 429 || status >= 500) {
      const retryAfterMs = retryAfterOf(headers);
      return {
        kind: "retry",
        error: failed(reason, status),
        reason,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      };
    }
    return {
      kind: "fail",
      error: plxError("RUN.PROVIDER_REJECTED", {
        provider,
        status,
        url: shownUrl,
        ...(serverMessage ? { serverMessage } : {}),
      }),
    };
  }

  const invalid = (problem: string) =>
    plxError("RUN.PROVIDER_INVALID_RESPONSE", { provider, url: shownUrl, problem: redactor.redact(problem) });
  const contentType = String(headers["content-type"] ?? "");
  if (providerRequest.stream && contentType.includes("text/event-stream")) {
    const assembler = format.stream();
    let streamed = false;
    try {
      for await (const event of serverSentEvents(response.body)) {
        const added = assembler.push(event);
        if (added !== "") {
          streamed = true;
          options.onText?.(added);
        }
      }
      return { kind: "reply", call: { reply: assembler.finish(), attempts: attempt } };
    } catch (error) {
      if (signal.aborted) throw plxError("INTERRUPTED");
      const reason =
        error instanceof SyntaxError
          ? `an event of the stream is not JSON (${error.message})`
          : describeTransportFailure(error, undefined).reason;
      // Text already shown cannot be taken back: a stream that breaks off after it is not retried.
      if (streamed) return { kind: "fail", error: failed(`the stream broke off: ${reason}`) };
      return error instanceof SyntaxError
        ? { kind: "fail", error: invalid(reason) }
        : { kind: "retry", error: failed(reason), reason };
    }
  }

  let text: string;
  try {
    text = await response.body.text();
  } catch (error) {
    if (signal.aborted) throw plxError("INTERRUPTED");
    const { reason } = describeTransportFailure(error, undefined);
    return { kind: "retry", error: failed(reason), reason };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { kind: "fail", error: invalid(`the body is not JSON ("${messageFromBody(text) ?? ""}")`) };
  }
  const reply = format.reply(body);
  if (!reply)
    return {
      kind: "fail",
      error: invalid(`it has no ${provider === "google" ? "candidates" : "answer"} in the expected shape`),
    };
  // A compatible server that ignores `stream` answers whole; the text is then shown at once.
  if (providerRequest.stream && reply.text !== "") options.onText?.(reply.text);
  return { kind: "reply", call: { reply, attempts: attempt } };
}

function messageOf(
  text: string,
  fromProvider: (body: unknown) => string | undefined,
  redactor: Redactor,
): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const message = (parsed === undefined ? undefined : fromProvider(parsed)) ?? messageFromBody(text);
  return message === undefined
    ? undefined
    : redactor.redact(message.length > 300 ? `${message.slice(0, 299)}…` : message);
}

/** OpenAI also sends `retry-after-ms`, more precise than `retry-after`. */
function retryAfterOf(headers: Record<string, string | string[] | undefined>): number | undefined {
  const first = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const ms = first("retry-after-ms");
  if (ms !== undefined && /^\d+(?:\.\d+)?$/.test(ms.trim())) return Math.round(Number(ms));
  return parseRetryAfter(first("retry-after"), Date.now());
}
