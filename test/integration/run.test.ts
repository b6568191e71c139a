// `plx run` in-process against the sandbox, which stands in for PromptLayer and the model provider at once; and the
// official SDK's own run() against the same sandbox.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PromptLayer } from "promptlayer";
import { describe, expect, it } from "vitest";
import { newRepo, plx, sandboxPerTest } from "../support/in-process.js";
import { API_KEY } from "../support/registry.js";
import { text } from "../support/templates.js";
import { restoreEnvAfterEach } from "../support/process-env.js";

const OPENAI_KEY = "sk-e2e-run-openai-0123456789abcdef";
const sandbox = sandboxPerTest();

const orderSummary = (intro: string) => ({
  type: "chat",
  messages: [
    { role: "system", content: [text(intro)] },
    { role: "user", template_format: "jinja2", content: [text("Summarise this cart: {{ cart }}")] },
  ],
});
const model = { model: { provider: "openai", name: "gpt-4o-mini", api_type: "chat-completions", parameters: {} } };

describe("plx run against the sandbox", () => {
  it("runs a chat template by label: the model gets the rendered messages, the reply is printed, the log ties to the version", async () => {
    const server = await sandbox();
    await server.publish("order-summary", orderSummary("You are a shop assistant."), {
      labels: ["prod"],
      metadata: model,
    });
    await server.publish("order-summary", orderSummary("Draft, not deployed."), { metadata: model });
    const repo = await newRepo();
    const env = { ...server.env, OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: `${server.url}/v1` };

    const result = await plx(["run", "order-summary", "--label", "prod", "--var", "cart=2 apples, 1 pear"], {
      cwd: repo,
      env,
    });
    expect(result.stderr).toMatch(
      /^openai:gpt-4o-mini · order-summary v1 · \d+ ms · \d+ in \/ \d+ out tokens · request (\d+)\n$/,
    );
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe("[gpt-4o-mini] Summarise this cart: 2 apples, 1 pear\n");

    const requests = await server.requests();
    const call = requests.find((request) => request.path === "/v1/chat/completions")!;
    expect(call.body).toEqual({
      model: "gpt-4o-mini",
      messages: [
        { role: "system", content: "You are a shop assistant." },
        { role: "user", content: "Summarise this cart: 2 apples, 1 pear" },
      ],
    });
    const requestId = Number(/request (\d+)/.exec(result.stderr)![1]);
    const { tracking } = await server.state();
    expect(tracking.requests).toEqual([
      expect.objectContaining({
        id: requestId,
        prompt_name: "order-summary",
        prompt_version_number: 1,
        prompt_input_variables: { cart: "2 apples, 1 pear" },
        status: "SUCCESS",
      }),
    ]);
    expect(JSON.stringify(requests)).not.toContain(OPENAI_KEY);
    expect(JSON.stringify(requests)).not.toContain(API_KEY);
  });

  it("--file runs an edited, unpushed file", async () => {
    const server = await sandbox();
    const repo = await newRepo();
    await mkdir(join(repo, "prompts"));
    await writeFile(
      join(repo, "prompts/order-summary.prompt.yaml"),
      [
        "type: chat",
        "model:",
        "  provider: openai",
        "  name: gpt-4o-mini",
        "messages:",
        "  - role: user",
        "    content: Say hello to {name}, in the edited way",
        "",
      ].join("\n"),
    );
    const env = { ...server.env, OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: `${server.url}/v1` };
    const result = await plx(["run", "--file", "prompts/order-summary.prompt.yaml", "--var", "name=Ada", "--stream"], {
      cwd: repo,
      env,
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe("[gpt-4o-mini] Say hello to Ada, in the edited way\n");
    const { tracking } = await server.state();
    expect(tracking.requests).toEqual([expect.objectContaining({ tags: ["plx:local"] })]);
    expect(tracking.requests[0]).not.toHaveProperty("prompt_name");
  });
});

describe("the official promptlayer SDK's run() against plx sandbox", () => {
  restoreEnvAfterEach(["OPENAI_BASE_URL", "OPENAI_API_KEY"]);

  it("fetches the template, calls the model at OPENAI_BASE_URL, and logs a request the sandbox records", async () => {
    const server = await sandbox();
    await server.publish("order-summary", orderSummary("You are a shop assistant."), {
      labels: ["prod"],
      metadata: model,
    });
    // The SDK's OpenAI client reads these, as it would in an application.
    process.env.OPENAI_BASE_URL = `${server.url}/v1`;
    process.env.OPENAI_API_KEY = OPENAI_KEY;
    const client = new PromptLayer({ apiKey: API_KEY, baseURL: server.url });
    const result = (await client.run({
      promptName: "order-summary",
      promptReleaseLabel: "prod",
      inputVariables: { cart: "3 pears" },
      tags: ["sdk"],
    })) as { request_id: number; raw_response: { choices: Array<{ message: { content: string } }> } };

    expect(result.raw_response.choices[0]!.message.content).toBe("[gpt-4o-mini] Summarise this cart: 3 pears");
    const { tracking } = await server.state();
    expect(tracking.requests).toEqual([
      expect.objectContaining({
        id: result.request_id,
        provider: "openai",
        model: "gpt-4o-mini",
        prompt_name: "order-summary",
        prompt_version_number: 1,
        prompt_input_variables: { cart: "3 pears" },
        tags: ["sdk"],
      }),
    ]);
    const paths = (await server.requests()).map((request) => `${request.method} ${request.path} ${request.status}`);
    expect(paths).toEqual([
      "POST /rest/prompt-templates 200",
      "POST /prompt-templates/order-summary 200",
      "POST /v1/chat/completions 200",
      "POST /track-request 200",
    ]);
  });
});
