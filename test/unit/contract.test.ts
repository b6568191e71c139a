// Drives the sandbox through a realistic plx session and holds every request and response to PromptLayer's official
// OpenAPI spec. A violation is a bug in the sandbox (or in the request we send), never something to relax here.
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import { startSandbox } from "../../src/sandbox/index.js";
import { describeWithOpenApiSpec, type OpenApiContract } from "../support/openapi.js";

const API_KEY = "pl_contract_test_key";

interface CallOptions {
  body?: unknown;
  /** A different key, or null to send none. */
  apiKey?: string | null;
  /** The body deliberately breaks the spec (to provoke a 422), so it is asserted invalid instead of reported. */
  malformed?: boolean;
}

interface Exchange {
  status: number;
  // Responses are read loosely here; their shape is what the contract check asserts.
  body: any;
}

/** Sends one request and records, as readable lines, every way it or its response departs from the spec. */
function contractClient(baseUrl: () => string, contract: OpenApiContract, violations: string[]) {
  return async function call(method: string, path: string, options: CallOptions = {}): Promise<Exchange> {
    const template = contract.matchPath(method, path);
    if (template === undefined) violations.push(`${method} ${path}: the spec has no such operation`);
    if (template !== undefined && options.body !== undefined) {
      const problems = contract.checkRequest(method, template, options.body);
      if (options.malformed)
        expect(problems, `the ${method} ${template} body meant to be invalid is valid`).not.toEqual([]);
      else violations.push(...problems.map((problem) => `request ${method} ${template}: ${problem}`));
    }

    const headers: Record<string, string> = {};
    const apiKey = options.apiKey === undefined ? API_KEY : options.apiKey;
    if (apiKey !== null) headers["X-API-KEY"] = apiKey;
    if (options.body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(`${baseUrl()}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });

    const where = `${method} ${template ?? path} -> ${response.status}`;
    const text = await response.text();
    let body: unknown;
    if (text !== "") {
      if (!/^application\/json\b/.test(response.headers.get("content-type") ?? "")) {
        violations.push(`${where}: content-type is ${response.headers.get("content-type")}, not application/json`);
      }
      try {
        body = JSON.parse(text);
      } catch {
        violations.push(`${where}: body is not JSON: ${text.slice(0, 80)}`);
        body = text;
      }
    }
    if (template !== undefined) {
      try {
        violations.push(
          ...contract.checkResponse(method, template, response.status, body).map((problem) => `${where}: ${problem}`),
        );
      } catch (error) {
        violations.push(`${where}: ${(error as Error).message}`);
      }
    }
    return { status: response.status, body };
  };
}

const text = (value: string) => ({ type: "text", text: value });
const MODEL_METADATA = {
  model: { provider: "openai", name: "gpt-4o", parameters: { temperature: 0.2 } },
  plx: { commit: "abc1234" },
};
const TOOLS = [
  {
    type: "function",
    function: {
      name: "lookup_order",
      description: "Find an order by its id.",
      parameters: { type: "object", properties: { order_id: { type: "string" } }, required: ["order_id"] },
    },
  },
];

const chatTemplate = (question: string) => ({
  type: "chat",
  messages: [
    { role: "system", content: [text("You answer support questions. @@@tone@@@")] },
    { role: "user", template_format: "f-string", content: [text(question)] },
  ],
  tools: TOOLS,
  tool_choice: "auto",
});
const completionTemplate = (body: string) => ({ type: "completion", template_format: "jinja2", content: [text(body)] });

function publishBody(name: string, promptTemplate: object, extra: Record<string, unknown> = {}) {
  return {
    prompt_template: { prompt_name: name, tags: ["support"] },
    prompt_version: { prompt_template: promptTemplate, commit_message: `Publish ${name}`, metadata: MODEL_METADATA },
    ...extra,
  };
}

describeWithOpenApiSpec("sandbox against the PromptLayer OpenAPI contract", (contract) => {
  let sandbox: { url: string; close(): Promise<void> };
  const violations: string[] = [];
  const call = contractClient(() => sandbox.url, contract, violations);

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, host: "127.0.0.1", apiKey: API_KEY, log: () => {} });
  });
  afterAll(async () => {
    await sandbox?.close();
  });
  beforeEach(async () => {
    expect((await fetch(`${sandbox.url}/__sandbox/reset`, { method: "POST" })).ok).toBe(true);
  });
  afterEach(() => {
    expect(violations.splice(0)).toEqual([]);
  });

  /** Publishes the snippet, a chat template that imports it (twice, so it has two versions) and a completion template. */
  async function publishWorkspace() {
    const tone = await call("POST", "/rest/prompt-templates", {
      body: publishBody("tone", completionTemplate("Be warm and brief.")),
    });
    const reply = await call("POST", "/rest/prompt-templates", {
      body: publishBody("support-reply", chatTemplate("{question}"), {
        release_labels: ["staging"],
        external_ids: [{ source: "plx", external_id: "prompts/support-reply.prompt.yaml" }],
      }),
    });
    const replyV2 = await call("POST", "/rest/prompt-templates", {
      body: publishBody("support-reply", chatTemplate("Customer asks: {question}")),
    });
    const summarise = await call("POST", "/rest/prompt-templates", {
      body: publishBody("summarise", completionTemplate("Summarise: {{ thread }}")),
    });
    const raw = await call("GET", "/prompt-templates/support-reply?version=1&resolve_snippets=false");
    return {
      tone: tone.body,
      reply: reply.body,
      replyV2: replyV2.body,
      summarise: summarise.body,
      workspaceId: raw.body.workspace_id as number,
    };
  }

  it("publishes chat, completion and snippet templates with tools, labels and external ids", async () => {
    const { tone, reply, replyV2, summarise } = await publishWorkspace();
    expect.soft(tone).toMatchObject({ prompt_name: "tone", version_number: 1 });
    expect.soft(reply).toMatchObject({ prompt_name: "support-reply", version_number: 1, release_labels: ["staging"] });
    expect.soft(replyV2).toMatchObject({ id: reply.id, version_number: 2 });
    expect.soft(summarise).toMatchObject({ prompt_name: "summarise", version_number: 1 });
  });

  it("reads templates raw by version and label, through POST get, and as a paged list", async () => {
    const { reply } = await publishWorkspace();

    const latest = await call("GET", "/prompt-templates/support-reply?resolve_snippets=false");
    expect.soft(latest.status).toBe(200);
    expect.soft(latest.body.version).toBe(2);
    const byVersion = await call("GET", `/prompt-templates/${reply.id}?version=1`);
    expect.soft(byVersion.body.version).toBe(1);
    const byLabel = await call("GET", "/prompt-templates/support-reply?label=staging&resolve_snippets=false");
    expect.soft(byLabel.body.version).toBe(1);

    const rendered = await call("POST", "/prompt-templates/support-reply", { body: { version: 1 } });
    expect.soft(rendered.status).toBe(200);
    expect.soft(rendered.body.version).toBe(1);
    expect
      .soft(
        (
          await call("POST", "/prompt-templates/summarise", {
            body: { label: null, input_variables: { thread: "hi" } },
          })
        ).status,
      )
      .toBe(200);

    const firstPage = await call("GET", "/prompt-templates?page=1&per_page=2");
    expect.soft(firstPage.body).toMatchObject({ page: 1, pages: 2, total: 3, has_next: true, has_prev: false });
    expect.soft(firstPage.body.items).toHaveLength(2);
    const lastPage = await call("GET", "/prompt-templates?page=2&per_page=2");
    expect.soft(lastPage.body).toMatchObject({ page: 2, has_next: false, has_prev: true });
    expect.soft(lastPage.body.items).toHaveLength(1);
    const snippets = await call("GET", "/prompt-templates?is_snippet=true&name=ton");
    expect.soft(snippets.status).toBe(200);
  });

  it("creates, moves and deletes release labels", async () => {
    const { reply } = await publishWorkspace();

    const created = await call("POST", `/prompts/${reply.id}/label`, {
      body: { prompt_version_number: 1, name: "prod" },
    });
    expect.soft(created.status).toBe(200);
    expect.soft(created.body).toMatchObject({ name: "prod", prompt_id: reply.id });
    const moved = await call("PATCH", `/prompt-labels/${created.body.id}`, { body: { prompt_version_number: 2 } });
    expect.soft(moved.status).toBe(200);

    const labels = await call("GET", "/prompt-templates/support-reply/labels");
    expect.soft(labels.body.release_labels).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          release_label: "prod",
          release_label_id: created.body.id,
          prompt_version_number: 2,
        }),
      ]),
    );
    expect.soft((await call("DELETE", `/prompt-labels/${created.body.id}`)).status).toBe(204);
    const after = await call("GET", `/prompt-templates/${reply.id}/labels`);
    expect
      .soft(after.body.release_labels.map((label: { release_label: string }) => label.release_label))
      .toEqual(["staging"]);
  });

  it("manages folders and lists, moves and deletes entities", async () => {
    const { reply, workspaceId } = await publishWorkspace();

    const support = await call("POST", "/api/public/v2/folders", {
      body: { name: "support", external_ids: [{ source: "plx", external_id: "prompts/support" }] },
    });
    expect.soft(support.status).toBe(201);
    const billing = await call("POST", "/api/public/v2/folders", {
      body: { name: "billing", parent_id: support.body.folder.id, workspace_id: workspaceId },
    });
    expect.soft(billing.body.folder).toMatchObject({ name: "billing", parent_id: support.body.folder.id });
    const renamed = await call("PATCH", `/api/public/v2/folders/${billing.body.folder.id}`, {
      body: { name: "invoices" },
    });
    expect.soft(renamed.body.folder.name).toBe("invoices");

    const resolved = await call(
      "GET",
      `/api/public/v2/folders/resolve-id?workspace_id=${workspaceId}&path=support.invoices`,
    );
    expect.soft(resolved.body).toEqual({ id: billing.body.folder.id });

    const moved = await call("POST", "/api/public/v2/folders/entities", {
      body: {
        entities: [{ id: reply.id, type: "PROMPT" }],
        folder_id: billing.body.folder.id,
        workspace_id: workspaceId,
      },
    });
    expect.soft(moved.body).toEqual({ moved_count: 1 });

    const listed = await call(
      "GET",
      `/api/public/v2/folders/entities?workspace_id=${workspaceId}&flatten=true&filter_type=PROMPT&filter_type=SNIPPET&filter_type=FOLDER&include_metadata=true`,
    );
    expect.soft(listed.status).toBe(200);
    expect.soft(listed.body.entities).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id: reply.id,
          name: "support-reply",
          folder_id: billing.body.folder.id,
          path: ["support", "invoices"],
        }),
      ]),
    );
    const rootOnly = await call("GET", `/api/public/v2/folders/entities?workspace_id=${workspaceId}`);
    expect.soft(rootOnly.status).toBe(200);

    const refused = await call("DELETE", "/api/public/v2/folders/entities", {
      body: { entities: [{ id: support.body.folder.id, type: "FOLDER" }] },
    });
    expect.soft(refused.status).toBe(400);
    const deleted = await call("DELETE", "/api/public/v2/folders/entities", {
      body: { entities: [{ id: support.body.folder.id, type: "FOLDER" }], cascade: true, workspace_id: workspaceId },
    });
    expect.soft(deleted.status).toBe(200);
  });

  it("attaches, lists and detaches external ids", async () => {
    const { summarise } = await publishWorkspace();

    const attached = await call("POST", `/prompt-templates/${summarise.id}/external-ids`, {
      body: { source: "plx", external_id: "prompts/summarise.prompt.yaml" },
    });
    expect.soft(attached.status).toBe(201);
    const again = await call("POST", `/prompt-templates/${summarise.id}/external-ids`, {
      body: { source: "plx", external_id: "prompts/summarise.prompt.yaml" },
    });
    expect.soft(again.status).toBe(201);
    const listed = await call("GET", `/prompt-templates/${summarise.id}/external-ids`);
    expect
      .soft(listed.body)
      .toEqual({ success: true, external_ids: [{ source: "plx", external_id: "prompts/summarise.prompt.yaml" }] });

    const found = await call(
      "GET",
      "/prompt-templates?external_source=plx&external_id=prompts%2Fsummarise.prompt.yaml",
    );
    expect.soft(found.body.items.map((item: { id: number }) => item.id)).toEqual([summarise.id]);

    const detached = await call(
      "DELETE",
      `/prompt-templates/${summarise.id}/external-ids/plx/${encodeURIComponent("prompts/summarise.prompt.yaml")}`,
    );
    expect.soft(detached.status).toBe(200);
  });

  it("reports snippet usage", async () => {
    const { reply } = await publishWorkspace();

    const usage = await call("GET", "/prompt-templates/tone/snippet-usage");
    expect.soft(usage.status).toBe(200);
    expect.soft(usage.body).toMatchObject({ snippet_name: "tone", total_prompts_using_snippet: 1 });
    expect
      .soft(usage.body.snippet_usage)
      .toEqual([expect.objectContaining({ prompt_registry_id: reply.id, version_numbers: [1, 2] })]);
    expect.soft((await call("GET", "/prompt-templates/tone/snippet-usage?prompt_version_number=1")).status).toBe(200);
  });

  it("logs a request and tracks metadata on it, as the SDK does", async () => {
    const logged = await call("POST", "/log-request", {
      body: {
        provider: "openai",
        model: "gpt-4o",
        input: chatTemplate("hi"),
        output: chatTemplate("hello"),
        request_start_time: "2026-01-01T00:00:00Z",
        request_end_time: "2026-01-01T00:00:01Z",
      },
    });
    expect.soft(logged.status).toBe(201);
    expect
      .soft(
        (
          await call("POST", "/rest/track-metadata", {
            body: { request_id: logged.body.id, metadata: { session: "s-1" } },
          })
        ).status,
      )
      .toBe(200);
    expect
      .soft((await call("POST", "/log-request", { body: { provider: "openai" }, malformed: true })).status)
      .toBe(422);
  });

  it("runs eval-report's Tables sequence: table, CSV sheet import, operation, columns, scorecard, calculation, track-score", async () => {
    const created = await call("POST", "/api/public/v2/tables", {
      body: { title: "plx: refund-reply", folder_id: null, create_default_sheet: false },
    });
    expect.soft(created.status).toBe(201);
    const tableId = created.body.table.id;
    const listed = await call("GET", "/api/public/v2/tables?name=refund&limit=100");
    expect.soft(listed.body.data.map((t: { id: string }) => t.id)).toEqual([tableId]);
    expect.soft((await call("GET", `/api/public/v2/tables/${tableId}`)).status).toBe(200);

    const csv = Buffer.from(
      '"case_id","output","tone","passed"\r\n"a","fine","0.9","1"\r\n"b","meh","0.5","0"\r\n',
    ).toString("base64");
    const sheetBody = {
      title: "refund-reply v1 · run 1",
      operation_id: "op-1",
      source: { type: "file", file_name: "results.csv", file_content_base64: csv },
    };
    const imported = await call("POST", `/api/public/v2/tables/${tableId}/sheets`, { body: sheetBody });
    expect.soft(imported.status).toBe(202);
    const again = await call("POST", `/api/public/v2/tables/${tableId}/sheets`, { body: sheetBody });
    expect.soft(again.body.sheet.id).toBe(imported.body.sheet.id);
    const sheetId = imported.body.sheet.id;
    await call("GET", `/api/public/v2/tables/${tableId}/sheets/operations/op-1`);
    const done = await call("GET", `/api/public/v2/tables/${tableId}/sheets/operations/op-1`);
    expect.soft(done.body.operation).toMatchObject({ status: "completed", rows_added: 2 });
    expect.soft((await call("GET", `/api/public/v2/tables/${tableId}/sheets/${sheetId}`)).status).toBe(200);

    const columns = await call("GET", `/api/public/v2/tables/${tableId}/sheets/${sheetId}/columns?limit=100`);
    const tone = columns.body.data.find((c: { title: string }) => c.title === "tone").id;
    const configured = await call("PATCH", `/api/public/v2/tables/${tableId}/sheets/${sheetId}/scorecard`, {
      body: {
        name: "plx",
        evaluated_column_ids: [],
        aggregation: {
          method: "weighted_mean",
          required_step_failure_behavior: "fail",
          pass_threshold: 0.8,
          warn_threshold: 0.6,
        },
        steps: [
          {
            title: "tone (mean)",
            primitive_type: "COLUMN_AGGREGATE",
            source_column_ids: [tone],
            weight: 1,
            required: false,
            primitive_config: { source: tone, aggregation_type: "average_value", score_mode: "score", score_max: 1 },
          },
        ],
      },
    });
    expect.soft(configured.status).toBe(200);
    const queued = await call("POST", `/api/public/v2/tables/${tableId}/sheets/${sheetId}/scorecard/recalculate`, {
      body: {},
    });
    expect.soft(queued.status).toBe(202);
    const path = `/api/public/v2/tables/${tableId}/sheets/${sheetId}/scorecard/calculations/${queued.body.calculation_id}`;
    await call("GET", path);
    const finished = await call("GET", path);
    expect.soft(finished.body.calculation).toMatchObject({ status: "completed", aggregate_verdict: "warn" });
    expect.soft(finished.body.calculation.aggregate_score).toBeCloseTo(0.7);

    expect
      .soft((await call("POST", "/rest/track-score", { body: { request_id: 42, score: 70, name: "plx-eval" } })).status)
      .toBe(200);
    expect
      .soft((await call("POST", "/rest/track-score", { body: { request_id: 42, score: 170 }, malformed: true })).status)
      .toBe(422);
    expect.soft((await call("GET", "/api/public/v2/tables/00000000-0000-4000-8000-000000000000")).status).toBe(404);
  });

  it("creates, versions, reads, labels, files and runs agents (workflows)", async () => {
    const { workspaceId } = await publishWorkspace();
    const nodes = [
      {
        name: "tone_hint",
        node_type: "VARIABLE",
        configuration: { value: { type: "string", value: "warm" } },
        dependencies: [],
        is_output_node: false,
      },
      {
        name: "reply",
        node_type: "PROMPT_TEMPLATE",
        configuration: {
          template: { prompt_name: "support-reply", label: "staging" },
          prompt_template_variable_mappings: { question: "question" },
        },
        dependencies: ["question", "tone_hint"],
        is_output_node: true,
      },
    ];
    const edges = [
      {
        source_node_name: "tone_hint",
        target_node_name: "reply",
        is_and: true,
        conditionals: [
          {
            position: 0,
            operator: "is_not_null",
            left_config: { source: "tone_hint" },
            right_config: { static_value: null },
          },
        ],
      },
    ];
    const folder = await call("POST", "/api/public/v2/folders", { body: { name: "agents" } });
    const created = await call("POST", "/rest/workflows", {
      body: {
        name: "support-triage",
        folder_id: folder.body.folder.id,
        commit_message: "First cut",
        nodes,
        edges,
        required_input_variables: { question: "string" },
        release_labels: ["prod"],
        external_ids: [{ source: "plx", external_id: "prompts/agents/support-triage.agent.yaml" }],
      },
    });
    expect.soft(created.status).toBe(201);
    const id = created.body.workflow_id as number;
    const second = await call("POST", "/rest/workflows", {
      body: { workflow_name: "support-triage", nodes, edges, required_input_variables: { question: "string" } },
    });
    expect.soft(second.body).toMatchObject({ workflow_id: id, version_number: 2 });
    const patched = await call("PATCH", `/rest/workflows/${id}`, {
      body: {
        base_version: 1,
        commit_message: "Colder",
        nodes: { tone_hint: { configuration: { value: { value: "cool" } } } },
        release_labels: ["staging"],
      },
    });
    expect.soft(patched.body).toMatchObject({ version_number: 3, base_version: 1 });

    expect
      .soft((await call("GET", "/workflows?page=1&per_page=10&sort_by=updated_at&sort_order=asc")).status)
      .toBe(200);
    expect.soft((await call("GET", "/workflows?updated_after=2020-01-01T00:00:00Z")).body.items).toHaveLength(1);
    expect.soft((await call("GET", "/workflows/support-triage")).body.version).toBe(3);
    expect.soft((await call("GET", `/workflows/${id}?version=1`)).body.nodes).toHaveLength(2);
    expect.soft((await call("GET", "/workflows/support-triage?label=prod")).body.version).toBe(1);
    expect.soft((await call("GET", `/workflows/${id}/labels`)).body.release_labels).toHaveLength(2);

    const entities = await call(
      "GET",
      `/api/public/v2/folders/entities?workspace_id=${workspaceId}&flatten=true&filter_type=WORKFLOW&include_metadata=true`,
    );
    expect.soft(entities.body.entities).toEqual([expect.objectContaining({ id, type: "WORKFLOW", path: ["agents"] })]);

    const ref = { source: "ci", external_id: "triage" };
    expect.soft((await call("POST", `/workflows/${id}/external-ids`, { body: ref })).status).toBe(201);
    expect.soft((await call("GET", `/workflows/${id}/external-ids`)).body.external_ids).toHaveLength(2);
    expect.soft((await call("DELETE", `/workflows/${id}/external-ids/ci/triage`)).status).toBe(200);

    const run = await call("POST", "/workflows/support-triage/run", {
      body: {
        workflow_label_name: "prod",
        input_variables: { question: "Where is my refund?" },
        metadata: { ci: "contract" },
        return_all_outputs: true,
      },
    });
    expect.soft(run.status).toBe(201);
    const results = `/workflow-version-execution-results?workflow_version_execution_id=${run.body.workflow_version_execution_id}`;
    expect.soft((await call("GET", `${results}&return_all_outputs=true`)).status).toBe(202);
    const done = await call("GET", `${results}&return_all_outputs=true`);
    expect.soft(done.status).toBe(200);
    expect.soft(done.body.reply.status).toBe("SUCCESS");
    expect.soft((await call("GET", results)).body).toEqual(done.body.reply.value);
    const callback = await call("POST", "/workflows/support-triage/run", {
      body: { workflow_version_number: 2, callback_url: "https://example.com/promptlayer/callback" },
    });
    expect.soft(callback.status).toBe(202);
  });

  it("answers the calls plx makes to sync agents: a version by workflow_id, the joint listing, moves and deletes", async () => {
    const { workspaceId } = await publishWorkspace();
    const nodes = [
      {
        name: "reply",
        node_type: "PROMPT_TEMPLATE",
        configuration: { template: { prompt_name: "support-reply", label: "staging" } },
        dependencies: ["question"],
        is_output_node: true,
      },
    ];
    const ref = { source: "plx", external_id: "prompts/triage.agent.yaml" };
    const created = await call("POST", "/rest/workflows", {
      body: { name: "triage", nodes, edges: [], required_input_variables: { question: "string" }, external_ids: [ref] },
    });
    const id = created.body.workflow_id as number;
    // A new version as push sends it: the whole content, naming the workflow by id, carrying labels and its ID.
    const version = await call("POST", "/rest/workflows", {
      body: {
        workflow_id: id,
        nodes,
        edges: [],
        required_input_variables: { question: "string" },
        commit_message: "From git (abc1234)",
        release_labels: ["prod"],
        external_ids: [ref],
      },
    });
    expect.soft(version.status).toBe(201);
    expect.soft(version.body).toMatchObject({ workflow_id: id, version_number: 2, release_labels: ["prod"] });
    const listed = await call(
      "GET",
      `/api/public/v2/folders/entities?workspace_id=${workspaceId}&flatten=true&filter_type=PROMPT&filter_type=SNIPPET&filter_type=WORKFLOW&include_metadata=true`,
    );
    expect
      .soft(listed.body.entities.find((entity: { type: string }) => entity.type === "WORKFLOW"))
      .toMatchObject({ id, name: "triage", path: [], metadata: { latest_version_number: 2 } });
    const folder = await call("POST", "/api/public/v2/folders", { body: { name: "ops" } });
    const moved = await call("POST", "/api/public/v2/folders/entities", {
      body: { entities: [{ id, type: "WORKFLOW" }], folder_id: folder.body.folder.id, workspace_id: workspaceId },
    });
    expect.soft(moved.status).toBe(200);
    const deleted = await call("DELETE", "/api/public/v2/folders/entities", {
      body: { entities: [{ id, type: "WORKFLOW" }], workspace_id: workspaceId },
    });
    expect.soft(deleted.status).toBe(200);
    expect.soft((await call("GET", `/workflows/${id}`)).status).toBe(404);
  });

  it("answers agent errors with the declared status and shape", async () => {
    const output = { name: "a", node_type: "VARIABLE", configuration: {}, is_output_node: true };
    const created = await call("POST", "/rest/workflows", {
      body: { name: "agent", nodes: [output], external_ids: [{ source: "plx", external_id: "agent" }] },
    });
    const id = created.body.workflow_id as number;
    expect.soft((await call("GET", "/workflows/nope")).status).toBe(404);
    expect.soft((await call("GET", "/workflows/agent?version=5")).status).toBe(404);
    expect.soft((await call("GET", "/workflows/agent?version=0")).status).toBe(422);
    expect.soft((await call("GET", "/workflows/nope/labels")).status).toBe(404);
    expect.soft((await call("GET", "/workflows?per_page=0")).status).toBe(422);
    expect
      .soft(
        (await call("POST", "/rest/workflows", { body: { name: "x", nodes: [{ ...output, is_output_node: false }] } }))
          .status,
      )
      .toBe(400);
    expect
      .soft((await call("POST", "/rest/workflows", { body: { workflow_name: "nope", nodes: [output] } })).status)
      .toBe(404);
    expect
      .soft(
        (
          await call("POST", "/rest/workflows", {
            body: { name: "y", nodes: [output], external_ids: [{ source: "plx", external_id: "agent" }] },
          })
        ).status,
      )
      .toBe(409);
    expect.soft((await call("POST", "/rest/workflows", { body: { name: "z" }, malformed: true })).status).toBe(422);
    expect.soft((await call("PATCH", "/rest/workflows/nope", { body: {} })).status).toBe(404);
    expect
      .soft(
        (await call("PATCH", `/rest/workflows/${id}`, { body: { nodes: { b: { node_type: "VARIABLE" } } } })).status,
      )
      .toBe(400);
    expect.soft((await call("POST", "/workflows/nope/run", { body: {} })).status).toBe(404);
    expect
      .soft(
        (
          await call("POST", "/workflows/agent/run", {
            body: { workflow_label_name: "prod", workflow_version_number: 1 },
          })
        ).status,
      )
      .toBe(400);
    expect
      .soft((await call("GET", "/workflow-version-execution-results?workflow_version_execution_id=424242")).status)
      .toBe(404);
    expect.soft((await call("GET", "/workflow-version-execution-results")).status).toBe(422);
    expect.soft((await call("GET", "/workflows/424242/external-ids")).status).toBe(404);
    expect
      .soft((await call("POST", "/workflows/424242/external-ids", { body: { source: "a", external_id: "b" } })).status)
      .toBe(404);
    expect.soft((await call("DELETE", `/workflows/${id}/external-ids/a/b`)).status).toBe(404);
    expect
      .soft(
        (
          await call("POST", `/workflows/${id}/external-ids`, {
            body: { source: "", external_id: "b" },
            malformed: true,
          })
        ).status,
      )
      .toBe(422);
  });

  it("answers errors with the declared status and shape: 401, 404, 409, 422", async () => {
    const { reply, summarise, workspaceId } = await publishWorkspace();

    expect.soft((await call("GET", "/prompt-templates", { apiKey: null })).status).toBe(401);
    expect.soft((await call("GET", "/prompt-templates/support-reply", { apiKey: "pl_wrong_key" })).status).toBe(401);
    expect
      .soft((await call("GET", `/api/public/v2/folders/entities?workspace_id=${workspaceId}`, { apiKey: null })).status)
      .toBe(401);
    expect.soft((await call("GET", `/prompt-templates/${reply.id}/external-ids`, { apiKey: null })).status).toBe(401);

    expect.soft((await call("GET", "/prompt-templates/no-such-template")).status).toBe(404);
    expect.soft((await call("GET", "/prompt-templates/support-reply?version=99")).status).toBe(404);
    expect.soft((await call("GET", "/prompt-templates/no-such-template/labels")).status).toBe(404);
    expect.soft((await call("GET", "/prompt-templates/no-such-template/snippet-usage")).status).toBe(404);
    expect
      .soft((await call("GET", `/api/public/v2/folders/resolve-id?workspace_id=${workspaceId}&path=nowhere`)).status)
      .toBe(404);
    expect.soft((await call("PATCH", "/api/public/v2/folders/999999", { body: { name: "x" } })).status).toBe(404);
    expect.soft((await call("GET", "/prompt-templates/999999/external-ids")).status).toBe(404);

    const taken = { source: "plx", external_id: "prompts/support-reply.prompt.yaml" };
    expect
      .soft(
        (
          await call("POST", "/rest/prompt-templates", {
            body: publishBody("other", completionTemplate("x"), { external_ids: [taken] }),
          })
        ).status,
      )
      .toBe(409);
    expect
      .soft((await call("POST", `/prompt-templates/${summarise.id}/external-ids`, { body: taken })).status)
      .toBe(409);

    const { prompt_version: _version, ...withoutVersion } = publishBody("broken", chatTemplate("x"));
    expect
      .soft((await call("POST", "/rest/prompt-templates", { body: withoutVersion, malformed: true })).status)
      .toBe(422);
    expect
      .soft((await call("POST", `/prompts/${reply.id}/label`, { body: { name: "prod" }, malformed: true })).status)
      .toBe(422);
    expect
      .soft(
        (
          await call("POST", "/rest/prompt-templates", {
            body: publishBody("orphan", completionTemplate("@@@missing-snippet@@@")),
          })
        ).status,
      )
      .toBe(422);
    expect.soft((await call("GET", "/prompt-templates/support-reply?version=0")).status).toBe(422);

    // The spec's discriminated unions: a template without its type, a message without a known role, content
    // that is not a list of typed blocks.
    const { type: _type, ...untyped } = chatTemplate("x");
    for (const template of [
      untyped,
      { type: "chat", messages: [{ role: "narrator", content: [{ type: "text", text: "x" }] }] },
      { type: "chat", messages: [{ role: "user", content: "plain string" }] },
      { type: "completion", content: [{ text: "no type" }] },
    ]) {
      const refused = await call("POST", "/rest/prompt-templates", {
        body: publishBody("loose", template as never),
        malformed: true,
      });
      expect.soft(refused.status, JSON.stringify(template)).toBe(422);
      expect
        .soft(refused.body.detail[0].loc.slice(0, 3), JSON.stringify(template))
        .toEqual(["body", "prompt_version", "prompt_template"]);
    }
  });
});
