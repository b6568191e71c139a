// Request logs and what the official SDK attaches to them: log-request (X-API-KEY, answered 201), the legacy
// track-request that the SDK's run() logs through, the library-track-* and group routes that carry the key in the body
// as api_key, and the REST track-metadata. The sandbox keeps what it was told, so a test can read it back from
// GET /__sandbox/state.
import { z } from "zod";
import { FORMATS } from "../providers/index.js";
import { PROVIDERS, type ProviderName } from "../providers/types.js";
import { ApiError, notFound, type Workspace } from "./state.js";
import { parseBody } from "./validate.js";
import type { ApiRequest, ApiResponse, Json, RequestLog, TrackingData } from "./records.js";
import type { RouteTable } from "./router.js";

/** The routes whose callers put the API key in the JSON body, as the SDK's tracking calls do. */
export const BODY_KEY_ROUTES = new Set([
  "/track-request",
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
const isProvider = (name: string): name is ProviderName => (PROVIDERS as readonly string[]).includes(name);
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
  prompt_id: z.number().int().nullish(),
  prompt_version_number: z.number().int().positive().nullish(),
  prompt_input_variables: z.unknown().optional(),
  metadata: z.record(z.string(), z.string()).nullish(),
  tags: z.array(z.string().max(512)).nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  input_tokens: z.number().int().min(0).nullish(),
  output_tokens: z.number().int().min(0).nullish(),
  status: z.enum(["SUCCESS", "WARNING", "ERROR"]).nullish(),
  error_type: z.string().nullish(),
  error_message: z.string().max(1024).nullish(),
  score: z.number().int().min(0).max(100).nullish(),
});

/** The template a log names, by id (which wins) or by name, and the version it ran: the one named, else the latest. */
function linkedPrompt(
  workspace: Workspace,
  id: number | null | undefined,
  name: string | null | undefined,
  versionNumber: number | null | undefined,
) {
  const template = id ? workspace.findTemplate(id) : name ? workspace.findTemplate(name) : undefined;
  if (!template) return undefined;
  return {
    template,
    link: {
      prompt_name: template.name,
      prompt_id: template.id,
      prompt_version_number: versionNumber ?? template.versions.at(-1)!.number,
    },
  };
}

function logRequest(workspace: Workspace, { body }: ApiRequest): ApiResponse {
  const input = parseBody(logRequestSchema, body);
  const linked = linkedPrompt(workspace, input.prompt_id, input.prompt_name, input.prompt_version_number);
  const log: RequestLog = {
    id: nextId(workspace),
    provider: input.provider,
    model: input.model,
    ...linked?.link,
    ...(input.prompt_input_variables === undefined
      ? {}
      : { prompt_input_variables: input.prompt_input_variables as Json }),
    metadata: input.metadata ?? {},
    scores: input.score === undefined || input.score === null ? {} : { default: input.score },
    group_ids: [],
    tags: input.tags ?? [],
    input: (input.input ?? null) as Json,
    output: (input.output ?? null) as Json,
    ...(input.parameters ? { parameters: input.parameters as Json } : {}),
    input_tokens: input.input_tokens ?? 0,
    output_tokens: input.output_tokens ?? 0,
    status: input.status ?? "SUCCESS",
    error_type: input.error_type ?? null,
    error_message: input.error_message ?? null,
    request_start_time: input.request_start_time,
    request_end_time: input.request_end_time,
  };
  data(workspace).requests.push(log);
  // The spec requires a prompt version: the template's when the log names one, else the logged input as one.
  const version = linked?.template.versions.find((candidate) => candidate.number === log.prompt_version_number);
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
    body: {
      id: log.id,
      prompt_version: promptVersion,
      status: log.status!,
      error_type: log.error_type!,
      error_message: log.error_message!,
    },
  };
}

const trackRequestSchema = z.looseObject({
  provider_type: z.string(),
  function_name: z.string().optional(),
  kwargs: z.record(z.string(), z.unknown()),
  request_response: z.unknown(),
  request_start_time: z.union([z.string(), z.number()]),
  request_end_time: z.union([z.string(), z.number()]),
  tags: z.array(z.string()).nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
  prompt_id: z.number().int().nullish(),
  prompt_version: z.number().int().positive().nullish(),
  prompt_input_variables: z.unknown().optional(),
  group_id: z.number().int().nullish(),
  status: z.string().nullish(),
  error_type: z.string().nullish(),
  error_message: z.string().nullish(),
});

/**
 * The official SDK's `run()` logs through the legacy /track-request, with the provider's own request (`kwargs`) and
 * answer (`request_response`), and reads back `request_id` and the answer as a prompt blueprint.
 */
function trackRequest(workspace: Workspace, { body }: ApiRequest): ApiResponse {
  const input = parseBody(trackRequestSchema, body);
  const linked = linkedPrompt(workspace, input.prompt_id, undefined, input.prompt_version);
  if (input.prompt_id && !linked)
    throw new ApiError(400, { success: false, message: `Prompt ${input.prompt_id} not found` });
  if (input.group_id && !data(workspace).groups.includes(input.group_id))
    throw notFound(`Group ${input.group_id} not found`);
  const provider = isProvider(input.provider_type) ? input.provider_type : undefined;
  const reply = provider ? FORMATS[provider].reply(input.request_response) : undefined;
  const log: RequestLog = {
    id: nextId(workspace),
    provider: input.provider_type,
    model: typeof input.kwargs.model === "string" ? input.kwargs.model : "",
    ...linked?.link,
    ...(input.prompt_input_variables === undefined || input.prompt_input_variables === null
      ? {}
      : { prompt_input_variables: input.prompt_input_variables as Json }),
    metadata: Object.fromEntries(Object.entries(input.metadata ?? {}).map(([key, value]) => [key, String(value)])),
    scores: {},
    group_ids: input.group_id ? [input.group_id] : [],
    tags: input.tags ?? [],
    input: input.kwargs as Json,
    output: (input.request_response ?? null) as Json,
    input_tokens: reply?.usage.inputTokens ?? 0,
    output_tokens: reply?.usage.outputTokens ?? 0,
    status: input.status ?? "SUCCESS",
    error_type: input.error_type ?? null,
    error_message: input.error_message ?? null,
    request_start_time: input.request_start_time,
    request_end_time: input.request_end_time,
  };
  data(workspace).requests.push(log);
  return {
    status: 200,
    body: {
      success: true,
      request_id: log.id,
      prompt_blueprint: {
        prompt_template: (reply?.output ?? { type: "chat", messages: [] }) as Json,
        metadata: { model: { provider: input.provider_type, name: log.model, parameters: {} } },
      },
    },
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

export const TRACKING_ROUTES: RouteTable = [
  ["POST", "log-request", logRequest],
  ["POST", "track-request", trackRequest],
  ["POST", "library-track-score", trackScore],
  ["POST", "library-track-metadata", trackMetadata],
  ["POST", "rest/track-metadata", trackMetadata],
  ["POST", "library-track-prompt", trackPrompt],
  ["POST", "create-group", createGroup],
  ["POST", "track-group", trackGroup],
];
