// Sends PromptLayer-style signed webhook events from the sandbox, so receivers can be tested without a real workspace.
import { setTimeout as sleep } from "node:timers/promises";
import { type JsonValue, pythonJsonDumps } from "../core/pyjson.js";
import { SIGNATURE_HEADER, signWebhookPayload } from "../webhook/signature.js";

export interface WebhookNotifier {
  /** Queues an event; returns at once. Delivery problems are logged, never thrown. */
  notify(eventType: string, details: Record<string, unknown>): void;
  /** Resolves once every event queued so far (and any queued meanwhile) has been delivered or given up on. */
  flush(): Promise<void>;
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
}

// The sandbox acts as a single user; PromptLayer puts the acting user in every envelope.
const SANDBOX_USER = { user_id: 1, user_name: "plx sandbox", user_email: null } as const;
const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_RETRY_DELAYS_MS = [200, 1_000];

export function createWebhookNotifier(options: WebhookNotifierOptions): WebhookNotifier {
  const log = options.log ?? (() => {});
  const now = options.now ?? (() => new Date());
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const retryDelaysMs = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  // Chaining every delivery onto the previous one keeps events in order; deliver() never rejects, so the chain never breaks.
  let queue: Promise<void> = Promise.resolve();

  async function deliver(eventType: string, body: string, signature: string): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      const failure = await post(body, signature);
      if (failure === undefined) return;
      const delay = retryDelaysMs[attempt];
      if (delay === undefined || !failure.retryable) {
        log(`webhook ${eventType} not delivered after ${attempt + 1} attempt(s): ${failure.reason}`);
        return;
      }
      log(`webhook ${eventType} attempt ${attempt + 1} failed (${failure.reason}); retrying in ${delay} ms`);
      await sleep(delay);
    }
  }

  async function post(body: string, signature: string): Promise<{ reason: string; retryable: boolean } | undefined> {
    try {
      const response = await fetch(options.url, {
        method: "POST",
        headers: { "content-type": "application/json", [SIGNATURE_HEADER]: signature },
        body,
        signal: AbortSignal.timeout(timeoutMs),
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
      queue = queue.then(() => deliver(eventType, body, signature));
    },

    async flush() {
      let drained: Promise<void> | undefined;
      while (drained !== queue) {
        drained = queue;
        await drained;
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
