// `plx cache serve` over HTTP: PromptLayer's read API answered from the cache, everything else under PromptLayer's
// API paths passed through to the configured upstream, plus /healthz, /metrics and the webhook receiver.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { Readable } from "node:stream";
import { BODY_KEY_ROUTES, isPromptLayerApiPath } from "../promptlayer/api-paths.js";
import { blueprintOptionsFrom, type BlueprintRequest } from "../render/index.js";
import type { WebhookHandler } from "../webhook/handler.js";
import type { ClientAuthenticator } from "./auth.js";
import type { Selector } from "./entries.js";
import type { CacheRead, PromptCache } from "./service.js";
import { sendJson, type Upstream } from "./upstream.js";

export interface CacheServerOptions {
  cache: PromptCache;
  upstream: Upstream;
  authenticate: ClientAuthenticator;
  port: number;
  host: string;
  /** POST /webhook, `webhook serve`'s receiver feeding the cache (receiver.ts); absent, the route does not exist. */
  webhook?: WebhookHandler;
  /** One line per request, for --debug. */
  debug?: (line: string) => void;
  log: (line: string) => void;
}

export interface RunningCacheServer {
  url: string;
  port: number;
  /** Stops accepting connections, lets requests in flight finish (up to `graceMs`), then closes the rest. */
  close(graceMs?: number): Promise<void>;
}

/** Bodies the cache reads itself: a POST read or a webhook is small; a tracking call carries a whole request log. */
const MAX_READ_BODY_BYTES = 1024 * 1024;
const MAX_LOG_BODY_BYTES = 16 * 1024 * 1024;
const UNAUTHORIZED = { success: false, message: "Invalid or missing API key" };

export async function startCacheServer(options: CacheServerOptions): Promise<RunningCacheServer> {
  const { cache, upstream, authenticate, log } = options;
  let inFlight = 0;
  let drained: (() => void) | undefined;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const target = request.url ?? "/";
    // Only origin-form targets: an absolute URL here would be a proxy request for another host.
    if (!target.startsWith("/")) return sendJson(response, 400, { success: false, message: "Bad request target" });
    const url = new URL(target, "http://cache.invalid");
    const method = request.method ?? "GET";

    if (url.pathname === "/healthz" && method === "GET") {
      const status = cache.status();
      return sendJson(response, status.ready ? 200 : 503, {
        status: status.ready ? "ready" : "starting",
        entries: status.entries,
        last_sync_age_seconds: status.lastSyncAgeSeconds === undefined ? null : Math.round(status.lastSyncAgeSeconds),
        sync_failing: status.syncFailing,
      });
    }
    if (url.pathname === "/metrics" && method === "GET") {
      const text = cache.renderMetrics();
      response.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
      return void response.end(text);
    }
    if (url.pathname === "/webhook" && options.webhook) return receiveWebhook(options.webhook, request, response, url);
    // Not an open proxy: nothing outside PromptLayer's API is passed on.
    if (!isPromptLayerApiPath(url.pathname)) return sendJson(response, 404, { detail: "Not Found" });

    const keyInBody = BODY_KEY_ROUTES.has(url.pathname);
    const readsBody = keyInBody || isTemplateRead(url.pathname, method);
    const body = readsBody ? await readBody(request, keyInBody ? MAX_LOG_BODY_BYTES : MAX_READ_BODY_BYTES) : undefined;
    if (readsBody && body === undefined)
      return sendJson(response, 413, { success: false, message: "Request body too large" });
    const json = body === undefined ? undefined : parseJson(body);
    // The SDKs' tracking calls carry the key in the body, and the Python SDK's template read sends it there too.
    const bodyKey = isRecord(json) ? json.api_key : undefined;
    const presented = header(request, "x-api-key") ?? (typeof bodyKey === "string" ? bodyKey : undefined);
    if (!authenticate(presented)) return sendJson(response, 401, UNAUTHORIZED);

    const read = cacheReadOf(method, url, json, body, request);
    if (read) {
      const answer = await cache.read(read);
      if (!("forward" in answer)) {
        response.setHeader("x-plx-cache", answer.cache);
        response.writeHead(answer.status, {
          "content-type": "application/json",
          "content-length": answer.body.length,
          age: String(answer.ageSeconds),
        });
        return void response.end(answer.body);
      }
    }
    cache.metrics.forwarded += 1;
    // A key in the body is replaced too: PromptLayer gets the cache's key, never a client's.
    const forwardedBody = typeof bodyKey === "string" ? upstream.withOwnKey(json as Record<string, unknown>) : body;
    await upstream.forward(request, response, `${url.pathname}${url.search}`, forwardedBody);
  }

  const sockets = new Set<Socket>();
  const server = createServer((request, response) => {
    const started = performance.now();
    inFlight += 1;
    response.on("close", () => {
      inFlight -= 1;
      options.debug?.(
        `${request.method} ${request.url} ${response.statusCode} ${response.getHeader("x-plx-cache") ?? "-"} ${Math.round(performance.now() - started)}ms`,
      );
      if (inFlight === 0) drained?.();
    });
    handle(request, response).catch((error: Error) => {
      log(`cache bug: ${error.stack ?? error.message}`);
      if (!response.headersSent) sendJson(response, 500, { success: false, message: "Internal cache error" });
      else response.destroy();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host.includes(":") ? `[${options.host}]` : options.host}:${port}`;

  return {
    url,
    port,
    async close(graceMs = 10_000) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => {
            drained = resolve;
          }),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, graceMs);
          }),
        ]);
        clearTimeout(timer);
      }
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/** Hands a delivery to the web-standard receiver and writes its answer back. */
async function receiveWebhook(handler: WebhookHandler, incoming: IncomingMessage, outgoing: ServerResponse, url: URL) {
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming.headers))
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  const method = incoming.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD";
  const answer = await handler(
    new Request(url, {
      method,
      headers,
      body: hasBody ? (Readable.toWeb(incoming) as ReadableStream<Uint8Array>) : undefined,
      duplex: "half",
    } as RequestInit),
  );
  const body = Buffer.from(await answer.arrayBuffer());
  outgoing.writeHead(answer.status, { ...Object.fromEntries(answer.headers), "content-length": body.length });
  outgoing.end(body);
}

function isTemplateRead(pathname: string, method: string): boolean {
  return method === "POST" && /^\/prompt-templates\/[^/]+$/.test(pathname);
}

/** The cacheable read a request is, or undefined when only PromptLayer can answer it. */
function cacheReadOf(
  method: string,
  url: URL,
  json: unknown,
  body: Buffer | undefined,
  request: IncomingMessage,
): CacheRead | undefined {
  const revalidate = /\bno-cache\b|\bmax-age=0\b/i.test(header(request, "cache-control") ?? "");
  const segments = url.pathname.split("/").slice(1);
  if (segments[0] !== "prompt-templates" || segments.length > 2) return undefined;
  if (segments.length === 1) {
    if (method !== "GET") return undefined;
    const query = new URLSearchParams(url.searchParams);
    query.sort();
    return { kind: "list", query: query.toString(), revalidate };
  }
  const identifier = decodeURIComponent(segments[1]!);
  if (method === "GET") return rawReadOf(identifier, url.searchParams, revalidate);
  if (method === "POST") return runReadOf(identifier, body !== undefined && body.length > 0 ? json : null, revalidate);
  return undefined;
}

/** Query parameters of the raw read the cache answers; `include_llm_kwargs=true` goes to PromptLayer. */
const RAW_READ_PARAMS = new Set(["version", "label", "resolve_snippets", "include_llm_kwargs"]);

function rawReadOf(identifier: string, params: URLSearchParams, revalidate: boolean): CacheRead | undefined {
  for (const key of params.keys()) if (!RAW_READ_PARAMS.has(key) || params.getAll(key).length > 1) return undefined;
  const selector = selectorOf(params.get("version"), params.get("label"));
  const resolve = booleanParam(params.get("resolve_snippets"), true);
  if (!selector || resolve === undefined || booleanParam(params.get("include_llm_kwargs"), false) !== false)
    return undefined;
  return { kind: "get", identifier, selector, view: resolve ? "resolved" : "unresolved", revalidate };
}

/**
 * Fields of the POST read the cache answers (`api_key` is the Python SDK's credential); `metadata_filters` (A/B
 * release labels, which only PromptLayer can resolve) and fields it does not know go to PromptLayer.
 */
const RUN_READ_FIELDS = new Set([
  "api_key",
  "version",
  "label",
  "input_variables",
  "skip_input_variable_rendering",
  "provider",
  "model",
  "model_parameter_overrides",
  "workspace_id",
]);

function runReadOf(identifier: string, json: unknown, revalidate: boolean): CacheRead | undefined {
  const body = json === null ? {} : json;
  if (!isRecord(body)) return undefined;
  for (const [key, value] of Object.entries(body))
    if (!RUN_READ_FIELDS.has(key) && value !== null && value !== undefined) return undefined;
  const { version, label, workspace_id } = body;
  if (workspace_id !== null && workspace_id !== undefined) return undefined;
  if (version !== null && version !== undefined && !(Number.isInteger(version) && (version as number) > 0))
    return undefined;
  if (label !== null && label !== undefined && (typeof label !== "string" || label === "")) return undefined;
  const shapes: Array<[string, (value: unknown) => boolean]> = [
    ["input_variables", isRecord],
    ["model_parameter_overrides", isRecord],
    ["skip_input_variable_rendering", (value) => typeof value === "boolean"],
    ["provider", (value) => typeof value === "string"],
    ["model", (value) => typeof value === "string"],
  ];
  if (shapes.some(([key, fits]) => body[key] !== null && body[key] !== undefined && !fits(body[key]))) return undefined;
  const selector = selectorOf(version == null ? null : String(version), (label as string | null | undefined) ?? null);
  if (!selector) return undefined;
  return { kind: "run", identifier, selector, options: blueprintOptionsFrom(body as BlueprintRequest), revalidate };
}

function selectorOf(version: string | null, label: string | null): Selector | undefined {
  if (version !== null && label !== null) return undefined;
  if (version !== null) return /^[1-9]\d*$/.test(version) ? { kind: "version", version: Number(version) } : undefined;
  if (label !== null) return label === "" ? undefined : { kind: "label", label };
  return { kind: "latest" };
}

/** FastAPI's reading of a boolean query parameter; undefined for anything it would refuse. */
function booleanParam(value: string | null, fallback: boolean): boolean | undefined {
  if (value === null) return fallback;
  const lowered = value.toLowerCase();
  if (["true", "1", "yes", "on"].includes(lowered)) return true;
  if (["false", "0", "no", "off"].includes(lowered)) return false;
  return undefined;
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return (Array.isArray(value) ? value[0] : value)?.trim() || undefined;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
}

/** The whole body, or undefined once it passes `limit` (the rest is discarded). Listeners, not an async iterator: this is the hot path. */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    request.on("end", () => resolve(size > limit ? undefined : Buffer.concat(chunks, size)));
    request.on("error", reject);
  });
}
