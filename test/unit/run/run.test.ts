// `plx run` end to end in-process: main(argv, env, io) against an in-process sandbox that is PromptLayer and the
// model providers at once. Every test checks what the user sees (exit code, stdout, stderr), what the model endpoint
// received, and what PromptLayer was left holding.
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startSandbox } from "../../../src/sandbox/index.js";
import { plx as runPlx } from "../../support/in-process.js";
import { describeWithOpenApiSpec } from "../../support/openapi.js";
import { API_KEY, registry, text } from "../../support/registry.js";
import { newRepo } from "../../support/repo.js";

const OPENAI_KEY = "sk-run-test-openai-0123456789abcdef";
const ANTHROPIC_KEY = "sk-ant-api03-run-test-0123456789abcdef";
const GEMINI_KEY = "AIzaSyRunTest0123456789abcdefghijklmnop";

interface Recorded {
  method: string;
  path: string;
  body: any;
  headers: Record<string, string>;
  status: number;
}

let sandbox: Awaited<ReturnType<typeof startSandbox>>;
let repo: string;
let env: Record<string, string>;
beforeEach(async () => {
  sandbox = await startSandbox({ port: 0, apiKey: API_KEY });
  repo = await newRepo();
  env = {
    PROMPTLAYER_BASE_URL: sandbox.url,
    PROMPTLAYER_API_KEY: API_KEY,
    OPENAI_API_KEY: OPENAI_KEY,
    OPENAI_BASE_URL: `${sandbox.url}/v1`,
    ANTHROPIC_API_KEY: ANTHROPIC_KEY,
    ANTHROPIC_BASE_URL: sandbox.url,
    GEMINI_API_KEY: GEMINI_KEY,
    GEMINI_BASE_URL: sandbox.url,
  };
});
afterEach(async () => {
  await sandbox.close();
});

const plx = (argv: string[], extra: Record<string, string | undefined> = {}) =>
  runPlx(argv, { env: { ...env, ...extra }, cwd: repo });
const admin = async (method: string, path: string, body?: unknown): Promise<any> => {
  const response = await fetch(`${sandbox.url}/__sandbox/${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return response.status === 204 ? undefined : response.json();
};
const requests = async (): Promise<Recorded[]> => admin("GET", "requests");
const modelCalls = async () => (await requests()).filter((r) => r.path.startsWith("/v1") || r.path.startsWith("/chat"));
const logs = async (): Promise<any[]> => (await admin("GET", "state")).tracking?.requests ?? [];

/** order-summary: v1 carries prod; v2 is the latest, with different words, so a run shows which one it used. */
async function seedOrderSummary() {
  const reg = registry(sandbox.url);
  const model = { provider: "openai", name: "gpt-4o-mini", parameters: { temperature: 0.2, max_tokens: 200 } };
  const messages = (intro: string) => ({
    type: "chat",
    messages: [
      { role: "system", content: [text(`${intro} Reply in {{language}}... no: in {language}.`)] },
      {
        role: "user",
        template_format: "jinja2",
        content: [text("Cart:{% for item in cart %}\n- {{ item }}{% endfor %}")],
      },
    ],
  });
  await reg.publish("order-summary", messages("You summarise orders."), { labels: ["prod"], metadata: { model } });
  await reg.publish("order-summary", messages("You summarise orders tersely."), { metadata: { model } });
}

describe("plx run against PromptLayer", () => {
  it("runs a chat template by label: sends the rendered messages, prints the reply, logs it against that version", async () => {
    await seedOrderSummary();
    const result = await plx([
      "run",
      "order-summary",
      "--label",
      "prod",
      "--var",
      "language=French",
      "--var",
      'cart:=["2 apples", "1 pear"]',
      "--tag",
      "smoke",
      "--metadata",
      "ticket=SUP-12",
    ]);
    expect(result.stderr).toMatch(
      /^openai:gpt-4o-mini · order-summary v1 · \d+ ms · \d+ in \/ \d+ out tokens · request \d+\n$/,
    );
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe("[gpt-4o-mini] Cart:\n- 2 apples\n- 1 pear\n");

    const [call] = await modelCalls();
    expect(call!.path).toBe("/v1/chat/completions");
    expect(call!.headers.authorization).toBe("***");
    expect(call!.body).toEqual({
      model: "gpt-4o-mini",
      messages: [
        { role: "system", content: "You summarise orders. Reply in {language}... no: in French." },
        { role: "user", content: "Cart:\n- 2 apples\n- 1 pear" },
      ],
      temperature: 0.2,
      max_tokens: 200,
    });

    const [log] = await logs();
    const requestId = Number(/request (\d+)/.exec(result.stderr)![1]);
    expect(log).toMatchObject({
      id: requestId,
      provider: "openai",
      model: "gpt-4o-mini",
      prompt_name: "order-summary",
      prompt_id: expect.any(Number),
      prompt_version_number: 1,
      prompt_input_variables: { language: "French", cart: ["2 apples", "1 pear"] },
      tags: ["smoke"],
      metadata: { ticket: "SUP-12" },
      status: "SUCCESS",
      parameters: { temperature: 0.2, max_tokens: 200 },
      input_tokens: expect.any(Number),
      output_tokens: expect.any(Number),
    });
    expect(log.input.messages[1].content).toEqual([text("Cart:\n- 2 apples\n- 1 pear")]);
    expect(log.output).toEqual({
      type: "chat",
      messages: [{ role: "assistant", content: [text(result.stdout.trimEnd())] }],
    });
  });

  it("runs the latest version by default, and name@version picks one", async () => {
    await seedOrderSummary();
    await admin("PATCH", "models", { reply: "ok" });
    expect((await plx(["run", "order-summary", "--var", "language=en", "--var", "cart:=[]"])).stderr).toContain(
      "order-summary v2",
    );
    expect((await plx(["run", "order-summary@1", "--var", "language=en", "--var", "cart:=[]"])).stderr).toContain(
      "order-summary v1",
    );
    const [latest, first] = await modelCalls();
    expect(latest!.body.messages[0].content).toContain("tersely");
    expect(first!.body.messages[0].content).not.toContain("tersely");
    expect((await logs()).map((log) => log.prompt_version_number)).toEqual([2, 1]);
  });

  it("prints one JSON document with the rendered request, the response, usage, timing and the request log id", async () => {
    await seedOrderSummary();
    const result = await plx(
      ["run", "order-summary", "--label", "prod", "--vars-file", "vars.json", "--json"],
      {},
    ).then(async () => {
      await writeFile(join(repo, "vars.json"), JSON.stringify({ language: "German", cart: ["bread"] }));
      return plx(["run", "order-summary", "--label", "prod", "--vars-file", "vars.json", "--json"]);
    });
    expect(result.exitCode).toBe(0);
    const document = JSON.parse(result.stdout);
    expect(document).toMatchObject({
      schemaVersion: 2,
      command: "run",
      ok: true,
      exitCode: 0,
      prompt: { name: "order-summary", origin: "remote", version: 1, label: "prod" },
      provider: "openai",
      model: "gpt-4o-mini",
      url: `${sandbox.url}/v1/chat/completions`,
      variables: { used: ["language", "cart"], unused: [] },
      request: { model: "gpt-4o-mini", messages: expect.any(Array), temperature: 0.2 },
      response: { text: "[gpt-4o-mini] Cart:\n- bread", finishReason: "stop", body: { object: "chat.completion" } },
      usage: { inputTokens: expect.any(Number), outputTokens: expect.any(Number) },
      timing: { start: expect.any(String), end: expect.any(String), latencyMs: expect.any(Number) },
      attempts: 1,
      log: { requestId: expect.any(Number) },
    });
    expect(document.rendered.messages[1].content).toEqual([text("Cart:\n- bread")]);
    expect(document.log.requestId).toBe((await logs()).at(-1)!.id);
  });

  it("resolves snippets as PromptLayer does and runs Anthropic and Gemini models through --model", async () => {
    const reg = registry(sandbox.url);
    await reg.publish("tone", { type: "completion", content: [text("Be warm.")] });
    await reg.publish("greet", {
      type: "chat",
      messages: [
        { role: "system", content: [text("@@@tone@@@ Sign as {agent}.")] },
        { role: "user", content: [text("Hi")] },
      ],
    });
    const anthropic = await plx([
      "run",
      "greet",
      "--var",
      "agent=Ann",
      "--model",
      "claude-haiku-4-5",
      "--param",
      "temperature=0",
    ]);
    expect(anthropic.exitCode).toBe(0);
    expect(anthropic.stdout).toBe("[claude-haiku-4-5] Hi\n");
    const gemini = await plx(["run", "greet", "--var", "agent=Ann", "--model", "google:gemini-2.5-flash", "--no-log"]);
    expect(gemini.stdout).toBe("[gemini-2.5-flash] Hi\n");
    expect(gemini.stderr).toContain("not logged");

    const [toAnthropic, toGemini] = await modelCalls();
    expect(toAnthropic).toMatchObject({
      path: "/v1/messages",
      headers: { "x-api-key": "***", "anthropic-version": "2023-06-01" },
      body: {
        model: "claude-haiku-4-5",
        system: "Be warm. Sign as Ann.",
        messages: [{ role: "user", content: [text("Hi")] }],
        max_tokens: 4096,
        temperature: 0,
      },
    });
    expect(toGemini).toMatchObject({
      path: "/v1beta/models/gemini-2.5-flash:generateContent",
      headers: { "x-goog-api-key": "***" },
      body: {
        systemInstruction: { parts: [{ text: "Be warm. Sign as Ann." }] },
        contents: [{ role: "user", parts: [{ text: "Hi" }] }],
      },
    });
    // --no-log sent nothing to log-request.
    expect((await logs()).map((log) => log.provider)).toEqual(["anthropic"]);
  });

  it("fills a placeholder message from a list of messages", async () => {
    await registry(sandbox.url).publish("follow-up", {
      type: "chat",
      messages: [
        { role: "system", content: [text("Continue the chat.")] },
        { role: "placeholder", name: "history" },
        { role: "user", content: [text("{question}")] },
      ],
    });
    const history = [
      { role: "user", content: [text("My age is 29")] },
      { role: "assistant", content: [text("What a wonderful age!")] },
    ];
    const result = await plx([
      "run",
      "follow-up",
      "--var",
      `history:=${JSON.stringify(history)}`,
      "--var",
      "question=And next year?",
    ]);
    expect(result.exitCode).toBe(0);
    expect((await modelCalls())[0]!.body.messages).toEqual([
      { role: "system", content: "Continue the chat." },
      { role: "user", content: "My age is 29" },
      { role: "assistant", content: "What a wonderful age!" },
      { role: "user", content: "And next year?" },
    ]);
  });
});

describe("refusing what cannot be run well", () => {
  it("names a missing variable and where it is used (exit 2), sending nothing", async () => {
    await seedOrderSummary();
    const result = await plx(["run", "order-summary", "--label", "prod", "--var", "language=en"]);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("order-summary (label prod, version 1) needs a variable that was not given:");
    expect(result.stderr).toContain("cart: used in message 2 (user), line 1, column 21");
    expect(result.stderr).toContain("hint: Give it with --var (cart=…) or --vars-file");
    expect(await modelCalls()).toEqual([]);
    expect(await logs()).toEqual([]);
  });

  it("refuses an f-string PromptLayer would send unfilled (a lone brace), pointing at it", async () => {
    await registry(sandbox.url).publish("json-reply", {
      type: "chat",
      messages: [{ role: "user", content: [text('Answer as {"reply": "..."} for {name}')] }],
    });
    const result = await plx(["run", "json-reply", "--var", "name=Ada"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(
      "json-reply version 1 cannot be rendered; PromptLayer would send this text unfilled:",
    );
    expect(result.stderr).toContain("message 1 (user), line 1, column 11:");
    expect(result.stderr).toContain("jinja2 suits text full of braces");
    expect(await modelCalls()).toEqual([]);
  });

  it("warns about a variable the template does not use, and still runs", async () => {
    await registry(sandbox.url).publish("hello", {
      type: "chat",
      messages: [{ role: "user", content: [text("Hi {name}")] }],
    });
    const result = await plx(["run", "hello", "--var", "name=Ada", "--var", "nmae=typo"]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain("warning: the variable nmae was given but hello does not use it");
  });

  it("exits 4 naming the variable when the provider's key is missing", async () => {
    await seedOrderSummary();
    const result = await plx(["run", "order-summary", "--var", "language=en", "--var", "cart:=[]"], {
      OPENAI_API_KEY: undefined,
    });
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toContain("No OpenAI API key: OPENAI_API_KEY is not set.");
    expect(result.stderr).toContain("point OPENAI_BASE_URL at it");
    const google = await plx(
      ["run", "order-summary", "--model", "gemini-2.5-pro", "--var", "language=en", "--var", "cart:=[]"],
      {
        GEMINI_API_KEY: undefined,
      },
    );
    expect(google.stderr).toContain("GOOGLE_API_KEY, GEMINI_API_KEY are not set");
  });

  it("says so when the template, or its label, is not in PromptLayer", async () => {
    const result = await plx(["run", "nope", "--label", "prod"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`PromptLayer (${sandbox.url}) has no template "nope" with label "prod".`);
  });

  it("takes a version as --version N or name@N, and refuses two choices of what runs", async () => {
    await seedOrderSummary();
    const vars = ["--var", "language=en", "--var", "cart:=[]"];
    const byFlag = await plx(["run", "order-summary", "--version", "1", ...vars]);
    expect(byFlag.exitCode, byFlag.stderr).toBe(0);
    expect(byFlag.stderr).toContain("order-summary v1");
    expect((await plx(["run", "order-summary@1", ...vars])).stderr).toContain("order-summary v1");
    const both = await plx(["run", "order-summary@2", "--version", "1", ...vars]);
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toContain("order-summary@2 names version 2 and --version 1 another");
    expect((await plx(["run", "order-summary@2", "--label", "prod"])).stderr).toContain(
      "--label and @version each choose",
    );
  });
});

describe("when the provider fails", () => {
  it("retries a 429 after its Retry-After, then prints the answer", async () => {
    await seedOrderSummary();
    await admin("PATCH", "models", { queue: [{ status: 429, retryAfter: 0 }] });
    const result = await plx(["run", "order-summary", "--var", "language=en", "--var", "cart:=[]", "--json"]);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ attempts: 2, response: { text: "[gpt-4o-mini] Cart:" } });
    expect(result.stderr).toContain(
      "warning: the model call failed (HTTP 429: Rate limit exceeded. Please retry later.); retrying in 0.0 s",
    );
    expect((await modelCalls()).map((call) => call.status)).toEqual([429, 200]);
  });

  it("exits 3 after the last retry, and logs the failed call with its error", async () => {
    await seedOrderSummary();
    await admin("PATCH", "models", { queue: [{ status: 503 }, { status: 503 }] });
    const result = await plx(["run", "order-summary", "--var", "language=en", "--var", "cart:=[]", "--retries", "1"]);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain("OpenAI did not answer");
    expect(result.stderr).toContain("(after 2 attempts)");
    expect(await logs()).toEqual([
      expect.objectContaining({
        prompt_name: "order-summary",
        status: "ERROR",
        error_type: "PROVIDER_ERROR",
        error_message: expect.stringContaining("HTTP 503"),
        output: { type: "chat", messages: [] },
      }),
    ]);
  });
});

describe("plx run on the working tree", () => {
  const write = async (path: string, content: string) => {
    await mkdir(join(repo, path, ".."), { recursive: true });
    await writeFile(join(repo, path), content);
  };

  it("--file runs an edited, unpushed file, its snippets from prompt files first, tagged plx:local", async () => {
    await registry(sandbox.url).publish("tone", { type: "completion", content: [text("Be stiff.")] });
    await write("prompts/tone.prompt.yaml", "type: completion\ncontent: Be warm.\n");
    await write(
      "prompts/support/greet.prompt.yaml",
      [
        "type: chat",
        "model:",
        "  provider: openai",
        "  name: gpt-4o-mini",
        "messages:",
        "  - role: system",
        '    content: "@@@tone@@@ Pinned: @@@tone@version_number:1@@@"',
        "  - role: user",
        "    content: Hello {customer}",
        "",
      ].join("\n"),
    );
    const result = await plx(["run", "--file", "prompts/support/greet.prompt.yaml", "--var", "customer=Bo", "--json"]);
    expect(result.exitCode).toBe(0);
    const document = JSON.parse(result.stdout);
    expect(document.prompt).toEqual({
      name: "greet",
      origin: "local",
      path: "prompts/support/greet.prompt.yaml",
      snippets: [
        { reference: "@@@tone@@@", from: "file", path: "prompts/tone.prompt.yaml", synced: false },
        { reference: "@@@tone@version_number:1@@@", from: "promptlayer" },
      ],
    });
    expect((await modelCalls())[0]!.body.messages).toEqual([
      { role: "system", content: "Be warm. Pinned: Be stiff." },
      { role: "user", content: "Hello Bo" },
    ]);
    const [log] = await logs();
    expect(log).toMatchObject({ tags: ["plx:local"], prompt_input_variables: { customer: "Bo" } });
    expect(log).not.toHaveProperty("prompt_name");
  });

  it("--local runs the file holding a name: as the published version when unchanged since the pull, as plx:local once edited", async () => {
    await seedOrderSummary();
    expect((await plx(["pull"])).exitCode).toBe(0);
    const path = join(repo, "prompts/order-summary.prompt.yaml");
    const vars = ["--var", "language=en", "--var", "cart:=[]"];
    expect((await plx(["run", "order-summary", "--local", ...vars])).exitCode).toBe(0);
    await writeFile(path, (await readFile(path, "utf8")).replace("tersely", "in rhyme"));
    const edited = await plx(["run", "order-summary", "--local", ...vars]);
    expect(edited.exitCode).toBe(0);
    expect(edited.stderr).toContain("prompts/order-summary.prompt.yaml");

    const [unchanged, changed] = await logs();
    expect(unchanged).toMatchObject({ prompt_name: "order-summary", prompt_version_number: 2, tags: [] });
    expect(changed).toMatchObject({ tags: ["plx:local"] });
    expect(changed).not.toHaveProperty("prompt_name");
    expect((await modelCalls())[1]!.body.messages[0].content).toContain("in rhyme");
    expect((await plx(["run", "missing", "--local"])).stderr).toContain(
      'No prompt file under prompts holds the template "missing".',
    );
  });

  it("runs a file without PromptLayer at all with --no-log, and exits 3 with the answer printed when the log fails", async () => {
    await write(
      "prompts/hi.prompt.yaml",
      "type: chat\nmodel: {provider: openai, name: gpt-4o-mini}\nmessages:\n  - role: user\n    content: Hi\n",
    );
    const offline = { PROMPTLAYER_BASE_URL: "http://127.0.0.1:9", PROMPTLAYER_API_KEY: undefined };
    const quiet = await plx(["run", "--file", "prompts/hi.prompt.yaml", "--no-log"], offline);
    expect(quiet.exitCode).toBe(0);
    expect(quiet.stdout).toBe("[gpt-4o-mini] Hi\n");

    const unlogged = await plx(["run", "--file", "prompts/hi.prompt.yaml", "--retries", "0"], {
      ...offline,
      PROMPTLAYER_API_KEY: API_KEY,
    });
    expect(unlogged.exitCode).toBe(3);
    expect(unlogged.stdout).toBe("[gpt-4o-mini] Hi\n");
    expect(unlogged.stderr).toContain("warning: the request was not logged: Could not reach PromptLayer");
  });

  it("in CI, records the commit and the run in the log's metadata and sets the request_id output", async () => {
    await write(
      "prompts/hi.prompt.yaml",
      "type: chat\nmodel: {provider: openai, name: gpt-4o-mini}\nmessages:\n  - role: user\n    content: Hi\n",
    );
    const outputs = join(await mkdtemp(join(tmpdir(), "plx-outputs-")), "out");
    await writeFile(outputs, "");
    const result = await plx(["run", "--file", "prompts/hi.prompt.yaml"], {
      CI: "true",
      GITHUB_ACTIONS: "true",
      GITHUB_REPOSITORY: "acme/prompts",
      GITHUB_RUN_ID: "42",
      GITHUB_OUTPUT: outputs,
    });
    expect(result.exitCode).toBe(0);
    const [log] = await logs();
    expect(log.metadata).toEqual({ ci_run_url: "https://github.com/acme/prompts/actions/runs/42" });
    expect(await readFile(outputs, "utf8")).toContain(`request_id=${log.id}`);
  });
});

describe("streaming", () => {
  it("writes the text as it arrives, ending with one newline", async () => {
    await seedOrderSummary();
    await admin("PATCH", "models", { reply: "One two three four" });
    const result = await plx(["run", "order-summary", "--var", "language=en", "--var", "cart:=[]", "--stream"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe("One two three four\n");
    expect(result.writes.length).toBeGreaterThan(2);
    expect((await modelCalls())[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(result.stderr).toMatch(/\d+ in \/ \d+ out tokens · request \d+/);
  });

  it("with --json, streams from the provider but prints one document", async () => {
    await seedOrderSummary();
    const result = await plx([
      "run",
      "order-summary",
      "--var",
      "language=en",
      "--var",
      "cart:=[]",
      "--stream",
      "--json",
    ]);
    expect(JSON.parse(result.stdout)).toMatchObject({ streamed: true, response: { text: "[gpt-4o-mini] Cart:" } });
  });
});

describe("keys never appear in output", () => {
  it("masks provider keys a model echoes, in text, streams and JSON, and in what is logged", async () => {
    await seedOrderSummary();
    const leaky = `Keys: ${OPENAI_KEY} ${ANTHROPIC_KEY} ${GEMINI_KEY} ${API_KEY}`;
    await admin("PATCH", "models", { reply: leaky });
    const runs = [
      await plx(["run", "order-summary", "--var", "language=en", "--var", "cart:=[]"]),
      await plx(["run", "order-summary", "--var", "language=en", "--var", "cart:=[]", "--stream"]),
      await plx(["run", "order-summary", "--var", "language=en", "--var", "cart:=[]", "--json", "--debug"]),
    ];
    for (const result of runs) {
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain("Keys: *** *** *** ***");
      for (const key of [OPENAI_KEY, ANTHROPIC_KEY, GEMINI_KEY, API_KEY]) {
        expect(result.stdout).not.toContain(key);
        expect(result.stderr).not.toContain(key);
      }
    }
    const stored = JSON.stringify({ logs: await logs(), requests: await requests() });
    for (const key of [OPENAI_KEY, ANTHROPIC_KEY, GEMINI_KEY, API_KEY]) expect(stored).not.toContain(key);
  });
});

describeWithOpenApiSpec("requests plx run sends to PromptLayer", (contract) => {
  it("match PromptLayer's OpenAPI spec, the log of a failed call included", async () => {
    await seedOrderSummary();
    await admin("DELETE", "requests");
    const vars = ["--var", "language=en", "--var", "cart:=[]"];
    expect(
      (await plx(["run", "order-summary", "--label", "prod", ...vars, "--tag", "t", "--metadata", "k=v"])).exitCode,
    ).toBe(0);
    await admin("PATCH", "models", { queue: [{ status: 500 }] });
    expect((await plx(["run", "order-summary", ...vars, "--retries", "0"])).exitCode).toBe(3);
    const toPromptLayer = (await requests()).filter((r) => !r.path.startsWith("/v1"));
    expect(toPromptLayer.map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /prompt-templates/order-summary",
      "POST /log-request",
      "GET /prompt-templates/order-summary",
      "POST /log-request",
    ]);
    const problems = toPromptLayer.flatMap((r) => {
      const template = contract.matchPath(r.method, r.path)!;
      return r.body === undefined
        ? []
        : contract.checkRequest(r.method, template, r.body).map((p) => `${r.path}: ${p}`);
    });
    expect(problems).toEqual([]);
  });
});
