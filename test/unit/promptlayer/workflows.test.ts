// The workflows client over real HTTP: against the sandbox for behaviour (paging, versions minted at most once, runs),
// and against a tiny fake for answers the sandbox does not give (the spec example's spellings, a 204 while running).
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { workflowContentOf } from "../../../src/agents/doc.js";
import { PlxError } from "../../../src/errors/index.js";
import { PromptLayerClient, type PromptLayerClientOptions, type RequestEvent } from "../../../src/promptlayer/index.js";
import { parseAgentFile } from "../../../src/files/agent-file.js";
import { startSandbox } from "../../../src/sandbox/index.js";
import { describeWithOpenApiSpec } from "../../support/openapi.js";
import { json, tinyServer, type TinyServer } from "../../support/tiny-server.js";

const KEY = "pl_workflows_client_key_0123456789";
const closers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((closer) => closer.close()));
});

function client(url: string, options: Partial<PromptLayerClientOptions> = {}): PromptLayerClient {
  const made = new PromptLayerClient({
    apiKey: KEY,
    baseUrl: url,
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
    ...options,
  });
  closers.push(made);
  return made;
}

async function sandbox() {
  const started = await startSandbox({ apiKey: KEY, seed: 7 });
  closers.push(started);
  const admin = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${started.url}/__sandbox/${path}`, { method, body: JSON.stringify(body) });
    expect(response.ok).toBe(true);
    return response.status === 204 ? undefined : response.json();
  };
  return {
    url: started.url,
    admin,
    requests: async () => (await admin("GET", "requests")) as Array<{ method: string; path: string; status: number }>,
  };
}

async function fake(handle: Parameters<typeof tinyServer>[0]): Promise<TinyServer> {
  const server = await tinyServer(handle);
  closers.push(server);
  return server;
}

const output = (name: string, value = "v") => ({
  name,
  node_type: "VARIABLE",
  configuration: { value: { type: "string", value } },
  dependencies: [],
  is_output_node: true,
});
const content = (node = output("a")) => ({ nodes: [node], edges: [], required_input_variables: {} });

/** Turns a fault off after the first write it hits, so exactly one attempt meets it. */
function once(server: Awaited<ReturnType<typeof sandbox>>, knob: string) {
  let reset: Promise<unknown> | undefined;
  return {
    onRequest: (event: RequestEvent) => {
      if (event.method !== "GET" && (event.error !== undefined || (event.status ?? 0) >= 500))
        reset ??= server.admin("PATCH", "faults", { [knob]: 0 });
    },
    settled: async () => void (await reset),
  };
}

describe("workflows client", () => {
  it("lists every workflow a page at a time and finds one by external ID", async () => {
    const server = await sandbox();
    const pl = client(server.url);
    for (let index = 0; index < 105; index++)
      await pl.workflows.create({
        name: `w${index}`,
        ...content(),
        external_ids: [{ source: "plx", external_id: `id-${index}` }],
      });
    const all = await pl.workflows.all();
    expect(all).toHaveLength(105);
    expect(new Set(all.map((item) => item.name)).size).toBe(105);
    expect(await pl.workflows.all({ updatedAfter: new Date(Date.now() + 3_600_000) })).toEqual([]);
    expect((await pl.workflows.findByExternalId({ source: "plx", external_id: "id-7" }))?.name).toBe("w7");
    expect(await pl.workflows.findByExternalId({ source: "plx", external_id: "none" })).toBeUndefined();
  });

  it("reads versions by number and label, labels and folder entities; a missing one is undefined", async () => {
    const server = await sandbox();
    const pl = client(server.url);
    const made = await pl.workflows.create({ name: "flow", ...content(), release_labels: ["prod"] });
    expect(made).toMatchObject({ name: "flow", version: 1, releaseLabels: ["prod"], recovered: false });
    await pl.workflows.create({ workflow_id: made.id, ...content(output("b")) });

    expect(await pl.workflows.get("flow")).toMatchObject({ id: made.id, name: "flow", version: 2 });
    expect((await pl.workflows.get(made.id, { label: "prod" }))?.raw.nodes).toEqual([
      expect.objectContaining({ name: "a" }),
    ]);
    expect(await pl.workflows.get("flow", { version: 7 })).toBeUndefined();
    expect(await pl.workflows.get("nothing")).toBeUndefined();
    expect(await pl.workflows.labels("flow")).toEqual([
      expect.objectContaining({ release_label: "prod", workflow_version_number: 1 }),
    ]);
    expect(await pl.workflows.labels("nothing")).toBeUndefined();
    // No template tells the workspace id here; the workflow list does.
    expect(await pl.listEntities(["WORKFLOW"])).toEqual([
      expect.objectContaining({
        id: made.id,
        name: "flow",
        type: "WORKFLOW",
        path: [],
        metadata: { latest_version_number: 2 },
      }),
    ]);
  });

  it("accepts every spelling of a read: the schema's version, the example's version_number, the SDK's workflow.id", async () => {
    const reads = [
      { success: true, workflow_id: 5, workflow_name: "x", version: 3, workflow_version_id: 9, nodes: [], edges: [] },
      { success: true, workflow_id: 5, workflow_name: "x", version_number: 3, nodes: [], edges: [] },
      { success: true, workflow: { id: 5, name: "x" }, version_number: 3, nodes: [] },
    ];
    let next = 0;
    const server = await fake((_request, response) => json(response, 200, reads[next++]));
    const pl = client(server.url);
    for (let index = 0; index < reads.length; index++)
      expect(await pl.workflows.get("x")).toMatchObject({ id: 5, name: "x", version: 3 });
  });

  it("reports a read without a version as PromptLayer's answer being unusable, exit 3", async () => {
    const server = await fake((_request, response) =>
      json(response, 200, { success: true, workflow_id: 5, workflow_name: "x", nodes: [] }),
    );
    const error = await client(server.url)
      .workflows.get("x")
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PlxError);
    expect(error).toMatchObject({ code: "REMOTE.INVALID_RESPONSE", exitCode: 3 });
  });

  it("mints no second version when the answer to a version that landed is lost", async () => {
    const server = await sandbox();
    const fault = once(server, "dropAfterCommitRate");
    const pl = client(server.url, { onRequest: fault.onRequest });
    await pl.workflows.create({ name: "flow", ...content() });
    await server.admin("PATCH", "faults", { dropAfterCommitRate: 1 });

    const made = await pl.workflows.create({ workflow_name: "flow", ...content(output("b", "new")) });
    await fault.settled();
    expect(made).toMatchObject({ name: "flow", version: 2, recovered: true });
    expect(await pl.workflows.get("flow", { version: 3 })).toBeUndefined();
    const posts = (await server.requests()).filter((r) => r.method === "POST" && r.path === "/rest/workflows");
    expect(posts.map((r) => r.status)).toEqual([201, 0]);
  });

  it("sends a version again, once, when the first attempt certainly did not land", async () => {
    const server = await sandbox();
    const fault = once(server, "failRate");
    const pl = client(server.url, { onRequest: fault.onRequest });
    await server.admin("PATCH", "faults", { failRate: 1 });
    const made = await pl.workflows.create({ name: "flow", ...content() }, { previousVersion: null });
    await fault.settled();
    expect(made).toMatchObject({ version: 1, recovered: false });
    const posts = (await server.requests()).filter((r) => r.method === "POST" && r.path === "/rest/workflows");
    expect(posts.map((r) => r.status)).toEqual([503, 201]);
  });

  it("stops with the outcome unknown rather than risk a duplicate when a new version is not recognisably its own", async () => {
    const server = await sandbox();
    const fault = once(server, "dropAfterCommitRate");
    const pl = client(server.url, { onRequest: fault.onRequest });
    await pl.workflows.create({ name: "flow", ...content() });
    await server.admin("PATCH", "faults", { dropAfterCommitRate: 1 });
    const patched = await pl.workflows
      .patch("flow", { nodes: { a: { configuration: { value: { value: "patched" } } } } })
      .catch((caught: unknown) => caught);
    await fault.settled();
    expect(patched).toMatchObject({ code: "REMOTE.OUTCOME_UNKNOWN", exitCode: 3 });
    expect((patched as PlxError).message).toContain('creating a version of the agent "flow"');
    expect((await pl.workflows.get("flow"))?.version).toBe(2);
  });

  it("refuses an external ID another entity holds as a conflict, exit 5", async () => {
    const server = await sandbox();
    const pl = client(server.url);
    const ref = { source: "plx", external_id: "prompts/a.agent.yaml" };
    await pl.workflows.create({ name: "one", ...content(), external_ids: [ref] });
    const error = await pl.workflows
      .create({ name: "two", ...content(), external_ids: [ref] })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "REMOTE.EXTERNAL_ID_CONFLICT", exitCode: 5 });
  });

  it("attaches, lists and detaches a workflow's external IDs, each safe to repeat", async () => {
    const server = await sandbox();
    const pl = client(server.url);
    const { id } = await pl.workflows.create({ name: "flow", ...content() });
    const ref = { source: "plx", external_id: "prompts/support/flow.agent.yaml" };
    expect(await pl.workflows.attachExternalId(id, ref)).toEqual(ref);
    expect(await pl.workflows.attachExternalId(id, ref)).toEqual(ref);
    expect(await pl.workflows.listExternalIds(id)).toEqual([ref]);
    await pl.workflows.detachExternalId(id, ref);
    await pl.workflows.detachExternalId(id, ref);
    expect(await pl.workflows.listExternalIds(id)).toEqual([]);
  });

  it("starts a run and follows it from 202 to its results", async () => {
    const server = await sandbox();
    const pl = client(server.url);
    await pl.workflows.create({ name: "flow", ...content(output("a", "hello")) });
    const { executionId, warning } = await pl.workflows.run("flow", { inputs: {}, metadata: { ci: "yes" } });
    expect(warning).toBeUndefined();
    expect(await pl.workflows.results(executionId, { allOutputs: true })).toMatchObject({ state: "running" });
    expect(await pl.workflows.results(executionId, { allOutputs: true })).toEqual({
      state: "done",
      nodes: { a: expect.objectContaining({ status: "SUCCESS", value: "hello", is_output_node: true }) },
    });
    expect(await pl.workflows.results(executionId, { allOutputs: false })).toEqual({ state: "output", value: "hello" });
  });

  it("takes a 204 for running, as the docs say, and a 200 with unfinished nodes for running too", async () => {
    const answers: Array<[number, unknown]> = [
      [204, undefined],
      [200, { a: { status: "RUNNING", value: null, is_output_node: true } }],
      [200, { a: { status: "SUCCESS", value: 1, error_message: null, raw_error_message: null, is_output_node: true } }],
    ];
    let next = 0;
    const server = await fake((_request, response) => {
      const [status, body] = answers[next++]!;
      if (body === undefined) response.writeHead(status).end();
      else json(response, status, body);
    });
    const pl = client(server.url);
    const states = [];
    for (let index = 0; index < answers.length; index++)
      states.push((await pl.workflows.results(1, { allOutputs: true })).state);
    expect(states).toEqual(["running", "running", "done"]);
    expect(server.requests[0]!.url).toBe(
      "/workflow-version-execution-results?workflow_version_execution_id=1&return_all_outputs=true",
    );
  });

  it("never sends a run twice when its answer is lost: a second run would run the agent again", async () => {
    const server = await sandbox();
    const pl = client(server.url);
    await pl.workflows.create({ name: "flow", ...content() });
    await server.admin("PATCH", "faults", { dropAfterCommitRate: 1 });
    const error = await pl.workflows.run("flow").catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "REMOTE.NETWORK", exitCode: 3 });
    const runs = (await server.requests()).filter((r) => r.path === "/workflows/flow/run");
    expect(runs).toHaveLength(1);
  });
});

describeWithOpenApiSpec("requests the workflows client sends", (contract) => {
  it("match PromptLayer's OpenAPI spec, an agent file's content included", async () => {
    const server = await sandbox();
    const pl = client(server.url);
    const completion = (text: string) => ({ type: "completion", content: [{ type: "text", text }] });
    const version = (name: string, text: string, labels: string[] = []) =>
      pl.publish({
        prompt_template: { prompt_name: name },
        prompt_version: { prompt_template: completion(text) },
        release_labels: labels,
      });
    await version("refund-reply", "Refund {question}", ["prod"]);
    for (const text of ["one", "two", "three"]) await version("intent-classifier", text);
    const file = readFileSync(new URL("../../../fixtures/agents/support-triage.agent.yaml", import.meta.url), "utf8");
    const parsed = parseAgentFile(file, "prompts/support/support-triage.agent.yaml", "prompts");
    if (!parsed.ok) throw new Error("the fixture does not parse");
    const ref = { source: "plx", external_id: "prompts/support/support-triage.agent.yaml" };

    const made = await pl.workflows.create({
      name: parsed.doc.name,
      ...workflowContentOf(parsed.doc),
      commit_message: "From git",
      release_labels: ["prod"],
      external_ids: [ref],
    });
    await pl.workflows.patch(made.id, {
      base_version: 1,
      commit_message: "Patched",
      nodes: { normalise: null, reply: { is_output_node: true } },
      release_labels: ["staging"],
    });
    await pl.workflows.get(made.id, { label: "prod" });
    await pl.workflows.labels(made.name);
    await pl.workflows.all({ updatedAfter: new Date(0), externalId: ref });
    await pl.listEntities(["PROMPT", "SNIPPET", "WORKFLOW"]);
    await pl.workflows.attachExternalId(made.id, { source: "ci", external_id: "triage" });
    await pl.workflows.listExternalIds(made.id);
    await pl.workflows.detachExternalId(made.id, { source: "ci", external_id: "triage" });
    const run = await pl.workflows.run(made.name, {
      label: "prod",
      inputs: { question: "Where is my refund?", customer_tier: "gold" },
      metadata: { git_sha: "abc1234" },
      allOutputs: true,
    });
    await pl.workflows.results(run.executionId, { allOutputs: true });

    const problems = (
      (await server.admin("GET", "requests")) as Array<{ method: string; path: string; body: unknown }>
    ).flatMap((r) => {
      const template = contract.matchPath(r.method, r.path);
      if (template === undefined) return [`${r.method} ${r.path}: not in the spec`];
      return r.body === undefined || r.body === null
        ? []
        : contract.checkRequest(r.method, template, r.body).map((p) => `${r.method} ${template}: ${p}`);
    });
    expect(problems).toEqual([]);
  });
});
