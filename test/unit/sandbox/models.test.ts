// The sandbox's model endpoints over real HTTP: each provider's request checks, auth, answers (whole and streamed),
// the admin route that scripts replies and failures, the fault knobs, and recordings without keys.
import { afterEach, describe, expect, it } from "vitest";
import { anthropic } from "../../../src/providers/anthropic.js";
import { google } from "../../../src/providers/google.js";
import { openai } from "../../../src/providers/openai.js";
import { serverSentEvents } from "../../../src/providers/sse.js";
import type { ProviderFormat } from "../../../src/providers/types.js";
import { startSandbox, type SandboxOptions } from "../../../src/sandbox/index.js";

const running: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((sandbox) => sandbox.close()));
});

/** A response whose JSON a test reads freely. */
type Reply = Omit<Response, "json"> & { json(): Promise<any> };

async function sandbox(options: SandboxOptions = {}) {
  // A PromptLayer key is required: the model endpoints must not ask for it.
  const started = await startSandbox({ port: 0, apiKey: "pl_sandbox_only_key", seed: 1, ...options });
  running.push(started);
  const post = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> =>
    fetch(`${started.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  const admin = async (method: string, path: string, body?: unknown) =>
    (
      await fetch(`${started.url}/__sandbox/${path}`, {
        method,
        headers: { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    ).json() as Promise<any>;
  return { url: started.url, post, admin };
}

const OPENAI = { authorization: "Bearer sk-openai-test-0123456789abcdef" };
const ANTHROPIC = { "x-api-key": "sk-ant-test-0123456789abcdef", "anthropic-version": "2023-06-01" };
const GEMINI = { "x-goog-api-key": "AIzaSyTest0123456789abcdefghijklmnopqr" };
const chatBody = {
  model: "gpt-4o-mini",
  messages: [
    { role: "system", content: "Be brief." },
    { role: "user", content: "Hello there" },
  ],
};
const messagesBody = {
  model: "claude-haiku-4-5",
  max_tokens: 100,
  system: "Be brief.",
  messages: [{ role: "user", content: [{ type: "text", text: "Hello there" }] }],
};
const geminiBody = {
  contents: [{ role: "user", parts: [{ text: "Hello there" }] }],
  systemInstruction: { parts: [{ text: "Be brief." }] },
};

/** A streamed answer read as plx reads it. */
async function assemble(response: Reply, format: ProviderFormat) {
  expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const assembler = format.stream();
  const pieces: string[] = [];
  for await (const event of serverSentEvents(response.body as AsyncIterable<Uint8Array>)) {
    const added = assembler.push(event);
    if (added) pieces.push(added);
  }
  return { pieces, reply: assembler.finish() };
}

describe("answers each provider's request as the provider would", () => {
  it("OpenAI chat completions: the last user message echoed with the model, usage, and SSE chunks with usage last", async () => {
    const { post } = await sandbox();
    const whole = await post("/v1/chat/completions", chatBody, OPENAI);
    expect(whole.status).toBe(200);
    const reply = openai.reply(await whole.json())!;
    expect(reply).toMatchObject({ text: "[gpt-4o-mini] Hello there", finishReason: "stop", model: "gpt-4o-mini" });
    expect(reply.usage).toEqual({ inputTokens: 6, outputTokens: 7 });

    const streamed = await assemble(
      await post(
        "/v1/chat/completions",
        { ...chatBody, stream: true, stream_options: { include_usage: true } },
        OPENAI,
      ),
      openai,
    );
    expect(streamed.pieces).toEqual(["[gpt-4o-mini]", " Hello", " there"]);
    expect(streamed.reply).toMatchObject({
      text: "[gpt-4o-mini] Hello there",
      usage: { inputTokens: 6, outputTokens: 7 },
    });
  });

  it("Anthropic messages: requires anthropic-version, answers whole or as named events", async () => {
    const { post } = await sandbox();
    const whole = await post("/v1/messages", messagesBody, ANTHROPIC);
    expect(anthropic.reply(await whole.json())).toMatchObject({
      text: "[claude-haiku-4-5] Hello there",
      finishReason: "end_turn",
      usage: { inputTokens: 6, outputTokens: 8 },
    });
    const streamed = await assemble(
      await post("/v1/messages", { ...messagesBody, stream: true }, ANTHROPIC),
      anthropic,
    );
    expect(streamed.reply.text).toBe("[claude-haiku-4-5] Hello there");
    expect(streamed.reply.usage).toEqual({ inputTokens: 6, outputTokens: 8 });

    const unversioned = await post("/v1/messages", messagesBody, { "x-api-key": "k" });
    expect(unversioned.status).toBe(400);
    expect(await unversioned.json()).toEqual({
      type: "error",
      error: { type: "invalid_request_error", message: "anthropic-version: header is required" },
    });
  });

  it("Gemini generateContent and streamGenerateContent?alt=sse, the key in a header or ?key=", async () => {
    const { post } = await sandbox();
    const whole = await post("/v1beta/models/gemini-2.5-flash:generateContent", geminiBody, GEMINI);
    expect(google.reply(await whole.json())).toMatchObject({
      text: "[gemini-2.5-flash] Hello there",
      finishReason: "STOP",
      usage: { inputTokens: 6, outputTokens: 8 },
    });
    const streamed = await assemble(
      await post(
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse&key=AIzaQueryKey0123456789",
        geminiBody,
      ),
      google,
    );
    expect(streamed.pieces.join("")).toBe("[gemini-2.5-flash] Hello there");
    expect(streamed.reply.usage).toEqual({ inputTokens: 6, outputTokens: 8 });
  });

  it("refuses a missing credential and a malformed request in the provider's own error shape", async () => {
    const { post } = await sandbox();
    const unauthorized = await post("/v1/chat/completions", chatBody);
    expect(unauthorized.status).toBe(401);
    expect((await unauthorized.json()).error.type).toBe("invalid_api_key");
    expect((await post("/v1beta/models/gemini-2.5-flash:generateContent", geminiBody)).status).toBe(403);

    const noMessages = await post("/v1/chat/completions", { model: "gpt-4o" }, OPENAI);
    expect(noMessages.status).toBe(400);
    expect((await noMessages.json()).error).toMatchObject({
      type: "invalid_request_error",
      message: expect.stringContaining("messages"),
    });
    const noMaxTokens = await post("/v1/messages", { ...messagesBody, max_tokens: undefined }, ANTHROPIC);
    expect((await noMaxTokens.json()).error.message).toContain("max_tokens");
    const emptyParts = await post(
      "/v1beta/models/g:generateContent",
      { contents: [{ role: "user", parts: [] }] },
      GEMINI,
    );
    expect(await emptyParts.json()).toMatchObject({ error: { code: 400, status: "INVALID_ARGUMENT" } });
    expect((await post("/v1/chat/completions", "{not json", OPENAI)).status).toBe(400);
  });
});

describe("rehearsal controls", () => {
  it("serves a seeded reply, then scripted failures with Retry-After, in order", async () => {
    const { post, admin } = await sandbox();
    expect(
      await admin("PATCH", "models", { reply: "Canned.", queue: [{ status: 429, retryAfter: 2 }, { status: 500 }] }),
    ).toEqual({
      reply: "Canned.",
      queue: [{ status: 429, retryAfter: 2 }, { status: 500 }],
    });
    const limited = await post("/v1/messages", messagesBody, ANTHROPIC);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("2");
    expect((await limited.json()).error.type).toBe("rate_limit_error");
    expect((await post("/v1/messages", messagesBody, ANTHROPIC)).status).toBe(500);
    expect(anthropic.reply(await (await post("/v1/messages", messagesBody, ANTHROPIC)).json())!.text).toBe("Canned.");
  });

  it("applies the fault knobs to model calls too", async () => {
    const { post, admin } = await sandbox({ failRate: 1 });
    const failed = await post("/v1/chat/completions", chatBody, OPENAI);
    expect(failed.status).toBe(503);
    expect((await failed.json()).error.type).toBe("server_error");
    await admin("PATCH", "faults", { failRate: 0 });
    expect((await post("/v1/chat/completions", chatBody, OPENAI)).status).toBe(200);
  });

  it("records model requests like API requests, every key masked", async () => {
    const { post, admin } = await sandbox();
    await post("/v1/chat/completions", chatBody, OPENAI);
    await post("/v1/messages", messagesBody, ANTHROPIC);
    await post("/v1beta/models/gemini-2.5-flash:generateContent?key=AIzaQueryKey0123456789", geminiBody);
    await post("/v1beta/models/gemini-2.5-flash:generateContent", geminiBody, GEMINI);
    const recorded = await admin("GET", "requests");
    expect(recorded.map((r: any) => `${r.path} ${r.status}`)).toEqual([
      "/v1/chat/completions 200",
      "/v1/messages 200",
      "/v1beta/models/gemini-2.5-flash:generateContent 200",
      "/v1beta/models/gemini-2.5-flash:generateContent 200",
    ]);
    expect(recorded[0].headers.authorization).toBe("***");
    expect(recorded[1].headers["x-api-key"]).toBe("***");
    expect(recorded[2].query.key).toBe("***");
    expect(recorded[3].headers["x-goog-api-key"]).toBe("***");
    expect(recorded[0].body).toEqual(chatBody);
    const text = JSON.stringify(recorded);
    for (const secret of ["sk-openai-test", "sk-ant-test", "AIzaSyTest", "AIzaQueryKey"])
      expect(text).not.toContain(secret);
  });

  it("rejects a malformed admin body", async () => {
    const { url } = await sandbox();
    const response = await fetch(`${url}/__sandbox/models`, {
      method: "PATCH",
      body: JSON.stringify({ queue: [{ status: 200 }] }),
    });
    expect(response.status).toBe(400);
  });
});

describe("what the official SDK's run() asks of PromptLayer", () => {
  it("renders the template with llm_kwargs for its provider, then logs the call through /track-request", async () => {
    const { post, admin } = await sandbox();
    const key = { "x-api-key": "pl_sandbox_only_key" };
    await post(
      "/rest/prompt-templates",
      {
        prompt_template: { prompt_name: "greet" },
        prompt_version: {
          prompt_template: {
            type: "chat",
            messages: [{ role: "user", content: [{ type: "text", text: "Hi {name}" }] }],
          },
          metadata: { model: { provider: "openai", name: "gpt-4o-mini", parameters: { temperature: 0 } } },
        },
        release_labels: ["prod"],
      },
      key,
    );
    const fetched = await (
      await post("/prompt-templates/greet", { label: "prod", input_variables: { name: "Ada" } }, key)
    ).json();
    expect(fetched).toMatchObject({ id: expect.any(Number), version: 1, prompt_name: "greet" });
    expect(fetched.prompt_template.messages[0].content).toEqual([{ type: "text", text: "Hi Ada" }]);
    expect(fetched.llm_kwargs).toEqual({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Hi Ada" }],
      temperature: 0,
    });

    const answer = await (await post("/v1/chat/completions", fetched.llm_kwargs, OPENAI)).json();
    const tracked = await post("/track-request", {
      api_key: "pl_sandbox_only_key",
      function_name: "openai.chat.completions.create",
      provider_type: "openai",
      kwargs: fetched.llm_kwargs,
      request_response: answer,
      request_start_time: "2026-01-01T00:00:00Z",
      request_end_time: "2026-01-01T00:00:01Z",
      prompt_id: fetched.id,
      prompt_version: 1,
      prompt_input_variables: { name: "Ada" },
      tags: ["sdk"],
    });
    expect(tracked.status).toBe(200);
    const { request_id: requestId, prompt_blueprint: blueprint } = await tracked.json();
    expect(blueprint.prompt_template.messages[0].content).toEqual([{ type: "text", text: "[gpt-4o-mini] Hi Ada" }]);
    const { tracking } = await admin("GET", "state");
    expect(tracking.requests).toEqual([
      expect.objectContaining({
        id: requestId,
        prompt_name: "greet",
        prompt_version_number: 1,
        tags: ["sdk"],
        input_tokens: 2,
        output_tokens: 5,
      }),
    ]);
    expect(JSON.stringify(await admin("GET", "requests"))).not.toContain("pl_sandbox_only_key");
  });
});
