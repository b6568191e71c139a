// After a delivery is acknowledged: coalesce the burst, drop what only echoes plx's own publishes, and run the action
// for the rest, retrying with backoff. Nothing here throws: every outcome becomes a log entry.
import { setTimeout as delay } from "node:timers/promises";
import { type SyncAction, ActionError, summarizeBatch, type SyncBatch } from "./actions.js";
import { Debouncer, type Timers } from "./debounce.js";
import { describeEvent, type WebhookEvent } from "./envelope.js";
import type { LoopGuard } from "./loop-guard.js";

export const DEFAULT_DEBOUNCE_MS = 10_000;
/** Waits before each retry of a failed action: about a minute in all before giving up on a batch. */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [1_000, 2_000, 4_000, 8_000, 16_000, 30_000];

export type PipelineLog =
  | { kind: "echo"; events: string[] }
  | { kind: "action"; outcome: "done"; action: string; templates: string[]; events: number; attempt: number }
  | { kind: "action"; outcome: "retrying"; action: string; attempt: number; reason: string; delayMs: number }
  | { kind: "action"; outcome: "failed"; action: string; attempt: number; reason: string; templates: string[] }
  | { kind: "unreadable"; event: string; reason: string };

export interface SyncPipelineOptions {
  action: SyncAction;
  /** Absent: every event counts (no PromptLayer reads). */
  loopGuard?: LoopGuard;
  debounceMs?: number;
  maxWaitMs?: number;
  retryDelaysMs?: readonly number[];
  /** Waits between retries; `stopping` is aborted when the pipeline shuts down, and the wait may end there. */
  sleep?: (ms: number, stopping: AbortSignal) => Promise<void>;
  timers?: Timers;
  log?: (entry: PipelineLog) => void;
}

export interface SyncPipeline {
  push(event: WebhookEvent): void;
  /** Runs what is waiting now and resolves when every action so far has finished, retries included. */
  drain(): Promise<void>;
  /**
   * As drain, for a process being stopped (SIGTERM): a retry waiting is tried at once, and what fails then is not
   * retried again, since a stopping process has seconds, not the minute the retries take.
   */
  shutdown(): Promise<void>;
  /** Resolves when nothing is waiting or running, letting the debounce window run its course (serverless). */
  idle(): Promise<void>;
  stats(): PipelineStats;
}

export interface PipelineStats {
  batches: number;
  actionsSucceeded: number;
  actionsFailed: number;
  echoesSkipped: number;
}

export function createSyncPipeline(options: SyncPipelineOptions): SyncPipeline {
  const log = options.log ?? (() => {});
  const delays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const sleep =
    options.sleep ??
    ((ms: number, stopping: AbortSignal) => delay(ms, undefined, { signal: stopping }).catch(() => undefined));
  const stopping = new AbortController();
  const stats: PipelineStats = { batches: 0, actionsSucceeded: 0, actionsFailed: 0, echoesSkipped: 0 };

  async function runBatch(events: WebhookEvent[]): Promise<void> {
    stats.batches += 1;
    const echoes = options.loopGuard ? await options.loopGuard.echoes(events) : new Set<WebhookEvent>();
    if (echoes.size > 0) {
      stats.echoesSkipped += echoes.size;
      log({ kind: "echo", events: [...echoes].map(describeEvent) });
    }
    const real = events.filter((event) => !echoes.has(event));
    if (real.length === 0) return;
    await runWithRetries(summarizeBatch(real));
  }

  async function runWithRetries(batch: SyncBatch): Promise<void> {
    const templates = batch.templates.map((template) => template.name);
    for (let attempt = 1; ; attempt += 1) {
      try {
        await options.action.run(batch);
        stats.actionsSucceeded += 1;
        log({
          kind: "action",
          outcome: "done",
          action: options.action.describe,
          templates,
          events: batch.events.length,
          attempt,
        });
        return;
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        const retryable = !(error instanceof ActionError) || error.retryable;
        const delayMs = delays[attempt - 1];
        if (!retryable || delayMs === undefined || stopping.signal.aborted) {
          stats.actionsFailed += 1;
          const why =
            stopping.signal.aborted && retryable && delayMs !== undefined
              ? `${reason} (not retried: stopping)`
              : reason;
          log({ kind: "action", outcome: "failed", action: options.action.describe, attempt, reason: why, templates });
          return;
        }
        log({ kind: "action", outcome: "retrying", action: options.action.describe, attempt, reason, delayMs });
        await sleep(delayMs, stopping.signal);
      }
    }
  }

  const debouncer = new Debouncer<WebhookEvent>({
    waitMs: options.debounceMs ?? DEFAULT_DEBOUNCE_MS,
    maxWaitMs: options.maxWaitMs,
    timers: options.timers,
    onBatch: runBatch,
    // runBatch catches the action's failures; anything left is a fault in the guard or the log sink, kept off the server.
    onError: (error) =>
      log({
        kind: "action",
        outcome: "failed",
        action: options.action.describe,
        attempt: 0,
        reason: error instanceof Error ? error.message : String(error),
        templates: [],
      }),
  });

  return {
    push: (event) => debouncer.push(event),
    drain: () => debouncer.flush(),
    shutdown() {
      stopping.abort();
      return debouncer.flush();
    },
    idle: () => debouncer.idle(),
    stats: () => ({ ...stats }),
  };
}
