// The sandbox's agents (PromptLayer workflows): versions, labels, folders and external IDs as the registry keeps them,
// and runs executed deterministically without a model, polled over REST, announced by a signed webhook.
import { afterEach, describe, expect, it } from "vitest";
import { startSandbox } from "../../../src/sandbox/index.js";
import { verifyWebhookSignature } from "../../../src/webhook/signature.js";
import { tinyServer, type TinyServer } from "../../support/tiny-server.js";

const KEY = "pl_sandbox_workflows_key";
type Sandbox = Awaited<ReturnType<typeof startSandbox>>;
const running: Array<Sandbox | TinyServer> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()));
});

interface Answer {
  status: number;
  // Answers are read loosely; their shapes are the contract test's to hold to the spec.
  body: any;
}

async function sandbox(options: Parameters<typeof startSandbox>[0] = {}) {
  const started = await startSandbox({ apiKey: KEY, ...options });
  running.push(started);
  const send = async (method: string, path: string, body?: unknown): Promise<Answer> => {
    const response = await fetch(`${started.url}${path}`, {
      method,
      headers: { "x-api-key": KEY, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text === "" ? undefined : JSON.parse(text) };
  };
  const call = async (method: string, path: string, body?: unknown) => {
    const answer = await send(method, path, body);
    if (answer.status >= 300)
      throw new Error(`${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body;
  };
  const admin = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${started.url}/__sandbox/${path}`, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    expect(response.status, `${method} /__sandbox/${path}`).toBeLessThan(300);
  };
  return { ...started, send, call, admin };
}

const text = (value: string) => [{ type: "text", text: value }];
const completion = (body: string) => ({ type: "completion", content: text(body) });
const publish = (name: string, template: object, labels: string[] = []) => ({
  prompt_template: { prompt_name: name },
  prompt_version: { prompt_template: template },
  release_labels: labels,
});
const variable = (name: string, value: unknown = null, extra: object = {}) => ({
  name,
  node_type: "VARIABLE",
  configuration: { value: { type: "string", value } },
  is_output_node: false,
  ...extra,
});
const when = (source: string, target: string, operator: string, right: unknown, extra: object = {}) => ({
  source_node_name: source,
  target_node_name: target,
  is_and: true,
  conditionals: [{ position: 0, operator, left_config: { source }, right_config: { static_value: right } }],
  ...extra,
});

type Api = Awaited<ReturnType<typeof sandbox>>;

async function results(api: Api, id: number, allOutputs = true) {
  return api.send(
    "GET",
    `/workflow-version-execution-results?workflow_version_execution_id=${id}&return_all_outputs=${allOutputs}`,
  );
}

/** Runs an agent with runs set to finish at once, and reads every node's result. */
async function runNow(api: Api, name: string, body: object = {}) {
  await api.admin("PATCH", "agents", { polls: 0 });
  const started = await api.call("POST", `/workflows/${encodeURIComponent(name)}/run`, body);
  const answer = await results(api, started.workflow_version_execution_id);
  expect(answer.status).toBe(200);
  return answer.body as Record<string, { status: string; value: unknown; error_message: string | null }>;
}

describe("sandbox agents: running", () => {
  it("renders the labelled version of a prompt with the node's inputs, and answers 202 until the run ends", async () => {
    const api = await sandbox();
    await api.call(
      "POST",
      "/rest/prompt-templates",
      publish("reply", completion("Answer {question} as {tone}."), ["prod"]),
    );
    await api.call("POST", "/rest/prompt-templates", publish("reply", completion("v2 {question}")));
    await api.call("POST", "/rest/workflows", {
      name: "triage",
      required_input_variables: { question: "string" },
      nodes: [
        variable("tone", "kind"),
        {
          name: "answer",
          node_type: "PROMPT_TEMPLATE",
          configuration: { template: { prompt_name: "reply", label: "prod" } },
          dependencies: ["question", "tone"],
          is_output_node: true,
        },
      ],
    });
    await api.admin("PATCH", "agents", { polls: 2 });
    const started = await api.send("POST", "/workflows/triage/run", { input_variables: { question: "why" } });
    expect(started).toMatchObject({ status: 201, body: { success: true, warning: null } });
    const id = started.body.workflow_version_execution_id;

    const first = await results(api, id);
    expect(first.status).toBe(202);
    expect(Object.values(first.body).map((node: any) => node.status)).toEqual(["RUNNING", "QUEUED"]);
    const second = await results(api, id);
    expect(second.status).toBe(202);
    expect(Object.values(second.body).map((node: any) => node.status)).toEqual(["SUCCESS", "RUNNING"]);
    const done = await results(api, id);
    expect(done.status).toBe(200);
    expect(done.body.answer).toEqual({
      status: "SUCCESS",
      value: "Answer why as kind.",
      error_message: null,
      raw_error_message: null,
      is_output_node: true,
    });
    expect(await results(api, id, false)).toEqual({ status: 200, body: "Answer why as kind." });
  });

  it("renders a pinned version, a chat as one line per message, and inputs mapped to other variable names", async () => {
    const api = await sandbox();
    const chat = {
      type: "chat",
      messages: [
        { role: "system", content: text("You are {persona}.") },
        { role: "user", content: text("{text}") },
      ],
    };
    await api.call("POST", "/rest/prompt-templates", publish("chatty", chat));
    await api.call("POST", "/rest/prompt-templates", publish("chatty", completion("later")));
    await api.call("POST", "/rest/workflows", {
      name: "pinned",
      required_input_variables: { document: "string" },
      nodes: [
        variable("persona", "an editor"),
        {
          name: "edit",
          node_type: "PROMPT_TEMPLATE",
          configuration: {
            template: { prompt_name: "chatty", version_number: 1 },
            prompt_template_variable_mappings: { text: "document" },
          },
          dependencies: ["persona", "document"],
          is_output_node: true,
        },
      ],
    });
    const nodes = await runNow(api, "pinned", { input_variables: { document: "Fix this." } });
    expect(nodes.edit!.value).toBe("system: You are an editor.\nuser: Fix this.");
  });

  it.each([
    ["=", "refund", "refund", true],
    ["=", "3", 3, true],
    ["!=", "refund", "legal", true],
    ["<", "2", 10, true],
    [">", "b", "a", true],
    ["<=", 5, 5, true],
    [">=", 4, 5, false],
    ["in", "gold", ["gold", "silver"], true],
    ["in", "old", "gold", true],
    ["not_in", "bronze", ["gold"], true],
    ["is_null", null, null, true],
    ["is_not_null", "x", null, true],
    ["is_null", "x", null, false],
  ])("an edge with %s runs its target for %j against %j: %s", async (operator, input, right, runs) => {
    const api = await sandbox();
    await api.call("POST", "/rest/workflows", {
      name: "gate",
      nodes: [variable("x"), variable("out", "reached", { is_output_node: true })],
      edges: [when("x", "out", operator, right)],
    });
    const nodes = await runNow(api, "gate", { input_variables: { x: input } });
    expect(nodes.out!.status).toBe(runs ? "SUCCESS" : "SKIPPED");
  });

  it("combines an edge's conditions with AND or OR as is_and says", async () => {
    const api = await sandbox();
    const conditionals = [
      { position: 0, operator: "=", left_config: { source: "x" }, right_config: { static_value: "a" } },
      { position: 1, operator: "=", left_config: { source: "x" }, right_config: { static_value: "b" } },
    ];
    await api.call("POST", "/rest/workflows", {
      name: "logic",
      nodes: [
        variable("x"),
        variable("all", 1, { is_output_node: true }),
        variable("any", 2, { is_output_node: true }),
      ],
      edges: [
        { source_node_name: "x", target_node_name: "all", is_and: true, conditionals },
        { source_node_name: "x", target_node_name: "any", is_and: false, conditionals },
      ],
    });
    const nodes = await runNow(api, "logic", { input_variables: { x: "a" } });
    expect([nodes.all!.status, nodes.any!.status]).toEqual(["SKIPPED", "SUCCESS"]);
  });

  it("fails node types it cannot run, unless a test seeds them, and skips what depends on a failure", async () => {
    const api = await sandbox();
    await api.call("POST", "/rest/workflows", {
      name: "external",
      nodes: [
        { name: "code", node_type: "CODE_EXECUTION", configuration: { code: "return 1" }, is_output_node: false },
        { name: "after", node_type: "VARIABLE", configuration: {}, dependencies: ["code"], is_output_node: true },
      ],
    });
    const failed = await runNow(api, "external");
    expect(failed.code).toMatchObject({ status: "FAILED", value: null });
    expect(failed.code!.error_message).toContain("does not run CODE_EXECUTION nodes");
    expect(failed.code!.error_message).toContain("/__sandbox/agent-seeds");
    expect(failed.after).toMatchObject({ status: "SKIPPED", error_message: '"code" did not succeed' });

    await api.admin("POST", "agent-seeds", { agent: "external", node: "code", value: { total: 3 } });
    const seeded = await runNow(api, "external");
    expect(seeded.code).toMatchObject({ status: "SUCCESS", value: { total: 3 } });
    expect(seeded.after!.status).toBe("SUCCESS");

    await api.admin("POST", "agent-seeds", {
      agent: "external",
      node: "code",
      status: "FAILED",
      error_message: "boom",
    });
    expect((await runNow(api, "external")).code).toMatchObject({ status: "FAILED", error_message: "boom" });
    await api.admin("DELETE", "agent-seeds");
    expect((await runNow(api, "external")).code!.error_message).toContain("does not run");
  });

  it("answers every node, not a value, when no output node succeeded and all outputs were not asked for", async () => {
    const api = await sandbox();
    await api.call("POST", "/rest/workflows", {
      name: "nothing",
      nodes: [{ name: "out", node_type: "ENDPOINT", configuration: { url: "http://x" }, is_output_node: true }],
    });
    await api.admin("PATCH", "agents", { polls: 0 });
    const { workflow_version_execution_id: id } = await api.call("POST", "/workflows/nothing/run", {});
    const answer = await results(api, id, false);
    expect(answer.status).toBe(200);
    expect(answer.body.out.status).toBe("FAILED");
  });

  it("warns about missing and unused inputs but runs, and takes a label or a version, not both", async () => {
    const api = await sandbox();
    await api.call("POST", "/rest/workflows", {
      name: "inputs",
      required_input_variables: { needed: "string" },
      nodes: [variable("needed", null, { is_output_node: true }), variable("named")],
      release_labels: ["prod"],
    });
    const started = await api.call("POST", "/workflows/inputs/run", { input_variables: { extra: 1, named: "ok" } });
    expect(started.warning).toBe("missing input variables: needed; unused input variables: extra");
    expect((await api.send("POST", "/workflows/inputs/run", { workflow_label_name: "prod" })).status).toBe(201);
    // The official SDK sends both keys, as null.
    const sdk = { workflow_label_name: null, workflow_version_number: null, input_variables: {}, metadata: {} };
    expect((await api.send("POST", "/workflows/inputs/run", sdk)).status).toBe(201);
    const both = await api.send("POST", "/workflows/inputs/run", {
      workflow_label_name: "prod",
      workflow_version_number: 1,
    });
    expect(both.status).toBe(400);
    expect((await api.send("POST", "/workflows/inputs/run", { workflow_label_name: "staging" })).status).toBe(404);
    expect((await api.send("POST", "/workflows/inputs/run", { workflow_version_number: 9 })).status).toBe(404);
    expect((await api.send("POST", "/workflows/nope/run", {})).status).toBe(404);
    expect((await api.send("POST", "/workflows/inputs/run", { metadata: { n: 1 } })).status).toBe(422);
    const callback = await api.send("POST", "/workflows/inputs/run", { callback_url: "https://example.com/hook" });
    expect(callback.status).toBe(202);
    expect((await results(api, 999999)).status).toBe(404);
  });

  it("signs an agent_run_finished webhook when a run ends, not before", async () => {
    const receiver = await tinyServer((_request, response) => void response.writeHead(200).end());
    running.push(receiver);
    const api = await sandbox({ webhookUrl: `${receiver.url}/hook`, webhookSecret: "whsec_agents" });
    const { workflow_id: agentId } = await api.call("POST", "/rest/workflows", {
      name: "hooked",
      nodes: [variable("out", 1, { is_output_node: true })],
    });
    const { workflow_version_execution_id: id } = await api.call("POST", "/workflows/hooked/run", {});
    expect((await results(api, id)).status).toBe(202);
    expect((await results(api, id)).status).toBe(200);
    expect((await results(api, id)).status).toBe(200);
    await api.close();
    running.splice(running.indexOf(api), 1);

    expect(receiver.requests).toHaveLength(1);
    const [delivery] = receiver.requests;
    expect(
      verifyWebhookSignature(delivery!.body, String(delivery!.headers["x-promptlayer-signature"]), "whsec_agents"),
    ).toBe(true);
    expect(JSON.parse(delivery!.body)).toMatchObject({
      event_type: "agent_run_finished",
      details: { agent_name: "hooked", agent_id: agentId, agent_execution_id: id },
    });
  });
});

describe("sandbox agents: versions, labels, folders and external IDs", () => {
  const output = (name: string) => variable(name, "v", { is_output_node: true });

  it("refuses a version PromptLayer would refuse, saying why", async () => {
    const api = await sandbox();
    await api.call("POST", "/rest/prompt-templates", publish("reply", completion("x"), ["prod"]));
    const refused = async (nodes: object[], edges: object[] = [], extra: object = {}) => {
      const answer = await api.send("POST", "/rest/workflows", { name: "bad", nodes, edges, ...extra });
      return [answer.status, answer.body?.message ?? answer.body?.detail?.[0]?.msg];
    };
    expect(await refused([variable("a")])).toEqual([400, "Invalid workflow: no node is an output node"]);
    expect(await refused([output("a"), output("a")])).toEqual([400, 'Invalid workflow: two nodes are named "a"']);
    expect((await refused([output("a"), variable("b", null, { dependencies: ["zz"] })]))[1]).toContain('"zz"');
    expect((await refused([output("a")], [when("a", "ghost", "=", 1)]))[1]).toContain('"ghost"');
    const cycle = [variable("a", null, { dependencies: ["b"] }), output("b")];
    expect((await refused(cycle, [when("a", "b", "=", 1)]))[1]).toContain("cycle");
    const prompt = (template: object) => ({
      name: "p",
      node_type: "PROMPT_TEMPLATE",
      configuration: { template },
      is_output_node: true,
    });
    expect((await refused([prompt({ prompt_name: "missing" })]))[1]).toContain("'missing'");
    expect((await refused([prompt({ prompt_name: "reply", label: "staging" })]))[1]).toContain("staging");
    expect((await refused([prompt({ prompt_name: "reply", version: 7 })]))[1]).toContain("Version 7");
    expect(await refused([{ name: "a", node_type: "VARIABLE", configuration: {} }])).toEqual([422, expect.any(String)]);
    expect((await refused([output("a")], [{ ...when("a", "a", "=", 1), conditionals: [] }]))[0]).toBe(422);
    expect((await refused([output("a")], [], { folder_id: 424242 }))[0]).toBe(404);
    expect((await api.send("POST", "/rest/workflows", { workflow_name: "nope", nodes: [output("a")] })).status).toBe(
      404,
    );
    await api.call("POST", "/rest/workflows", { name: "taken", nodes: [output("a")] });
    expect((await api.send("POST", "/rest/workflows", { name: "taken", nodes: [output("a")] })).status).toBe(400);
  });

  it("adds versions by name or id, moves release labels onto them and reads any of them back", async () => {
    const api = await sandbox();
    const first = await api.call("POST", "/rest/workflows", {
      name: "flow",
      nodes: [output("a")],
      release_labels: ["prod"],
    });
    expect(first).toMatchObject({
      workflow_name: "flow",
      version_number: 1,
      base_version: null,
      release_labels: ["prod"],
    });
    const second = await api.call("POST", "/rest/workflows", {
      workflow_name: "flow",
      nodes: [output("b")],
      commit_message: "b instead",
      release_labels: ["staging"],
    });
    expect(second).toMatchObject({ workflow_id: first.workflow_id, version_number: 2, release_labels: ["staging"] });
    await api.call("POST", "/rest/workflows", {
      workflow_id: first.workflow_id,
      nodes: [output("c")],
      release_labels: ["prod"],
    });

    const labels = await api.call("GET", "/workflows/flow/labels");
    expect(labels.release_labels.map((l: any) => [l.release_label, l.workflow_version_number])).toEqual([
      ["prod", 3],
      ["staging", 2],
    ]);
    const byLabel = await api.call("GET", "/workflows/flow?label=staging");
    expect(byLabel).toMatchObject({ version: 2, commit_message: "b instead", release_labels: ["staging"] });
    expect(byLabel.nodes[0]).toMatchObject({
      name: "b",
      dependencies: [],
      workflow_version_id: second.workflow_version_id,
    });
    expect(typeof byLabel.nodes[0].id).toBe("string");
    expect((await api.call("GET", `/workflows/${first.workflow_id}?version=1`)).nodes[0].name).toBe("a");
    expect((await api.send("GET", "/workflows/flow?version=1&label=prod")).status).toBe(422);
    expect((await api.send("GET", "/workflows/flow?version=9")).status).toBe(404);
    expect(await api.send("GET", "/workflows/ghost/labels")).toEqual({ status: 404, body: undefined });
  });

  it("patches a version: configuration deep-merged, dependencies replaced, null removes a node and its edges", async () => {
    const api = await sandbox();
    await api.call("POST", "/rest/workflows", {
      name: "patchy",
      required_input_variables: { q: "string" },
      nodes: [
        variable("a", "x", { configuration: { value: { type: "string", value: "x" }, keep: { deep: 1, other: 2 } } }),
        variable("b", null, { dependencies: ["a"] }),
        output("c"),
      ],
      edges: [when("a", "c", "=", "x"), when("b", "c", "=", "y")],
    });
    const patched = await api.call("PATCH", "/rest/workflows/patchy", {
      commit_message: "patch",
      nodes: {
        a: { configuration: { keep: { deep: 5 } }, dependencies: ["q"] },
        b: null,
        d: { node_type: "VARIABLE", configuration: { value: { type: "string", value: "new" } } },
      },
      release_labels: ["prod"],
    });
    expect(patched).toMatchObject({ version_number: 2, base_version: 1, release_labels: ["prod"] });
    const read = await api.call("GET", "/workflows/patchy?label=prod");
    const byName = Object.fromEntries(read.nodes.map((node: any) => [node.name, node]));
    expect(Object.keys(byName).sort()).toEqual(["a", "c", "d"]);
    expect(byName.a.configuration).toEqual({ value: { type: "string", value: "x" }, keep: { deep: 5, other: 2 } });
    expect(byName.a.dependencies).toEqual(["q"]);
    expect(read.edges.map((edge: any) => edge.source_node_name)).toEqual(["a"]);
    expect(read.required_input_variables).toEqual({ q: "string" });
    const newNode = await api.send("PATCH", "/rest/workflows/patchy", { nodes: { e: { node_type: "VARIABLE" } } });
    expect(newNode.status).toBe(400);
    expect((await api.send("PATCH", "/rest/workflows/patchy", { base_version: 9 })).status).toBe(404);
  });

  it("lists workflows a page at a time, newest first, filtered by update time and external ID", async () => {
    const api = await sandbox();
    for (const name of ["w1", "w2", "w3"]) {
      await api.call("POST", "/rest/workflows", {
        name,
        nodes: [output("a")],
        external_ids: [{ source: "plx", external_id: `prompts/${name}.agent.yaml` }],
      });
    }
    const firstPage = await api.call("GET", "/workflows?per_page=2");
    expect(firstPage).toMatchObject({ page: 1, per_page: 2, total: 3, pages: 2, has_next: true, next_num: 2 });
    expect(firstPage.items.map((item: any) => item.name)).toEqual(["w3", "w2"]);
    expect((await api.call("GET", "/workflows?per_page=2&page=2")).items.map((i: any) => i.name)).toEqual(["w1"]);
    const future = encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString());
    expect((await api.call("GET", `/workflows?updated_after=${future}`)).items).toEqual([]);
    const past = encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString());
    expect((await api.call("GET", `/workflows?updated_after=${past}`)).total).toBe(3);
    const byId = await api.call(
      "GET",
      `/workflows?external_source=plx&external_id=${encodeURIComponent("prompts/w2.agent.yaml")}`,
    );
    expect(byId.items.map((item: any) => item.name)).toEqual(["w2"]);
    expect((await api.send("GET", "/workflows?updated_after=yesterday")).status).toBe(422);
    expect((await api.send("GET", "/workflows?external_source=plx")).status).toBe(422);
    expect((await api.send("GET", "/workflows?per_page=101")).status).toBe(422);
  });

  it("keeps workflows in folders: entities list them as WORKFLOW, move them, and delete them with their folder", async () => {
    const api = await sandbox();
    const { folder } = await api.call("POST", "/api/public/v2/folders", { name: "support" });
    const { workflow_id: id } = await api.call("POST", "/rest/workflows", {
      name: "filed",
      folder_id: folder.id,
      nodes: [output("a")],
    });
    await api.call("POST", "/rest/prompt-templates", publish("loose", { type: "chat", messages: [] }));
    const entities = async (query = "") =>
      (await api.call("GET", `/api/public/v2/folders/entities?workspace_id=1&flatten=true${query}`)).entities;
    expect(await entities("&filter_type=WORKFLOW&include_metadata=true")).toEqual([
      expect.objectContaining({
        id,
        name: "filed",
        type: "WORKFLOW",
        folder_id: folder.id,
        path: ["support"],
        metadata: { latest_version_number: 1 },
      }),
    ]);
    expect((await entities("&filter_type=PROMPT")).map((e: any) => e.type)).toEqual(["PROMPT"]);

    await api.call("POST", "/api/public/v2/folders/entities", { entities: [{ id, type: "WORKFLOW" }] });
    expect((await entities("&filter_type=WORKFLOW"))[0]).toMatchObject({ folder_id: null, path: [] });
    await api.call("POST", "/api/public/v2/folders/entities", {
      entities: [{ id, type: "WORKFLOW" }],
      folder_id: folder.id,
    });
    const notEmpty = await api.send("DELETE", "/api/public/v2/folders/entities", {
      entities: [{ id: folder.id, type: "FOLDER" }],
    });
    expect(notEmpty.status).toBe(400);
    await api.call("DELETE", "/api/public/v2/folders/entities", {
      entities: [{ id: folder.id, type: "FOLDER" }],
      cascade: true,
    });
    expect(await entities("&filter_type=WORKFLOW")).toEqual([]);
    expect((await api.send("GET", "/workflows/filed")).status).toBe(404);
  });

  it("holds each external ID on one entity, across templates, folders and workflows", async () => {
    const api = await sandbox();
    const ref = { source: "plx", external_id: "prompts/support/triage.agent.yaml" };
    const { workflow_id: id } = await api.call("POST", "/rest/workflows", {
      name: "triage",
      nodes: [output("a")],
      external_ids: [ref],
    });
    expect(await api.call("GET", `/workflows/${id}/external-ids`)).toEqual({ success: true, external_ids: [ref] });
    expect((await api.send("POST", `/workflows/${id}/external-ids`, ref)).status).toBe(201);
    const taken = { ...publish("other", completion("x")), external_ids: [ref] };
    expect((await api.send("POST", "/rest/prompt-templates", taken)).status).toBe(409);
    expect(
      (await api.send("PUT", `/prompt-templates/by-external-id/plx/${encodeURIComponent(ref.external_id)}`, taken))
        .status,
    ).toBe(409);
    expect(
      (await api.send("POST", "/rest/workflows", { name: "dup", nodes: [output("a")], external_ids: [ref] })).status,
    ).toBe(409);
    const detach = `/workflows/${id}/external-ids/plx/${encodeURIComponent(ref.external_id)}`;
    expect((await api.send("DELETE", detach)).status).toBe(200);
    expect((await api.send("DELETE", detach)).status).toBe(404);
    expect((await api.send("GET", "/workflows/999999/external-ids")).status).toBe(404);
    expect((await api.send("POST", "/rest/prompt-templates", taken)).status).toBe(200);
  });
});
