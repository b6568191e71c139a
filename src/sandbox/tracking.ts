// Request logs and what the official SDK attaches to them: log-request (X-API-KEY, answered 201), the older
// library-track-* and group routes that carry the key in the body as api_key, and the REST track-metadata. The
// sandbox keeps what it was told, so a test can read it back from GET /__sandbox/state.
import { z } from "zod";
import { ApiError, notFound, type Json, type Workspace } from "./state.js";
import { parseBody } from "./validate.js";
import type { ApiRequest, ApiResponse } from "./routes.js";

export interface RequestLog {
  id: number;
  provider: string;
  model: string;
  prompt_name?: string;
  prompt_version_number?: number;
  prompt_input_variables?: Json;
  metadata: Record<string, string>;
  scores: Record<string, number>;
  group_ids: number[];
}

export interface TrackingData {
  requests: RequestLog[];
  groups: number[];
}

/** The routes whose callers put the API key in the JSON body, as the SDK's tracking calls do. */
export const BODY_KEY_ROUTES = new Set([
  "/library-track-score",
  "/library-track-metadata",
  "/library-track-prompt",
  "/track-group",
  "/create-group",
]);

function data(workspace: Workspace): TrackingData {
  workspace.data.tracking ??= { requests: [], groups: [] };
  return workspace.data.tracking;
}

function requestLog(workspace: Workspace, id: number): RequestLog {
  const found = data(workspace).requests.find((log) => log.id === id);
  if (!found) throw notFound(`Request ${id} not found`);
  return found;
}

const nextId = (workspace: Workspace) => workspace.data.next_id++;
const requestId = z.number().int().positive();
const tracked = (message: string): ApiResponse => ({ status: 200, body: { success: true, message } });

const logRequestSchema = z.looseObject({
  provider: z.string(),
  model: z.string(),
  input: z.unknown(),
  output: z.unknown(),
  request_start_time: z.union([z.string(), z.number()]),
  request_end_time: z.union([z.string(), z.number()]),
  prompt_name: z.string().nullish(),
  prompt_version_number: z.number().int().positive().nullish(),
  prompt_input_variables: z.unknown().optional(),
  metadata: z.record(z.string(), z.string()).nullish(),
  score: z.number().int().min(0).max(100).nullish(),
});

function logRequest(workspace: Workspace, { body }: ApiRequest): ApiResponse {
  const input = parseBody(logRequestSchema, body);
  const template = input.prompt_name ? workspace.findTemplate(input.prompt_name) : undefined;
  const log: RequestLog = {
    id: nextId(workspace),
    provider: input.provider,
    model: input.model,
    ...(template
      ? {
          prompt_name: template.name,
          prompt_version_number: input.prompt_version_number ?? template.versions.at(-1)!.number,
        }
      : {}),
    ...(input.prompt_input_variables === undefined
      ? {}
      : { prompt_input_variables: input.prompt_input_variables as Json }),
    metadata: input.metadata ?? {},
    scores: input.score === undefined || input.score === null ? {} : { default: input.score },
    group_ids: [],
  };
  data(workspace).requests.push(log);
  // The spec requires a prompt version: the template's when the log names one, else the logged input as one.
  const version = template?.versions.find((candidate) => candidate.number === log.prompt_version_number);
  const promptVersion = version
    ? {
        prompt_template: version.prompt_template as Json,
        commit_message: version.commit_message,
        metadata: (version.metadata ?? null) as Json,
      }
    : {
        prompt_template: (input.input ?? null) as Json,
        commit_message: null,
        metadata: { model: { provider: input.provider, name: input.model } },
      };
  return {
    status: 201,
    body: { id: log.id, prompt_version: promptVersion, status: "SUCCESS", error_type: null, error_message: null },
  };
}

const scoreSchema = z.looseObject({
  request_id: requestId,
  score: z.number().int().min(0).max(100),
  name: z.string().nullish(),
});
function trackScore(workspace: Workspace, { body }: ApiRequest): ApiResponse {
  const input = parseBody(scoreSchema, body);
  requestLog(workspace, input.request_id).scores[input.name ?? "default"] = input.score;
  return tracked("Score tracked successfully");
}

const metadataSchema = z.looseObject({ request_id: requestId, metadata: z.record(z.string(), z.string()) });
function trackMetadata(workspace: Workspace, { body }: ApiRequest): ApiResponse {
  const input = parseBody(metadataSchema, body);
  Object.assign(requestLog(workspace, input.request_id).metadata, input.metadata);
  return tracked("Metadata tracked successfully");
}

const promptSchema = z.looseObject({
  request_id: requestId,
  prompt_name: z.string().min(1),
  prompt_input_variables: z.unknown().optional(),
  version: z.number().int().positive().nullish(),
  label: z.string().nullish(),
});
function trackPrompt(workspace: Workspace, { body }: ApiRequest): ApiResponse {
  const input = parseBody(promptSchema, body);
  const log = requestLog(workspace, input.request_id);
  const template = workspace.findTemplate(input.prompt_name);
  if (!template) throw new ApiError(400, { success: false, message: `Prompt template ${input.prompt_name} not found` });
  const labelled = input.label
    ? workspace.data.labels.find((label) => label.template_id === template.id && label.name === input.label)
        ?.version_number
    : undefined;
  if (input.label && labelled === undefined)
    throw new ApiError(400, { success: false, message: `Release label ${input.label} not found on ${template.name}` });
  Object.assign(log, {
    prompt_name: template.name,
    prompt_version_number: input.version ?? labelled ?? template.versions.at(-1)!.number,
  });
  if (input.prompt_input_variables !== undefined) log.prompt_input_variables = input.prompt_input_variables as Json;
  return tracked("Prompt tracked successfully");
}

function createGroup(workspace: Workspace): ApiResponse {
  const id = nextId(workspace);
  data(workspace).groups.push(id);
  return { status: 200, body: { success: true, id } };
}

const groupSchema = z.looseObject({ request_id: requestId, group_id: z.number().int().positive() });
function trackGroup(workspace: Workspace, { body }: ApiRequest): ApiResponse {
  const input = parseBody(groupSchema, body);
  if (!data(workspace).groups.includes(input.group_id)) throw notFound(`Group ${input.group_id} not found`);
  const log = requestLog(workspace, input.request_id);
  if (!log.group_ids.includes(input.group_id)) log.group_ids.push(input.group_id);
  return tracked("Group tracked successfully");
}

export const TRACKING_ROUTES: Array<[string, string, (workspace: Workspace, request: ApiRequest) => ApiResponse]> = [
  ["POST", "log-request", logRequest],
  ["POST", "library-track-score", trackScore],
  ["POST", "library-track-metadata", trackMetadata],
  ["POST", "rest/track-metadata", trackMetadata],
  ["POST", "library-track-prompt", trackPrompt],
  ["POST", "create-group", createGroup],
  ["POST", "track-group", trackGroup],
];
