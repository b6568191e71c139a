// The sandbox sends every webhook PromptLayer → git needs: renames, deletions, snippet updates, and protected labels
// whose changes wait for an admin. And a slow or dead receiver never holds back the API or later events for long.
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startSandbox, type SandboxOptions } from "../../../src/sandbox/index.js";
import { createWebhookNotifier } from "../../../src/sandbox/webhooks.js";
import { verifyWebhookSignature } from "../../../src/webhook/signature.js";

const KEY = "pl_sandbox_events_test";
const SECRET = "whsec_events";
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Received {
  event_type: string;
  details: Record<string, unknown>;
}

/** A receiver that records each verified event; `answer` decides each request's fate (undefined: never answer). */
async function receiver(answer: (index: number) => number | undefined = () => 200) {
  const events: Received[] = [];
  let seen = 0;
  const server: Server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      const status = answer(seen++);
      if (verifyWebhookSignature(body, String(request.headers["x-promptlayer-signature"]), SECRET))
        events.push(JSON.parse(body));
      if (status !== undefined) response.writeHead(status).end();
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  cleanups.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, events };
}

async function sandbox(hookUrl: string, options: SandboxOptions = {}) {
  const server = await startSandbox({ port: 0, apiKey: KEY, webhookUrl: hookUrl, webhookSecret: SECRET, ...options });
  let closed = false;
  const close = async () => {
    if (!closed) await server.close();
    closed = true;
  };
  cleanups.push(close);
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { "X-API-KEY": KEY, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text === "" ? undefined : JSON.parse(text) };
  };
  const publish = (name: string, text: string, extra: object = {}, type: "chat" | "completion" = "chat") =>
    call("POST", "/rest/prompt-templates", {
      prompt_template: { prompt_name: name },
      prompt_version: {
        prompt_template:
          type === "chat"
            ? { type: "chat", messages: [{ role: "user", content: [{ type: "text", text }] }] }
            : { type: "completion", content: [{ type: "text", text }] },
      },
      ...extra,
    });
  return { url: server.url, call, publish, close };
}

describe("sandbox webhook events", () => {
  it("announces renames, deletions, and an update for each template importing a snippet that changed", async () => {
    const hook = await receiver();
    const { call, publish, close } = await sandbox(hook.url);
    await publish("tone", "warm", {}, "completion");
    await publish("house-style", "@@@tone@@@ always", {}, "completion");
    await publish("reply", "Be @@@tone@@@");
    await publish("pinned", "Be @@@tone@version_number:1@@@");
    await publish("styled", "@@@house-style@@@");

    await publish("tone", "warmer", {}, "completion");
    expect((await call("POST", "/__sandbox/templates/reply/rename", { name: "customer-reply" })).status).toBe(200);
    const pinned = (await call("GET", "/prompt-templates/pinned")).body.id;
    const workspace = (await call("GET", "/prompt-templates/pinned")).body.workspace_id;
    await call("DELETE", "/api/public/v2/folders/entities", {
      workspace_id: workspace,
      entities: [{ id: pinned, type: "PROMPT" }],
    });
    await close();

    // Past the five versions created above.
    const after = hook.events.slice(5);
    expect(after.map((event) => [event.event_type, event.details.prompt_template_name])).toEqual([
      ["prompt_template_version_created", "tone"],
      ["prompt_template_updated", "house-style"],
      ["prompt_template_updated", "reply"],
      ["prompt_template_updated", "styled"],
      ["prompt_template_name_changed", "customer-reply"],
      ["prompt_template_deleted", "pinned"],
    ]);
    expect(after[2]!.details).toMatchObject({ prompt_template_version_number: 1 });
    expect(after[4]!.details).toMatchObject({ old_prompt_template_name: "reply" });
  });

  it("refuses a rename onto another template's name", async () => {
    const hook = await receiver();
    const { call, publish } = await sandbox(hook.url);
    await publish("a", "one");
    await publish("b", "two");
    expect((await call("POST", "/__sandbox/templates/a/rename", { name: "b" })).status).toBe(400);
    expect((await call("POST", "/__sandbox/templates/nope/rename", { name: "c" })).status).toBe(404);
  });

  it("turns a change to a protected label into a request an admin approves or denies", async () => {
    const hook = await receiver();
    const { call, publish, close } = await sandbox(hook.url, { protectedLabels: ["prod"] });
    await publish("reply", "one", { release_labels: ["prod"] });
    await publish("reply", "two", { release_labels: ["prod"] });
    await publish("reply", "three");
    const labelId = (await call("GET", "/prompt-templates/reply/labels")).body.release_labels[0].release_label_id;
    await call("PATCH", `/prompt-labels/${labelId}`, { prompt_version_number: 3 });

    const prodAt = async () =>
      (await call("GET", "/prompt-templates/reply/labels")).body.release_labels[0].prompt_version_number;
    expect(await prodAt()).toBe(1);
    const requests = (await call("GET", "/__sandbox/label-changes")).body;
    expect(requests.map((r: any) => [r.change_type, r.version_number, r.status])).toEqual([
      ["move", 2, "pending"],
      ["move", 3, "pending"],
    ]);

    expect((await call("POST", `/__sandbox/label-changes/${requests[0].id}/deny`)).body.status).toBe("denied");
    expect(await prodAt()).toBe(1);
    expect((await call("POST", `/__sandbox/label-changes/${requests[1].id}/approve`)).body.status).toBe("approved");
    expect(await prodAt()).toBe(3);
    expect((await call("POST", `/__sandbox/label-changes/${requests[1].id}/approve`)).status).toBe(400);
    expect((await call("POST", "/__sandbox/label-changes/999/approve")).status).toBe(404);
    await close();

    const labelEvents = hook.events.filter((event) => event.event_type.includes("label"));
    expect(labelEvents.map((event) => event.event_type)).toEqual([
      "prompt_template_label_created",
      "prompt_template_label_change_requested",
      "prompt_template_label_change_requested",
      "prompt_template_label_change_denied",
      "prompt_template_label_change_approved",
      "prompt_template_label_moved",
    ]);
    expect(labelEvents[1]!.details).toEqual({
      prompt_template_id: expect.any(Number),
      prompt_template_name: "reply",
      prompt_template_label: "prod",
      change_type: "move",
    });
    expect(labelEvents[5]!.details).toMatchObject({
      prompt_template_version_number: 3,
      old_prompt_template_version_number: 1,
    });
  });

  it("asks approval to delete a protected label, and deletes it once approved", async () => {
    const hook = await receiver();
    const { call, publish } = await sandbox(hook.url, { protectedLabels: ["prod"] });
    await publish("reply", "one", { release_labels: ["prod"] });
    const labelId = (await call("GET", "/prompt-templates/reply/labels")).body.release_labels[0].release_label_id;
    expect((await call("DELETE", `/prompt-labels/${labelId}`)).status).toBe(204);
    expect((await call("GET", "/prompt-templates/reply/labels")).body.release_labels).toHaveLength(1);
    const [request] = (await call("GET", "/__sandbox/label-changes")).body;
    expect(request).toMatchObject({ change_type: "delete", status: "pending" });
    await call("POST", `/__sandbox/label-changes/${request.id}/approve`);
    expect((await call("GET", "/prompt-templates/reply/labels")).body.release_labels).toEqual([]);
  });
});

describe("webhook delivery to a slow or dead receiver", () => {
  it("gives up on a delivery at its deadline and delivers the next event", async () => {
    // The first request is never answered; every later one is.
    const hook = await receiver((index) => (index === 0 ? undefined : 200));
    const logged: string[] = [];
    const notifier = createWebhookNotifier({
      url: hook.url,
      secret: SECRET,
      workspaceId: 1,
      deliveryDeadlineMs: 300,
      retryDelaysMs: [50, 50, 50, 50, 50, 50, 50, 50],
      log: (line) => logged.push(line),
    });
    notifier.notify("prompt_template_deleted", { prompt_template_id: 1 });
    notifier.notify("prompt_template_version_created", { prompt_template_id: 2 });
    await notifier.flush();
    expect(hook.events.map((event) => event.event_type)).toContain("prompt_template_version_created");
    expect(logged.some((line) => line.startsWith("webhook prompt_template_deleted"))).toBe(true);
  });

  it("keeps a bounded queue, dropping the oldest events with a log line", async () => {
    const hook = await receiver(() => undefined);
    const logged: string[] = [];
    const notifier = createWebhookNotifier({
      url: hook.url,
      secret: SECRET,
      workspaceId: 1,
      deliveryDeadlineMs: 100,
      retryDelaysMs: [],
      maxQueued: 2,
      log: (line) => logged.push(line),
    });
    for (let id = 1; id <= 5; id++) notifier.notify(`event_${id}`, { prompt_template_id: id });
    await notifier.flush();
    // event_1 went out at once; of the four queued behind it, the two oldest were dropped.
    expect(logged.filter((line) => line.includes("dropped"))).toEqual([
      "webhook event_2 dropped: 2 events were already waiting for the receiver",
      "webhook event_3 dropped: 2 events were already waiting for the receiver",
    ]);
    expect(logged.filter((line) => line.includes("not delivered")).map((line) => line.split(" ")[1])).toEqual([
      "event_1",
      "event_4",
      "event_5",
    ]);
  });

  it("answers API requests while the receiver hangs, and shuts down without waiting on it for long", async () => {
    const hook = await receiver(() => undefined);
    const { publish, close } = await sandbox(hook.url, { webhookDeadlineMs: 60_000 });
    for (let i = 0; i < 5; i++) expect((await publish("reply", `v${i}`)).status).toBe(200);
    const flushed = close();
    await expect(flushed).resolves.toBeUndefined();
  });
});
