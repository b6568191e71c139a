// Requests to GitHub's or GitLab's REST API: their auth headers, a timeout, and retries of what a retry can fix
// (rate limits, 5xx, a dropped connection). Every failure becomes the catalog error that says what to do.
import { setTimeout as sleep } from "node:timers/promises";
import { type PlxError, plxError } from "../errors/index.js";
import type { ForgeSettings } from "./settings.js";

export interface ForgeHttpOptions {
  fetch?: typeof fetch;
  /** Per attempt. Default 30 s. */
  timeoutMs?: number;
  /** Waits before each retry; their count is the number of retries. Default 1 s, 3 s, 9 s. */
  retryDelaysMs?: readonly number[];
  signal?: AbortSignal;
}

export interface ForgeReply {
  status: number;
  json: unknown;
}

export interface ForgeRequest {
  method: "GET" | "POST" | "PATCH" | "PUT";
  /** From the API root, already encoded: `/repos/acme/prompts/pulls`. */
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  /** Statuses the caller handles (returned, not thrown). */
  expect?: readonly number[];
  /**
   * Whether sending it twice does no harm. A request that is not (a comment) is retried only when the server
   * certainly did not act on it: a 429, or a connection that was never made.
   */
  idempotent?: boolean;
  /** Names the resource in a 404 message: "the repository acme/prompts". */
  what?: string;
}

const DEFAULT_RETRY_DELAYS_MS = [1_000, 3_000, 9_000];

export class ForgeHttp {
  constructor(
    readonly settings: ForgeSettings,
    private readonly options: ForgeHttpOptions = {},
  ) {}

  private headers(hasBody: boolean): Record<string, string> {
    const auth: Record<string, string> =
      this.settings.kind === "github"
        ? {
            Authorization: `Bearer ${this.settings.token}`,
            Accept: "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
          }
        : { "PRIVATE-TOKEN": this.settings.token };
    return { ...auth, "User-Agent": "plx-cli", ...(hasBody ? { "Content-Type": "application/json" } : {}) };
  }

  async request(spec: ForgeRequest): Promise<ForgeReply> {
    const delays = this.options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    const search = spec.query ? `?${new URLSearchParams(spec.query)}` : "";
    const url = `${this.settings.apiUrl}${spec.path}${search}`;
    const idempotent = spec.idempotent ?? spec.method !== "POST";
    for (let attempt = 1; ; attempt += 1) {
      const outcome = await this.attempt(spec, url);
      if ("status" in outcome) {
        const { status } = outcome;
        if ((status >= 200 && status < 300) || spec.expect?.includes(status)) return outcome;
        const throttled = status === 429 || (status === 403 && outcome.rateLimited);
        const retryable = throttled || (status >= 500 && idempotent);
        if (!retryable || attempt > delays.length) throw this.failure(spec, outcome, attempt);
      } else if (!(idempotent || outcome.neverSent) || attempt > delays.length) {
        throw plxError("FORGE.UNAVAILABLE", {
          forge: this.settings.kind,
          method: spec.method,
          path: spec.path,
          reason: outcome.reason,
          attempts: attempt,
        });
      }
      await sleep(delays[attempt - 1]!, undefined, this.options.signal ? { signal: this.options.signal } : {});
    }
  }

  private async attempt(
    spec: ForgeRequest,
    url: string,
  ): Promise<(ForgeReply & { message: string; rateLimited: boolean }) | { reason: string; neverSent: boolean }> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 30_000);
    let response: Response;
    try {
      response = await (this.options.fetch ?? fetch)(url, {
        method: spec.method,
        headers: this.headers(spec.body !== undefined),
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        signal: this.options.signal ? AbortSignal.any([this.options.signal, timeout]) : timeout,
      });
    } catch (error) {
      const code = (error as { cause?: { code?: unknown } }).cause?.code;
      const reason = timeout.aborted ? "timed out" : typeof code === "string" ? code : String(error);
      return { reason: this.scrub(reason), neverSent: code === "ECONNREFUSED" || code === "ENOTFOUND" };
    }
    const text = await response.text().catch(() => "");
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    const said =
      (json as { message?: unknown; error?: unknown } | undefined)?.message ?? (json as { error?: unknown })?.error;
    const message = this.scrub(
      typeof said === "string" ? said : said === undefined ? text.slice(0, 200) : JSON.stringify(said),
    ).slice(0, 300);
    const rateLimited = response.headers.get("x-ratelimit-remaining") === "0" || /rate limit/i.test(message);
    return { status: response.status, json, message, rateLimited };
  }

  private failure(spec: ForgeRequest, reply: ForgeReply & { message: string }, attempts: number): PlxError {
    const forge = this.settings.kind;
    const { status, message } = reply;
    if (status === 401 || status === 403)
      return plxError("FORGE.TOKEN_REJECTED", { forge, variable: this.settings.tokenVariable, status, message });
    if (status === 404) return plxError("FORGE.NOT_FOUND", { forge, what: spec.what ?? spec.path });
    if (status >= 500 || status === 429)
      return plxError("FORGE.UNAVAILABLE", {
        forge,
        method: spec.method,
        path: spec.path,
        reason: `HTTP ${status}${message ? ` (${message})` : ""}`,
        attempts,
      });
    return plxError("FORGE.REFUSED", { forge, method: spec.method, path: spec.path, status, message });
  }

  private scrub(text: string): string {
    return this.settings.token.length >= 4 ? text.split(this.settings.token).join("***") : text;
  }
}
