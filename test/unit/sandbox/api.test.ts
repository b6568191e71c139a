// The sandbox's registry behaviour over real HTTP: snippets, partial edits, protected labels, webhooks, faults, state.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { verifyWebhookSignature } from "../../../src/webhook/signature.js";
import { startSandbox, type SandboxOptions } from "../../../src/sandbox/index.js";

const KEY = "pl_sandbox_api_test";
const running: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()));
});

async function sandbox(options: SandboxOptions = {}) {
  const server = await startSandbox({ port: 0, apiKey: KEY, seed: 7, ...options });
  running.push(server);
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { "X-API-KEY": KEY, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text === "" ? undefined : JSON.parse(text) };
  };
  return { url: server.url, call };
}

const completion = (name: string, text: string, extra: object = {}) => ({
  prompt_template: { prompt_name: name },
  prompt_version: { prompt_template: { type: "completion", content: [{ type: "text", text }] } },
  ...extra,
});
const chat = (name: string, text: string, extra: object = {}) => ({
  prompt_template: { prompt_name: name, tags: ["t"] },
  prompt_version: {
    prompt_template: { type: "chat", messages: [{ role: "user", content: [{ type: "text", text }] }] },
    metadata: { model: { provider: "openai", name: "gpt-4o", parameters: { temperature: 0.5 } } },
  },
  ...extra,
});

describe("sandbox registry", () => {
  it("expands snippets on reads unless resolve_snippets=false, honouring version and label pins", async () => {
    const { call } = await sandbox();
    await call("POST", "/rest/prompt-templates", completion("tone", "warm"));
    await call("POST", "/rest/prompt-templates", completion("tone", "crisp", { release_labels: ["prod"] }));
    await call("POST", "/rest/prompt-templates", completion("tone", "brisk"));
    await call(
      "POST",
      "/rest/prompt-templates",
      chat("reply", "A @@@tone@@@ B @@@tone@version_number:1@@@ C @@@tone@label:prod@@@"),
    );

    const resolved = await call("GET", "/prompt-templates/reply");
    expect(resolved.body.prompt_template.messages[0].content[0].text).toBe("A brisk B warm C crisp");
    expect(resolved.body.snippets).toEqual([
      { prompt_name: "tone", version: 3, label: null },
      { prompt_name: "tone", version: 1, label: null },
      { prompt_name: "tone", version: 2, label: "prod" },
    ]);
    const raw = await call("GET", "/prompt-templates/reply?resolve_snippets=false");
    expect(raw.body.prompt_template.messages[0].content[0].text).toContain("@@@tone@label:prod@@@");
    const pinnedToMissing = await call("POST", "/rest/prompt-templates", chat("other", "@@@tone@version_number:9@@@"));
    expect(pinnedToMissing.status).toBe(422);
  });

  it("fills in the fields the registry defaults, and keeps version-level fields it does not know", async () => {
    const { call } = await sandbox();
    const body = chat("reply", "Hi {name}");
    (body.prompt_version as Record<string, unknown>).provider_base_url_name = "corp-proxy";
    await call("POST", "/rest/prompt-templates", body);
    const read = await call("GET", "/prompt-templates/reply");
    expect(read.body.prompt_template).toMatchObject({
      functions: null,
      tools: null,
      tool_choice: null,
      input_variables: ["name"],
    });
    expect(read.body.prompt_template.messages[0]).toMatchObject({
      template_format: "f-string",
      name: null,
      input_variables: ["name"],
    });
    expect(read.body.provider_base_url_name).toBe("corp-proxy");
  });

  it("accepts the official SDK's doubly wrapped publish body", async () => {
    const { call } = await sandbox();
    const inner = chat("wrapped", "hello");
    const published = await call("POST", "/rest/prompt-templates", { prompt_template: inner, prompt_version: inner });
    expect(published).toMatchObject({ status: 200, body: { prompt_name: "wrapped", version_number: 1, tags: ["t"] } });
  });

  it("makes a new version from a partial edit, by index, with merged model parameters", async () => {
    const { call } = await sandbox();
    await call("POST", "/rest/prompt-templates", chat("reply", "one"));
    const patched = await call("PATCH", "/rest/prompt-templates/reply", {
      messages: { "0": { role: "user", content: [{ type: "text", text: "two" }] } },
      model_parameters: { max_tokens: 100 },
      commit_message: "shorter",
      release_labels: ["staging"],
    });
    expect(patched.status).toBe(201);
    expect(patched.body).toMatchObject({ version_number: 2, release_labels: ["staging"] });
    expect(patched.body.metadata.model.parameters).toEqual({ temperature: 0.5, max_tokens: 100 });
    expect((await call("PATCH", "/rest/prompt-templates/reply", { messages: { "5": {} } })).status).toBe(400);
    expect((await call("PATCH", "/rest/prompt-templates/reply", { content: [] })).status).toBe(400);
  });

  it("leaves a protected label where it is, as a change awaiting approval", async () => {
    const { url, call } = await sandbox();
    await call("POST", "/rest/prompt-templates", chat("reply", "one", { release_labels: ["prod"] }));
    const state = (await (await fetch(`${url}/__sandbox/state`)).json()) as object;
    expect(
      (
        await fetch(`${url}/__sandbox/state`, {
          method: "PUT",
          body: JSON.stringify({ ...state, protected_labels: ["prod"] }),
        })
      ).status,
    ).toBe(204);
    await call("POST", "/rest/prompt-templates", chat("reply", "two", { release_labels: ["prod"] }));
    const labels = await call("GET", "/prompt-templates/reply/labels");
    expect(labels.body.release_labels).toEqual([
      expect.objectContaining({ release_label: "prod", prompt_version_number: 1 }),
    ]);
  });

  it("answers unknown paths 404 and wrong methods 405, FastAPI style", async () => {
    const { call } = await sandbox();
    expect(await call("GET", "/nowhere")).toEqual({ status: 404, body: { detail: "Not Found" } });
    expect((await call("DELETE", "/rest/prompt-templates")).status).toBe(405);
  });
});

describe("sandbox faults", () => {
  async function statuses(seed: number) {
    const { url, call } = await sandbox({ seed, failRate: 0.5 });
    const seen = [];
    for (let i = 0; i < 20; i++) seen.push((await call("GET", "/prompt-templates")).status);
    await fetch(`${url}/__sandbox/faults`, { method: "PATCH", body: JSON.stringify({ failRate: 0 }) });
    return seen;
  }

  it("are reproducible with a seed", async () => {
    const first = await statuses(11);
    expect(first).toContain(503);
    expect(first).toContain(200);
    expect(await statuses(11)).toEqual(first);
    expect(await statuses(12)).not.toEqual(first);
  });

  it("reject unknown or negative knobs", async () => {
    const { url } = await sandbox();
    expect(
      (await fetch(`${url}/__sandbox/faults`, { method: "PATCH", body: JSON.stringify({ nonsense: 1 }) })).status,
    ).toBe(400);
    expect(
      (await fetch(`${url}/__sandbox/faults`, { method: "PATCH", body: JSON.stringify({ failRate: -1 }) })).status,
    ).toBe(400);
  });
});

describe("sandbox webhooks", () => {
  it("sends signed events for new versions and label changes", async () => {
    const received: Array<{ body: string; signature: string }> = [];
    const receiver = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => (body += chunk));
      request.on("end", () => {
        received.push({ body, signature: String(request.headers["x-promptlayer-signature"]) });
        response.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    try {
      const server = await startSandbox({ port: 0, apiKey: KEY, webhookUrl: hook, webhookSecret: "whsec_ü" });
      const headers = { "X-API-KEY": KEY, "content-type": "application/json" };
      await fetch(`${server.url}/rest/prompt-templates`, {
        method: "POST",
        headers,
        body: JSON.stringify(chat("réponse", "one", { release_labels: ["prod"] })),
      });
      await fetch(`${server.url}/rest/prompt-templates`, {
        method: "POST",
        headers,
        body: JSON.stringify(chat("réponse", "two", { release_labels: ["prod"] })),
      });
      await server.close();

      const events = received.map(({ body }) => JSON.parse(body));
      expect(events.map((event) => event.event_type)).toEqual([
        "prompt_template_version_created",
        "prompt_template_label_created",
        "prompt_template_version_created",
        "prompt_template_label_moved",
      ]);
      expect(events[3].details).toMatchObject({
        prompt_template_name: "réponse",
        prompt_template_label: "prod",
        prompt_template_version_number: 2,
        old_prompt_template_version_number: 1,
      });
      expect(received.every(({ body, signature }) => verifyWebhookSignature(body, signature, "whsec_ü"))).toBe(true);
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  });
});
