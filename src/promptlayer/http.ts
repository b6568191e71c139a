/**
 * The transport: one undici Agent, PromptLayer's headers, timeouts, the shared adaptive concurrency limit,
 * and retries. It knows HTTP, not endpoints; it hands the client a status and parsed JSON, or throws a
 * PlxError whose every outside-sourced string (server text, paths, socket errors) went through the Redactor.
 */
import type { IncomingHttpHeaders } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { Agent, request } from "undici";
import { isPlxError, type PlxError, plxError } from "../errors/index.js";
import type { Redactor } from "../redact.js";
import { PLX_VERSION } from "../version.js";
import { describeTransportFailure, messageFromBody, statusError, type TransportFailure } from "./errors.js";
import { AdaptiveLimiter, type LimiterState, type LoadSignal } from "./limiter.js";
import { parseRetryAfter, retryDelay, type RetryPolicy } from "./retry.js";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
export type QueryValue = string | number | boolean | readonly string[] | undefined;
export type Query = Readonly<Record<string, QueryValue>>;

/** An API path whose interpolated segments are each percent-encoded: apiPath`/prompt-templates/${name}/labels`. */
export function apiPath(strings: TemplateStringsArray, ...segments: Array<string | number>): string {
  return strings.reduce((out, literal, index) => {
    const segment = segments[index - 1];
    return out + encodeURIComponent(String(segment)) + literal;
  });
}

/** Repeated keys for arrays (`filter_type=PROMPT&filter_type=SNIPPET`), as FastAPI expects; undefined values are left out. */
export function buildUrl(baseUrl: string, path: string, query: Query = {}): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) search.append(key, String(item));
  }
  const queryString = search.toString();
  return `${baseUrl}${path}${queryString ? `?${queryString}` : ""}`;
}

/** Trailing slashes stripped, so `${base}${path}` never doubles one; a path prefix (a proxy) is kept. */
export function normalizeBaseUrl(raw: string): string {
  const trimmed = raw.trim().replace(/\/+$/, "");
  let url: URL | undefined;
  try {
    url = new URL(trimmed);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.search || url.hash) {
    throw plxError("REMOTE.BASE_URL_INVALID", { url: trimmed });
  }
  return trimmed;
}

/** One attempt, for --debug logs. Never carries bodies or headers. */
export interface RequestEvent {
  method: HttpMethod;
  /** Path and query, redacted. */
  path: string;
  status?: number;
  ms: number;
  attempt: number;
  /** Why the attempt failed without an answer. */
  error?: string;
}

export interface TransportOptions {
  baseUrl: string;
  apiKey: string;
  redactor: Redactor;
  concurrency: number;
  /** One attempt's time to connect and receive the first byte of the answer; also the longest pause within a body. */
  timeoutMs: number;
  /** Time for every request of the run together, retries and their waits included; none when absent. */
  deadlineMs?: number;
  retry: RetryPolicy;
  signal?: AbortSignal;
  onRequest?: (event: RequestEvent) => void;
}

export interface RequestSpec {
  method: HttpMethod;
  /** Built with apiPath. */
  path: string;
  query?: Query;
  body?: unknown;
  /** Non-2xx statuses the caller handles itself (404 on a read, 409 on an external ID); they are returned, not thrown. */
  expect?: readonly number[];
  /**
   * Whether sending the request twice has the effect of sending it once, so any failure may be retried.
   * Defaults to true for every method but POST. A request that is not idempotent is still retried when the
   * server certainly did not act on it (a refused connection, a 429); see requestAtMostOnce for the rest.
   */
  idempotent?: boolean;
}

export interface Reply {
  status: number;
  /** Parsed JSON of a 2xx answer; undefined for an empty body and for expected non-2xx statuses. */
  body: unknown;
  /** The server's explanation, redacted, for an expected non-2xx status. */
  message: string | undefined;
}

/** How a non-idempotent request learns whether an attempt with a lost answer took effect. */
export interface OutcomeCheck<R> {
  /** For the error when even that cannot be told, e.g. `publishing "support-reply"`. */
  action: string;
  /** Reads the remote state: the result the attempt produced if it took effect, undefined if it certainly did not. */
  confirm: () => Promise<R | undefined>;
}

export interface TransportStats extends LimiterState {
  /** Attempts sent, retries included. */
  requests: number;
  retries: number;
  /** 429 answers. */
  rateLimited: number;
}

type Attempt =
  | { kind: "reply"; status: number; headers: IncomingHttpHeaders; text: string }
  | { kind: "failure"; failure: TransportFailure };

/** What a failed attempt allows: giving up, retrying, or retrying only once it is known the server did not act. */
interface Verdict {
  error: PlxError;
  retry: "never" | "safe" | "unless-applied";
  retryAfterMs?: number;
}

export class Transport {
  private readonly agent: Agent;
  private readonly limiter: AdaptiveLimiter;
  private readonly counts = { requests: 0, retries: 0, rateLimited: 0 };
  /** When the run's requests must be done by (epoch ms). */
  private readonly deadline: number | undefined;

  constructor(private readonly options: TransportOptions) {
    this.agent = new Agent({
      connect: { timeout: Math.min(options.timeoutMs, 10_000) },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    this.limiter = new AdaptiveLimiter(options.concurrency);
    this.deadline = options.deadlineMs === undefined ? undefined : Date.now() + options.deadlineMs;
  }

  request(spec: RequestSpec): Promise<Reply> {
    return this.run<never>(spec, undefined) as Promise<Reply>;
  }

  /**
   * For requests that must take effect at most once (a publish mints a version each time). After an attempt
   * whose outcome is unknown — the connection dropped or timed out once the request may have been sent, or a
   * 5xx that may have come after the write — it does not resend; it asks `check.confirm()`. A result there
   * means the attempt did take effect and is returned as `{ confirmed }`; undefined means it certainly did
   * not, and only then is the request sent again. A 429 or a refused connection needs no check: the server
   * did not act.
   */
  requestAtMostOnce<R>(spec: RequestSpec, check: OutcomeCheck<R>): Promise<Reply | { confirmed: R }> {
    return this.run(spec, check);
  }

  /** Where requests go, for messages that name the full URL. */
  get baseUrl(): string {
    return this.options.baseUrl;
  }

  stats(): TransportStats {
    return { ...this.counts, ...this.limiter.state() };
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private async run<R>(spec: RequestSpec, check: OutcomeCheck<R> | undefined): Promise<Reply | { confirmed: R }> {
    const idempotent = check === undefined && (spec.idempotent ?? spec.method !== "POST");
    const { maxAttempts } = this.options.retry;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.limiter.run(() => this.attempt(spec, attempt));
      if (outcome.kind === "reply" && (isSuccess(outcome.status) || spec.expect?.includes(outcome.status))) {
        return this.reply(spec, outcome);
      }
      const verdict = this.assess(spec, outcome, attempt);
      if (verdict.retry === "never") throw verdict.error;
      if (verdict.retry === "unless-applied" && !idempotent) {
        if (!check) throw verdict.error;
        const confirmed = await this.confirm(check);
        if (confirmed !== undefined) return { confirmed };
      }
      if (attempt >= maxAttempts) throw verdict.error;
      const delay = retryDelay(attempt, this.options.retry, verdict.retryAfterMs);
      if (this.deadline !== undefined && Date.now() + delay >= this.deadline) {
        throw verdict.error.withProgress(`plx gave up at the run's ${this.deadlineSeconds()} s deadline (--deadline).`);
      }
      this.counts.retries++;
      await this.wait(delay);
    }
  }

  private async attempt(spec: RequestSpec, attempt: number): Promise<{ result: Attempt; load: LoadSignal }> {
    const { signal: stop, timeoutMs, onRequest } = this.options;
    if (stop?.aborted) throw plxError("INTERRUPTED");
    const remaining = this.deadline === undefined ? Number.POSITIVE_INFINITY : this.deadline - Date.now();
    if (remaining <= 0) throw plxError("REMOTE.DEADLINE", { seconds: this.deadlineSeconds() });
    // Two clocks: the first byte must come within the timeout (a body may then take as long as it keeps flowing,
    // which undici's bodyTimeout watches), and everything must end by the run's deadline.
    const limits = new AbortController();
    const firstByte = setTimeout(() => limits.abort("first-byte"), Math.min(timeoutMs, remaining));
    const deadline = Number.isFinite(remaining) ? setTimeout(() => limits.abort("deadline"), remaining) : undefined;
    const started = performance.now();
    this.counts.requests++;
    let result: Attempt;
    try {
      const response = await request(buildUrl(this.options.baseUrl, spec.path, spec.query), {
        dispatcher: this.agent,
        method: spec.method,
        headers: this.headers(spec),
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        signal: stop ? AbortSignal.any([stop, limits.signal]) : limits.signal,
      });
      clearTimeout(firstByte);
      result = {
        kind: "reply",
        status: response.statusCode,
        headers: response.headers,
        text: await response.body.text(),
      };
    } catch (error) {
      if (stop?.aborted) throw plxError("INTERRUPTED");
      if (limits.signal.reason === "deadline") throw plxError("REMOTE.DEADLINE", { seconds: this.deadlineSeconds() });
      const failure = describeTransportFailure(
        error,
        limits.signal.reason === "first-byte" ? { afterMs: Math.round(Math.min(timeoutMs, remaining)) } : undefined,
      );
      result = { kind: "failure", failure: { ...failure, reason: this.options.redactor.redact(failure.reason) } };
    } finally {
      clearTimeout(firstByte);
      clearTimeout(deadline);
    }
    // Described only for a listener: redacting every path costs real time over thousands of requests.
    onRequest?.({
      method: spec.method,
      path: this.display(spec, true),
      ms: Math.round(performance.now() - started),
      attempt,
      ...(result.kind === "reply" ? { status: result.status } : { error: result.failure.reason }),
    });
    if (result.kind === "failure") return { result, load: "neutral" };
    if (result.status === 429) this.counts.rateLimited++;
    return { result, load: result.status === 429 ? "throttled" : result.status >= 500 ? "neutral" : "ok" };
  }

  private assess(spec: RequestSpec, outcome: Attempt, attempt: number): Verdict {
    if (outcome.kind === "failure") {
      const error = plxError("REMOTE.NETWORK", {
        method: spec.method,
        path: this.display(spec),
        baseUrl: this.options.baseUrl,
        reason: outcome.failure.reason,
        attempts: attempt,
      });
      return { error, retry: outcome.failure.maybeSent ? "unless-applied" : "safe" };
    }
    const { status, headers, text } = outcome;
    const error = statusError(status, {
      method: spec.method,
      path: this.display(spec),
      baseUrl: this.options.baseUrl,
      serverMessage: this.serverMessage(text),
      attempts: attempt,
    });
    if (status === 429) {
      const retryAfter = headers["retry-after"];
      return {
        error,
        retry: "safe",
        retryAfterMs: parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, Date.now()),
      };
    }
    // A 408 means the server gave up before reading the request: it did not act.
    if (status === 408) return { error, retry: "safe" };
    // A 5xx can come after the server wrote, so for a non-idempotent request it is an unknown outcome.
    return { error, retry: status >= 500 ? "unless-applied" : "never" };
  }

  private reply(spec: RequestSpec, outcome: Extract<Attempt, { kind: "reply" }>): Reply {
    const { status, text } = outcome;
    if (!isSuccess(status)) return { status, body: undefined, message: this.serverMessage(text) };
    if (text.trim() === "") return { status, body: undefined, message: undefined };
    try {
      return { status, body: JSON.parse(text), message: undefined };
    } catch {
      throw plxError("REMOTE.INVALID_RESPONSE", {
        method: spec.method,
        baseUrl: this.options.baseUrl,
        path: this.display(spec),
        problem: `the body is not JSON ("${this.serverMessage(text)}")`,
      });
    }
  }

  private async confirm<R>(check: OutcomeCheck<R>): Promise<R | undefined> {
    try {
      return await check.confirm();
    } catch (error) {
      if (this.options.signal?.aborted) throw plxError("INTERRUPTED");
      if (isPlxError(error) && error.code === "REMOTE.OUTCOME_UNKNOWN") throw error;
      const reason = (error instanceof Error ? error.message : String(error)).replace(/\.$/, "");
      throw plxError("REMOTE.OUTCOME_UNKNOWN", {
        action: check.action,
        reason: `reading it back failed: ${this.options.redactor.redact(reason)}`,
      });
    }
  }

  private async wait(ms: number): Promise<void> {
    try {
      await sleep(ms, undefined, { signal: this.options.signal });
    } catch {
      throw plxError("INTERRUPTED");
    }
  }

  private deadlineSeconds(): number {
    return Math.round((this.options.deadlineMs ?? 0) / 1000);
  }

  private headers(spec: RequestSpec): Record<string, string> {
    return {
      "x-api-key": this.options.apiKey,
      "user-agent": `plx/${PLX_VERSION}`,
      accept: "application/json",
      // PromptLayer serves reads through a cache; plx must see what the last write left.
      ...(spec.method === "GET" ? { "cache-control": "no-cache" } : {}),
      ...(spec.body === undefined ? {} : { "content-type": "application/json" }),
    };
  }

  private serverMessage(text: string): string | undefined {
    const message = messageFromBody(text);
    return message === undefined ? undefined : this.options.redactor.redact(message);
  }

  private display(spec: RequestSpec, withQuery = false): string {
    const shown = withQuery ? buildUrl("", spec.path, spec.query) : spec.path;
    return this.options.redactor.redact(shown);
  }
}

const isSuccess = (status: number) => status >= 200 && status < 300;
