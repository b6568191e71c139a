// Verification, replay window, duplicates and filtering: the one code path every delivery goes through.
import { describe, expect, it } from "vitest";
import { parseEnvelope } from "../../../src/webhook/envelope.js";
import { DuplicateFilter, deliveryKey, freshness, parseWebhookTimestamp } from "../../../src/webhook/freshness.js";
import { createWebhookHandler, type DeliveryRecord } from "../../../src/webhook/handler.js";
import type { SyncPipeline } from "../../../src/webhook/pipeline.js";
import { createDeliveryReader } from "../../../src/webhook/receive.js";
import { signatureMatches, signWebhookPayload } from "../../../src/webhook/signature.js";
import { deliveryRequest, envelope, signedDelivery, WEBHOOK_SECRET } from "../../support/webhook.js";

const NOW = Date.parse("2026-08-21T10:15:30.000Z");
const created = (timestamp = "2026-08-21T10:15:00.000000", id = 42, version = 3) =>
  envelope(
    "prompt_template_version_created",
    { prompt_template_id: id, prompt_template_name: "support/refund", prompt_template_version_number: version },
    timestamp,
  );

function recordingPipeline() {
  const pushed: unknown[] = [];
  const pipeline: SyncPipeline = {
    push: (event) => pushed.push(event),
    drain: async () => {},
    shutdown: async () => {},
    idle: async () => {},
    stats: () => ({ batches: 0, actionsSucceeded: 0, actionsFailed: 0, echoesSkipped: 0 }),
  };
  return { pipeline, pushed };
}

function handlerFor(options: { secrets?: string[]; now?: number } = {}) {
  const { pipeline, pushed } = recordingPipeline();
  const records: DeliveryRecord[] = [];
  const handler = createWebhookHandler({
    secrets: options.secrets ?? [WEBHOOK_SECRET],
    now: () => options.now ?? NOW,
    pipeline,
    onDelivery: (record) => records.push(record),
  });
  return { handler, pushed, records };
}

describe("the signed timestamp", () => {
  it.each([
    ["2023-12-01T22:05:57.924833", Date.UTC(2023, 11, 1, 22, 5, 57, 924)],
    ["2023-12-01T22:05:57Z", Date.UTC(2023, 11, 1, 22, 5, 57)],
    ["2023-12-01T23:05:57+01:00", Date.UTC(2023, 11, 1, 22, 5, 57)],
    ["2023-12-01T17:05:57.5-0500", Date.UTC(2023, 11, 1, 22, 5, 57, 500)],
    ["2023-12-01 22:05", Date.UTC(2023, 11, 1, 22, 5)],
  ])("reads %s (no zone means UTC)", (text, expected) => {
    expect(parseWebhookTimestamp(text)).toBe(expected);
  });

  it.each(["yesterday", "2023-02-30T10:00:00", "2023-13-01T10:00:00", "1701468357", ""])("refuses %j", (text) => {
    expect(parseWebhookTimestamp(text)).toBeUndefined();
  });

  it("is fresh within the tolerance either way, stale or future beyond it", () => {
    const tolerance = 15 * 60_000;
    expect(freshness("2026-08-21T10:00:31", NOW, tolerance)).toBe("fresh");
    expect(freshness("2026-08-21T10:00:29", NOW, tolerance)).toBe("stale");
    expect(freshness("2026-08-21T10:30:29", NOW, tolerance)).toBe("fresh");
    expect(freshness("2026-08-21T10:30:31", NOW, tolerance)).toBe("future");
    expect(freshness("soon", NOW, tolerance)).toBe("unreadable");
  });
});

describe("duplicate suppression", () => {
  it("remembers a delivery for its window, then forgets it", () => {
    let now = 0;
    const filter = new DuplicateFilter({ ttlMs: 1000, now: () => now });
    expect(filter.isDuplicate("a")).toBe(false);
    expect(filter.isDuplicate("a")).toBe(true);
    now = 999;
    expect(filter.isDuplicate("a")).toBe(true);
    now = 1000;
    expect(filter.isDuplicate("a")).toBe(false);
  });

  it("stays within its size, forgetting the oldest first", () => {
    const filter = new DuplicateFilter({ ttlMs: 60_000, maxEntries: 3, now: () => 0 });
    for (const key of ["a", "b", "c", "d"]) filter.isDuplicate(key);
    expect(filter.size).toBe(3);
    expect(filter.isDuplicate("a")).toBe(false);
    expect(filter.isDuplicate("d")).toBe(true);
  });

  it("keys a delivery by its canonical form, so reformatting does not hide a repeat", () => {
    const body = signedDelivery(created()).body;
    const reformatted = JSON.stringify(JSON.parse(body), null, 2);
    const key = (text: string) => deliveryKey(JSON.parse(text));
    expect(key(reformatted)).toBe(key(body));
    expect(key(signedDelivery(created(undefined, 42, 4)).body)).not.toBe(key(body));
  });
});

describe("signatures during a rotation", () => {
  it("accepts either secret, and neither a third nor a malformed header", () => {
    const payload = JSON.parse(signedDelivery(created()).body);
    const old = signWebhookPayload(payload, "old-secret");
    expect(signatureMatches(payload, old, ["new-secret", "old-secret"])).toBe(true);
    expect(signatureMatches(payload, old, ["new-secret"])).toBe(false);
    expect(signatureMatches(payload, "zz", ["old-secret"])).toBe(false);
  });
});

describe("parseEnvelope", () => {
  it("reads the documented fields, older envelopes without the user's name and email included", () => {
    const parsed = parseEnvelope({
      event_type: "prompt_template_label_moved",
      details: {
        prompt_template_id: 1,
        prompt_template_name: "a",
        prompt_template_version_number: 3,
        old_prompt_template_version_number: 2,
        prompt_template_label: "prod",
      },
      user_id: 9,
      workspace_id: 4,
      timestamp: "2026-08-21T10:00:00",
    });
    expect(parsed).toEqual({
      ok: true,
      event: expect.objectContaining({
        eventType: "prompt_template_label_moved",
        template: { id: 1, name: "a" },
        version: 3,
        previousVersion: 2,
        label: "prod",
        user: { id: 9 },
        workspaceId: 4,
      }),
    });
  });

  it("names what is missing", () => {
    expect(parseEnvelope({ details: {}, timestamp: "x" })).toEqual({
      ok: false,
      problem: expect.stringContaining("event_type"),
    });
    expect(parseEnvelope([])).toMatchObject({ ok: false });
  });
});

describe("the webhook handler", () => {
  it("accepts a signed, fresh delivery with 202 and hands the event on", async () => {
    const { handler, pushed, records } = handlerFor();
    const response = await handler(deliveryRequest(created()));
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ status: "accepted" });
    expect(pushed).toEqual([expect.objectContaining({ eventType: "prompt_template_version_created", version: 3 })]);
    expect(records).toEqual([expect.objectContaining({ status: 202, outcome: "accepted" })]);
  });

  it("accepts the same payload reformatted in transit, as PromptLayer's own verifier would", async () => {
    const { handler, pushed } = handlerFor();
    const body = JSON.stringify(JSON.parse(signedDelivery(created()).body), null, 2);
    expect((await handler(deliveryRequest(created(), { body }))).status).toBe(202);
    expect(pushed).toHaveLength(1);
  });

  it.each([
    ["no signature", { signature: null }, 401, "no X-PromptLayer-Signature header"],
    ["a wrong signature", { secret: "another secret" }, 401, "signature does not match"],
    ["a body that is not JSON", { body: "{not json" }, 400, "not JSON"],
  ] as const)("refuses %s", async (_name, options, status, reason) => {
    const { handler, pushed, records } = handlerFor();
    const response = await handler(deliveryRequest(created(), options));
    expect(response.status).toBe(status);
    expect(((await response.json()) as any).error).toContain(reason);
    expect(pushed).toEqual([]);
    expect(records[0]).toMatchObject({ status, outcome: "rejected" });
  });

  it("refuses a signed body that is not an envelope, and an unreadable timestamp, with 400", async () => {
    const { handler } = handlerFor();
    const notEnvelope = await handler(deliveryRequest({ hello: "world" } as never));
    expect(notEnvelope.status).toBe(400);
    expect(((await notEnvelope.json()) as any).error).toContain("not a PromptLayer webhook envelope");
    expect((await handler(deliveryRequest(created("last tuesday")))).status).toBe(400);
  });

  it("refuses a replay: a signed timestamp older than the tolerance, or too far ahead", async () => {
    const { handler, pushed } = handlerFor();
    const stale = await handler(deliveryRequest(created("2026-08-21T09:59:00")));
    expect(stale.status).toBe(401);
    expect(((await stale.json()) as any).error).toContain("replay");
    expect((await handler(deliveryRequest(created("2026-08-21T10:45:00")))).status).toBe(401);
    expect(pushed).toEqual([]);
  });

  it("acknowledges a duplicate delivery without acting on it twice", async () => {
    const { handler, pushed, records } = handlerFor();
    expect((await handler(deliveryRequest(created()))).status).toBe(202);
    const again = await handler(deliveryRequest(created()));
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual({ status: "duplicate" });
    expect(pushed).toHaveLength(1);
    expect(records.map((record) => record.outcome)).toEqual(["accepted", "duplicate"]);
  });

  it("acknowledges events that change no repository, and logs them as ignored", async () => {
    const { handler, pushed, records } = handlerFor();
    const requested = envelope(
      "prompt_template_label_change_requested",
      { prompt_template_id: 1, prompt_template_name: "a", prompt_template_label: "prod", change_type: "move" },
      "2026-08-21T10:15:00",
    );
    const response = await handler(deliveryRequest(requested));
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ status: "ignored" });
    expect(pushed).toEqual([]);
    expect(records[0]).toMatchObject({ outcome: "ignored" });
  });

  it("acts on every repository event", async () => {
    const { handler, pushed } = handlerFor();
    const types = [
      "prompt_template_version_created",
      "prompt_template_name_changed",
      "prompt_template_deleted",
      "prompt_template_label_created",
      "prompt_template_label_moved",
      "prompt_template_label_deleted",
      "prompt_template_label_change_approved",
      "prompt_template_updated",
    ];
    for (const [index, type] of types.entries())
      await handler(deliveryRequest(envelope(type, { prompt_template_id: index }, "2026-08-21T10:15:00")));
    expect(pushed).toHaveLength(types.length);
  });

  it("answers 405 to other methods, 413 to a body over 1 MiB, 200 on GET /healthz", async () => {
    const { handler, records } = handlerFor();
    const get = await handler(new Request("http://receiver.test/hook"));
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    expect((await handler(new Request("http://receiver.test/hook", { method: "PUT", body: "{}" }))).status).toBe(405);
    const big = new Request("http://receiver.test/hook", {
      method: "POST",
      headers: { "X-PromptLayer-Signature": "0".repeat(64) },
      body: "x".repeat(1024 * 1024 + 1),
    });
    expect((await handler(big)).status).toBe(413);
    const health = await handler(new Request("http://receiver.test/healthz"));
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });
    // Health checks are not deliveries: they are not logged.
    expect(records.map((record) => record.status)).toEqual([405, 405, 413]);
  });

  it("counts an upload that lies about its length", async () => {
    const read = createDeliveryReader({ secrets: [WEBHOOK_SECRET], maxBodyBytes: 10, now: () => NOW });
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("x".repeat(8)));
        controller.enqueue(new TextEncoder().encode("x".repeat(8)));
        controller.close();
      },
    });
    const request = new Request("http://receiver.test/hook", {
      method: "POST",
      headers: { "X-PromptLayer-Signature": "0".repeat(64) },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(await read(request)).toMatchObject({ kind: "rejected", status: 413 });
  });

  it("needs a secret", () => {
    expect(() => createDeliveryReader({ secrets: [""] })).toThrow(TypeError);
  });
});
