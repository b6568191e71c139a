/**
 * PromptLayer's prompt registry as plx uses it: one method per endpoint, every answer parsed with its zod
 * schema, expected statuses turned into values (404 → undefined) and publishing made safe to retry.
 */
import type { z } from "zod";
import { DEFAULT_BASE_URL, DEFAULT_CONCURRENCY } from "../core/defaults.js";
import { unusableFolderName } from "../core/folders.js";
import { isPlxError, plxError } from "../errors/index.js";
import { Redactor } from "../redact.js";
import {
  apiPath,
  normalizeBaseUrl,
  Transport,
  type Reply,
  type RequestEvent,
  type RequestSpec,
  type TransportStats,
} from "./http.js";
import { pagedItems, ReplyReader } from "./replies.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./retry.js";
import { TablesApi } from "./tables.js";
import { WorkflowsApi } from "./workflows.js";
import {
  contentHashOf,
  externalIdAttachSchema,
  externalIdListSchema,
  folderCreateSchema,
  folderEntitiesSchema,
  folderIdSchema,
  labelChangeSchema,
  publishResponseSchema,
  rawTemplateSchema,
  releaseLabelsSchema,
  snippetUsageSchema,
  templatePageSchema,
  type ExternalId,
  type Folder,
  type FolderEntity,
  type ListedTemplate,
  type PublishBody,
  type RawTemplate,
  type ReleaseLabel,
  type SnippetUsage,
} from "./schemas.js";

/** The folder-entity types plx keeps in files. */
export type SyncedEntityType = "PROMPT" | "SNIPPET" | "WORKFLOW";

export { DEFAULT_BASE_URL };
export const DEFAULT_TIMEOUT_MS = 15_000;
export const DEFAULT_DEADLINE_MS = 600_000;

export interface PromptLayerClientOptions {
  /** Required; a missing key fails here with AUTH.MISSING_KEY, before any request. */
  apiKey: string | undefined;
  /** Default https://api.promptlayer.com. */
  baseUrl?: string;
  /** The run's redactor; the client registers its key with it. */
  redactor?: Redactor;
  /** Requests in flight at most, shared by every call; lowered while the server answers 429. Default 16. */
  concurrency?: number;
  /** One attempt's time to connect and get the first byte of the answer (and the longest pause in a body). Default 15 s. */
  timeoutMs?: number;
  /** Time for all of the client's requests together, retries included. Default 10 minutes. */
  deadlineMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Known in advance (saves two requests); otherwise learned from the first template read. */
  workspaceId?: number;
  /** Aborts every request and retry wait; they then fail with `interrupted`. */
  signal?: AbortSignal;
  /** Called after every attempt, for --debug logs. */
  onRequest?: (event: RequestEvent) => void;
}

export interface TemplateFilters {
  /** Case-insensitive substring. */
  name?: string;
  /** Only templates carrying this label, each at the labelled version. */
  label?: string;
  /** Templates carrying all of these tags. */
  tags?: readonly string[];
  externalId?: ExternalId;
  isSnippet?: boolean;
  status?: "active" | "deleted" | "all";
}

export interface GetTemplateOptions {
  /** A version number; mutually exclusive with `label`. Latest when neither is given. */
  version?: number;
  label?: string;
  /** Expand @@@snippet@@@ references. Default false: plx stores the references, not their expansion. */
  resolveSnippets?: boolean;
}

export interface PublishOptions {
  /**
   * The template's latest version number before this publish, or null when the template does not exist yet:
   * what a read-back after a lost answer compares with. When omitted the client reads it first (one request).
   */
  previousVersion?: number | null;
  /**
   * Whether a version found on read-back is the one this publish created. Default: its
   * `metadata.plx.content_hash` equals the one in the body.
   */
  isOurs?: (version: RawTemplate) => boolean;
}

export interface PublishResult {
  id: number;
  promptName: string;
  version: number;
  /** True when the answer was lost and the version was found by reading the template back. */
  recovered: boolean;
}

const PAGE_SIZE = 100;
// After a lost publish answer, how many new versions plx reads back looking for its own before giving up.
const MAX_READ_BACK = 10;

export class PromptLayerClient {
  private readonly http: Transport;
  private readonly replies: ReplyReader;
  private workflowsApi: WorkflowsApi | undefined;
  private tablesApi: TablesApi | undefined;
  private readonly redactor: Redactor;
  private knownWorkspaceId: number | undefined;
  private workspaceDiscovery: Promise<number | undefined> | undefined;
  /** Folder path ("a.b") → its id, and whether this client created it (so its children need no lookup). */
  private readonly folders = new Map<string, Promise<{ id: number; created: boolean }>>();

  constructor(options: PromptLayerClientOptions) {
    const apiKey = options.apiKey?.trim();
    if (!apiKey) throw plxError("AUTH.MISSING_KEY");
    this.redactor = options.redactor ?? new Redactor();
    this.redactor.add(apiKey);
    this.knownWorkspaceId = options.workspaceId;
    this.http = new Transport({
      baseUrl: normalizeBaseUrl(options.baseUrl ?? DEFAULT_BASE_URL),
      apiKey,
      redactor: this.redactor,
      concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      deadlineMs: options.deadlineMs ?? DEFAULT_DEADLINE_MS,
      // Field by field, so `{ maxAttempts: undefined }` from an absent flag keeps the default.
      retry: {
        maxAttempts: options.retry?.maxAttempts ?? DEFAULT_RETRY_POLICY.maxAttempts,
        baseDelayMs: options.retry?.baseDelayMs ?? DEFAULT_RETRY_POLICY.baseDelayMs,
        maxDelayMs: options.retry?.maxDelayMs ?? DEFAULT_RETRY_POLICY.maxDelayMs,
        maxRetryAfterMs: options.retry?.maxRetryAfterMs ?? DEFAULT_RETRY_POLICY.maxRetryAfterMs,
      },
      signal: options.signal,
      onRequest: options.onRequest,
    });
    this.replies = new ReplyReader(this.http, this.redactor);
  }

  /** PromptLayer's Tables and scores (plx eval-report), over this client's transport. */
  get tables(): TablesApi {
    return (this.tablesApi ??= new TablesApi(this.http, this.replies));
  }

  /** PromptLayer's agents (workflows), over this client's transport. */
  get workflows(): WorkflowsApi {
    return (this.workflowsApi ??= new WorkflowsApi(this.http, this.replies));
  }

  /** Requests sent, retries, 429s, and the concurrency limit's state. */
  stats(): TransportStats {
    return this.http.stats();
  }

  /** Closes the pooled connections. */
  close(): Promise<void> {
    return this.http.close();
  }

  /** The client's transport, for API groups kept in modules of their own (request-logs.ts). */
  get transport(): Transport {
    return this.http;
  }

  // ---- Templates ----

  /** Every template matching the filters, newest first, fetched a page at a time. */
  listTemplates(filters: TemplateFilters = {}): AsyncGenerator<ListedTemplate, void, undefined> {
    return pagedItems((page) => this.listPage(filters, page, PAGE_SIZE));
  }

  async allTemplates(filters: TemplateFilters = {}): Promise<ListedTemplate[]> {
    const all: ListedTemplate[] = [];
    for await (const template of this.listTemplates(filters)) all.push(template);
    return all;
  }

  /** One version of a template by name or id, as stored; undefined when the template (or that version or label) does not exist. */
  async getTemplate(identifier: string | number, options: GetTemplateOptions = {}): Promise<RawTemplate | undefined> {
    const template = await this.readUnlessMissing(rawTemplateSchema, {
      method: "GET",
      path: apiPath`/prompt-templates/${identifier}`,
      query: { version: options.version, label: options.label, resolve_snippets: options.resolveSnippets ?? false },
    });
    if (template) this.knownWorkspaceId ??= template.workspace_id;
    return template;
  }

  /** The template an external ID is attached to, if any. */
  async findByExternalId(ref: ExternalId): Promise<ListedTemplate | undefined> {
    return (await this.listPage({ externalId: ref }, 1, 1)).items[0];
  }

  /**
   * Publishes a new version (creating the template if needed) with POST /rest/prompt-templates.
   *
   * A publish mints a version on every call, so it is never retried blindly:
   * 1. The latest version before publishing is known (`previousVersion`, or read first; null for a new template).
   * 2. The request is sent. A 2xx is the result; a 4xx other than 429 is final; a 429 or a refused
   *    connection is retried after the backoff, since the server did not act.
   * 3. When the outcome is unknown — the connection dropped or timed out after sending, or a 5xx — the
   *    template is read back, uncached:
   *    - missing, or its latest version not above the previous one: the attempt did not land; send again (2).
   *    - newer versions: look from the newest down for one that `isOurs` (by default its
   *      metadata.plx.content_hash equals the body's). Found: that version is the result. None: someone
   *      else published meanwhile and ours did not land; send again (2).
   *    - newer versions but no way to recognise ours (no hash, no predicate), too many to read, or the
   *      read-back itself fails: stop with REMOTE.OUTCOME_UNKNOWN rather than risk a duplicate.
   * A 409 (an external ID in the body belongs to another template) throws REMOTE.EXTERNAL_ID_CONFLICT.
   */
  publish(body: PublishBody, options: PublishOptions = {}): Promise<PublishResult> {
    const name = body.prompt_template.prompt_name;
    return this.publishAtMostOnce(
      { method: "POST", path: "/rest/prompt-templates", body },
      body,
      async () => name,
      options,
    );
  }

  /**
   * Publishes through PUT /prompt-templates/by-external-id/{source}/{external_id}: a new version on the
   * template the ID is attached to, else on the template named in the body (created if needed), attaching
   * the ID. It mints a version too, so it follows publish's algorithm; the template to read back is the one
   * the ID points at, or the one named in the body while the ID is not attached yet.
   */
  upsertByExternalId(ref: ExternalId, body: PublishBody, options: PublishOptions = {}): Promise<PublishResult> {
    const locate = async () => (await this.findByExternalId(ref))?.id ?? body.prompt_template.prompt_name;
    const path = apiPath`/prompt-templates/by-external-id/${ref.source}/${ref.external_id}`;
    return this.publishAtMostOnce({ method: "PUT", path, body }, body, locate, options);
  }

  /** Which templates and labels use a snippet (its blast radius); undefined when the snippet does not exist. */
  snippetUsage(identifier: string | number, versionNumber?: number): Promise<SnippetUsage | undefined> {
    return this.readUnlessMissing(snippetUsageSchema, {
      method: "GET",
      path: apiPath`/prompt-templates/${identifier}/snippet-usage`,
      query: { prompt_version_number: versionNumber },
    });
  }

  // ---- Release labels ----

  /** A template's release labels; undefined when the template does not exist. */
  async listLabels(identifier: string | number): Promise<ReleaseLabel[] | undefined> {
    const labels = await this.readUnlessMissing(releaseLabelsSchema, {
      method: "GET",
      path: apiPath`/prompt-templates/${identifier}/labels`,
    });
    return labels?.release_labels;
  }

  /** Creates a label on a version. A lost answer is settled by reading the labels back, never by creating twice. */
  async createLabel(promptId: number, name: string, versionNumber: number): Promise<ReleaseLabel> {
    const spec: RequestSpec = {
      method: "POST",
      path: apiPath`/prompts/${promptId}/label`,
      body: { prompt_version_number: versionNumber, name },
    };
    const result = await this.http.requestAtMostOnce(spec, {
      action: `creating label "${name}"`,
      confirm: async () =>
        (await this.listLabels(promptId))?.find(
          (label) => label.release_label === name && label.prompt_version_number === versionNumber,
        ),
    });
    return "confirmed" in result
      ? result.confirmed
      : this.labelFrom(this.parse(labelChangeSchema, result, spec), versionNumber);
  }

  /** Points an existing label at another version. */
  async moveLabel(labelId: number, versionNumber: number): Promise<ReleaseLabel> {
    const spec: RequestSpec = {
      method: "PATCH",
      path: apiPath`/prompt-labels/${labelId}`,
      body: { prompt_version_number: versionNumber },
    };
    return this.labelFrom(await this.read(labelChangeSchema, spec), versionNumber);
  }

  async deleteLabel(labelId: number): Promise<void> {
    // A 404 means the label is gone, which is what was asked (a retried delete meets its own first attempt).
    await this.http.request({ method: "DELETE", path: apiPath`/prompt-labels/${labelId}`, expect: [404] });
  }

  // ---- External IDs ----

  /** Attaching the same ID to the same template again is a no-op on the server, so this is retried freely. */
  async attachExternalId(templateId: number, ref: ExternalId): Promise<ExternalId> {
    const spec: RequestSpec = {
      method: "POST",
      path: apiPath`/prompt-templates/${templateId}/external-ids`,
      body: { source: ref.source, external_id: ref.external_id },
      idempotent: true,
    };
    return this.parse(
      externalIdAttachSchema,
      this.unlessConflict(await this.http.request({ ...spec, expect: [409] }), spec),
      spec,
    ).external_id;
  }

  async listExternalIds(templateId: number): Promise<ExternalId[]> {
    return (
      await this.read(externalIdListSchema, {
        method: "GET",
        path: apiPath`/prompt-templates/${templateId}/external-ids`,
      })
    ).external_ids;
  }

  async detachExternalId(templateId: number, ref: ExternalId): Promise<void> {
    // As with labels, a 404 means the mapping is already gone.
    const path = apiPath`/prompt-templates/${templateId}/external-ids/${ref.source}/${ref.external_id}`;
    await this.http.request({ method: "DELETE", path, expect: [404] });
  }

  // ---- Workspace and folders ----

  /**
   * The workspace the key belongs to. PromptLayer has no "whoami": the id comes from the `workspaceId` option,
   * or from any template read (getTemplate records it), or else from reading the newest template (two requests,
   * once), or the list of agents when there is none. Undefined when the workspace has neither.
   */
  async workspaceId(): Promise<number | undefined> {
    if (this.knownWorkspaceId !== undefined) return this.knownWorkspaceId;
    this.workspaceDiscovery ??= this.discoverWorkspaceId().finally(() => {
      this.workspaceDiscovery = undefined;
    });
    return this.workspaceDiscovery;
  }

  /** Moves a template into a folder (the workspace root for null), as the folder-entities type the listing gave it. */
  async moveToFolder(entity: { id: number; type: string }, folderId: number | null): Promise<void> {
    const workspaceId = await this.workspaceId();
    await this.http.request({
      method: "POST",
      path: "/api/public/v2/folders/entities",
      body: {
        entities: [{ id: entity.id, type: entity.type }],
        ...(folderId === null ? {} : { folder_id: folderId }),
        ...(workspaceId === undefined ? {} : { workspace_id: workspaceId }),
      },
      // Moving to where it already is changes nothing, so a retry is harmless.
      idempotent: true,
    });
  }

  /**
   * Deletes entities (templates, as the folder-entities type the listing gave them). PromptLayer deletes softly; a
   * second delete of what is gone changes nothing, so a retry is harmless.
   */
  async deleteEntities(entities: ReadonlyArray<{ id: number; type: string }>): Promise<void> {
    const workspaceId = await this.workspaceId();
    await this.http.request({
      method: "DELETE",
      path: "/api/public/v2/folders/entities",
      body: { entities, ...(workspaceId === undefined ? {} : { workspace_id: workspaceId }) },
      expect: [404],
    });
  }

  /**
   * Every entity of these types (prompts, snippets, agents) in the workspace, with its folder path and latest version
   * number, in one request.
   */
  async listEntities(types: readonly SyncedEntityType[]): Promise<FolderEntity[]> {
    const workspaceId = await this.workspaceId();
    // A workspace without templates or agents has no such entities, and no id to ask with.
    if (workspaceId === undefined) return [];
    const { entities } = await this.read(folderEntitiesSchema, {
      method: "GET",
      path: "/api/public/v2/folders/entities",
      query: { workspace_id: workspaceId, flatten: true, filter_type: [...types], include_metadata: true },
    });
    return entities;
  }

  /** A folder's id from its path of names (root first); undefined when it does not exist. */
  async resolveFolderId(path: readonly string[]): Promise<number | undefined> {
    assertFolderPath(path);
    const workspaceId = await this.workspaceId();
    // Without a template plx cannot learn the workspace id; folders are then treated as absent and created.
    if (workspaceId === undefined) return undefined;
    const found = await this.readUnlessMissing(folderIdSchema, {
      method: "GET",
      path: "/api/public/v2/folders/resolve-id",
      query: { workspace_id: workspaceId, path: path.join(".") },
    });
    return found?.id;
  }

  async createFolder(name: string, parentId: number | null): Promise<Folder> {
    assertFolderPath([name]);
    const { folder } = await this.read(folderCreateSchema, {
      method: "POST",
      path: "/api/public/v2/folders",
      body: { name, parent_id: parentId },
      // Names are unique within a parent: repeating a create that took effect is refused (400), it cannot
      // make a second folder. ensureFolderPath turns that refusal back into the folder's id.
      idempotent: true,
    });
    this.knownWorkspaceId ??= folder.workspace_id;
    return folder;
  }

  /**
   * The id of the folder at `path` (root first), creating missing levels one at a time since the API has no
   * "mkdir -p"; null for the root. Ids are cached, and concurrent calls for the same path share one lookup.
   */
  async ensureFolderPath(path: readonly string[]): Promise<number | null> {
    assertFolderPath(path);
    let parent: { id: number; created: boolean } | undefined;
    for (let depth = 1; depth <= path.length; depth++) {
      const prefix = path.slice(0, depth);
      const key = prefix.join(".");
      let pending = this.folders.get(key);
      if (!pending) {
        pending = this.ensureFolder(prefix, parent);
        this.folders.set(key, pending);
        pending.catch(() => this.folders.delete(key));
      }
      parent = await pending;
    }
    return parent?.id ?? null;
  }

  // ---- Internals ----

  private async ensureFolder(
    path: readonly string[],
    parent: { id: number; created: boolean } | undefined,
  ): Promise<{ id: number; created: boolean }> {
    // Inside a folder made a moment ago there is nothing to look up.
    const existing = parent?.created ? undefined : await this.resolveFolderId(path);
    if (existing !== undefined) return { id: existing, created: false };
    try {
      return { id: (await this.createFolder(path.at(-1)!, parent?.id ?? null)).id, created: true };
    } catch (error) {
      // "Already exists": another run, or this create's own first attempt whose answer was lost, made it.
      if (!isPlxError(error) || error.details?.status !== 400) throw error;
      const made = await this.resolveFolderId(path);
      if (made === undefined) throw error;
      return { id: made, created: false };
    }
  }

  private async discoverWorkspaceId(): Promise<number | undefined> {
    const newest = (await this.listPage({}, 1, 1)).items[0];
    if (newest) await this.getTemplate(newest.id);
    // A workspace with agents and no template: its agents' listing names the workspace.
    else this.knownWorkspaceId ??= (await this.workflows.list().next()).value?.workspace_id ?? undefined;
    return this.knownWorkspaceId;
  }

  private listPage(filters: TemplateFilters, page: number, perPage: number) {
    return this.read(templatePageSchema, {
      method: "GET",
      path: "/prompt-templates",
      query: {
        page,
        per_page: perPage,
        name: filters.name,
        label: filters.label,
        tags: filters.tags,
        external_source: filters.externalId?.source,
        external_id: filters.externalId?.external_id,
        is_snippet: filters.isSnippet,
        status: filters.status,
      },
    });
  }

  private async publishAtMostOnce(
    spec: RequestSpec,
    body: PublishBody,
    locate: () => Promise<string | number>,
    options: PublishOptions,
  ): Promise<PublishResult> {
    const sentHash = contentHashOf(body.prompt_version.metadata);
    const isOurs =
      options.isOurs ??
      (sentHash === undefined ? undefined : (version: RawTemplate) => contentHashOf(version.metadata) === sentHash);
    const previous =
      options.previousVersion !== undefined
        ? options.previousVersion
        : ((await this.getTemplate(await locate()))?.version ?? null);
    const action = `publishing "${body.prompt_template.prompt_name}"`;
    const result = await this.http.requestAtMostOnce(
      { ...spec, expect: [409] },
      { action, confirm: async () => this.findPublished(await locate(), previous, isOurs, action) },
    );
    if ("confirmed" in result) return result.confirmed;
    const created = this.parse(publishResponseSchema, this.unlessConflict(result, spec), spec);
    return { id: created.id, promptName: created.prompt_name, version: created.version_number, recovered: false };
  }

  /** Step 3 of the publish algorithm: the version a lost attempt created, or undefined if it created none. */
  private async findPublished(
    identifier: string | number,
    previous: number | null,
    isOurs: ((version: RawTemplate) => boolean) | undefined,
    action: string,
  ): Promise<PublishResult | undefined> {
    const latest = await this.getTemplate(identifier);
    const floor = previous ?? 0;
    if (!latest || latest.version <= floor) return undefined;
    if (!isOurs) {
      throw plxError("REMOTE.OUTCOME_UNKNOWN", {
        action,
        reason: `version ${latest.version} appeared and nothing identifies it as plx's`,
      });
    }
    if (isOurs(latest)) return recoveredFrom(latest);
    if (latest.version - floor > MAX_READ_BACK) {
      throw plxError("REMOTE.OUTCOME_UNKNOWN", {
        action,
        reason: `${latest.version - floor} versions appeared since version ${floor}, too many to check`,
      });
    }
    for (let version = latest.version - 1; version > floor; version--) {
      const candidate = await this.getTemplate(latest.id, { version });
      if (candidate && isOurs(candidate)) return recoveredFrom(candidate);
    }
    return undefined;
  }

  private labelFrom(change: z.infer<typeof labelChangeSchema>, versionNumber: number): ReleaseLabel {
    return {
      release_label: change.name,
      release_label_id: change.id,
      prompt_version_id: change.prompt_version_id,
      prompt_version_number: versionNumber,
    };
  }

  private unlessConflict(reply: Reply, spec: RequestSpec): Reply {
    return this.replies.unlessConflict(reply, spec);
  }

  private read<S extends z.ZodType>(schema: S, spec: RequestSpec): Promise<z.infer<S>> {
    return this.replies.read(schema, spec);
  }

  private readUnlessMissing<S extends z.ZodType>(schema: S, spec: RequestSpec): Promise<z.infer<S> | undefined> {
    return this.replies.readUnlessMissing(schema, spec);
  }

  private parse<S extends z.ZodType>(schema: S, reply: Reply, spec: RequestSpec): z.infer<S> {
    return this.replies.parse(schema, reply, spec);
  }
}

const recoveredFrom = (version: RawTemplate): PublishResult => ({
  id: version.id,
  promptName: version.prompt_name,
  version: version.version,
  recovered: true,
});

/** Folder paths are sent dot-joined (resolve-id), so a name holding "." would be read as two levels. */
function assertFolderPath(path: readonly string[]): void {
  const bad = unusableFolderName(path);
  if (bad !== undefined) {
    throw plxError("REMOTE.FOLDER_NAME_UNUSABLE", { name: bad });
  }
}
