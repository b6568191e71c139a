// `plx cache serve`'s server in-process, in front of an in-process sandbox, for the cache's integration tests.
import { afterEach } from "vitest";
import { createServer } from "node:net";
import { type CacheReceiverOptions, type RunningCache, serveCache } from "../../src/cache/index.js";
import { Redactor } from "../../src/redact.js";
import { sandboxPerTest } from "./in-process.js";
import { API_KEY } from "./registry.js";

export { API_KEY };

/** Sandboxes that insist on the test key (so a test can tell the cache passed on its own), closed after each test. */
export const sandboxesPerTest = () => sandboxPerTest({ apiKey: API_KEY, seed: 1 });

export interface CacheOptions {
  port?: number;
  webhook?: CacheReceiverOptions;
  labels?: string[];
  clientKeys?: string[];
  snapshotFile?: string;
  storeUrl?: string;
  resyncMs?: number;
  now?: () => number;
}

export interface StartedCache extends RunningCache {
  log: string[];
  /** A request to the cache, with the workspace key unless the headers say otherwise. */
  call(path: string, init?: RequestInit): Promise<Response>;
  /** The cache's first sync, or a fresh one when it is done. */
  synced(): Promise<void>;
}

const running: Array<{ close(): Promise<void> }> = [];

/** Everything started in a test is stopped after it, whatever state it was left in. */
export function stopAfterEachTest(): void {
  afterEach(async () => {
    for (const server of running.splice(0).reverse()) await server.close().catch(() => undefined);
  });
}

export async function startCache(upstreamUrl: string, options: CacheOptions = {}): Promise<StartedCache> {
  const log: string[] = [];
  const cache = await serveCache({
    baseUrl: upstreamUrl,
    apiKey: API_KEY,
    redactor: new Redactor(),
    concurrency: 8,
    timeoutMs: 5_000,
    attempts: 1,
    labels: options.labels ?? ["prod"],
    log: (line) => log.push(line),
    port: options.port ?? 0,
    host: "127.0.0.1",
    webhook: options.webhook,
    snapshotFile: options.snapshotFile,
    storeUrl: options.storeUrl,
    resyncMs: options.resyncMs ?? 0,
    clientKeys: options.clientKeys ?? [],
    now: options.now,
  });
  let closed = false;
  const close = async (graceMs?: number) => {
    if (closed) return;
    closed = true;
    await cache.close(graceMs);
  };
  running.push({ close });
  return {
    ...cache,
    close,
    log,
    call: (path, init = {}) =>
      fetch(`${cache.url}${path}`, { ...init, headers: { "x-api-key": API_KEY, ...(init.headers as object) } }),
    synced: async () => {
      await cache.cache.resync();
    },
  };
}

/** Polls `probe` until it returns something other than undefined; fails after `attempts` tries, never on time alone. */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, attempts = 200): Promise<T> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** A port nothing listens on now, for a server whose URL another must know before it starts. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}
