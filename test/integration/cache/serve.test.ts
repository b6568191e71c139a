// plx cache serve in-process, in front of the sandbox over real HTTP: the official SDK reads through it, changes
// reach it (events and the resync), it keeps answering through an outage and a restart, and it lets through only
// authenticated requests, only to PromptLayer's API.
import { request as httpRequest } from "node:http";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PromptLayer } from "promptlayer";
import { describe, expect, it } from "vitest";
import type { WebhookEvent } from "../../../src/cache/index.js";
import type { SyncBatch } from "../../../src/webhook/actions.js";
import { createSyncPipeline, type SyncPipeline } from "../../../src/webhook/pipeline.js";
import { signWebhookPayload } from "../../../src/webhook/signature.js";
import { API_KEY, eventually, freePort, startCache, stopAfterEachTest, sandboxesPerTest } from "../../support/cache.js";
import { chat, completion, type Registry } from "../../support/registry.js";
import { restoreEnvAfterEach } from "../../support/process-env.js";

stopAfterEachTest();
const sandbox = sandboxesPerTest();

const MODEL = { model: { provider: "openai", name: "gpt-4o", parameters: { temperature: 0.2 } } };

/** tone (a snippet), greet (imports it; v1 labelled prod, v2 latest), and plain. */
async function seed(reg: Registry) {
  await reg.publish("tone", completion("Be warm."));
  await reg.publish("greet", chat(["system", "Hi {name}. @@@tone@@@"], ["user", "{question}"]), {
    labels: ["prod"],
    metadata: MODEL,
  });
  await reg.publish("greet", chat(["system", "Hello {name}. @@@tone@@@"], ["user", "{question}"]), { metadata: MODEL });
  await reg.publish("plain", completion("Plain {thing}", "jinja2"));
}

const text = (body: any, message = 0) =>
  body.prompt_template.messages?.[message]?.content[0].text ?? body.prompt_template.content[0].text;

const event = (eventType: string, details: Record<string, unknown>): WebhookEvent => ({ eventType, details });

async function templateId(reg: Registry, name: string): Promise<number> {
  const response = await fetch(`${reg.url}/prompt-templates/${name}`, { headers: { "x-api-key": API_KEY } });
  return ((await response.json()) as { id: number }).id;
}

async function moveLabel(reg: Registry, name: string, label: string, version: number) {
  const labels = await fetch(`${reg.url}/prompt-templates/${name}/labels`, { headers: { "x-api-key": API_KEY } });
  const { release_labels } = (await labels.json()) as {
    release_labels: Array<{ release_label: string; release_label_id: number }>;
  };
  const id = release_labels.find((entry) => entry.release_label === label)!.release_label_id;
  const moved = await fetch(`${reg.url}/prompt-labels/${id}`, {
    method: "PATCH",
    headers: { "x-api-key": API_KEY, "content-type": "application/json" },
    body: JSON.stringify({ prompt_version_number: version }),
  });
  expect(moved.status).toBe(200);
}

/** Requests the cache itself sent the sandbox (the SDK and the tests' direct calls left out). */
const cacheRequests = async (sb: Awaited<ReturnType<typeof sandbox>>) =>
  (await sb.requests()).filter((request) => /^plx/.test(request.headers["user-agent"] ?? ""));

/** A sandbox holding `seed`'s templates, and a cache in front of it that has synced once. */
async function seededCache() {
  const sb = await sandbox();
  await seed(sb);
  const cache = await startCache(sb.url);
  await cache.synced();
  return { sb, cache };
}

describe("reads through the cache", () => {
  it("answer the official SDK exactly as PromptLayer does, from memory", async () => {
    const { sb, cache } = await seededCache();
    await sb.clearRequests();

    const viaCache = new PromptLayer({ apiKey: API_KEY, baseURL: cache.url });
    const direct = new PromptLayer({ apiKey: API_KEY, baseURL: sb.url });
    for (const params of [
      undefined,
      { label: "prod" },
      { version: 1 },
      { label: "prod", input_variables: { name: "Ada", question: "Why {not}?" } },
      { input_variables: { name: "Grace" }, skip_input_variable_rendering: true },
      { label: "prod", provider: "anthropic", model: "claude-sonnet-4", input_variables: { name: "Ada" } },
      { model_parameter_overrides: { temperature: 0.9, max_tokens: 50 } },
    ]) {
      expect(await viaCache.templates.get("greet", params)).toEqual(await direct.templates.get("greet", params));
    }
    expect(await viaCache.templates.get("plain", { input_variables: { thing: "tea" } })).toEqual(
      await direct.templates.get("plain", { input_variables: { thing: "tea" } }),
    );
    expect(await viaCache.templates.all({ per_page: 10 })).toEqual(await direct.templates.all({ per_page: 10 }));

    for (const query of [
      "",
      "?label=prod",
      "?version=1",
      "?resolve_snippets=false",
      "?label=prod&resolve_snippets=0",
    ]) {
      const cached = await cache.call(`/prompt-templates/greet${query}`);
      const upstream = await fetch(`${sb.url}/prompt-templates/greet${query}`, { headers: { "x-api-key": API_KEY } });
      expect(cached.status).toBe(200);
      expect(await cached.json()).toEqual(await upstream.json());
      expect(["hit", "miss"]).toContain(cached.headers.get("x-plx-cache"));
      expect(cached.headers.get("age")).toMatch(/^\d+$/);
    }
    // Latest and prod were warmed by the sync; only the version, unresolved and list reads were asked for.
    const asked = (await cacheRequests(sb)).map(
      (request) => `${request.path}?${new URLSearchParams(request.query as Record<string, string>)}`,
    );
    expect(asked.sort()).toEqual(
      [
        "/prompt-templates?per_page=10",
        `/prompt-templates/greet?resolve_snippets=false`,
        "/prompt-templates/greet?version=1&resolve_snippets=true",
        "/prompt-templates/greet?label=prod&resolve_snippets=false",
      ].sort(),
    );
    const again = await cache.call("/prompt-templates/greet?version=1");
    expect(again.headers.get("x-plx-cache")).toBe("hit");
  });

  it("forward a template it has never seen once, then answer it from the cache", async () => {
    const { sb, cache } = await seededCache();
    await sb.publish("late", completion("Arrived after the sync"));
    await sb.clearRequests();

    // Ten clients asking at once for a read the cache has never seen: PromptLayer is asked once.
    const together = await Promise.all(
      Array.from({ length: 10 }, () => cache.call("/prompt-templates/late", { method: "POST" })),
    );
    expect(together.map((response) => response.status)).toEqual(Array(10).fill(200));
    expect(together[0]!.headers.get("x-plx-cache")).toBe("miss");
    const second = await cache.call("/prompt-templates/late", { method: "POST" });
    expect(second.headers.get("x-plx-cache")).toBe("hit");
    expect(await second.json()).toEqual(await together[0]!.json());
    expect(await cacheRequests(sb)).toHaveLength(1);

    const missing = await cache.call("/prompt-templates/nowhere?label=prod");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("x-plx-cache")).toBe("miss");
  });

  it("go to PromptLayer when the client asks for no-cache, and keep what it answered", async () => {
    const { sb, cache } = await seededCache();
    await sb.publish("plain", completion("Edited {thing}", "jinja2"));

    expect(text(await (await cache.call("/prompt-templates/plain")).json())).toBe("Plain {thing}");
    const fresh = await cache.call("/prompt-templates/plain", { headers: { "cache-control": "no-cache" } });
    expect(fresh.headers.get("x-plx-cache")).toBe("miss");
    expect(text(await fresh.json())).toBe("Edited {thing}");
    expect(text(await (await cache.call("/prompt-templates/plain")).json())).toBe("Edited {thing}");
  });

  it("pass to PromptLayer the reads it cannot answer itself", async () => {
    const { sb, cache } = await seededCache();
    await sb.clearRequests();
    const filtered = await cache.call("/prompt-templates/greet", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ label: "prod", metadata_filters: { region: "eu" } }),
    });
    expect(filtered.status).toBe(200);
    expect(filtered.headers.get("x-plx-cache")).toBeNull();
    const [forwarded] = await sb.requests();
    expect(forwarded).toMatchObject({ method: "POST", path: "/prompt-templates/greet", status: 200 });
    expect(forwarded!.body).toEqual({ label: "prod", metadata_filters: { region: "eu" } });
  });
});

describe("all of an application's PromptLayer traffic through the cache", () => {
  restoreEnvAfterEach(["OPENAI_BASE_URL", "OPENAI_API_KEY"]);

  it("the SDK's run(): the template from the cache, the request log passed on with the workspace key", async () => {
    const sb = await sandbox();
    await sb.publish("order-summary", chat(["system", "Be brief."], ["user", "Summarise this cart: {cart}"]), {
      labels: ["prod"],
      metadata: { model: { provider: "openai", name: "gpt-4o-mini", api_type: "chat-completions", parameters: {} } },
    });
    const clientKey = "app-key-0123456789abcdef";
    const cache = await startCache(sb.url, { clientKeys: [clientKey] });
    await cache.synced();
    await sb.clearRequests();
    // The model call goes to the provider (here the sandbox's OpenAI-compatible endpoint), as in an application.
    process.env.OPENAI_BASE_URL = `${sb.url}/v1`;
    process.env.OPENAI_API_KEY = "sk-cache-run-openai-0123456789abcdef";
    const app = new PromptLayer({ apiKey: clientKey, baseURL: cache.url });
    const result = (await app.run({
      promptName: "order-summary",
      promptReleaseLabel: "prod",
      inputVariables: { cart: "3 pears" },
      tags: ["through-cache"],
    })) as { request_id: number; raw_response: { choices: Array<{ message: { content: string } }> } };

    expect(result.raw_response.choices[0]!.message.content).toBe("[gpt-4o-mini] Summarise this cart: 3 pears");
    // PromptLayer saw the model call and the request log, not the template read: that came from the cache.
    expect((await sb.requests()).map((request) => `${request.method} ${request.path} ${request.status}`)).toEqual([
      "POST /v1/chat/completions 200",
      "POST /track-request 200",
    ]);
    const { tracking } = await sb.state();
    expect(tracking.requests).toEqual([
      expect.objectContaining({
        id: result.request_id,
        prompt_name: "order-summary",
        prompt_input_variables: { cart: "3 pears" },
        tags: ["through-cache"],
      }),
    ]);
  });
});

describe("changes reaching the cache", () => {
  it("through webhook events, each refreshing exactly the reads it touches", async () => {
    const { sb, cache } = await seededCache();
    const greet = await templateId(sb, "greet");
    const tone = await templateId(sb, "tone");
    const read = async (path: string) => (await cache.call(path)).json() as Promise<any>;

    // A UI edit: the latest read moves, prod stays where it was and is not read again.
    await sb.publish("greet", chat(["system", "Howdy {name}. @@@tone@@@"]), { metadata: MODEL });
    expect(text(await read("/prompt-templates/greet"))).toBe("Hello {name}. Be warm.");
    await sb.clearRequests();
    await cache.cache.applyEvents([
      event("prompt_template_version_created", {
        prompt_template_id: greet,
        prompt_template_name: "greet",
        prompt_template_version_number: 3,
      }),
    ]);
    expect(text(await read("/prompt-templates/greet"))).toBe("Howdy {name}. Be warm.");
    expect(text(await read("/prompt-templates/greet?label=prod"))).toBe("Hi {name}. Be warm.");
    expect((await cacheRequests(sb)).map((r) => r.query.label ?? "latest")).toEqual(["latest"]);

    // A label move.
    await moveLabel(sb, "greet", "prod", 3);
    await cache.cache.applyEvents([
      event("prompt_template_label_moved", {
        prompt_template_id: greet,
        prompt_template_name: "greet",
        prompt_template_label: "prod",
        prompt_template_version_number: 3,
        old_prompt_template_version_number: 1,
      }),
    ]);
    expect((await read("/prompt-templates/greet?label=prod")).version).toBe(3);

    // A snippet's new version reaches every template that imports it.
    await sb.publish("tone", completion("Be brief."));
    await cache.cache.applyEvents([
      event("prompt_template_version_created", {
        prompt_template_id: tone,
        prompt_template_name: "tone",
        prompt_template_version_number: 2,
      }),
    ]);
    expect(text(await read("/prompt-templates/greet"))).toBe("Howdy {name}. Be brief.");
    expect(text(await read("/prompt-templates/greet?label=prod"))).toBe("Howdy {name}. Be brief.");
    expect(text(await read("/prompt-templates/tone"))).toBe("Be brief.");

    // A rename: the new name is served, the old one is PromptLayer's 404.
    const state = await sb.state();
    state.templates.find((t: { id: number }) => t.id === greet).name = "salute";
    await sb.setState(state);
    await cache.cache.applyEvents([
      event("prompt_template_name_changed", {
        prompt_template_id: greet,
        prompt_template_name: "salute",
        old_prompt_template_name: "greet",
      }),
    ]);
    const renamed = await cache.call("/prompt-templates/salute?label=prod");
    expect(renamed.headers.get("x-plx-cache")).toBe("hit");
    expect(await renamed.json()).toMatchObject({ prompt_name: "salute", version: 3 });
    expect((await cache.call("/prompt-templates/greet")).status).toBe(404);

    // A delete.
    const deleted = await fetch(`${sb.url}/api/public/v2/folders/entities`, {
      method: "DELETE",
      headers: { "x-api-key": API_KEY, "content-type": "application/json" },
      body: JSON.stringify({ entities: [{ id: greet, type: "PROMPT" }] }),
    });
    expect(deleted.status).toBe(200);
    await cache.cache.applyEvents([
      event("prompt_template_deleted", { prompt_template_id: greet, prompt_template_name: "salute" }),
    ]);
    const gone = await cache.call("/prompt-templates/salute");
    expect(gone.status).toBe(404);
    expect(gone.headers.get("x-plx-cache")).toBe("miss");
  });

  it("through the resync, when webhooks were lost", async () => {
    const { sb, cache } = await seededCache();
    await sb.clearRequests();
    await cache.synced();
    // Nothing moved: one listing of the registry and one of the prod label.
    expect((await cacheRequests(sb)).map((request) => request.path).sort()).toEqual([
      "/api/public/v2/folders/entities",
      "/prompt-templates",
    ]);

    await sb.publish("plain", completion("Edited {thing}", "jinja2"));
    await moveLabel(sb, "greet", "prod", 2);
    await sb.publish("tone", completion("Be brief."));
    await sb.publish("newcomer", completion("New"), { labels: ["prod"] });
    expect(text(await (await cache.call("/prompt-templates/plain")).json())).toBe("Plain {thing}");

    await cache.synced();
    expect(text(await (await cache.call("/prompt-templates/plain")).json())).toBe("Edited {thing}");
    const prod = await (await cache.call("/prompt-templates/greet?label=prod")).json();
    expect(prod).toMatchObject({ version: 2 });
    expect(text(prod)).toBe("Hello {name}. Be brief.");
    expect(text(await (await cache.call("/prompt-templates/greet")).json())).toBe("Hello {name}. Be brief.");
    const warmed = await cache.call("/prompt-templates/newcomer?label=prod");
    expect(warmed.headers.get("x-plx-cache")).toBe("hit");
  });
});

describe("when PromptLayer is down", () => {
  it("answers from memory, then says the reads are stale once a sync has failed", async () => {
    const { sb, cache } = await seededCache();
    await sb.close();

    const sdk = new PromptLayer({ apiKey: API_KEY, baseURL: cache.url });
    for (let i = 0; i < 20; i++)
      expect(text(await sdk.templates.get("greet", { label: "prod" }))).toBe("Hi {name}. Be warm.");
    const hit = await cache.call("/prompt-templates/greet");
    expect(hit.headers.get("x-plx-cache")).toBe("hit");

    await cache.synced();
    const stale = await cache.call("/prompt-templates/greet?label=prod");
    expect(stale.status).toBe(200);
    expect(stale.headers.get("x-plx-cache")).toBe("stale");
    expect(await (await cache.call("/healthz")).json()).toMatchObject({ status: "ready", sync_failing: true });
    expect(cache.log.join("\n")).toMatch(/sync with PromptLayer failed/);

    const unknown = await cache.call("/prompt-templates/never-seen");
    expect(unknown.status).toBe(502);
  });

  it("restarts from its snapshot and answers at once", async () => {
    const dir = await mkdtemp(join(tmpdir(), "plx-cache-"));
    const snapshotFile = join(dir, "prompts.snapshot.json");
    const sb = await sandbox();
    await seed(sb);
    const first = await startCache(sb.url, { snapshotFile });
    await first.synced();
    await sb.publish("plain", completion("Edited {thing}", "jinja2"));
    await first.cache.applyEvents([
      event("prompt_template_version_created", {
        prompt_template_id: await templateId(sb, "plain"),
        prompt_template_name: "plain",
        prompt_template_version_number: 2,
      }),
    ]);
    await first.close();
    expect(await readFile(snapshotFile, "utf8")).toContain("Edited {thing}");
    await sb.close();

    const restarted = await startCache(sb.url, { snapshotFile });
    expect((await restarted.call("/healthz")).status).toBe(200);
    const sdk = new PromptLayer({ apiKey: API_KEY, baseURL: restarted.url });
    expect(text(await sdk.templates.get("greet", { label: "prod", input_variables: { name: "Ada" } }))).toBe(
      "Hi Ada. Be warm.",
    );
    expect(text(await sdk.templates.get("plain"))).toBe("Edited {thing}");
    await restarted.synced();
    expect((await restarted.call("/prompt-templates/greet")).headers.get("x-plx-cache")).toBe("stale");
  });

  it("refuses a snapshot written in front of another registry", async () => {
    const dir = await mkdtemp(join(tmpdir(), "plx-cache-"));
    const snapshotFile = join(dir, "prompts.snapshot.json");
    const sb = await sandbox();
    await seed(sb);
    const first = await startCache(sb.url, { snapshotFile });
    await first.synced();
    await first.close();
    const other = await sandbox();
    const refused = await startCache(other.url, { snapshotFile }).catch((error: Error & { code?: string }) => error);
    expect(refused).toMatchObject({ code: "CACHE.SNAPSHOT_OTHER_UPSTREAM" });
  });
});

describe("who and what gets through", () => {
  it("refuses reads without the workspace key, and accepts only client keys when they are set", async () => {
    const sb = await sandbox();
    await seed(sb);
    const open = await startCache(sb.url);
    for (const headers of [{}, { "x-api-key": "pl_wrong_key_0000000000" }]) {
      const refused = await fetch(`${open.url}/prompt-templates/greet`, { headers });
      expect(refused.status).toBe(401);
      expect(await refused.json()).toEqual({ success: false, message: "Invalid or missing API key" });
      expect((await fetch(`${open.url}/prompt-templates/greet/labels`, { headers })).status).toBe(401);
    }

    const clientKey = "app-key-0123456789abcdef";
    const keyed = await startCache(sb.url, { clientKeys: [clientKey, "other-app-key-0123456789"] });
    await keyed.synced();
    expect((await keyed.call("/prompt-templates/greet")).status).toBe(401);
    const sdk = new PromptLayer({ apiKey: clientKey, baseURL: keyed.url });
    expect((await sdk.templates.get("greet", { label: "prod" }))?.version).toBe(1);
    // Passed through with the workspace key, which the sandbox insists on.
    const labels = await keyed.call("/prompt-templates/greet/labels", { headers: { "x-api-key": clientKey } });
    expect(labels.status).toBe(200);
    const logged = await keyed.call("/log-request", {
      method: "POST",
      headers: { "x-api-key": clientKey, "content-type": "application/json" },
      body: JSON.stringify({
        provider: "openai",
        model: "gpt-4o",
        input: { type: "chat", messages: [] },
        output: { type: "chat", messages: [] },
        request_start_time: "2026-01-01T00:00:00Z",
        request_end_time: "2026-01-01T00:00:01Z",
      }),
    });
    expect(logged.status).toBe(201);
    const { id } = (await logged.json()) as { id: number };
    // The SDK's tracking calls carry the key in the body.
    const scored = await fetch(`${keyed.url}/library-track-score`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ request_id: id, score: 90, api_key: clientKey }),
    });
    expect(scored.status).toBe(200);
    const state = await sb.state();
    expect(state.tracking.requests[0].scores).toEqual({ default: 90 });
    // The Python SDK's read: the key in the header and in the body, the name percent-encoded.
    const python = await keyed.call("/prompt-templates/greet", {
      method: "POST",
      headers: { "x-api-key": clientKey, "content-type": "application/json" },
      body: JSON.stringify({ api_key: clientKey, label: "prod", input_variables: { name: "Ada" } }),
    });
    expect(python.headers.get("x-plx-cache")).toBe("hit");
    expect(text(await python.json())).toBe("Hi Ada. Be warm.");
    await sb.clearRequests();
    const passedOn = await keyed.call("/prompt-templates/greet", {
      method: "POST",
      headers: { "x-api-key": clientKey, "content-type": "application/json" },
      body: JSON.stringify({ api_key: clientKey, label: "prod", metadata_filters: { region: "eu" } }),
    });
    expect(passedOn.status).toBe(200);
    const [sent] = await sb.requests();
    expect(sent!.body).toEqual({ api_key: API_KEY, label: "prod", metadata_filters: { region: "eu" } });
    // Health and metrics carry nothing secret and need no key.
    expect((await fetch(`${keyed.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${keyed.url}/metrics`)).text()).toMatch(/^plx_cache_hits_total \d+$/m);
  });

  it("passes on nothing but PromptLayer's API paths, and only to its upstream", async () => {
    const { sb, cache } = await seededCache();
    await sb.clearRequests();
    const raw = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const port = new URL(cache.url).port;
        const request = httpRequest(
          { host: "127.0.0.1", port, path, headers: { "x-api-key": API_KEY } },
          (response) => {
            let body = "";
            response.on("data", (chunk) => (body += chunk));
            response.on("end", () => resolve({ status: response.statusCode!, body }));
          },
        );
        request.on("error", reject);
        request.end();
      });

    const huge = await cache.call("/prompt-templates/greet", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ input_variables: { name: "x".repeat(2 * 1024 * 1024) } }),
    });
    expect(huge.status).toBe(413);
    expect((await raw("/__sandbox/state")).status).toBe(404);
    expect((await raw("/prompt-templates/greet/../../__sandbox/state")).status).toBe(404);
    expect((await raw("/prompt-templates/%2e%2e/__sandbox/state")).status).toBe(404);
    expect((await raw("/prompt-templates/a%2F..%2F..%2F__sandbox/labels")).status).toBe(404);
    expect((await raw("/etc/passwd")).status).toBe(404);
    expect((await raw(`${sb.url}/prompt-templates/greet`)).status).toBe(400);
    expect((await raw("http://example.com/prompt-templates/greet")).status).toBe(400);
    expect(await sb.requests()).toEqual([]);

    const forwarded = await raw("/prompt-templates/nowhere/snippet-usage");
    expect(forwarded.status).toBe(404);
    const tone = await raw("/prompt-templates/tone/snippet-usage");
    expect(tone.status).toBe(200);
    expect(JSON.parse(tone.body)).toMatchObject({ snippet_name: "tone", total_prompts_using_snippet: 1 });
    expect((await sb.requests()).map((request) => request.path)).toEqual([
      "/prompt-templates/nowhere/snippet-usage",
      "/prompt-templates/tone/snippet-usage",
    ]);
  });
});

describe("health and metrics", () => {
  it("reports readiness, counts by outcome, entries and sync age", async () => {
    const sb = await sandbox();
    await seed(sb);
    let now = Date.parse("2026-03-01T12:00:00Z");
    const cache = await startCache(sb.url, { now: () => now });
    await cache.synced();
    await cache.call("/prompt-templates/greet");
    await cache.call("/prompt-templates/greet?version=1");
    await cache.call("/prompt-templates/greet/labels");
    now += 42_000;
    const aged = await cache.call("/prompt-templates/greet");
    expect(aged.headers.get("age")).toBe("42");
    const metrics = await (await fetch(`${cache.url}/metrics`)).text();
    expect(metrics).toMatch(/^plx_cache_hits_total 2$/m);
    expect(metrics).toMatch(/^plx_cache_misses_total 1$/m);
    expect(metrics).toMatch(/^plx_cache_forwarded_total 1$/m);
    expect(metrics).toMatch(/^plx_cache_last_sync_age_seconds 42$/m);
    expect(metrics).toMatch(/^# TYPE plx_cache_entries gauge$/m);
    const entries = Number(/^plx_cache_entries (\d+)$/m.exec(metrics)![1]);
    expect(entries).toBe(cache.cache.size);
    expect(await (await fetch(`${cache.url}/healthz`)).json()).toMatchObject({ status: "ready", entries });
  });

  it("is not ready before a first sync or a snapshot", async () => {
    const cache = await startCache("http://127.0.0.1:9");
    await cache.synced();
    const health = await fetch(`${cache.url}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: "starting", sync_failing: true });
    await eventually(
      async () => (cache.log.some((line) => /sync with PromptLayer failed/.test(line)) ? true : undefined),
      "the failure log",
    );
  });
});

describe("PromptLayer's signed webhooks at POST /webhook", () => {
  const SECRET = "whsec_cache_integration_secret";

  /** A sandbox whose webhooks go to a cache in front of it, the two knowing each other's address. */
  async function wired(options: { protectedLabels?: string[]; actions?: SyncPipeline } = {}) {
    const port = await freePort();
    const sb = await sandbox({
      webhookUrl: `http://127.0.0.1:${port}/webhook`,
      webhookSecret: SECRET,
      ...(options.protectedLabels ? { protectedLabels: options.protectedLabels } : {}),
    });
    const cache = await startCache(sb.url, { port, webhook: { secrets: [SECRET], actions: options.actions } });
    await seed(sb);
    await cache.synced();
    const served = (path: string, expected: (body: any) => boolean, what: string) =>
      eventually(async () => {
        const response = await cache.call(path);
        return response.status === 200 && expected(await response.json()) ? response : undefined;
      }, what);
    return { sb, cache, served };
  }

  it("brings each change to the cache: an edit, a label move, a snippet (and its importers), a rename, a delete", async () => {
    const { sb, cache, served } = await wired();
    await sb.publish("greet", chat(["system", "Howdy {name}. @@@tone@@@"]), { metadata: MODEL });
    await served("/prompt-templates/greet", (body) => text(body) === "Howdy {name}. Be warm.", "the UI edit");

    await moveLabel(sb, "greet", "prod", 3);
    await served("/prompt-templates/greet?label=prod", (body) => body.version === 3, "the label move");

    await sb.publish("tone", completion("Be brief."));
    for (const path of ["/prompt-templates/greet", "/prompt-templates/greet?label=prod", "/prompt-templates/tone"])
      await served(path, (body) => text(body).includes("Be brief."), `the snippet's change in ${path}`);

    const renamed = await fetch(`${sb.url}/__sandbox/templates/greet/rename`, {
      method: "POST",
      body: JSON.stringify({ name: "salute" }),
    });
    expect(renamed.status).toBe(200);
    await served("/prompt-templates/salute?label=prod", (body) => body.prompt_name === "salute", "the rename");
    expect((await cache.call("/prompt-templates/greet")).status).toBe(404);

    const plain = await templateId(sb, "plain");
    await fetch(`${sb.url}/api/public/v2/folders/entities`, {
      method: "DELETE",
      headers: { "x-api-key": API_KEY, "content-type": "application/json" },
      body: JSON.stringify({ entities: [{ id: plain, type: "SNIPPET" }] }),
    });
    await eventually(
      async () =>
        !cache.cache.snapshot().entries.some((e) => e.kind === "template" && e.templateId === plain) ? true : undefined,
      "the delete",
    );
    expect((await cache.call("/prompt-templates/plain")).status).toBe(404);
    const metrics = await (await fetch(`${cache.url}/metrics`)).text();
    expect(
      Number(/^plx_cache_webhook_deliveries_total\{outcome="accepted"\} (\d+)$/m.exec(metrics)?.[1]),
    ).toBeGreaterThan(5);
  });

  it("moves a protected label once its change is approved", async () => {
    const { sb, served } = await wired({ protectedLabels: ["prod"] });
    await moveLabel(sb, "greet", "prod", 2);
    const [change] = (await (await fetch(`${sb.url}/__sandbox/label-changes`)).json()) as Array<{ id: number }>;
    await fetch(`${sb.url}/__sandbox/label-changes/${change!.id}/approve`, { method: "POST" });
    await served("/prompt-templates/greet?label=prod", (body) => body.version === 2, "the approved move");
  });

  it("hands the same events to webhook serve's action, which runs by the debounce and at the latest on close", async () => {
    const batches: SyncBatch[] = [];
    // Timers that never fire: the batch waits for the drain that closing the cache starts.
    const timers = { now: () => 0, setTimeout: () => undefined, clearTimeout: () => undefined };
    const actions = createSyncPipeline({
      action: { describe: "a recording action", run: async (batch) => void batches.push(batch) },
      timers,
      log: () => undefined,
    });
    const { sb, cache, served } = await wired({ actions });
    await sb.publish("greet", chat(["system", "Howdy {name}."]), { metadata: MODEL });
    await served("/prompt-templates/greet", (body) => text(body) === "Howdy {name}.", "the UI edit");
    expect(batches).toEqual([]);

    await cache.close();
    const events = batches.flatMap((batch) => batch.events);
    expect(events).toContainEqual(
      expect.objectContaining({
        eventType: "prompt_template_version_created",
        template: expect.objectContaining({ name: "greet" }),
        version: 3,
      }),
    );
    expect(actions.stats()).toMatchObject({ actionsSucceeded: batches.length, actionsFailed: 0 });
  });

  it("refuses bad signatures and replays, and acts once on a duplicate", async () => {
    const { cache } = await wired();
    const envelope = {
      event_type: "prompt_template_version_created",
      details: { prompt_template_id: 1, prompt_template_name: "tone", prompt_template_version_number: 1 },
      user_id: 1,
      workspace_id: 1,
      timestamp: new Date().toISOString(),
    };
    const deliver = (body: object, signature: string) =>
      fetch(`${cache.url}/webhook`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-promptlayer-signature": signature },
        body: JSON.stringify(body),
      });
    expect((await deliver(envelope, "0".repeat(64))).status).toBe(401);
    const stale = { ...envelope, timestamp: "2020-01-01T00:00:00" };
    expect((await deliver(stale, signWebhookPayload(stale, SECRET))).status).toBe(401);
    const signature = signWebhookPayload(envelope, SECRET);
    expect((await deliver(envelope, signature)).status).toBe(202);
    const again = await deliver(envelope, signature);
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual({ status: "duplicate" });
    expect((await fetch(`${cache.url}/webhook`)).status).toBe(405);
    const metrics = await (await fetch(`${cache.url}/metrics`)).text();
    expect(metrics).toMatch(/^plx_cache_webhook_deliveries_total\{outcome="rejected"\} 3$/m);
    expect(metrics).toMatch(/^plx_cache_webhook_deliveries_total\{outcome="duplicate"\} 1$/m);
  });
});
