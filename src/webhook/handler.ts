// The receiver as a web-standard `(Request) => Promise<Response>` function, so one implementation serves `plx webhook
// serve` on Node and a serverless function on Cloudflare Workers, Vercel, Deno or Bun. It answers at once (202) and
// leaves the work to the sync pipeline.
import { changesRepository, type WebhookEvent } from "./envelope.js";
import type { SyncPipeline } from "./pipeline.js";
import { createDeliveryReader, type Delivery, type DeliveryReaderOptions } from "./receive.js";

export type DeliveryOutcome = "accepted" | "duplicate" | "ignored" | "rejected";

/** One line of the delivery log. */
export interface DeliveryRecord {
  status: number;
  outcome: DeliveryOutcome;
  method: string;
  event?: WebhookEvent;
  /** Why a delivery was rejected or ignored. */
  reason?: string;
}

export interface WebhookHandlerOptions extends DeliveryReaderOptions {
  /** Where events that change a repository go. */
  pipeline: SyncPipeline;
  /** Told about every delivery but health checks. */
  onDelivery?: (record: DeliveryRecord) => void;
}

/**
 * Serverless hosts end an invocation when the response is sent unless told to wait: pass the host's `waitUntil`
 * (Cloudflare's `ctx.waitUntil`, Vercel's `waitUntil`) with each request, and the invocation lives until the batch
 * it joined is out.
 */
export interface InvocationContext {
  waitUntil?: (promise: Promise<unknown>) => void;
}

export type WebhookHandler = (request: Request, context?: InvocationContext) => Promise<Response>;

export function createWebhookHandler(options: WebhookHandlerOptions): WebhookHandler {
  const read = createDeliveryReader(options);
  return async (request, context) => {
    const delivery = await read(request);
    if (delivery.kind === "health") return json(200, { ok: true });
    const record = recordOf(request.method, delivery);
    options.onDelivery?.(record);
    if (record.outcome === "accepted" && delivery.kind === "event") {
      options.pipeline.push(delivery.event);
      context?.waitUntil?.(options.pipeline.idle());
    }
    if (delivery.kind === "rejected") {
      return json(delivery.status, { error: delivery.reason }, delivery.status === 405 ? { Allow: "POST" } : {});
    }
    return json(202, { status: record.outcome });
  };
}

function recordOf(method: string, delivery: Exclude<Delivery, { kind: "health" }>): DeliveryRecord {
  if (delivery.kind === "rejected") {
    return { status: delivery.status, outcome: "rejected", method, reason: delivery.reason };
  }
  const { event } = delivery;
  if (delivery.duplicate) return { status: 202, outcome: "duplicate", method, event, reason: "seen already" };
  if (!changesRepository(event))
    return { status: 202, outcome: "ignored", method, event, reason: "does not change a repository" };
  return { status: 202, outcome: "accepted", method, event };
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}
