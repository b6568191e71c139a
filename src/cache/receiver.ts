// The cache's POST /webhook: the receiver `plx webhook serve` uses (signature, replay window, duplicates, the events
// that change prompts), with the cache as the first thing each accepted event reaches. The same events can also go
// on to that command's actions (a dispatch, a command), so one deployed service does both jobs.
import { createWebhookHandler, type DeliveryRecord, type WebhookHandler } from "../webhook/handler.js";
import type { PipelineStats, SyncPipeline } from "../webhook/pipeline.js";
import type { PromptCache } from "./service.js";

export interface CacheReceiverOptions {
  /** The webhook secret, and during a rotation the previous one too. */
  secrets: readonly string[];
  toleranceMs?: number;
  /** What else the events start (`--dispatch`, `--exec`), debounced and loop-guarded as `webhook serve` does. */
  actions?: SyncPipeline;
  /** Told about every delivery (a log line); the cache's metrics count them by outcome either way. */
  onDelivery?: (record: DeliveryRecord) => void;
  now?: () => number;
}

export interface CacheReceiver {
  handler: WebhookHandler;
  /** Resolves when every accepted event has reached the cache and the actions started so far are done (SIGTERM). */
  drain(): Promise<void>;
}

const NO_ACTIONS: PipelineStats = { batches: 0, actionsSucceeded: 0, actionsFailed: 0, echoesSkipped: 0 };

export function cacheWebhookReceiver(cache: PromptCache, options: CacheReceiverOptions): CacheReceiver {
  const applying = new Set<Promise<unknown>>();
  const settled = async () => {
    while (applying.size > 0) await Promise.all(applying);
  };
  const pipeline: SyncPipeline = {
    push(event) {
      // Every event the receiver accepts reaches the cache, plx's own publishes too: the cache must serve them.
      // A refresh that fails leaves its entries to the next resync; it must never become an unhandled rejection.
      const applied = cache
        .applyEvents([{ eventType: event.eventType, details: event.details }])
        .catch(() => undefined);
      applying.add(applied);
      void applied.finally(() => applying.delete(applied));
      options.actions?.push(event);
    },
    async drain() {
      await settled();
      await options.actions?.drain();
    },
    async shutdown() {
      await settled();
      await options.actions?.shutdown();
    },
    async idle() {
      await settled();
      await options.actions?.idle();
    },
    stats: () => options.actions?.stats() ?? NO_ACTIONS,
  };
  const handler = createWebhookHandler({
    secrets: options.secrets,
    ...(options.toleranceMs === undefined ? {} : { toleranceMs: options.toleranceMs }),
    ...(options.now ? { now: options.now } : {}),
    pipeline,
    onDelivery: (record) => {
      cache.metrics.delivery(record.outcome);
      options.onDelivery?.(record);
    },
  });
  return { handler, drain: () => pipeline.shutdown() };
}
