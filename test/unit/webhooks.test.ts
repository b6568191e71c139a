import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { verifyWebhookSignature } from "../../src/webhook/signature.js";
import { createWebhookNotifier, type WebhookNotifierOptions } from "../../src/sandbox/webhooks.js";

const SECRET = "whsec_plx_test_\u{1f511}";
const NOW = new Date("2026-08-21T10:15:30.123Z");
const LABEL_MOVED = {
  prompt_template_id: 42,
  prompt_template_name: "support/refund \u2013 \u00e9 \u{1f600}",
  prompt_template_version_number: 3,
  old_prompt_template_version_number: 2,
  prompt_template_label: "prod",
};
// Produced by CPython 3.11: body = json.dumps(envelope, sort_keys=True) for the envelope of LABEL_MOVED at NOW in workspace 7,
// signature = hmac.new(SECRET.encode(), body.encode(), hashlib.sha256).hexdigest().
const PYTHON_BODY =
  '{"details": {"old_prompt_template_version_number": 2, "prompt_template_id": 42, "prompt_template_label": "prod", "prompt_template_name": "support/refund \\u2013 \\u00e9 \\ud83d\\ude00", "prompt_template_version_number": 3}, "event_type": "prompt_template_label_moved", "timestamp": "2026-08-21T10:15:30.123Z", "user_email": null, "user_id": 1, "user_name": "plx sandbox", "workspace_id": 7}';
const PYTHON_SIGNATURE = "3627d44e5af32c0552292cac671c0c9b908c7f2049aa197b7a523642282f0f01";

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((server) => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    }),
  );
});

/**
 * A real HTTP receiver. `respond` picks each request's status, or undefined to never answer; answers wait `delayMs`, so
 * concurrent deliveries would overlap and show up in `maxConcurrent`.
 */
async function startReceiver(respond: (index: number) => number | undefined = () => 200, delayMs = 0) {
  const received: Received[] = [];
  let open = 0;
  const receiver = { url: "", received, maxConcurrent: 0 };
  const server = createServer((request, response) => {
    receiver.maxConcurrent = Math.max(receiver.maxConcurrent, ++open);
    response.on("close", () => (open -= 1));
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const status = respond(received.length);
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
      if (status !== undefined) setTimeout(() => response.writeHead(status).end(), delayMs);
    });
  });
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return receiver;
}

function notifierFor(url: string, extra: Partial<WebhookNotifierOptions> = {}) {
  const logged: string[] = [];
  const notifier = createWebhookNotifier({
    url,
    secret: SECRET,
    workspaceId: 7,
    now: () => NOW,
    log: (line) => logged.push(line),
    ...extra,
  });
  return { notifier, logged };
}

const eventTypes = (received: Received[]) =>
  received.map((request) => (JSON.parse(request.body) as { event_type: string }).event_type);

describe("webhook notifier", () => {
  it("posts PromptLayer's envelope as Python's bytes, signed as Python signs it", async () => {
    const receiver = await startReceiver();
    const { notifier, logged } = notifierFor(receiver.url);

    expect(notifier.notify("prompt_template_label_moved", LABEL_MOVED)).toBeUndefined();
    await notifier.flush();

    expect(receiver.received).toHaveLength(1);
    const [request] = receiver.received;
    expect(request!.headers["content-type"]).toBe("application/json");
    expect(request!.body).toBe(PYTHON_BODY);
    expect(request!.headers["x-promptlayer-signature"]).toBe(PYTHON_SIGNATURE);
    expect(verifyWebhookSignature(request!.body, PYTHON_SIGNATURE, SECRET)).toBe(true);
    expect(JSON.parse(request!.body)).toEqual({
      event_type: "prompt_template_label_moved",
      details: LABEL_MOVED,
      user_id: 1,
      user_name: "plx sandbox",
      user_email: null,
      workspace_id: 7,
      timestamp: "2026-08-21T10:15:30.123Z",
    });
    expect(logged).toEqual([]);
  });

  it("delivers events one at a time in the order they were raised, including ones raised during flush", async () => {
    const receiver = await startReceiver(() => 200, 20);
    const { notifier } = notifierFor(receiver.url);
    const names = [
      "prompt_template_version_created",
      "prompt_template_label_created",
      "prompt_template_label_moved",
      "prompt_template_deleted",
    ];
    for (const name of names.slice(0, 3)) notifier.notify(name, { prompt_template_id: 1 });
    const flushed = notifier.flush();
    notifier.notify(names[3]!, { prompt_template_id: 1 });
    await flushed;

    expect(eventTypes(receiver.received)).toEqual(names);
    expect(receiver.maxConcurrent).toBe(1);
  });

  it("retries a 500 with the same body and signature, then succeeds", async () => {
    const receiver = await startReceiver((index) => (index === 0 ? 500 : 200));
    const { notifier, logged } = notifierFor(receiver.url, { retryDelaysMs: [10, 10] });

    notifier.notify("prompt_template_version_created", {
      prompt_template_id: 1,
      prompt_template_name: "a",
      prompt_template_version_number: 1,
    });
    await notifier.flush();

    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[1]).toEqual(receiver.received[0]);
    expect(logged).toEqual(["webhook prompt_template_version_created attempt 1 failed (HTTP 500); retrying in 10 ms"]);
  });

  it("gives up after its retries, logs it, and moves on to the next event", async () => {
    const receiver = await startReceiver((index) => (index < 3 ? 503 : 200));
    const { notifier, logged } = notifierFor(receiver.url, { retryDelaysMs: [5, 5] });

    notifier.notify("prompt_template_deleted", { prompt_template_id: 1 });
    notifier.notify("prompt_template_version_created", { prompt_template_id: 2 });
    await notifier.flush();

    expect(eventTypes(receiver.received)).toEqual([
      ...Array(3).fill("prompt_template_deleted"),
      "prompt_template_version_created",
    ]);
    expect(logged.at(-1)).toBe("webhook prompt_template_deleted not delivered after 3 attempt(s): HTTP 503");
  });

  it("does not retry a receiver that rejects the event with a 4xx", async () => {
    const receiver = await startReceiver(() => 401);
    const { notifier, logged } = notifierFor(receiver.url, { retryDelaysMs: [5] });

    notifier.notify("prompt_template_deleted", { prompt_template_id: 1 });
    await notifier.flush();

    expect(receiver.received).toHaveLength(1);
    expect(logged).toEqual(["webhook prompt_template_deleted not delivered after 1 attempt(s): HTTP 401"]);
  });

  it("times out a receiver that never answers", async () => {
    const receiver = await startReceiver(() => undefined);
    const { notifier, logged } = notifierFor(receiver.url, { timeoutMs: 100, retryDelaysMs: [] });

    notifier.notify("prompt_template_deleted", { prompt_template_id: 1 });
    await notifier.flush();

    expect(logged).toEqual(["webhook prompt_template_deleted not delivered after 1 attempt(s): timed out"]);
  });

  it("logs an unreachable receiver instead of throwing", async () => {
    const receiver = await startReceiver();
    const closed = servers.pop()!;
    await new Promise((resolve) => closed.close(resolve));
    const { notifier, logged } = notifierFor(receiver.url, { retryDelaysMs: [5] });

    notifier.notify("prompt_template_deleted", { prompt_template_id: 1 });
    await notifier.flush();

    expect(logged).toEqual([
      "webhook prompt_template_deleted attempt 1 failed (ECONNREFUSED); retrying in 5 ms",
      "webhook prompt_template_deleted not delivered after 2 attempt(s): ECONNREFUSED",
    ]);
  });

  it("drops, with a log line, details that cannot be sent as JSON", async () => {
    const receiver = await startReceiver();
    const { notifier, logged } = notifierFor(receiver.url);

    notifier.notify("prompt_template_deleted", { prompt_template_id: 1n });
    notifier.notify("prompt_template_version_created", { prompt_template_id: 2, unset: undefined });
    await notifier.flush();

    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/^webhook prompt_template_deleted dropped: its details are not JSON/);
    expect(receiver.received.map((request) => JSON.parse(request.body).details)).toEqual([{ prompt_template_id: 2 }]);
  });
});
