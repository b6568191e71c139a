// The cache's line to PromptLayer on a client's behalf: requests it does not answer itself are streamed through
// unchanged (only to the configured API, with the cache's own key), and reads it has not cached yet are sent once
// and handed back whatever PromptLayer said. Background work (resync, refreshes) uses the retrying client instead.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Agent, request } from "undici";
import { PLX_VERSION } from "../version.js";

export interface UpstreamOptions {
  /** PromptLayer's API root, normalised (no trailing slash). */
  baseUrl: string;
  apiKey: string;
  /** Time to connect and receive the first byte of an answer. */
  timeoutMs: number;
}

/** PromptLayer's answer to one read: its status and parsed JSON body (text when it was not JSON). */
export interface UpstreamAnswer {
  status: number;
  body: unknown;
}

/** Headers that describe one connection, not the message; a proxy never passes them on (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);
/** Never passed on: the cache authenticates its clients itself and speaks to PromptLayer with its own key. */
const CREDENTIALS = new Set(["x-api-key", "authorization", "cookie"]);

export class Upstream {
  private readonly agent: Agent;

  constructor(private readonly options: UpstreamOptions) {
    this.agent = new Agent({
      connect: { timeout: Math.min(options.timeoutMs, 10_000) },
      headersTimeout: options.timeoutMs,
      // Streamed answers (server-sent events) may pause for long; the client's own timeout governs those.
      bodyTimeout: 0,
    });
  }

  /**
   * Sends a client's request to PromptLayer and streams the answer back. `body` replaces the request's own (when
   * the cache had to read or rewrite it); otherwise the request is streamed as it arrives. Returns the status sent,
   * 502 when PromptLayer could not be reached.
   */
  async forward(
    incoming: IncomingMessage,
    outgoing: ServerResponse,
    pathAndQuery: string,
    body?: Buffer,
  ): Promise<number> {
    const abort = new AbortController();
    outgoing.on("close", () => {
      if (!outgoing.writableFinished) abort.abort();
    });
    const headers = this.requestHeaders(incoming.headers, body);
    const method = incoming.method ?? "GET";
    const streamed = body === undefined && hasPayload(incoming);
    try {
      const answer = await request(`${this.options.baseUrl}${pathAndQuery}`, {
        method: method as "GET",
        headers,
        body: streamed ? (incoming as Readable) : body,
        dispatcher: this.agent,
        signal: abort.signal,
      });
      outgoing.writeHead(answer.statusCode, responseHeaders(answer.headers));
      await pipeline(answer.body, outgoing);
      return answer.statusCode;
    } catch (error) {
      if (abort.signal.aborted) return 499;
      if (!outgoing.headersSent) {
        sendJson(outgoing, 502, { success: false, message: `PromptLayer could not be reached: ${reasonOf(error)}` });
      } else {
        outgoing.destroy();
      }
      return 502;
    }
  }

  /** One JSON request, sent once, with the cache's key; network failures become a 502 answer. */
  async readJson(method: "GET" | "POST", pathAndQuery: string, body?: unknown): Promise<UpstreamAnswer> {
    try {
      const answer = await request(`${this.options.baseUrl}${pathAndQuery}`, {
        method,
        headers: {
          ...this.ownHeaders(),
          accept: "application/json",
          // PromptLayer serves reads through a cache of its own; the cache must see the current version.
          "cache-control": "no-cache",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        dispatcher: this.agent,
      });
      const text = await answer.body.text();
      let parsed: unknown = text;
      try {
        parsed = text === "" ? undefined : JSON.parse(text);
      } catch {
        // Kept as text: passed back as PromptLayer sent it.
      }
      return { status: answer.statusCode, body: parsed };
    } catch (error) {
      return { status: 502, body: { success: false, message: `PromptLayer could not be reached: ${reasonOf(error)}` } };
    }
  }

  /** A tracking call's JSON body with the cache's own key in place of the client's. */
  withOwnKey(json: Record<string, unknown>): Buffer {
    return Buffer.from(JSON.stringify({ ...json, api_key: this.options.apiKey }));
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private ownHeaders(): Record<string, string> {
    return { "x-api-key": this.options.apiKey, "user-agent": `plx-cache/${PLX_VERSION}` };
  }

  private requestHeaders(incoming: IncomingHttpHeaders, body: Buffer | undefined): Record<string, string> {
    const headers: Record<string, string> = {};
    const named = new Set((incoming.connection ?? "").split(",").map((name) => name.trim().toLowerCase()));
    for (const [name, value] of Object.entries(incoming)) {
      if (value === undefined || name === "host" || HOP_BY_HOP.has(name) || CREDENTIALS.has(name) || named.has(name))
        continue;
      if (body !== undefined && name === "content-length") continue;
      headers[name] = Array.isArray(value) ? value.join(", ") : value;
    }
    if (body !== undefined) headers["content-length"] = String(body.length);
    // The client's own user agent stays; PromptLayer sees the SDK that made the call.
    return { ...headers, "x-api-key": this.options.apiKey };
  }
}

/** Whether a request has a body, as HTTP/1.1 says: a non-zero length or a transfer coding. */
function hasPayload(incoming: IncomingMessage): boolean {
  const length = incoming.headers["content-length"];
  return (length !== undefined && length !== "0") || incoming.headers["transfer-encoding"] !== undefined;
}

function responseHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const named = new Set(
    String(headers.connection ?? "")
      .split(",")
      .map((name) => name.trim().toLowerCase()),
  );
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name)) continue;
    out[name] = value;
  }
  return out;
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const bytes = Buffer.from(JSON.stringify(body));
  response.writeHead(status, { "content-type": "application/json", "content-length": bytes.length, ...headers });
  response.end(bytes);
}

function reasonOf(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  if (typeof cause?.code === "string") return cause.code;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string") return code;
  return error instanceof Error ? error.message : String(error);
}
