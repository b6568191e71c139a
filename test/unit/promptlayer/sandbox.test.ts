// The client against the sandbox over real HTTP: every endpoint plx uses, request counts, and the
// fault-injection guarantees (retries, Retry-After, timeouts, no duplicate versions).
import { afterEach, describe, expect, it } from "vitest";
import { ExitCode, PlxError } from "../../../src/errors/index.js";
import {
  PromptLayerClient,
  type PromptLayerClientOptions,
  type PublishBody,
  type RequestEvent,
} from "../../../src/promptlayer/index.js";
import { startSandbox } from "../../../src/sandbox/index.js";
import { describeWithOpenApiSpec } from "../../support/openapi.js";
import { json, tinyServer } from "../../support/tiny-server.js";
import { workspace } from "../../support/templates.js";

const KEY = "pl_client_test_key_0123456789";

interface Recorded {
  method: string;
  path: string;
  query: Record<string, unknown>;
  headers: Record<string, string>;
  body: unknown;
  status: number;
}

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;
const running: Sandbox[] = [];
const clients: PromptLayerClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(running.splice(0).map((sandbox) => sandbox.close()));
});

async function sandbox(options: Omit<Parameters<typeof startSandbox>[0], "port"> = {}) {
  const started = await startSandbox({ port: 0, apiKey: KEY, seed: 42, ...options });
  running.push(started);
  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${started.url}/__sandbox/${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  return {
    url: started.url,
    requests: async () => (await (await admin("GET", "requests")).json()) as Recorded[],
    clearRequests: async () => void (await admin("DELETE", "requests")),
    faults: async (knobs: Record<string, number>) => expect((await admin("PATCH", "faults", knobs)).ok).toBe(true),
  };
}

function client(url: string, options: Partial<PromptLayerClientOptions> = {}): PromptLayerClient {
  const created = new PromptLayerClient({
    apiKey: KEY,
    baseUrl: url,
    retry: { baseDelayMs: 1, maxDelayMs: 10 },
    ...options,
  });
  clients.push(created);
  return created;
}

const publishBody = (name: string, text: string, extra: Partial<PublishBody> = {}): PublishBody => ({
  prompt_template: { prompt_name: name, tags: ["test"] },
  prompt_version: {
    prompt_template: { type: "chat", messages: [{ role: "user", content: [{ type: "text", text }] }] },
    commit_message: `say ${text}`,
    metadata: {
      model: { provider: "openai", name: "gpt-4o", parameters: {} },
      plx: { content_hash: `sha256:${text}` },
    },
  },
  ...extra,
});

/** A pull and a push as plx does them; returns what it saw so tests can assert on it. */
async function session(pl: PromptLayerClient) {
  const folderId = await pl.ensureFolderPath(["support", "billing"]);
  const first = await pl.publish(
    publishBody("refund", "v1", { external_ids: [{ source: "plx", external_id: "prompts/refund.json" }] }),
    {
      previousVersion: null,
    },
  );
  const snippet = await pl.publish(
    {
      prompt_template: { prompt_name: "signature", folder_id: folderId },
      prompt_version: { prompt_template: { type: "completion", content: [{ type: "text", text: "-- the team" }] } },
    },
    { previousVersion: null },
  );
  const second = await pl.upsertByExternalId(
    { source: "plx", external_id: "prompts/refund.json" },
    publishBody("refund", "v2 @@@signature@@@", { release_labels: ["staging"] }),
    { previousVersion: 1 },
  );
  const prod = await pl.createLabel(first.id, "prod", 1);
  const moved = await pl.moveLabel(prod.release_label_id, 2);
  const labels = await pl.listLabels("refund");
  await pl.deleteLabel(prod.release_label_id);
  const attached = await pl.attachExternalId(snippet.id, { source: "plx", external_id: "prompts/signature.json" });
  return {
    folderId,
    first,
    snippet,
    second,
    moved,
    labels,
    attached,
    labelsAfterDelete: await pl.listLabels(first.id),
    externalIds: await pl.listExternalIds(snippet.id),
    found: await pl.findByExternalId({ source: "plx", external_id: "prompts/refund.json" }),
    listed: await pl.allTemplates(),
    entities: await pl.listEntities(["PROMPT", "SNIPPET"]),
    raw: await pl.getTemplate("refund", { version: 2 }),
    missing: await pl.getTemplate("nope"),
    usage: await pl.snippetUsage("signature"),
    sameFolder: await pl.ensureFolderPath(["support", "billing"]),
    // The snippet back to the top level, then refund into support/billing: a move each way.
    moves: [
      await pl.moveToFolder({ id: snippet.id, type: "SNIPPET" }, null),
      await pl.moveToFolder({ id: first.id, type: "PROMPT" }, folderId),
    ],
    movedEntities: await pl.listEntities(["PROMPT", "SNIPPET"]),
  };
}

describe("the client against the sandbox", () => {
  it("covers every endpoint plx uses, and counts exactly the requests it sends", async () => {
    const server = await sandbox();
    const pl = client(server.url);
    const seen = await session(pl);

    expect(seen.first).toEqual({ id: seen.first.id, promptName: "refund", version: 1, recovered: false });
    expect(seen.second).toMatchObject({ id: seen.first.id, version: 2, recovered: false });
    expect(seen.moved).toMatchObject({ release_label: "prod", prompt_version_number: 2 });
    expect(seen.labels?.map((l) => [l.release_label, l.prompt_version_number]).sort()).toEqual([
      ["prod", 2],
      ["staging", 2],
    ]);
    expect(seen.labelsAfterDelete?.map((l) => l.release_label)).toEqual(["staging"]);
    expect(seen.attached).toMatchObject({ source: "plx", external_id: "prompts/signature.json" });
    expect(seen.externalIds).toEqual([
      expect.objectContaining({ source: "plx", external_id: "prompts/signature.json" }),
    ]);
    expect(seen.found).toMatchObject({ id: seen.first.id, prompt_name: "refund" });
    expect(seen.listed.map((t) => t.prompt_name).sort()).toEqual(["refund", "signature"]);
    expect(seen.entities.find((e) => e.name === "signature")).toMatchObject({
      path: ["support", "billing"],
      folder_id: seen.folderId,
    });
    expect(seen.entities.find((e) => e.name === "refund")?.metadata).toMatchObject({ latest_version_number: 2 });
    expect(seen.raw?.prompt_template).toMatchObject({ messages: [{ content: [{ text: "v2 @@@signature@@@" }] }] });
    expect(seen.missing).toBeUndefined();
    expect(seen.usage?.snippet_usage).toEqual([
      expect.objectContaining({ prompt_name: "refund", version_numbers: [2] }),
    ]);
    expect(seen.sameFolder).toBe(seen.folderId);
    expect(seen.movedEntities.map((e) => [e.name, e.path])).toEqual(
      expect.arrayContaining([
        ["signature", []],
        ["refund", ["support", "billing"]],
      ]),
    );

    const recorded = await server.requests();
    expect(recorded).toHaveLength(pl.stats().requests);
    expect(recorded.filter((r) => r.method === "GET").every((r) => r.headers["cache-control"] === "no-cache")).toBe(
      true,
    );
    expect(JSON.stringify(recorded)).not.toContain(KEY);
  });

  it("lists every page, each asked for once, whether or not the server says how many there are", async () => {
    const server = await sandbox();
    await fetch(`${server.url}/__sandbox/state`, {
      method: "PUT",
      body: JSON.stringify(workspace(Array.from({ length: 250 }, (_, i) => ({ name: `t${i}` })))),
    });
    const listed = await client(server.url).allTemplates();
    expect(new Set(listed.map((template) => template.prompt_name)).size).toBe(250);
    expect((await server.requests()).map((request) => request.query.page).sort()).toEqual(["1", "2", "3"]);

    // A server whose pages carry only has_next is paged one after another, to the end.
    const uncounted = await tinyServer((request, response) => {
      const page = Number(new URL(request.url, "http://x").searchParams.get("page"));
      const items = Array.from({ length: page < 3 ? 100 : 50 }, (_, i) => ({
        id: page * 1000 + i,
        prompt_name: `p${page}-${i}`,
        prompt_template: { type: "completion", content: [] },
        version: 1,
        external_ids: [],
      }));
      json(response, 200, { items, has_next: page < 3 });
    });
    try {
      expect(await client(uncounted.url).allTemplates()).toHaveLength(250);
      expect(uncounted.requests.map((request) => new URL(request.url, "http://x").searchParams.get("page"))).toEqual([
        "1",
        "2",
        "3",
      ]);
    } finally {
      await uncounted.close();
    }

    // A page count that cannot be right costs at most a hundred requests at once; paging then stops at an empty page.
    const inflated = await tinyServer((request, response) => {
      const page = Number(new URL(request.url, "http://x").searchParams.get("page"));
      const items =
        page === 1
          ? [
              {
                id: 1,
                prompt_name: "only",
                prompt_template: { type: "completion", content: [] },
                version: 1,
                external_ids: [],
              },
            ]
          : [];
      json(response, 200, { items, has_next: true, pages: 1_000_000_000 });
    });
    try {
      expect(await client(inflated.url).allTemplates()).toHaveLength(1);
      expect(inflated.requests).toHaveLength(100);
    } finally {
      await inflated.close();
    }
  });

  it("retries a 5xx and then succeeds, one recorded request per attempt", async () => {
    const server = await sandbox();
    const pl = client(server.url, { retry: { baseDelayMs: 1, maxDelayMs: 5, maxAttempts: 10 } });
    await pl.publish(publishBody("refund", "v1"), { previousVersion: null });
    await server.faults({ failRate: 0.5 });
    await server.clearRequests();
    const before = pl.stats();

    for (let i = 0; i < 10; i++) expect(await pl.getTemplate("refund")).toMatchObject({ version: 1 });

    const recorded = await server.requests();
    const failed = recorded.filter((r) => r.status >= 500).length;
    expect(failed).toBeGreaterThan(0);
    expect(recorded.filter((r) => r.status === 200)).toHaveLength(10);
    expect(recorded).toHaveLength(pl.stats().requests - before.requests);
    expect(pl.stats().retries - before.retries).toBe(failed);
  });

  it("honours Retry-After on a 429 and lowers its concurrency", async () => {
    const server = await sandbox({ rateLimit: 10 });
    const attempts = new Map<string, Array<{ start: number; end: number; status?: number }>>();
    const pl = client(server.url, {
      concurrency: 16,
      retry: { baseDelayMs: 1, maxDelayMs: 5, maxAttempts: 8 },
      onRequest: (event: RequestEvent) => {
        const end = performance.now();
        attempts.set(event.path, [
          ...(attempts.get(event.path) ?? []),
          { start: end - event.ms, end, status: event.status },
        ]);
      },
    });
    await Promise.all(Array.from({ length: 30 }, (_, i) => pl.listLabels(`t${i}`)));

    const stats = pl.stats();
    expect(stats.rateLimited).toBeGreaterThan(0);
    expect(stats.concurrency).toBeLessThan(16);
    for (const history of attempts.values()) {
      history.forEach((attempt, index) => {
        const next = history[index + 1];
        if (attempt.status === 429 && next) expect(next.start - attempt.end).toBeGreaterThanOrEqual(995);
      });
    }
  });

  it("reports a request that outlives its timeout as a network error", async () => {
    const server = await sandbox({ latencyMs: 1_000 });
    const error = await client(server.url, { timeoutMs: 100, retry: { maxAttempts: 2, baseDelayMs: 1 } })
      .listLabels("x")
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PlxError);
    expect(error).toMatchObject({ code: "REMOTE.NETWORK", exitCode: ExitCode.Remote });
    expect((error as PlxError).message).toContain("no answer within 100 ms");
  });

  it("answers a rejected key with exit code 4, without the key anywhere", async () => {
    const server = await sandbox();
    const wrong = "pl_wrong_key_abcdefghijklmnop";
    const error = await client(server.url, { apiKey: wrong })
      .getTemplate("x")
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "AUTH.REJECTED", exitCode: ExitCode.Auth });
    expect(JSON.stringify(error) + (error as Error).message).not.toContain(wrong);
  });
});

describe("publishing through faults", () => {
  /** Sets the knob back to 0 as soon as the first attempt of a write fails, so exactly one attempt meets the fault. */
  function faultOnce(
    server: Awaited<ReturnType<typeof sandbox>>,
    knob: string,
  ): { onRequest: (event: RequestEvent) => void; settled: () => Promise<void> } {
    let reset: Promise<void> | undefined;
    return {
      onRequest: (event) => {
        if (event.method !== "GET" && (event.error !== undefined || (event.status ?? 0) >= 500))
          reset ??= server.faults({ [knob]: 0 });
      },
      settled: async () => void (await reset),
    };
  }

  it("does not publish twice when the answer to a committed publish is lost", async () => {
    const server = await sandbox();
    const once = faultOnce(server, "dropAfterCommitRate");
    const pl = client(server.url, { onRequest: once.onRequest, retry: { baseDelayMs: 50, maxDelayMs: 100 } });
    await server.faults({ dropAfterCommitRate: 1 });

    const result = await pl.publish(publishBody("refund", "v1"), { previousVersion: null });
    await once.settled();

    expect(result).toMatchObject({ promptName: "refund", version: 1, recovered: true });
    expect(await pl.getTemplate("refund")).toMatchObject({ version: 1 });
    expect(await pl.getTemplate("refund", { version: 2 })).toBeUndefined();
    expect((await server.requests()).filter((r) => r.method === "POST")).toHaveLength(1);
  });

  it("publishes again, once, when the first attempt truly failed", async () => {
    const server = await sandbox();
    const once = faultOnce(server, "failRate");
    const pl = client(server.url, { onRequest: once.onRequest, retry: { baseDelayMs: 50, maxDelayMs: 100 } });
    await server.faults({ failRate: 1 });

    const result = await pl.publish(publishBody("refund", "v1"), { previousVersion: null });
    await once.settled();

    expect(result).toMatchObject({ version: 1, recovered: false });
    expect(await pl.getTemplate("refund", { version: 2 })).toBeUndefined();
    const posts = (await server.requests()).filter((r) => r.method === "POST");
    expect(posts.map((r) => r.status >= 500)).toEqual([true, false]);
  });
});

describeWithOpenApiSpec("requests the client sends", (contract) => {
  it("match PromptLayer's OpenAPI spec", async () => {
    const server = await sandbox();
    await session(client(server.url));
    const problems = (await server.requests()).flatMap((r) => {
      const template = contract.matchPath(r.method, r.path);
      if (template === undefined) return [`${r.method} ${r.path}: not in the spec`];
      return r.body === undefined || r.body === null
        ? []
        : contract.checkRequest(r.method, template, r.body).map((p) => `${r.method} ${template}: ${p}`);
    });
    expect(problems).toEqual([]);
  });
});
