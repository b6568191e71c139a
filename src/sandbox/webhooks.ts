// Sends PromptLayer-style signed webhook events from the sandbox, so receivers can be tested without a real workspace.
import { setTimeout as sleep } from "node:timers/promises";
import { type JsonValue, pythonJsonDumps } from "../core/pyjson.js";
import { SIGNATURE_HEADER, signWebhookPayload } from "../webhook/signature.js";

export interface WebhookNotifier {
  /** Queues an event; returns at once. Delivery problems are logged, never thrown. */
  notify(eventType: string, details: Record<string, unknown>): void;
  /**
   * Resolves once every event queued so far (and any queued meanwhile) has been delivered or given up on. With
   * `withinMs`, events still queued after that long are dropped (and logged) instead of waited for.
   */
  flush(withinMs?: number): Promise<void>;
}

export interface WebhookNotifierOptions {
  url: string;
  secret: string;
  workspaceId: number;
  log?: (line: string) => void;
  now?: () => Date;
  /** Per attempt. */
  timeoutMs?: number;
  /** Waits before each retry; its length is the number of retries. */
  retryDelaysMs?: readonly number[];
  /** One delivery's attempts and waits together, so a dead receiver holds back the events after it only this long. */
  deliveryDeadlineMs?: number;
  /** Events waiting at most; past it the oldest is dropped, as a receiver down for long would miss them anyway. */
  maxQueued?: number;
}

// The sandbox acts as a single user; PromptLayer puts the acting user in every envelope.
const SANDBOX_USER = { user_id: 1, user_name: "plx sandbox", user_email: null } as const;
const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_RETRY_DELAYS_MS = [200, 1_000];
const DEFAULT_DELIVERY_DEADLINE_MS = 10_000;
const DEFAULT_MAX_QUEUED = 1_000;

interface Delivery {
  eventType: string;
  body: string;
  signature: string;
}

export function createWebhookNotifier(options: WebhookNotifierOptions): WebhookNotifier {
  const log = options.log ?? (() => {});
  const now = options.now ?? (() => new Date());
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const retryDelaysMs = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const deadlineMs = options.deliveryDeadlineMs ?? DEFAULT_DELIVERY_DEADLINE_MS;
  const maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED;
  // One delivery at a time, in the order events happened; the worker runs while the queue holds anything.
  const queue: Delivery[] = [];
  let worker: Promise<void> | undefined;

  async function work(): Promise<void> {
    for (let next = queue.shift(); next; next = queue.shift()) await deliver(next);
    worker = undefined;
  }

  async function deliver({ eventType, body, signature }: Delivery): Promise<void> {
    const giveUpAt = performance.now() + deadlineMs;
    for (let attempt = 0; ; attempt += 1) {
      const left = giveUpAt - performance.now();
      const failure = await post(body, signature, Math.max(1, Math.ceil(Math.min(timeoutMs, left))));
      if (failure === undefined) return;
      const delay = retryDelaysMs[attempt];
      const remaining = giveUpAt - performance.now();
      if (delay === undefined || !failure.retryable || remaining <= delay) {
        log(`webhook ${eventType} not delivered after ${attempt + 1} attempt(s): ${failure.reason}`);
        return;
      }
      log(`webhook ${eventType} attempt ${attempt + 1} failed (${failure.reason}); retrying in ${delay} ms`);
      await sleep(delay);
    }
  }

  async function post(
    body: string,
    signature: string,
    attemptMs: number,
  ): Promise<{ reason: string; retryable: boolean } | undefined> {
    try {
      const response = await fetch(options.url, {
        method: "POST",
        headers: { "content-type": "application/json", [SIGNATURE_HEADER]: signature },
        body,
        signal: AbortSignal.timeout(attemptMs),
      });
      await response.body?.cancel();
      if (response.ok) return undefined;
      return { reason: `HTTP ${response.status}`, retryable: response.status >= 500 || response.status === 429 };
    } catch (error) {
      return { reason: describeNetworkError(error), retryable: true };
    }
  }

  return {
    notify(eventType, details) {
      let body: string;
      let signature: string;
      try {
        // The JSON round trip gives exactly what a receiver will parse (undefined members dropped, Dates as strings).
        const envelope = JSON.parse(
          JSON.stringify({
            event_type: eventType,
            details,
            ...SANDBOX_USER,
            workspace_id: options.workspaceId,
            timestamp: now().toISOString(),
          }),
        ) as JsonValue;
        // The body is the signed string itself, so any verifier that re-serialises the Python way gets the same bytes.
        body = pythonJsonDumps(envelope);
        signature = signWebhookPayload(envelope, options.secret);
      } catch (error) {
        log(
          `webhook ${eventType} dropped: its details are not JSON (${error instanceof Error ? error.message : String(error)})`,
        );
        return;
      }
      if (queue.length >= maxQueued) {
        const dropped = queue.shift()!;
        log(`webhook ${dropped.eventType} dropped: ${maxQueued} events were already waiting for the receiver`);
      }
      queue.push({ eventType, body, signature });
      worker ??= work();
    },

    async flush(withinMs) {
      const stopAt = withinMs === undefined ? undefined : performance.now() + withinMs;
      while (worker) {
        const running = worker;
        if (stopAt === undefined) {
          await running;
          continue;
        }
        const cancel = new AbortController();
        const late = sleep(Math.max(0, stopAt - performance.now()), "late" as const, { signal: cancel.signal }).catch(
          () => "done" as const,
        );
        const outcome = await Promise.race([running.then(() => "done" as const), late]);
        cancel.abort();
        if (outcome === "late") {
          if (queue.length > 0) log(`webhook: ${queue.length} event(s) not delivered before shutdown`);
          queue.length = 0;
          return;
        }
      }
    },
  };
}

function describeNetworkError(error: unknown): string {
  if (error instanceof Error && error.name === "TimeoutError") return "timed out";
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  if (typeof cause?.code === "string") return cause.code;
  return error instanceof Error ? error.message : String(error);
}
