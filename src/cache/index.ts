// Assembles the prompt cache: the upstream connections, the shared store (Redis only when asked for, loaded then),
// the cache itself and its HTTP server. `plx cache serve` and `plx cache export` run this; tests run it in-process.
import { createHash } from "node:crypto";
import { plxError } from "../errors/index.js";
import { normalizeBaseUrl, Transport } from "../promptlayer/http.js";
import { PromptLayerClient } from "../promptlayer/index.js";
import { DEFAULT_RETRY_POLICY } from "../promptlayer/retry.js";
import type { Redactor } from "../redact.js";
import { clientAuthenticator } from "./auth.js";
import { type CacheReceiverOptions, cacheWebhookReceiver } from "./receiver.js";
import { type CacheServerOptions, type RunningCacheServer, startCacheServer } from "./server.js";
import { PromptCache } from "./service.js";
import { writeSnapshot } from "./snapshot.js";
import type { SharedStore } from "./store.js";
import { Upstream } from "./upstream.js";

export type { WebhookEvent } from "./changes.js";
export type { CacheReceiverOptions } from "./receiver.js";
export { PromptCache } from "./service.js";

export interface CacheConnection {
  /** PromptLayer's API root. */
  baseUrl: string;
  /** The workspace key the cache reads with; never returned to clients or logged. */
  apiKey: string;
  redactor: Redactor;
  /** Requests in flight to PromptLayer at most. */
  concurrency: number;
  /** Time to connect and get the first byte of an answer. */
  timeoutMs: number;
  /** Attempts per background read, the first included; the client's default when absent. */
  attempts?: number;
  /** Time for all of a run's requests (an export); a server has none. */
  deadlineMs?: number;
  /** Release labels kept warm beside latest. */
  labels: readonly string[];
  log: (line: string) => void;
  now?: () => number;
}

export interface CacheServeOptions extends CacheConnection {
  port: number;
  host: string;
  snapshotFile?: string;
  /** A redis:// URL: reads shared with every instance using the same store and workspace key. */
  storeUrl?: string;
  /** Between periodic resyncs; 0 turns them off. */
  resyncMs: number;
  /** Keys clients must present; none: the workspace key itself. */
  clientKeys: readonly string[];
  /** Receive PromptLayer's webhooks at POST /webhook; absent, the cache stays fresh by its syncs alone. */
  webhook?: CacheReceiverOptions;
  debug?: (line: string) => void;
}

export interface RunningCache extends RunningCacheServer {
  cache: PromptCache;
}

export async function serveCache(options: CacheServeOptions): Promise<RunningCache> {
  const parts = connect(options);
  const store = options.storeUrl ? await openStore(options.storeUrl, parts.baseUrl, options) : undefined;
  const cache = new PromptCache({
    ...parts,
    upstreamUrl: parts.baseUrl,
    labels: options.labels,
    snapshotFile: options.snapshotFile,
    store,
    resyncMs: options.resyncMs,
    now: options.now,
    log: options.log,
  });
  const receiver = options.webhook ? cacheWebhookReceiver(cache, options.webhook) : undefined;
  let server: RunningCacheServer | undefined;
  try {
    await cache.start();
    server = await listen({
      cache,
      upstream: parts.upstream,
      authenticate: clientAuthenticator(options.clientKeys.length > 0 ? options.clientKeys : [options.apiKey]),
      port: options.port,
      host: options.host,
      webhook: receiver?.handler,
      debug: options.debug,
      log: options.log,
    });
  } catch (error) {
    await cache.close();
    await parts.close();
    throw error;
  }
  const running = server;
  return {
    ...running,
    cache,
    async close(graceMs) {
      await running.close(graceMs);
      // Deliveries acknowledged before the server closed still reach the cache, and their actions still run.
      await receiver?.drain();
      await cache.close();
      await parts.close();
    },
  };
}

export interface ExportResult {
  file: string;
  templates: number;
  entries: number;
}

/** One full sync (latest and every label, for every template) written as a snapshot; nothing written if any read failed. */
export async function exportSnapshot(options: CacheConnection & { file: string }): Promise<ExportResult> {
  const parts = connect(options);
  const cache = new PromptCache({
    ...parts,
    upstreamUrl: parts.baseUrl,
    labels: options.labels,
    resyncMs: 0,
    now: options.now,
    log: options.log,
  });
  try {
    const summary = await cache.resync();
    if (summary.error) throw summary.error;
    if (summary.failed.length > 0)
      throw plxError("CACHE.EXPORT_INCOMPLETE", { failed: summary.failed.length, first: summary.failed[0]! });
    const snapshot = cache.snapshot();
    await writeSnapshot(options.file, snapshot, new Date(options.now?.() ?? Date.now()));
    const templates = new Set(
      snapshot.entries.flatMap((entry) => (entry.kind === "template" ? [entry.templateId] : [])),
    );
    return { file: options.file, templates: templates.size, entries: snapshot.entries.length };
  } finally {
    await cache.close();
    await parts.close();
  }
}

/** The three ways the cache talks to PromptLayer, from one set of settings. */
function connect(options: CacheConnection) {
  const baseUrl = normalizeBaseUrl(options.baseUrl);
  options.redactor.add(options.apiKey);
  const shared = {
    baseUrl,
    apiKey: options.apiKey,
    redactor: options.redactor,
    concurrency: options.concurrency,
    timeoutMs: options.timeoutMs,
  };
  // A server runs for days: no deadline over all of its requests, as a command has.
  const deadlineMs = options.deadlineMs ?? Number.POSITIVE_INFINITY;
  const retry = { ...DEFAULT_RETRY_POLICY, maxAttempts: options.attempts ?? DEFAULT_RETRY_POLICY.maxAttempts };
  const client = new PromptLayerClient({ ...shared, deadlineMs, retry });
  const transport = new Transport({ ...shared, deadlineMs, retry });
  const upstream = new Upstream(shared);
  return {
    baseUrl,
    client,
    transport,
    upstream,
    close: () => Promise.all([client.close(), transport.close(), upstream.close()]).then(() => undefined),
  };
}

async function openStore(url: string, baseUrl: string, options: CacheServeOptions): Promise<SharedStore> {
  const { connectRedisStore } = await import("./redis-store.js");
  const shown = new URL(url);
  shown.username = "";
  shown.password = "";
  options.redactor.add(decodeURIComponent(new URL(url).password));
  // Caches in front of different workspaces (or registries) can share one Redis without seeing each other's reads.
  const namespace = `plx-cache:${createHash("sha256").update(`${baseUrl}\n${options.apiKey}`).digest("hex").slice(0, 16)}`;
  return connectRedisStore({ url, namespace, description: shown.toString(), log: options.log });
}

async function listen(options: CacheServerOptions): Promise<RunningCacheServer> {
  try {
    return await startCacheServer(options);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw plxError("CACHE.LISTEN_FAILED", {
      host: options.host,
      port: options.port,
      reason: code === "EADDRINUSE" ? "the port is in use" : code === "EACCES" ? "permission denied" : String(error),
    });
  }
}
