// PromptLayer's agents in the sandbox (its API calls them workflows): versions of nodes, edges and input variables,
// release labels, folders and external IDs, and runs executed by agent-runs.ts. Paths, statuses and shapes follow
// the official OpenAPI spec; where its example and its schema disagree (a read's `version_number` against the
// schema's `version`), the schema wins.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { checkGraph, PROMPT_NODE_TYPE, templateReference } from "../agents/graph.js";
import { isJsonObject } from "../core/template.js";
import { DEFAULT_RUN_SETTINGS, mainOutput, runGraph, visibleResults } from "./agent-runs.js";
import { ApiError, badRequest, conflict, notFound, unprocessable, type Workspace } from "./state.js";
import { externalIdSchema, parseBody, queryInt } from "./validate.js";
import type {
  ApiRequest,
  ApiResponse,
  Json,
  JsonObject,
  NodeSeed,
  StoredExecution,
  StoredWorkflow,
  StoredWorkflowVersion,
  WorkflowsData,
} from "./records.js";
import type { RouteParams as Params, RouteTable } from "./router.js";

const answer = (body: Json, status: number): ApiResponse => ({ status, body });

function data(workspace: Workspace): WorkflowsData {
  workspace.data.workflows ??= {
    workflows: [],
    labels: [],
    executions: [],
    seeds: [],
    settings: { ...DEFAULT_RUN_SETTINGS },
  };
  return workspace.data.workflows;
}

const nextId = (workspace: Workspace) => workspace.data.next_id++;
const now = (workspace: Workspace) => workspace.now().toISOString();

function findWorkflow(workspace: Workspace, identifier: string): StoredWorkflow | undefined {
  const { workflows } = data(workspace);
  const asId = /^\d+$/.test(identifier) ? Number(identifier) : undefined;
  return workflows.find((w) => w.id === asId) ?? workflows.find((w) => w.name === identifier);
}

function workflow(workspace: Workspace, identifier: string): StoredWorkflow {
  const found = findWorkflow(workspace, identifier);
  if (!found) throw notFound("Workflow not found");
  return found;
}

/** For the external-ID routes, which take the numeric id only and answer in their own error shape. */
export function workflowById(workspace: Workspace, id: string): StoredWorkflow {
  const found = /^\d+$/.test(id) ? data(workspace).workflows.find((w) => w.id === Number(id)) : undefined;
  if (!found) throw new ApiError(404, { success: false, message: "Workflow not found" });
  return found;
}

const labelsOf = (workspace: Workspace, target: StoredWorkflow) =>
  data(workspace).labels.filter((label) => label.workflow_id === target.id);

function selectVersion(
  workspace: Workspace,
  target: StoredWorkflow,
  { version, label }: { version?: number | null; label?: string | null },
): StoredWorkflowVersion {
  if (label != null) {
    const stored = labelsOf(workspace, target).find((l) => l.name === label);
    if (!stored) throw notFound(`Label '${label}' not found for this workflow`);
    return target.versions.find((v) => v.number === stored.version_number)!;
  }
  if (version != null) {
    const found = target.versions.find((v) => v.number === version);
    if (!found) throw notFound(`Version ${version} not found`);
    return found;
  }
  return target.versions.at(-1)!;
}

// ---- Request bodies ----

const jsonObject = z.record(z.string(), z.unknown());
const nodeSchema = z.looseObject({
  name: z.string().min(1).max(255),
  node_type: z.string().min(1),
  configuration: jsonObject,
  dependencies: z.array(z.string()).nullish(),
  is_output_node: z.boolean(),
});
const edgeSchema = z.looseObject({
  source_node_name: z.string(),
  target_node_name: z.string(),
  is_and: z.boolean(),
  conditionals: z
    .array(
      z.looseObject({
        position: z.number().int().min(0),
        operator: z.enum(["=", "!=", "<", ">", "<=", ">=", "in", "not_in", "is_null", "is_not_null"]),
        left_config: jsonObject,
        right_config: jsonObject,
      }),
    )
    .min(1),
});
const inputsSchema = z.record(z.string(), z.string());
const labelsSchema = z.array(z.string().min(1)).nullish();

const createSchema = z.looseObject({
  name: z.string().min(1).max(255).nullish(),
  workflow_id: z.number().int().nullish(),
  workflow_name: z.string().nullish(),
  folder_id: z.number().int().nullish(),
  commit_message: z.string().nullish(),
  nodes: z.array(nodeSchema),
  required_input_variables: inputsSchema.nullish(),
  edges: z.array(edgeSchema).nullish(),
  release_labels: labelsSchema,
  external_ids: z.array(externalIdSchema).nullish(),
});

const patchSchema = z.looseObject({
  base_version: z.number().int().nullish(),
  commit_message: z.string().nullish(),
  nodes: z
    .record(
      z.string(),
      z
        .looseObject({
          node_type: z.string().min(1).nullish(),
          configuration: jsonObject.nullish(),
          dependencies: z.array(z.string()).nullish(),
          is_output_node: z.boolean().nullish(),
        })
        .nullable(),
    )
    .nullish(),
  required_input_variables: inputsSchema.nullish(),
  edges: z.array(edgeSchema).nullish(),
  release_labels: labelsSchema,
});

const runSchema = z.looseObject({
  workflow_label_name: z.string().nullish(),
  workflow_version_number: z.number().int().nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  input_variables: jsonObject.nullish(),
  return_all_outputs: z.boolean().nullish(),
  callback_url: z.url().nullish(),
});

// ---- Versions ----

interface VersionContent {
  nodes: JsonObject[];
  edges: JsonObject[];
  required_input_variables: Record<string, string>;
}

/** What PromptLayer refuses in a version: a broken graph, or a prompt node naming a prompt or pin that is not there. */
function assertValidContent(workspace: Workspace, content: VersionContent): void {
  const problems = checkGraph({ ...content, inputs: content.required_input_variables }).filter(
    (issue) => issue.severity === "error",
  );
  if (problems.length > 0) throw badRequest(`Invalid workflow: ${problems[0]!.message}`);
  for (const node of content.nodes) {
    if (node.node_type !== PROMPT_NODE_TYPE) continue;
    const configuration = node.configuration as JsonObject;
    if (isJsonObject(configuration.inline_template)) continue;
    const reference = templateReference(configuration.template);
    if (!reference)
      throw badRequest(
        `Node '${String(node.name)}' needs configuration.template with a prompt_name, or an inline_template`,
      );
    try {
      workspace.selectVersion(workspace.template(reference.name), reference);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      const said = isJsonObject(error.body as Json) ? String((error.body as JsonObject).message) : "not found";
      throw badRequest(`Node '${String(node.name)}' refers to prompt template '${reference.name}': ${said}`);
    }
  }
}

function addVersion(
  workspace: Workspace,
  target: StoredWorkflow,
  content: VersionContent,
  commitMessage: string | null,
  releaseLabels: readonly string[],
): StoredWorkflowVersion {
  assertValidContent(workspace, content);
  const id = nextId(workspace);
  const version: StoredWorkflowVersion = {
    id,
    number: (target.versions.at(-1)?.number ?? 0) + 1,
    commit_message: commitMessage,
    nodes: content.nodes.map((node) => ({
      ...structuredClone(node),
      id: randomUUID(),
      workflow_version_id: id,
      dependencies: (node.dependencies as Json[] | null | undefined) ?? [],
    })),
    edges: content.edges.map((edge) => ({ ...structuredClone(edge), id: randomUUID() })),
    required_input_variables: { ...content.required_input_variables },
    created_at: now(workspace),
  };
  target.versions.push(version);
  for (const name of releaseLabels) setLabel(workspace, target, name, version.number);
  target.updated_at = version.created_at;
  return version;
}

function setLabel(workspace: Workspace, target: StoredWorkflow, name: string, versionNumber: number): void {
  const existing = labelsOf(workspace, target).find((label) => label.name === name);
  if (existing) existing.version_number = versionNumber;
  else
    data(workspace).labels.push({ id: nextId(workspace), name, workflow_id: target.id, version_number: versionNumber });
}

function versionAnswer(
  workspace: Workspace,
  target: StoredWorkflow,
  version: StoredWorkflowVersion,
  baseVersion: number | null,
): JsonObject {
  return {
    success: true,
    workflow_id: target.id,
    workflow_name: target.name,
    workflow_version_id: version.id,
    version_number: version.number,
    base_version: baseVersion,
    release_labels: labelsOn(workspace, target, version),
    nodes: version.nodes.map((node) => ({
      id: node.id!,
      name: node.name!,
      node_type: node.node_type!,
      is_output_node: node.is_output_node!,
    })),
    required_input_variables: version.required_input_variables,
    external_ids: target.external_ids as unknown as Json,
  };
}

const labelsOn = (workspace: Workspace, target: StoredWorkflow, version: StoredWorkflowVersion) =>
  labelsOf(workspace, target)
    .filter((label) => label.version_number === version.number)
    .map((label) => label.name);

function createWorkflow(workspace: Workspace, { body }: ApiRequest): ApiResponse {
  const input = parseBody(createSchema, body);
  const content: VersionContent = {
    nodes: input.nodes as JsonObject[],
    edges: (input.edges ?? []) as JsonObject[],
    required_input_variables: input.required_input_variables ?? {},
  };
  const existing =
    input.workflow_id != null
      ? data(workspace).workflows.find((w) => w.id === input.workflow_id)
      : input.workflow_name != null
        ? findWorkflow(workspace, input.workflow_name)
        : undefined;
  if ((input.workflow_id != null || input.workflow_name != null) && !existing) throw notFound("Workflow not found");
  if (!existing && input.name != null && findWorkflow(workspace, input.name))
    throw badRequest(`A workflow named '${input.name}' already exists; pass workflow_name to add a version to it`);
  for (const ref of input.external_ids ?? []) {
    const owner = workspace.externalIdOwner(ref);
    if (owner && owner !== existing) throw conflict("External ID is already attached to another entity");
  }
  if (input.folder_id != null) workspace.folder(input.folder_id);

  const at = now(workspace);
  const target: StoredWorkflow = existing ?? {
    id: nextId(workspace),
    name: input.name ?? `workflow-${workspace.data.next_id}`,
    folder_id: input.folder_id ?? null,
    external_ids: [],
    versions: [],
    created_at: at,
    updated_at: at,
  };
  const version = addVersion(workspace, target, content, input.commit_message ?? null, input.release_labels ?? []);
  if (!existing) data(workspace).workflows.push(target);
  for (const ref of input.external_ids ?? []) workspace.attachExternalId(target, ref);
  return answer(versionAnswer(workspace, target, version, null), 201);
}

function patchWorkflow(workspace: Workspace, { body }: ApiRequest, { identifier }: Params): ApiResponse {
  const patch = parseBody(patchSchema, body);
  const target = workflow(workspace, identifier!);
  const base = selectVersion(workspace, target, { version: patch.base_version });
  const nodes = new Map(base.nodes.map((node) => [String(node.name), withoutServerIds(node)]));
  for (const [name, update] of Object.entries(patch.nodes ?? {})) {
    if (update === null) {
      nodes.delete(name);
      continue;
    }
    const current = nodes.get(name);
    if (!current && (update.node_type == null || update.configuration == null))
      throw badRequest(`New node '${name}' needs node_type and configuration`);
    const merged: JsonObject = current ? { ...current } : { name, dependencies: [], is_output_node: false };
    if (update.node_type != null) merged.node_type = update.node_type;
    if (update.configuration != null)
      merged.configuration = deepMerge((merged.configuration as Json) ?? {}, update.configuration as Json);
    if (update.dependencies != null) merged.dependencies = update.dependencies;
    if (update.is_output_node != null) merged.is_output_node = update.is_output_node;
    nodes.set(name, merged);
  }
  const edges =
    patch.edges != null
      ? (patch.edges as JsonObject[])
      : base.edges
          .filter((edge) => nodes.has(String(edge.source_node_name)) && nodes.has(String(edge.target_node_name)))
          .map((edge) => withoutServerIds(edge));
  const version = addVersion(
    workspace,
    target,
    {
      nodes: [...nodes.values()],
      edges,
      required_input_variables: patch.required_input_variables ?? base.required_input_variables,
    },
    patch.commit_message ?? null,
    patch.release_labels ?? [],
  );
  return answer(versionAnswer(workspace, target, version, base.number), 201);
}

function withoutServerIds(object: JsonObject): JsonObject {
  const { id: _id, workflow_version_id: _version, ...rest } = object;
  return rest;
}

/** Objects merge key by key; anything else replaces what was there. */
function deepMerge(base: Json, update: Json): Json {
  if (!isJsonObject(base) || !isJsonObject(update)) return structuredClone(update);
  const merged: Array<[string, Json]> = Object.entries(base);
  for (const [key, value] of Object.entries(update)) {
    const at = merged.findIndex(([existing]) => existing === key);
    if (at === -1) merged.push([key, structuredClone(value)]);
    else merged[at] = [key, deepMerge(merged[at]![1], value)];
  }
  return Object.fromEntries(merged);
}

// ---- Reads ----

const DATE_FILTERS = ["created_after", "created_before", "updated_after", "updated_before"] as const;
const SORT_KEYS = new Set(["created_at", "updated_at", "name", "id"]);

function listWorkflows(workspace: Workspace, { query }: ApiRequest): ApiResponse {
  const page = queryInt(query, "page") ?? 1;
  const perPage = queryInt(query, "per_page") ?? 30;
  if (perPage > 100) throw unprocessable(["query", "per_page"], "Input should be less than or equal to 100");
  const source = query.get("external_source");
  const externalId = query.get("external_id");
  if ((source === null) !== (externalId === null))
    throw unprocessable(["query", "external_id"], "external_source and external_id go together");
  const dates = Object.fromEntries(
    DATE_FILTERS.flatMap((name) => {
      const raw = query.get(name);
      if (raw === null) return [];
      const time = Date.parse(raw);
      if (Number.isNaN(time)) throw unprocessable(["query", name], "Input should be a valid datetime");
      return [[name, time]];
    }),
  ) as Partial<Record<(typeof DATE_FILTERS)[number], number>>;
  const sortBy = query.get("sort_by") ?? "created_at";
  const order = query.get("sort_order") ?? "desc";
  if (!SORT_KEYS.has(sortBy)) throw unprocessable(["query", "sort_by"], "Input should be a known sort field");
  if (order !== "asc" && order !== "desc") throw unprocessable(["query", "sort_order"], "Input should be asc or desc");
  // The sandbox acts as one user without an email address, so an email filter matches nobody.
  const byEmail = query.get("created_by_email");

  const rows = data(workspace).workflows.filter((candidate) => {
    const createdAt = Date.parse(candidate.created_at);
    const updatedAt = Date.parse(candidate.updated_at);
    return (
      byEmail === null &&
      (dates.created_after === undefined || createdAt >= dates.created_after) &&
      (dates.created_before === undefined || createdAt <= dates.created_before) &&
      (dates.updated_after === undefined || updatedAt >= dates.updated_after) &&
      (dates.updated_before === undefined || updatedAt <= dates.updated_before) &&
      (source === null || candidate.external_ids.some((r) => r.source === source && r.external_id === externalId))
    );
  });
  const keyOf = (row: StoredWorkflow): string | number =>
    sortBy === "name" ? row.name : sortBy === "id" ? row.id : sortBy === "updated_at" ? row.updated_at : row.created_at;
  const direction = order === "asc" ? 1 : -1;
  rows.sort((a, b) => {
    const [x, y] = [keyOf(a), keyOf(b)];
    return (x < y ? -1 : x > y ? 1 : a.id - b.id) * direction;
  });

  const total = rows.length;
  const pages = Math.ceil(total / perPage);
  const items = rows.slice((page - 1) * perPage, page * perPage).map((row) => ({
    id: row.id,
    workspace_id: workspace.data.workspace_id,
    user_id: null,
    name: row.name,
    is_deleted: false,
    latest_version_number: row.versions.at(-1)?.number ?? null,
    release_labels: [...new Set(labelsOf(workspace, row).map((label) => label.name))],
    external_ids: row.external_ids as unknown as Json,
  }));
  return {
    status: 200,
    body: {
      items,
      page,
      per_page: perPage,
      total,
      pages,
      has_next: page < pages,
      has_prev: page > 1,
      next_num: page < pages ? page + 1 : null,
      prev_num: page > 1 ? page - 1 : null,
    },
  };
}

function getWorkflow(workspace: Workspace, { query }: ApiRequest, { identifier }: Params): ApiResponse {
  const version = queryInt(query, "version");
  const label = query.get("label");
  if (version !== undefined && label !== null)
    throw unprocessable(["query", "label"], "version and label are mutually exclusive");
  const target = workflow(workspace, identifier!);
  const selected = selectVersion(workspace, target, { version, label });
  return {
    status: 200,
    body: {
      success: true,
      workflow_id: target.id,
      workflow_name: target.name,
      version: selected.number,
      workflow_version_id: selected.id,
      commit_message: selected.commit_message,
      required_input_variables: selected.required_input_variables,
      release_labels: labelsOn(workspace, target, selected),
      created_at: selected.created_at,
      nodes: selected.nodes,
      edges: selected.edges,
      external_ids: target.external_ids as unknown as Json,
    },
  };
}

function workflowLabels(workspace: Workspace, _request: ApiRequest, { identifier }: Params): ApiResponse {
  const target = findWorkflow(workspace, identifier!);
  // The spec gives this 404 no body.
  if (!target) return { status: 404 };
  const labels = labelsOf(workspace, target).map((label) => ({
    release_label: label.name,
    release_label_id: label.id,
    workflow_version_id: target.versions.find((v) => v.number === label.version_number)!.id,
    workflow_version_number: label.version_number,
  }));
  return { status: 200, body: { success: true, release_labels: labels } };
}

// ---- Runs ----

function runWorkflow(workspace: Workspace, { body }: ApiRequest, { name }: Params): ApiResponse {
  const input = parseBody(runSchema, body ?? {});
  if (input.workflow_label_name != null && input.workflow_version_number != null)
    throw badRequest("workflow_label_name and workflow_version_number are mutually exclusive");
  const target = workflow(workspace, name!);
  const version = selectVersion(workspace, target, {
    label: input.workflow_label_name,
    version: input.workflow_version_number,
  });
  const inputs = (input.input_variables ?? {}) as JsonObject;
  const store = data(workspace);
  const { order, results } = runGraph(workspace, target.name, version, inputs, store.seeds);
  const execution: StoredExecution = {
    id: nextId(workspace),
    workflow_id: target.id,
    workflow_name: target.name,
    version_number: version.number,
    input_variables: inputs,
    metadata: input.metadata ?? {},
    started_at: now(workspace),
    reads: 0,
    polls: store.settings.polls,
    run_ms: store.settings.run_ms,
    finished: false,
    order,
    results,
  };
  store.executions.push(execution);
  settle(workspace, execution);
  return answer(
    {
      success: true,
      message: "Workflow execution started",
      warning: inputWarning(version, inputs),
      workflow_version_execution_id: execution.id,
    },
    input.callback_url == null ? 201 : 202,
  );
}

/** What PromptLayer warns about: declared inputs not given, and given ones that neither an input nor a VARIABLE node takes. */
function inputWarning(version: StoredWorkflowVersion, given: JsonObject): string | null {
  const required = version.required_input_variables;
  const variables = new Set(version.nodes.filter((node) => node.node_type === "VARIABLE").map((node) => node.name));
  const missing = Object.keys(required).filter((name) => !Object.hasOwn(given, name));
  const unused = Object.keys(given).filter((name) => !Object.hasOwn(required, name) && !variables.has(name));
  const parts = [
    ...(missing.length > 0 ? [`missing input variables: ${missing.join(", ")}`] : []),
    ...(unused.length > 0 ? [`unused input variables: ${unused.join(", ")}`] : []),
  ];
  return parts.length > 0 ? parts.join("; ") : null;
}

/** Marks a run finished once it has been read and has run as long as it was told to, and says so by webhook. */
function settle(workspace: Workspace, execution: StoredExecution): void {
  if (execution.finished || execution.reads < execution.polls) return;
  if (workspace.now().getTime() - Date.parse(execution.started_at) < execution.run_ms) return;
  execution.finished = true;
  workspace.events.push({
    type: "webhook",
    event_type: "agent_run_finished",
    details: {
      agent_name: execution.workflow_name,
      agent_id: execution.workflow_id,
      agent_execution_id: execution.id,
    },
  });
}

function executionResults(workspace: Workspace, { query }: ApiRequest): ApiResponse {
  const id = queryInt(query, "workflow_version_execution_id");
  if (id === undefined) throw unprocessable(["query", "workflow_version_execution_id"], "Field required");
  const allOutputs = query.get("return_all_outputs") === "true" || query.get("return_all_outputs") === "1";
  const execution = data(workspace).executions.find((candidate) => candidate.id === id);
  // The spec gives this 404 no body.
  if (!execution) return { status: 404 };
  // The read that sees the run through is the first to answer 200.
  if (!execution.finished) {
    settle(workspace, execution);
    execution.reads += 1;
  }
  const results = visibleResults(execution) as unknown as Json;
  if (!execution.finished) return { status: 202, body: results };
  const output = mainOutput(execution);
  // Without all outputs, a run whose output nodes all failed still answers with every node, so a caller sees why.
  return { status: 200, body: allOutputs || !output.found ? results : output.value };
}

// ---- Folder entities ----

/** The workflows folder entities list, for GET /api/public/v2/folders/entities with filter_type=WORKFLOW. */
export function workflowEntities(
  workspace: Workspace,
  within: (folderId: number | null) => boolean,
  pathOf: (folderId: number | null) => string[],
  withMetadata: boolean,
): JsonObject[] {
  return (workspace.data.workflows?.workflows ?? [])
    .filter((candidate) => within(candidate.folder_id))
    .map((candidate) => ({
      id: candidate.id,
      name: candidate.name,
      type: "WORKFLOW",
      folder_id: candidate.folder_id,
      path: pathOf(candidate.folder_id),
      created_at: candidate.created_at,
      updated_at: candidate.updated_at,
      ...(withMetadata ? { metadata: { latest_version_number: candidate.versions.at(-1)?.number ?? null } } : {}),
      external_ids: candidate.external_ids as unknown as Json,
    }));
}

// ---- Admin: how long runs take, and seeded node values ----

const settingsSchema = z.strictObject({
  polls: z.number().int().min(0).optional(),
  runMs: z.number().int().min(0).optional(),
});
const seedSchema = z.strictObject({
  agent: z.string().min(1),
  node: z.string().min(1),
  status: z.enum(["SUCCESS", "FAILED"]).default("SUCCESS"),
  value: z.unknown().optional(),
  error_message: z.string().nullish(),
});

/**
 * `PATCH /__sandbox/agents {polls, runMs}` sets how long later runs take; `POST /__sandbox/agent-seeds {agent, node,
 * status, value, error_message}` fixes one node's result; `DELETE /__sandbox/agent-seeds` forgets them all.
 * Undefined for any other admin action.
 */
export function handleAgentAdmin(workspace: Workspace, action: string, body: unknown): ApiResponse | undefined {
  const store = () => data(workspace);
  switch (action) {
    case "PATCH agents": {
      const parsed = settingsSchema.safeParse(body);
      if (!parsed.success) return { status: 400, body: { message: "Expected whole numbers ≥ 0 for polls and runMs" } };
      const settings = store().settings;
      if (parsed.data.polls !== undefined) settings.polls = parsed.data.polls;
      if (parsed.data.runMs !== undefined) settings.run_ms = parsed.data.runMs;
      return { status: 200, body: { polls: settings.polls, runMs: settings.run_ms } };
    }
    case "POST agent-seeds": {
      const parsed = seedSchema.safeParse(body);
      if (!parsed.success)
        return { status: 400, body: { message: "Expected {agent, node, status?, value?, error_message?}" } };
      const seed: NodeSeed = {
        agent: parsed.data.agent,
        node: parsed.data.node,
        status: parsed.data.status,
        value: (parsed.data.value ?? null) as Json,
        error_message:
          parsed.data.error_message ?? (parsed.data.status === "FAILED" ? "Failed (seeded by the test)" : null),
      };
      const seeds = store().seeds.filter((s) => !(s.agent === seed.agent && s.node === seed.node));
      store().seeds = [...seeds, seed];
      return { status: 204 };
    }
    case "DELETE agent-seeds":
      store().seeds = [];
      return { status: 204 };
    default:
      return undefined;
  }
}

export const WORKFLOW_ROUTES: RouteTable = [
  ["GET", "workflows", listWorkflows],
  ["GET", "workflows/:identifier", getWorkflow],
  ["GET", "workflows/:identifier/labels", workflowLabels],
  ["POST", "workflows/:name/run", runWorkflow],
  ["POST", "rest/workflows", createWorkflow],
  ["PATCH", "rest/workflows/:identifier", patchWorkflow],
  ["GET", "workflow-version-execution-results", executionResults],
];
