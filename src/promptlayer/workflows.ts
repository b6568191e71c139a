/**
 * PromptLayer's agents API (its endpoints call them workflows) as plx uses it: list, read by version or label, labels,
 * new versions (create and patch, each minting a version at most once), external IDs, runs and their results. It
 * shares the client's Transport, so one concurrency limit, retry policy and deadline cover every request of a run.
 */
import { z } from "zod";
import { agentContentHash, agentFromRaw, type RawWorkflowVersion } from "../agents/doc.js";
import { plxError } from "../errors/index.js";
import { apiPath, type RequestSpec, type Transport } from "./http.js";
import { pagedItems, type ReplyReader } from "./replies.js";
import { type ExternalId, externalIdAttachSchema, externalIdListSchema, externalIdSchema } from "./schemas.js";

const id = z.number().int();
const versionNumber = z.number().int();

/** An item of GET /workflows. */
export const listedWorkflowSchema = z.looseObject({
  id,
  name: z.string(),
  workspace_id: id.optional(),
  latest_version_number: versionNumber.nullish(),
  release_labels: z.array(z.string()).nullish(),
  external_ids: z.array(externalIdSchema).nullish(),
  is_deleted: z.boolean().optional(),
});
const workflowPageSchema = z.looseObject({
  items: z.array(listedWorkflowSchema),
  has_next: z.boolean(),
  pages: z.number().int().optional(),
});

const nodeSchema = z.looseObject({
  name: z.string(),
  node_type: z.string(),
  configuration: z.record(z.string(), z.unknown()).nullish(),
  dependencies: z.array(z.string()).nullish(),
  is_output_node: z.boolean().nullish(),
});
const edgeSchema = z.looseObject({ source_node_name: z.string(), target_node_name: z.string() });

/**
 * GET /workflows/{id}: one version. The spec's schema says `version` where its own example says `version_number`, and
 * the Python SDK reads the id from a nested `workflow`; every spelling is accepted.
 */
const workflowReadSchema = z
  .looseObject({
    workflow_id: id.optional(),
    workflow_name: z.string().optional(),
    workflow: z.looseObject({ id: id.optional(), name: z.string().optional() }).optional(),
    version: versionNumber.optional(),
    version_number: versionNumber.optional(),
    workflow_version_id: id.optional(),
    commit_message: z.string().nullish(),
    required_input_variables: z.record(z.string(), z.unknown()).nullish(),
    release_labels: z.array(z.string()).nullish(),
    nodes: z.array(nodeSchema),
    edges: z.array(edgeSchema).nullish(),
  })
  .refine((read) => (read.workflow_id ?? read.workflow?.id) !== undefined, { message: "no workflow_id" })
  .refine((read) => (read.version ?? read.version_number) !== undefined, { message: "no version" });

const workflowLabelSchema = z.looseObject({
  release_label: z.string(),
  release_label_id: id,
  workflow_version_id: id,
  workflow_version_number: versionNumber,
});
const workflowLabelsSchema = z.looseObject({ release_labels: z.array(workflowLabelSchema) });

/** POST /rest/workflows and PATCH /rest/workflows/{id}: the version just made. */
const versionCreatedSchema = z
  .looseObject({
    workflow_id: id,
    workflow_name: z.string(),
    workflow_version_id: id,
    version_number: versionNumber.optional(),
    version: versionNumber.optional(),
    release_labels: z.array(z.string()).nullish(),
  })
  .refine((created) => (created.version_number ?? created.version) !== undefined, { message: "no version_number" });

const runStartedSchema = z.looseObject({
  workflow_version_execution_id: id,
  warning: z.string().nullish(),
  message: z.string().nullish(),
});

const nodeResultSchema = z.looseObject({
  status: z.string(),
  value: z.unknown().optional(),
  error_message: z.string().nullish(),
  // A string in the spec, an object in the docs' example: either is kept.
  raw_error_message: z.unknown().optional(),
  is_output_node: z.boolean().nullish(),
});
const nodeResultsSchema = z.record(z.string(), nodeResultSchema);

export type ListedWorkflow = z.infer<typeof listedWorkflowSchema>;
export type WorkflowLabel = z.infer<typeof workflowLabelSchema>;
export type NodeResult = z.infer<typeof nodeResultSchema>;

/** One version of a workflow as read, with its identity pulled out of whichever shape the server used. */
export interface WorkflowVersion {
  id: number;
  name: string;
  version: number;
  /** The answer itself, unknown fields included, for agentFromRaw. */
  raw: RawWorkflowVersion;
}

/** Node statuses that mean the node has not finished. */
const UNFINISHED = new Set(["QUEUED", "RUNNING"]);

export type ExecutionState =
  | { state: "running"; nodes: Record<string, NodeResult> }
  | { state: "done"; nodes: Record<string, NodeResult> }
  /** Done, answered with the main output alone (results asked for without all outputs). */
  | { state: "output"; value: unknown };

/** The content of a new version: what POST /rest/workflows takes besides who it belongs to. */
export interface WorkflowContent {
  nodes: Array<Record<string, unknown>>;
  edges: Array<Record<string, unknown>>;
  required_input_variables: Record<string, unknown>;
  [extra: string]: unknown;
}

export interface CreateWorkflowBody extends WorkflowContent {
  /** A new workflow's name; or name an existing one with workflow_id / workflow_name to add a version to it. */
  name?: string;
  workflow_id?: number;
  workflow_name?: string;
  folder_id?: number | null;
  commit_message?: string | null;
  release_labels?: string[] | null;
  external_ids?: ExternalId[];
}

export interface PatchWorkflowBody {
  base_version?: number | null;
  commit_message?: string | null;
  /** Keyed by node name; null removes the node; configuration is deep-merged, dependencies replaced. */
  nodes?: Record<string, Record<string, unknown> | null> | null;
  required_input_variables?: Record<string, unknown> | null;
  edges?: Array<Record<string, unknown>> | null;
  release_labels?: string[] | null;
}

export interface VersionPublishOptions {
  /** The workflow's latest version number before this call, or null for a new workflow; read first when omitted. */
  previousVersion?: number | null;
  /** Whether a version found on read-back is the one this call made. Default: its content equals what was sent. */
  isOurs?: (version: WorkflowVersion) => boolean;
}

export interface VersionPublished {
  id: number;
  name: string;
  version: number;
  releaseLabels: string[];
  /** True when the answer was lost and the version was found by reading the workflow back. */
  recovered: boolean;
}

export interface RunRequest {
  label?: string;
  version?: number;
  inputs?: Record<string, unknown>;
  metadata?: Record<string, string>;
  /** Ask for every node's result, not only the output's. */
  allOutputs?: boolean;
}

const PAGE_SIZE = 100;
/** After a lost answer to a new version, how many new versions plx reads back looking for its own. */
const MAX_READ_BACK = 10;

export class WorkflowsApi {
  constructor(
    private readonly http: Transport,
    private readonly replies: ReplyReader,
  ) {}

  /** Every workflow, newest first; `updatedAfter` keeps those changed since then (for polling, as no webhook tells). */
  list(filters: { updatedAfter?: Date; externalId?: ExternalId } = {}): AsyncGenerator<ListedWorkflow> {
    return pagedItems((page) =>
      this.replies.read(workflowPageSchema, {
        method: "GET",
        path: "/workflows",
        query: {
          page,
          per_page: PAGE_SIZE,
          updated_after: filters.updatedAfter?.toISOString(),
          external_source: filters.externalId?.source,
          external_id: filters.externalId?.external_id,
        },
      }),
    );
  }

  async all(filters: { updatedAfter?: Date; externalId?: ExternalId } = {}): Promise<ListedWorkflow[]> {
    const all: ListedWorkflow[] = [];
    for await (const item of this.list(filters)) all.push(item);
    return all;
  }

  /** The workflow an external ID is attached to, if any. */
  async findByExternalId(ref: ExternalId): Promise<ListedWorkflow | undefined> {
    return (await this.all({ externalId: ref }))[0];
  }

  /** One version, by id or name; the latest unless a version or label is given. Undefined when there is none. */
  async get(
    identifier: string | number,
    at: { version?: number; label?: string } = {},
  ): Promise<WorkflowVersion | undefined> {
    const read = await this.replies.readUnlessMissing(workflowReadSchema, {
      method: "GET",
      path: apiPath`/workflows/${identifier}`,
      query: { version: at.version, label: at.label },
    });
    if (!read) return undefined;
    return {
      id: (read.workflow_id ?? read.workflow?.id)!,
      name: read.workflow_name ?? read.workflow?.name ?? String(identifier),
      version: (read.version ?? read.version_number)!,
      raw: read,
    };
  }

  /** A workflow's release labels; undefined when the workflow does not exist. */
  async labels(identifier: string | number): Promise<WorkflowLabel[] | undefined> {
    const read = await this.replies.readUnlessMissing(workflowLabelsSchema, {
      method: "GET",
      path: apiPath`/workflows/${identifier}/labels`,
    });
    return read?.release_labels;
  }

  /**
   * A new workflow, or a new version of one (`workflow_id` / `workflow_name` in the body), through POST
   * /rest/workflows. It mints a version on every call, so it follows publishing's rule: after an answer is lost,
   * the workflow is read back before anything is sent again (see `publishAtMostOnce`).
   */
  create(body: CreateWorkflowBody, options: VersionPublishOptions = {}): Promise<VersionPublished> {
    const identifier = body.workflow_id ?? body.workflow_name ?? body.name;
    const spec: RequestSpec = { method: "POST", path: "/rest/workflows", body };
    return this.publishAtMostOnce(spec, identifier, body, options);
  }

  /** A new version from a base version (the latest by default) with PATCH semantics; minted at most once. */
  patch(
    identifier: string | number,
    body: PatchWorkflowBody,
    options: VersionPublishOptions = {},
  ): Promise<VersionPublished> {
    const spec: RequestSpec = { method: "PATCH", path: apiPath`/rest/workflows/${identifier}`, body };
    // What a patch makes is the base merged with the changes, which only the server knows: without a predicate, a
    // version found on read-back cannot be told to be ours, and the outcome stays unknown rather than risk a second.
    return this.publishAtMostOnce(spec, identifier, undefined, options);
  }

  /** Attaching the same ID to the same workflow again is a no-op on the server, so this is retried freely. */
  async attachExternalId(workflowId: number, ref: ExternalId): Promise<ExternalId> {
    const spec: RequestSpec = {
      method: "POST",
      path: apiPath`/workflows/${workflowId}/external-ids`,
      body: { source: ref.source, external_id: ref.external_id },
      idempotent: true,
    };
    const reply = this.replies.unlessConflict(await this.http.request({ ...spec, expect: [409] }), spec);
    return this.replies.parse(externalIdAttachSchema, reply, spec).external_id;
  }

  async listExternalIds(workflowId: number): Promise<ExternalId[]> {
    const read = await this.replies.read(externalIdListSchema, {
      method: "GET",
      path: apiPath`/workflows/${workflowId}/external-ids`,
    });
    return read.external_ids;
  }

  async detachExternalId(workflowId: number, ref: ExternalId): Promise<void> {
    // A 404 means the mapping is already gone, which is what was asked.
    const path = apiPath`/workflows/${workflowId}/external-ids/${ref.source}/${ref.external_id}`;
    await this.http.request({ method: "DELETE", path, expect: [404] });
  }

  /**
   * Starts a run and returns its execution id. A run is not repeatable (it would run the agent twice), so a request
   * whose answer is lost is not sent again; the transport retries only what the server certainly did not act on.
   */
  async run(name: string, request: RunRequest = {}): Promise<{ executionId: number; warning: string | undefined }> {
    const started = await this.replies.read(runStartedSchema, {
      method: "POST",
      path: apiPath`/workflows/${name}/run`,
      body: {
        ...(request.label === undefined ? {} : { workflow_label_name: request.label }),
        ...(request.version === undefined ? {} : { workflow_version_number: request.version }),
        input_variables: request.inputs ?? {},
        ...(request.metadata && Object.keys(request.metadata).length > 0 ? { metadata: request.metadata } : {}),
        return_all_outputs: request.allOutputs ?? false,
      },
    });
    return { executionId: started.workflow_version_execution_id, warning: started.warning ?? undefined };
  }

  /**
   * Where a run stands. PromptLayer answers 202 (the docs also say 204) while it runs; with all outputs it may
   * answer 200 before the end, so any node still QUEUED or RUNNING means it is running. Without all outputs a
   * finished run answers with the output value alone, or with every node when no output node succeeded.
   */
  async results(executionId: number, options: { allOutputs: boolean }): Promise<ExecutionState> {
    const spec: RequestSpec = {
      method: "GET",
      path: "/workflow-version-execution-results",
      query: { workflow_version_execution_id: executionId, return_all_outputs: options.allOutputs },
    };
    const reply = await this.http.request(spec);
    const running = reply.status === 202 || reply.status === 204;
    const asNodes = nodeResultsSchema.safeParse(reply.body);
    const looksLikeNodes = asNodes.success && Object.keys(asNodes.data).length > 0;
    if (running) return { state: "running", nodes: looksLikeNodes ? asNodes.data : {} };
    if (!options.allOutputs && !looksLikeNodes) return { state: "output", value: reply.body };
    const nodes = this.replies.parse(nodeResultsSchema, reply, spec);
    const unfinished = Object.values(nodes).some((node) => UNFINISHED.has(node.status));
    return { state: unfinished ? "running" : "done", nodes };
  }

  /**
   * The algorithm of PromptLayerClient.publish, for workflow versions: the latest version before is known; after an
   * unknown outcome the workflow is read back. No new version: the attempt did not land and is sent again. A new one
   * that `isOurs` is the result. New versions none of which is recognisably ours: stop with REMOTE.OUTCOME_UNKNOWN.
   * Unlike a template, a workflow version carries no plx stamp, only content PromptLayer may have normalised, so
   * "none matches" does not prove the attempt failed, and sending again could mint a duplicate.
   */
  private async publishAtMostOnce(
    spec: RequestSpec,
    identifier: string | number | undefined,
    content: WorkflowContent | undefined,
    options: VersionPublishOptions,
  ): Promise<VersionPublished> {
    const sentHash = content && agentContentHash(agentFromRaw(content, "", []));
    const isOurs =
      options.isOurs ??
      (sentHash === undefined
        ? undefined
        : (version: WorkflowVersion) => agentContentHash(agentFromRaw(version.raw, "", [])) === sentHash);
    const locate = identifier ?? "";
    const previous =
      options.previousVersion !== undefined
        ? options.previousVersion
        : identifier === undefined
          ? null
          : ((await this.get(identifier))?.version ?? null);
    const action = `creating a version of the agent "${String(locate)}"`;
    const result = await this.http.requestAtMostOnce(
      { ...spec, expect: [409] },
      { action, confirm: () => this.findPublished(locate, previous, isOurs, action) },
    );
    if ("confirmed" in result) return result.confirmed;
    const made = this.replies.parse(versionCreatedSchema, this.replies.unlessConflict(result, spec), spec);
    return {
      id: made.workflow_id,
      name: made.workflow_name,
      version: (made.version_number ?? made.version)!,
      releaseLabels: made.release_labels ?? [],
      recovered: false,
    };
  }

  private async findPublished(
    identifier: string | number,
    previous: number | null,
    isOurs: ((version: WorkflowVersion) => boolean) | undefined,
    action: string,
  ): Promise<VersionPublished | undefined> {
    const latest = identifier === "" ? undefined : await this.get(identifier);
    const floor = previous ?? 0;
    if (!latest || latest.version <= floor) return undefined;
    if (latest.version - floor > MAX_READ_BACK)
      throw plxError("REMOTE.OUTCOME_UNKNOWN", {
        action,
        reason: `${latest.version - floor} versions appeared since version ${floor}, too many to check`,
      });
    for (let version = latest.version; version > floor && isOurs; version--) {
      const candidate = version === latest.version ? latest : await this.get(latest.id, { version });
      if (candidate && isOurs(candidate))
        return {
          id: candidate.id,
          name: candidate.name,
          version: candidate.version,
          releaseLabels: (candidate.raw.release_labels as string[] | null | undefined) ?? [],
          recovered: true,
        };
    }
    throw plxError("REMOTE.OUTCOME_UNKNOWN", {
      action,
      reason: `version ${latest.version} appeared and nothing identifies it as the one plx sent`,
    });
  }
}
