// The branches of publish's read-back after a lost answer, against scripted servers. The end-to-end
// guarantees (exactly one version) are tested against the sandbox in sandbox.test.ts.
import { afterEach, describe, expect, it } from "vitest";
import { PlxError } from "../../../src/errors/index.js";
import { PromptLayerClient, type PublishBody } from "../../../src/promptlayer/index.js";
import { rawTemplate } from "../../support/templates.js";
import { json, tinyServer, type SeenRequest, type TinyServer } from "../../support/tiny-server.js";
import type { ServerResponse } from "node:http";

const servers: TinyServer[] = [];
const clients: PromptLayerClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

type Step = (request: SeenRequest, response: ServerResponse) => void;
const drop: Step = (_req, res) => res.socket?.destroy();

/** Answers each request with the next step whose method and path prefix match. */
async function scripted(steps: Array<[string, Step]>): Promise<{ server: TinyServer; client: PromptLayerClient }> {
  const server = await tinyServer((req, res) => {
    const index = steps.findIndex(([route]) => `${req.method} ${req.url}`.startsWith(route));
    if (index < 0) return json(res, 599, { message: `unscripted ${req.method} ${req.url}` });
    const [[, step]] = steps.splice(index, 1) as [[string, Step]];
    step(req, res);
  });
  const client = new PromptLayerClient({
    apiKey: "test-key-123456",
    baseUrl: server.url,
    retry: { baseDelayMs: 1, maxDelayMs: 2 },
  });
  servers.push(server);
  clients.push(client);
  return { server, client };
}

const body = (hash?: string): PublishBody => ({
  prompt_template: { prompt_name: "greeting" },
  prompt_version: {
    prompt_template: { type: "chat", messages: [] },
    commit_message: "c",
    metadata: hash ? { model: null, plx: { content_hash: hash } } : null,
  },
});
const version = (n: number, hash: string) => (_req: SeenRequest, res: ServerResponse) =>
  json(res, 200, rawTemplate({ version: n, metadata: { plx: { content_hash: hash } } }));
const created = (n: number) => (_req: SeenRequest, res: ServerResponse) =>
  json(res, 200, {
    id: 1,
    prompt_name: "greeting",
    prompt_version_id: 100 + n,
    version_number: n,
    tags: [],
    prompt_template: { type: "chat", messages: [] },
    external_ids: [],
  });
const posts = (server: TinyServer) => server.requests.filter((r) => r.method === "POST").length;

describe("publish after a lost answer", () => {
  it("finds its version under one someone else published meanwhile", async () => {
    const { server, client } = await scripted([
      ["POST /rest/prompt-templates", drop],
      ["GET /prompt-templates/greeting?", version(5, "theirs")],
      ["GET /prompt-templates/1?version=4", version(4, "ours")],
    ]);
    expect(await client.publish(body("ours"), { previousVersion: 3 })).toEqual({
      id: 1,
      promptName: "greeting",
      version: 4,
      recovered: true,
    });
    expect(posts(server)).toBe(1);
  });

  it("publishes again when the read-back shows nothing new", async () => {
    const { server, client } = await scripted([
      ["POST /rest/prompt-templates", (_req, res) => json(res, 500, { message: "boom" })],
      ["GET /prompt-templates/greeting?", version(3, "old")],
      ["POST /rest/prompt-templates", created(4)],
    ]);
    expect(await client.publish(body("ours"), { previousVersion: 3 })).toEqual({
      id: 1,
      promptName: "greeting",
      version: 4,
      recovered: false,
    });
    expect(posts(server)).toBe(2);
  });

  it("reads the previous version first when not told, and treats a missing template as not created", async () => {
    const { server, client } = await scripted([
      ["GET /prompt-templates/greeting?", (_req, res) => json(res, 404, { message: "not found" })],
      ["POST /rest/prompt-templates", drop],
      ["GET /prompt-templates/greeting?", (_req, res) => json(res, 404, { message: "not found" })],
      ["POST /rest/prompt-templates", created(1)],
    ]);
    expect((await client.publish(body("ours"))).version).toBe(1);
    expect(server.requests.map((r) => r.method)).toEqual(["GET", "POST", "GET", "POST"]);
  });

  it("stops rather than guess when nothing identifies its version", async () => {
    const { server, client } = await scripted([
      ["POST /rest/prompt-templates", drop],
      ["GET /prompt-templates/greeting?", version(2, "whatever")],
    ]);
    const error = await client.publish(body(), { previousVersion: 1 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PlxError);
    expect(error).toMatchObject({ code: "REMOTE.OUTCOME_UNKNOWN" });
    expect((error as PlxError).message).toContain('publishing "greeting"');
    expect(posts(server)).toBe(1);
  });

  it("stops when the read-back fails too", async () => {
    const { server, client } = await scripted([
      ["POST /rest/prompt-templates", drop],
      ["GET /prompt-templates/greeting?", (_req, res) => json(res, 401, { message: "key revoked" })],
    ]);
    const error = await client.publish(body("ours"), { previousVersion: 1 }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "REMOTE.OUTCOME_UNKNOWN" });
    expect((error as PlxError).message).toContain("reading it back failed");
    expect(posts(server)).toBe(1);
  });

  it("accepts a caller's predicate", async () => {
    const { client } = await scripted([
      ["POST /rest/prompt-templates", drop],
      [
        "GET /prompt-templates/greeting?",
        (_req, res) => json(res, 200, rawTemplate({ version: 2, commit_message: "mine" })),
      ],
    ]);
    const result = await client.publish(body(), { previousVersion: 1, isOurs: (v) => v.commit_message === "mine" });
    expect(result).toMatchObject({ version: 2, recovered: true });
  });

  it("does not read back after a 429: the server did not act", async () => {
    const { server, client } = await scripted([
      ["POST /rest/prompt-templates", (_req, res) => json(res, 429, { message: "slow" }, { "retry-after": "0" })],
      ["POST /rest/prompt-templates", created(2)],
    ]);
    expect((await client.publish(body("ours"), { previousVersion: 1 })).version).toBe(2);
    expect(server.requests.map((r) => r.method)).toEqual(["POST", "POST"]);
  });

  it("turns a 409 into an external-ID conflict (exit 5)", async () => {
    const { client } = await scripted([
      [
        "POST /rest/prompt-templates",
        (_req, res) => json(res, 409, { success: false, message: "external ID conflict" }),
      ],
    ]);
    const error = await client.publish(body("ours"), { previousVersion: 1 }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "REMOTE.EXTERNAL_ID_CONFLICT", exitCode: 5 });
  });
});

describe("label create after a lost answer", () => {
  it("reads the labels back instead of creating twice", async () => {
    const { server, client } = await scripted([
      ["POST /prompts/1/label", drop],
      [
        "GET /prompt-templates/1/labels",
        (_req, res) =>
          json(res, 200, {
            release_labels: [
              { release_label: "prod", release_label_id: 9, prompt_version_id: 103, prompt_version_number: 3 },
            ],
          }),
      ],
    ]);
    expect(await client.createLabel(1, "prod", 3)).toMatchObject({
      release_label: "prod",
      release_label_id: 9,
      prompt_version_number: 3,
    });
    expect(posts(server)).toBe(1);
  });
});
