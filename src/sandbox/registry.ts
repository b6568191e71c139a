// PromptLayer's registry endpoints over the sandbox workspace: templates, versions, labels, snippets, folders and
// external IDs, with paths, status codes and body shapes as the official OpenAPI spec gives them (see the reference
// digest for the quirks reproduced here on purpose).
import {
  ApiError,
  notFound,
  type StoredFolder,
  type StoredTemplate,
  type StoredVersion,
  type Workspace,
} from "./state.js";
import {
  deleteEntitiesSchema,
  externalIdSchema,
  folderCreateSchema,
  folderRenameSchema,
  getSchema,
  labelCreateSchema,
  labelMoveSchema,
  moveEntitiesSchema,
  parseBody,
  patchSchema,
  publishSchema,
  queryBool,
  queryInt,
  type PatchBody,
  type PublishBody,
} from "./validate.js";
import { promptBlueprint } from "../render/index.js";
import { workflowById, workflowEntities } from "./workflows.js";
import type { ApiRequest, ApiResponse, ExternalIdRef, Json, JsonObject, StoredWorkflow } from "./records.js";
import type { RouteParams as Params, RouteTable } from "./router.js";
import { folderBody, labelBody, listItem, published, rawRead } from "./shapes.js";

const ok = (body: Json, status = 200): ApiResponse => ({ status, body });

// Keys a version body may carry that belong to the template, not the version (the official SDKs send the
// flattened body in both objects, so they turn up on the version side too).
const TEMPLATE_LEVEL_KEYS = new Set([
  "prompt_template",
  "commit_message",
  "metadata",
  "prompt_name",
  "tags",
  "folder_id",
  "workspace_id",
  "release_labels",
  "external_ids",
]);

function publishInput(body: PublishBody) {
  const version = body.prompt_version;
  const extras = Object.fromEntries(
    Object.entries(version).filter(([key]) => !TEMPLATE_LEVEL_KEYS.has(key)),
  ) as JsonObject;
  const promptTemplate = { ...(version.prompt_template as JsonObject) };
  promptTemplate.type ??= Array.isArray(promptTemplate.messages) ? "chat" : "completion";
  return {
    prompt_name: body.prompt_template.prompt_name,
    tags: body.prompt_template.tags,
    folder_id: body.prompt_template.folder_id,
    prompt_template: promptTemplate,
    metadata: (version.metadata as JsonObject | null | undefined) ?? null,
    commit_message: version.commit_message ?? null,
    extras,
    release_labels: body.release_labels ?? null,
    external_ids: body.external_ids ?? [],
  };
}

// ---- Templates ----

function listTemplates(workspace: Workspace, { query }: ApiRequest): ApiResponse {
  const page = queryInt(query, "page") ?? 1;
  const perPage = queryInt(query, "per_page") ?? 30;
  const name = query.get("name")?.toLowerCase();
  const label = query.get("label") ?? undefined;
  const tags = query.getAll("tags");
  const source = query.get("external_source");
  const externalId = query.get("external_id");
  if ((source === null) !== (externalId === null))
    throw new ApiError(422, {
      detail: [
        { loc: ["query", "external_id"], msg: "external_source and external_id go together", type: "value_error" },
      ],
    });
  const snippetFilter = query.has("is_snippet") ? queryBool(query, "is_snippet", false) : undefined;

  const rows = workspace.data.templates.flatMap((template) => {
    if (name !== undefined && !template.name.toLowerCase().includes(name)) return [];
    if (!tags.every((tag) => template.tags.includes(tag))) return [];
    if (
      source !== null &&
      !template.external_ids.some((ref) => ref.source === source && ref.external_id === externalId)
    )
      return [];
    if (snippetFilter !== undefined && workspace.isSnippet(template) !== snippetFilter) return [];
    if (label === undefined) return [{ template, version: template.versions.at(-1)! }];
    const labelled = workspace.labelsOf(template).find((l) => l.name === label);
    return labelled
      ? [{ template, version: template.versions.find((v) => v.number === labelled.version_number)! }]
      : [];
  });
  sortTemplates(rows, query.get("sort_by") ?? "created_at", query.get("sort_order") ?? "desc");

  const total = rows.length;
  const pages = Math.ceil(total / perPage);
  const items = rows
    .slice((page - 1) * perPage, page * perPage)
    .map(({ template, version }) => listItem(workspace, template, version));
  // The spec declares next_num and prev_num as required integers, so they are numbers even past the ends;
  // has_next and has_prev are what say whether those pages exist.
  return ok({
    items,
    page,
    pages,
    total,
    has_next: page < pages,
    has_prev: page > 1,
    next_num: page + 1,
    prev_num: page - 1,
  });
}

function sortTemplates(rows: Array<{ template: StoredTemplate }>, sortBy: string, order: string): void {
  const keyOf = ({ template }: { template: StoredTemplate }): string | number =>
    sortBy === "name"
      ? template.name
      : sortBy === "updated_at"
        ? template.updated_at
        : sortBy === "id"
          ? template.id
          : template.created_at;
  const direction = order === "asc" ? 1 : -1;
  // Ids break ties, so templates created within the same millisecond keep a stable order.
  rows.sort((a, b) => {
    const [x, y] = [keyOf(a), keyOf(b)];
    return (x < y ? -1 : x > y ? 1 : a.template.id - b.template.id) * direction;
  });
}

function versionSelector(query: URLSearchParams) {
  return { version: queryInt(query, "version"), label: query.get("label") ?? undefined };
}

function getRaw(workspace: Workspace, { query, staleForMs = 0 }: ApiRequest, { identifier }: Params): ApiResponse {
  const selector = versionSelector(query);
  const resolve = queryBool(query, "resolve_snippets", true);
  const template = workspace.template(identifier!);
  const selected = workspace.selectVersion(template, selector);
  // A cached read of "the latest" lags behind a version published moments ago.
  const latest = selector.version === undefined && selector.label === undefined;
  const cached =
    latest && template.versions.length > 1 && workspace.now().getTime() - Date.parse(selected.created_at) < staleForMs
      ? template.versions.at(-2)!
      : selected;
  return ok(rawRead(workspace, template, cached, resolve));
}

/**
 * The SDK's `templates.get` and `run()`: the rendering view, with snippets expanded, variables filled as PromptLayer
 * fills them, and `llm_kwargs`, the request for the template's provider, which `run()` sends as it is.
 */
function getForRun(workspace: Workspace, { body }: ApiRequest, { identifier }: Params): ApiResponse {
  const options = parseBody(getSchema, body ?? null) ?? {};
  const template = workspace.template(identifier!);
  const version = workspace.selectVersion(template, {
    version: options.version ?? undefined,
    label: options.label ?? undefined,
  });
  const { response } = promptBlueprint(
    {
      id: template.id,
      prompt_name: template.name,
      version: version.number,
      prompt_template: workspace.resolveSnippets(version.prompt_template) as JsonObject,
      metadata: version.metadata,
      commit_message: version.commit_message,
    },
    {
      ...(options.input_variables && !options.skip_input_variable_rendering
        ? { inputVariables: options.input_variables }
        : {}),
      ...(options.provider ? { provider: options.provider } : {}),
      ...(options.model ? { model: options.model } : {}),
      ...(options.model_parameter_overrides
        ? { parameterOverrides: options.model_parameter_overrides as JsonObject }
        : {}),
    },
  );
  return ok(response as Json);
}

/**
 * The official JS SDK wraps the caller's whole publish body twice, as `{prompt_template: body, prompt_version: body}`;
 * PromptLayer accepts that, so the sandbox unwraps it.
 */
function unwrapSdkBody(body: unknown): unknown {
  if (body === null || typeof body !== "object") return body;
  const inner = (body as { prompt_template?: unknown }).prompt_template;
  if (inner === null || typeof inner !== "object" || "prompt_name" in inner) return body;
  const nested = inner as { prompt_template?: unknown; prompt_version?: unknown };
  return nested.prompt_template !== undefined && nested.prompt_version !== undefined ? inner : body;
}

function publish(workspace: Workspace, { body }: ApiRequest): ApiResponse {
  const parsed = parseBody(publishSchema, unwrapSdkBody(body));
  const { template, version, labels } = workspace.publish(publishInput(parsed));
  return ok(published(template, version, parsed.release_labels == null ? null : labels));
}

function upsertByExternalId(workspace: Workspace, { body }: ApiRequest, { source, external_id }: Params): ApiResponse {
  const parsed = parseBody(publishSchema, unwrapSdkBody(body));
  const ref = { source: source!, external_id: external_id! };
  const held = workspace.externalIdOwner(ref);
  const owner = workspace.data.templates.find((template) => template === held);
  if (held && !owner)
    throw new ApiError(409, { success: false, message: "External ID is attached to another kind of entity" });
  const input = publishInput(parsed);
  const { template, version, labels } = workspace.publish(
    { ...input, external_ids: [...input.external_ids, ref] },
    owner,
  );
  return ok(published(template, version, parsed.release_labels == null ? null : labels), owner ? 200 : 201);
}

function patchVersion(workspace: Workspace, { body }: ApiRequest, { identifier }: Params): ApiResponse {
  const patch = parseBody(patchSchema, body);
  const template = workspace.template(identifier!);
  const base = workspace.selectVersion(template, {
    version: patch.version ?? undefined,
    label: patch.label ?? undefined,
  });
  const content = applyPatch(base, patch);
  const { version } = workspace.publish(
    {
      prompt_name: template.name,
      prompt_template: content.promptTemplate,
      metadata: content.metadata,
      commit_message: patch.commit_message ?? null,
      extras: base.extras,
      release_labels: patch.release_labels ?? null,
      external_ids: [],
    },
    template,
  );
  return ok(published(template, version, patch.release_labels ?? null), 201);
}

function applyPatch(
  base: StoredVersion,
  patch: PatchBody,
): { promptTemplate: JsonObject; metadata: JsonObject | null } {
  const promptTemplate = structuredClone(base.prompt_template);
  const isChat = promptTemplate.type === "chat";
  const badRequest = (message: string) => new ApiError(400, { success: false, message });
  if (patch.messages != null && !isChat) throw badRequest("messages can only be patched on a chat template");
  if (patch.content != null && isChat) throw badRequest("content can only be patched on a completion template");
  for (const key of ["messages", "content", "tools", "functions"] as const) {
    const change = patch[key];
    if (change === undefined) continue;
    if (change === null) {
      if (key === "messages" || key === "content") throw badRequest(`${key} cannot be removed`);
      promptTemplate[key] = null;
    } else if (Array.isArray(change)) {
      promptTemplate[key] = change as Json[];
    } else {
      const list = [...((promptTemplate[key] as Json[] | null) ?? [])];
      for (const [index, item] of Object.entries(change)) {
        const at = Number(index);
        if (!Number.isInteger(at) || at < 0 || at >= list.length)
          throw badRequest(`Index ${index} is out of range for ${key}`);
        list[at] = item as Json;
      }
      promptTemplate[key] = list;
    }
  }
  for (const key of ["function_call", "tool_choice"] as const)
    if (patch[key] !== undefined) promptTemplate[key] = patch[key] as Json;

  const metadata = structuredClone(base.metadata) ?? {};
  if (patch.model_parameters != null || patch.response_format !== undefined) {
    if (
      patch.response_format !== undefined &&
      patch.model_parameters != null &&
      "response_format" in patch.model_parameters
    ) {
      throw badRequest("response_format and model_parameters.response_format cannot be combined");
    }
    const model = (metadata.model as JsonObject | null | undefined) ?? null;
    if (model === null) throw badRequest("The base version has no model to set parameters on");
    const parameters: JsonObject = {
      ...((model.parameters as JsonObject | undefined) ?? {}),
      ...((patch.model_parameters as JsonObject | null) ?? {}),
    };
    if (patch.response_format === null) delete parameters.response_format;
    else if (patch.response_format !== undefined) parameters.response_format = patch.response_format as Json;
    metadata.model = { ...model, parameters };
  }
  return { promptTemplate, metadata: base.metadata === null && Object.keys(metadata).length === 0 ? null : metadata };
}

function snippetUsage(workspace: Workspace, { query }: ApiRequest, { identifier }: Params): ApiResponse {
  const snippet = workspace.findTemplate(identifier!);
  if (!snippet) return { status: 404 };
  const versionNumber = queryInt(query, "prompt_version_number");
  const { snippetUsage: usage, labelUsage } = workspace.snippetUsage(snippet, versionNumber);
  return ok({
    success: true,
    message: "Snippet usage retrieved",
    snippet_name: snippet.name,
    snippet_usage: usage,
    total_prompts_using_snippet: usage.length,
    label_usage: labelUsage,
    total_labels_using_snippet: labelUsage.length,
  });
}

// ---- Labels ----

function listLabels(workspace: Workspace, _request: ApiRequest, { identifier }: Params): ApiResponse {
  const template = workspace.findTemplate(identifier!);
  if (!template) return { status: 404 };
  const labels = workspace.labelsOf(template).map((label) => ({
    release_label: label.name,
    release_label_id: label.id,
    prompt_version_id: workspace.versionIdOf(label),
    prompt_version_number: label.version_number,
  }));
  return ok({ release_labels: labels });
}

function createLabel(workspace: Workspace, { body }: ApiRequest, { prompt_id }: Params): ApiResponse {
  const { name, prompt_version_number } = parseBody(labelCreateSchema, body);
  const template = workspace.template(Number(prompt_id));
  if (workspace.labelsOf(template).some((label) => label.name === name)) {
    throw new ApiError(400, {
      success: false,
      message: `Release label '${name}' already exists for this prompt template`,
    });
  }
  return ok(labelBody(workspace, workspace.setLabel(template, name, prompt_version_number)));
}

function moveLabel(workspace: Workspace, { body }: ApiRequest, { label_id }: Params): ApiResponse {
  const { prompt_version_number } = parseBody(labelMoveSchema, body);
  const label = workspace.label(Number(label_id));
  return ok(labelBody(workspace, workspace.moveLabel(label, prompt_version_number)));
}

function deleteLabel(workspace: Workspace, _request: ApiRequest, { label_id }: Params): ApiResponse {
  workspace.deleteLabel(workspace.label(Number(label_id)));
  return { status: 204 };
}

// ---- External IDs ----

function templateById(workspace: Workspace, id: string): StoredTemplate {
  const template = /^\d+$/.test(id) ? workspace.data.templates.find((t) => t.id === Number(id)) : undefined;
  if (!template) throw new ApiError(404, { success: false, message: "Prompt template not found" });
  return template;
}

const externalIdRoutes = (
  lookup: (workspace: Workspace, id: string) => StoredTemplate | StoredFolder | StoredWorkflow,
) => ({
  attach(workspace: Workspace, { body }: ApiRequest, { id }: Params): ApiResponse {
    const ref = parseBody(externalIdSchema, body);
    workspace.attachExternalId(lookup(workspace, id!), ref);
    return ok({ success: true, external_id: ref }, 201);
  },
  list(workspace: Workspace, _request: ApiRequest, { id }: Params): ApiResponse {
    return ok({ success: true, external_ids: lookup(workspace, id!).external_ids as unknown as Json });
  },
  detach(workspace: Workspace, _request: ApiRequest, { id, source, external_id }: Params): ApiResponse {
    workspace.detachExternalId(lookup(workspace, id!), {
      source: source!,
      external_id: external_id!,
    } satisfies ExternalIdRef);
    return ok({ success: true });
  },
});

const templateExternalIds = externalIdRoutes(templateById);
const folderExternalIds = externalIdRoutes((workspace, id) => workspace.folder(Number(id)));
const workflowExternalIds = externalIdRoutes(workflowById);

// ---- Folders ----

/** Folder endpoints insist on the workspace id and answer a wrong one with a bare JSON string. */
function requireWorkspace(workspace: Workspace, raw: string | null | number | undefined, required: boolean): void {
  if (raw === null || raw === undefined || raw === "") {
    if (required) throw new ApiError(400, "Invalid workspace_id");
    return;
  }
  if (Number(raw) !== workspace.data.workspace_id) throw new ApiError(400, "Invalid workspace_id");
}

function createFolder(workspace: Workspace, { body }: ApiRequest): ApiResponse {
  const input = parseBody(folderCreateSchema, body);
  requireWorkspace(workspace, input.workspace_id, false);
  const folder = workspace.createFolder(input.name, input.parent_id ?? null, input.external_ids ?? []);
  return ok({ success: true, folder: folderBody(workspace, folder) }, 201);
}

function renameFolder(workspace: Workspace, { body }: ApiRequest, { folder_id }: Params): ApiResponse {
  const { name } = parseBody(folderRenameSchema, body);
  const folder = workspace.renameFolder(workspace.folder(Number(folder_id)), name);
  return ok({ success: true, folder: folderBody(workspace, folder) });
}

function resolveFolderId(workspace: Workspace, { query }: ApiRequest): ApiResponse {
  requireWorkspace(workspace, query.get("workspace_id"), true);
  const path = query.get("path");
  if (path === null)
    throw new ApiError(422, { detail: [{ loc: ["query", "path"], msg: "Field required", type: "missing" }] });
  const folder = workspace.resolveFolder(path.split("."));
  if (!folder) throw notFound(`No folder at path '${path}'`);
  return ok({ id: folder.id });
}

function listEntities(workspace: Workspace, { query }: ApiRequest): ApiResponse {
  requireWorkspace(workspace, query.get("workspace_id"), true);
  const folderId = queryInt(query, "folder_id") ?? null;
  if (folderId !== null) workspace.folder(folderId);
  const flatten = queryBool(query, "flatten", false);
  const withMetadata = queryBool(query, "include_metadata", false);
  const types = new Set(query.getAll("filter_type"));
  const wanted = (type: string) => types.size === 0 || types.has(type);
  const within = (parent: number | null) => {
    if (!flatten) return parent === folderId;
    return folderId === null || (parent !== null && workspace.folderPath(parent).some((f) => f.id === folderId));
  };
  const pathOf = (parent: number | null) => workspace.folderPath(parent).map((f) => f.name);

  const folders = workspace.data.folders
    .filter((folder) => wanted("FOLDER") && within(folder.parent_id))
    .map((folder) => ({
      id: folder.id,
      name: folder.name,
      type: "FOLDER",
      folder_id: folder.parent_id,
      path: pathOf(folder.parent_id),
      created_at: folder.created_at,
      updated_at: folder.updated_at,
      external_ids: folder.external_ids as unknown as Json,
    }));
  const prompts = workspace.data.templates.flatMap((template) => {
    const type = workspace.isSnippet(template) ? "SNIPPET" : "PROMPT";
    if (!within(template.folder_id) || !wanted(type)) return [];
    const latest = template.versions.at(-1)!;
    return [
      {
        id: template.id,
        name: template.name,
        type,
        folder_id: template.folder_id,
        path: pathOf(template.folder_id),
        created_at: template.created_at,
        updated_at: template.updated_at,
        ...(withMetadata
          ? { metadata: { type: latest.prompt_template.type as string, latest_version_number: latest.number } }
          : {}),
        external_ids: template.external_ids as unknown as Json,
      },
    ];
  });
  const workflows = wanted("WORKFLOW") ? workflowEntities(workspace, within, pathOf, withMetadata) : [];
  return ok({ entities: [...folders, ...prompts, ...workflows] });
}

function moveEntities(workspace: Workspace, { body }: ApiRequest): ApiResponse {
  const input = parseBody(moveEntitiesSchema, body);
  requireWorkspace(workspace, input.workspace_id, false);
  return ok({ moved_count: workspace.moveEntities(input.entities, input.folder_id ?? null) });
}

function deleteEntities(workspace: Workspace, { body }: ApiRequest): ApiResponse {
  const input = parseBody(deleteEntitiesSchema, body);
  requireWorkspace(workspace, input.workspace_id, false);
  return ok({ moved_count: workspace.deleteEntities(input.entities, input.cascade) });
}

const FOLDERS = "api/public/v2/folders";
/** Templates, their versions and labels, snippets, folders and external IDs. */
export const REGISTRY_ROUTES: RouteTable = [
  ["GET", "prompt-templates", listTemplates],
  ["PUT", "prompt-templates/by-external-id/:source/*external_id", upsertByExternalId],
  ["GET", "prompt-templates/:identifier", getRaw],
  ["POST", "prompt-templates/:identifier", getForRun],
  ["GET", "prompt-templates/:identifier/labels", listLabels],
  ["GET", "prompt-templates/:identifier/snippet-usage", snippetUsage],
  ["POST", "prompt-templates/:id/external-ids", templateExternalIds.attach],
  ["GET", "prompt-templates/:id/external-ids", templateExternalIds.list],
  ["DELETE", "prompt-templates/:id/external-ids/:source/*external_id", templateExternalIds.detach],
  ["POST", "rest/prompt-templates", publish],
  ["PATCH", "rest/prompt-templates/:identifier", patchVersion],
  ["POST", "prompts/:prompt_id/label", createLabel],
  ["PATCH", "prompt-labels/:label_id", moveLabel],
  ["DELETE", "prompt-labels/:label_id", deleteLabel],
  ["POST", FOLDERS, createFolder],
  ["GET", `${FOLDERS}/resolve-id`, resolveFolderId],
  ["GET", `${FOLDERS}/entities`, listEntities],
  ["POST", `${FOLDERS}/entities`, moveEntities],
  ["DELETE", `${FOLDERS}/entities`, deleteEntities],
  ["PATCH", `${FOLDERS}/:folder_id`, renameFolder],
  ["POST", `${FOLDERS}/:id/external-ids`, folderExternalIds.attach],
  ["GET", `${FOLDERS}/:id/external-ids`, folderExternalIds.list],
  ["DELETE", `${FOLDERS}/:id/external-ids/:source/*external_id`, folderExternalIds.detach],
  ["POST", "workflows/:id/external-ids", workflowExternalIds.attach],
  ["GET", "workflows/:id/external-ids", workflowExternalIds.list],
  ["DELETE", "workflows/:id/external-ids/:source/*external_id", workflowExternalIds.detach],
];
