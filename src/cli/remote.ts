import type { ResolvedConfig } from "../config/schema.js";
import { PromptLayerClient } from "../promptlayer/index.js";
import type { Redactor } from "../redact.js";
import type { Env, Logger } from "./io.js";

/** Builds the run's one PromptLayer client from the resolved config; the key only ever comes from the environment. */
export function createRemote(options: {
  config: ResolvedConfig;
  env: Env;
  /** Per attempt: connect and first byte. The client's default when absent. */
  timeoutMs: number | undefined;
  /** The run's requests together. The client's default when absent. */
  deadlineSeconds: number | undefined;
  /** Attempts per request, first included; the client's default when absent. */
  attempts: number | undefined;
  redactor: Redactor;
  log: Logger;
  /** Log every request; off, the client skips describing them at all. */
  debug: boolean;
  signal: AbortSignal;
}): PromptLayerClient {
  const { config, env, log } = options;
  return new PromptLayerClient({
    apiKey: apiKeyFrom(env),
    baseUrl: config.baseUrl,
    concurrency: config.concurrency,
    timeoutMs: options.timeoutMs,
    deadlineMs: options.deadlineSeconds === undefined ? undefined : options.deadlineSeconds * 1000,
    retry: { maxAttempts: options.attempts },
    redactor: options.redactor,
    signal: options.signal,
    ...(options.debug
      ? {
          onRequest: (event) =>
            log.debug(
              `${event.method} ${config.baseUrl}${event.path} ${event.status ?? event.error ?? "failed"} ${Math.round(event.ms)}ms${event.attempt > 1 ? ` (attempt ${event.attempt})` : ""}`,
            ),
        }
      : {}),
  });
}

/** The API key, from the environment only: PLX_API_KEY, then PROMPTLAYER_API_KEY. */
export function apiKeyFrom(env: Env): string | undefined {
  return [env.PLX_API_KEY, env.PROMPTLAYER_API_KEY].map((value) => value?.trim()).find((value) => value);
}
