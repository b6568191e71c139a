// Signed PromptLayer deliveries and a clock tests can move, for the webhook receiver's tests.
import { pythonJsonDumps } from "../../src/core/pyjson.js";
import type { Timers } from "../../src/webhook/debounce.js";
import { signWebhookPayload } from "../../src/webhook/signature.js";

export const WEBHOOK_SECRET = "whsec_receiver_test_é";

export interface EnvelopeInput {
  event_type: string;
  details: Record<string, unknown>;
  timestamp: string;
  user_id?: number;
  user_name?: string | null;
  user_email?: string | null;
  workspace_id?: number;
}

export function envelope(
  eventType: string,
  details: Record<string, unknown>,
  timestamp: string,
  extra: Partial<EnvelopeInput> = {},
): EnvelopeInput {
  return {
    event_type: eventType,
    details,
    timestamp,
    user_id: 7,
    user_name: "Ada Lovelace",
    user_email: "ada@example.com",
    workspace_id: 1,
    ...extra,
  };
}

/** The body and headers PromptLayer would send: Python's bytes, signed with `secret`. */
export function signedDelivery(payload: EnvelopeInput, secret = WEBHOOK_SECRET): { body: string; signature: string } {
  const json = JSON.parse(JSON.stringify(payload));
  return { body: pythonJsonDumps(json), signature: signWebhookPayload(json, secret) };
}

export function deliveryRequest(
  payload: EnvelopeInput,
  options: { secret?: string; url?: string; signature?: string | null; body?: string } = {},
): Request {
  const signed = signedDelivery(payload, options.secret);
  const headers: Record<string, string> = { "content-type": "application/json" };
  const signature = options.signature === undefined ? signed.signature : options.signature;
  if (signature !== null) headers["X-PromptLayer-Signature"] = signature;
  return new Request(options.url ?? "http://receiver.test/hook", {
    method: "POST",
    headers,
    body: options.body ?? signed.body,
  });
}

/** A clock and timers that move only when told to. */
export class ManualClock implements Timers {
  private time: number;
  private nextHandle = 1;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();

  constructor(start: number) {
    this.time = start;
  }

  now = (): number => this.time;

  setTimeout = (callback: () => void, ms: number): unknown => {
    const handle = this.nextHandle++;
    this.timers.set(handle, { at: this.time + ms, callback });
    return handle;
  };

  clearTimeout = (handle: unknown): void => {
    this.timers.delete(handle as number);
  };

  /** Moves time forward, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()]
        .filter(([, timer]) => timer.at <= until)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = Math.max(this.time, due[1].at);
      due[1].callback();
    }
    this.time = until;
  }

  get pendingTimers(): number {
    return this.timers.size;
  }
}
