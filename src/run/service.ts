// `plx run`: fetch a prompt (or read a prompt file), fill its variables as PromptLayer does, call the model it names,
// and log the request back to PromptLayer. Everything a run did is in the report it returns; nothing is printed.
import type { JsonObject, JsonValue } from "../core/template.js";
import { isJsonObject } from "../core/template.js";
import type { ResolvedConfig } from "../config/schema.js";
import { isPlxError, plxError, type PlxError } from "../errors/index.js";
import type { PromptLayerClient } from "../promptlayer/index.js";
import { logRequest, type LogRequestBody } from "../promptlayer/request-logs.js";
import type { RetryPolicy } from "../promptlayer/retry.js";
import {
  BASE_URL_VARIABLES,
  DEFAULT_BASE_URLS,
  FORMATS,
  KEY_VARIABLES,
  parametersFor,
  providerFor,
  providerOfModel,
  type ModelChoice,
  type ProviderName,
  type Usage,
} from "../providers/index.js";
import {
  callProvider,
  DEFAULT_PROVIDER_TIMEOUT_MS,
  PROVIDER_RETRY_POLICY,
  urlOf,
  type ModelCall,
} from "../providers/http.js";
import type { Redactor } from "../redact.js";
import { renderPromptTemplate, type Location } from "../render/index.js";
import { readModel } from "./inputs.js";
import { loadPrompt, type PromptSource, type SourceRequest } from "./source.js";

export interface RunInput extends SourceRequest {
  variables: JsonObject;
  /** `--model`: a model name, or provider:name. */
  model?: string;
  /** `--param` overrides, in the called provider's names. */
  parameters: JsonObject;
  tags: string[];
  metadata: Record<string, string>;
  log: boolean;
  stream: boolean;
}

export interface RunDeps {
  config: ResolvedConfig;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  client: () => Promise<PromptLayerClient>;
  redactor: Redactor;
  signal: AbortSignal;
  /** Attempts per model call, the first included. */
  attempts?: number;
  /** Per attempt, until the answer's first byte (a whole answer, unless streamed). Default 10 minutes. */
  timeoutMs?: number;
  /** Streamed text as it arrives. */
  onText?: (text: string) => void;
  onRetry?: (retry: { attempt: number; delayMs: number; reason: string }) => void;
  /** Waits between retries (tests record instead of sleeping). */
  wait?: (ms: number, signal: AbortSignal) => Promise<void>;
  retry?: Partial<RetryPolicy>;
  /** Git commit and CI run, recorded in the request log's metadata in CI. */
  ciMetadata?: Record<string, string>;
}

export interface RunReport {
  prompt: {
    name: string;
    origin: "remote" | "local";
    id?: number;
    version?: number;
    label?: string;
    path?: string;
    snippets: PromptSource["snippets"];
  };
  provider: ProviderName;
  model: string;
  /** Where the request went (never with a key). */
  url: string;
  variables: { used: string[]; unused: string[] };
  /** The template as rendered: what PromptLayer logs as the request's input. */
  rendered: JsonObject;
  /** The provider's request body as sent. */
  request: JsonObject;
  response: { text: string; finishReason?: string; model?: string; body: JsonValue };
  usage: Usage;
  timing: { start: string; end: string; latencyMs: number };
  attempts: number;
  streamed: boolean;
  log: { requestId?: number; skipped?: boolean; error?: { code: string; message: string } };
  warnings: string[];
}

export async function runPrompt(input: RunInput, deps: RunDeps): Promise<RunReport> {
  const warnings: string[] = [];
  const source = await loadPrompt(input, deps);
  const rendered = render(source, input.variables, warnings);
  const choice = chooseModel(source, input, warnings);
  const endpoint = endpointFor(choice.provider, source, deps);
  const request = FORMATS[choice.provider].request(rendered.promptTemplate, choice, input.stream, warnings);
  const url = deps.redactor.redact(urlOf(endpoint.baseUrl, request));

  const startedAt = new Date();
  const started = performance.now();
  let call: ModelCall;
  try {
    call = await callProvider(request, endpoint, {
      redactor: deps.redactor,
      signal: deps.signal,
      timeoutMs: deps.timeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS,
      retry: {
        ...PROVIDER_RETRY_POLICY,
        ...deps.retry,
        ...(deps.attempts === undefined ? {} : { maxAttempts: deps.attempts }),
      },
      ...(deps.wait ? { wait: deps.wait } : {}),
      ...(deps.onText ? { onText: deps.onText } : {}),
      ...(deps.onRetry ? { onRetry: deps.onRetry } : {}),
    });
  } catch (error) {
    if (input.log && isPlxError(error) && error.code.startsWith("RUN.PROVIDER")) {
      // The failure is logged too, so the dashboard shows the run that failed; the provider's error stays the result.
      const body = logBody(
        source,
        input,
        deps,
        choice,
        rendered.promptTemplate,
        startedAt,
        new Date(),
        undefined,
        error,
      );
      await sendLog(body, deps).catch(() => undefined);
    }
    throw error;
  }
  const endedAt = new Date();
  const latencyMs = Math.round(performance.now() - started);
  const { reply } = call;

  const log: RunReport["log"] = {};
  if (!input.log) log.skipped = true;
  else {
    const body = logBody(source, input, deps, choice, rendered.promptTemplate, startedAt, endedAt, call);
    try {
      log.requestId = await sendLog(body, deps);
    } catch (error) {
      if (!isPlxError(error) || error.code === "INTERRUPTED") throw error;
      log.error = { code: error.code, message: error.message };
    }
  }

  return {
    prompt: {
      name: source.name,
      origin: source.origin,
      ...(source.id === undefined ? {} : { id: source.id }),
      ...(source.version === undefined ? {} : { version: source.version }),
      ...(source.label === undefined ? {} : { label: source.label }),
      ...(source.path === undefined ? {} : { path: source.path }),
      snippets: source.snippets,
    },
    provider: choice.provider,
    model: choice.name,
    url,
    variables: { used: rendered.used, unused: rendered.unused },
    rendered: rendered.promptTemplate,
    request: request.body,
    response: {
      text: reply.text,
      ...(reply.finishReason ? { finishReason: reply.finishReason } : {}),
      ...(reply.model ? { model: reply.model } : {}),
      body: reply.raw,
    },
    usage: reply.usage,
    timing: { start: startedAt.toISOString(), end: endedAt.toISOString(), latencyMs },
    attempts: call.attempts,
    streamed: input.stream,
    log,
    warnings,
  };
}

/** Fills the template; a variable it needs and was not given, or a text it cannot render, stops the run. */
function render(source: PromptSource, variables: JsonObject, warnings: string[]) {
  const result = renderPromptTemplate(source.promptTemplate, variables);
  if (result.missing.length > 0) {
    throw plxError("RUN.VARIABLES_MISSING", {
      prompt: describePrompt(source),
      missing: result.missing.map((variable) => ({
        name: variable.name,
        where: variable.at.map(describeLocation).join("; "),
      })),
    });
  }
  if (result.failures.length > 0) {
    throw plxError("RUN.RENDER_FAILED", {
      prompt: describePrompt(source),
      failures: result.failures.map((failure) => ({ where: describeLocation(failure.at), message: failure.message })),
    });
  }
  for (const warning of result.warnings) warnings.push(`${describeLocation(warning.at)}: ${warning.message}`);
  const used = new Set(result.used);
  const unused = Object.keys(variables).filter((name) => !used.has(name));
  for (const name of unused) warnings.push(`the variable ${name} was given but ${source.name} does not use it`);
  return { promptTemplate: result.promptTemplate, used: result.used, unused };
}

function describePrompt(source: PromptSource): string {
  if (source.origin === "local") return `${source.path} (${source.name})`;
  return `${source.name} ${source.label ? `(label ${source.label}, version ${source.version})` : `version ${source.version}`}`;
}

/** "message 2 (user), line 1, column 8", "content block 1", "tools[0]". */
export function describeLocation(at: Location): string {
  const [first, index] = at.path;
  let place: string;
  if (first === "messages" && typeof index === "number")
    place = `message ${index + 1}${at.role ? ` (${at.role})` : ""}`;
  else if (first === "content") place = "the content";
  else
    place = at.path
      .map((part) => (typeof part === "number" ? `[${part}]` : `.${part}`))
      .join("")
      .slice(1);
  return at.line === undefined ? place : `${place}, line ${at.line}, column ${at.col}`;
}

/** The model a run calls: the template's, or --model's; its provider as the name and the template say. */
function chooseModel(source: PromptSource, input: RunInput, warnings: string[]): ModelChoice {
  const model = isJsonObject(source.metadata.model) ? source.metadata.model : undefined;
  const templateProvider =
    source.customProvider?.client ?? (typeof model?.provider === "string" ? model.provider : undefined);
  const templateName = typeof model?.name === "string" ? model.name : undefined;
  const override = input.model === undefined ? undefined : readModel(input.model);
  const name = override?.name ?? templateName;
  if (!name) throw plxError("RUN.NO_MODEL", { prompt: describePrompt(source) });
  // A bare --model name implies its provider when it can (gpt-…, claude-…, gemini-…); else the template's stands.
  const provider =
    (override && !override.provider ? providerOfModel(name) : undefined) ??
    providerFor(override?.provider ?? templateProvider, name) ??
    // A provider plx has no format for, behind a custom base URL, is called as an OpenAI-compatible endpoint.
    (source.customProvider?.baseUrl ? "openai" : undefined);
  if (!provider)
    throw plxError("RUN.PROVIDER_UNSUPPORTED", {
      provider: override?.provider ?? templateProvider ?? "(none)",
      model: name,
    });
  const from = providerFor(templateProvider, templateName ?? "");
  const templateParameters = isJsonObject(model?.parameters) ? model.parameters : {};
  if (model?.api_type && model.api_type !== "chat-completions" && provider === "openai")
    warnings.push(`the template's api_type is ${String(model.api_type)}; plx run calls chat completions`);
  return {
    provider,
    name,
    parameters: { ...parametersFor(templateParameters, from, provider, warnings), ...input.parameters },
  };
}

function endpointFor(provider: ProviderName, source: PromptSource, deps: RunDeps) {
  const { env, redactor } = deps;
  // Every provider key in the environment is a secret, whichever one this run uses.
  for (const variable of Object.values(KEY_VARIABLES).flat()) redactor.add(env[variable]);
  const keyVariable = KEY_VARIABLES[provider].find((variable) => env[variable]?.trim());
  if (!keyVariable) {
    throw plxError("RUN.PROVIDER_KEY_MISSING", {
      provider,
      variables: KEY_VARIABLES[provider],
      baseUrlVariable: BASE_URL_VARIABLES[provider][0]!,
    });
  }
  const baseUrlVariable = BASE_URL_VARIABLES[provider].find((variable) => env[variable]?.trim());
  const baseUrl =
    (baseUrlVariable ? env[baseUrlVariable]!.trim() : undefined) ??
    (provider === "openai" ? source.customProvider?.baseUrl : undefined) ??
    DEFAULT_BASE_URLS[provider];
  if (!/^https?:\/\/[^/]/i.test(baseUrl)) {
    throw plxError("RUN.BASE_URL_INVALID", {
      variable: baseUrlVariable ?? "the template's custom provider base URL",
      url: baseUrl,
    });
  }
  return { baseUrl, apiKey: env[keyVariable]!.trim(), keyVariable };
}

const FUNCTION_NAMES: Record<ProviderName, string> = {
  openai: "openai.chat.completions.create",
  anthropic: "anthropic.messages.create",
  google: "google.models.generate_content",
};

/** The spec's error_type for a failed provider call. */
function errorTypeOf(error: PlxError): string {
  if (error.code === "RUN.PROVIDER_AUTH") return "PROVIDER_AUTH_ERROR";
  if (error.details?.status === 429) return "PROVIDER_RATE_LIMIT";
  if (/no answer within|timed out|stalled/.test(error.message)) return "PROVIDER_TIMEOUT";
  return "PROVIDER_ERROR";
}

function logBody(
  source: PromptSource,
  input: RunInput,
  deps: RunDeps,
  choice: ModelChoice,
  rendered: JsonObject,
  start: Date,
  end: Date,
  call: ModelCall | undefined,
  error?: PlxError,
): LogRequestBody {
  // A version PromptLayer holds is named; an edited, unpublished file is not (it is no version), and is tagged instead.
  const published = source.id !== undefined && source.version !== undefined;
  const tags = [...new Set([...input.tags, ...(published ? [] : ["plx:local"])])];
  return {
    provider: choice.provider,
    model: choice.name,
    input: rendered,
    output: call ? call.reply.output : { type: "chat", messages: [] },
    request_start_time: start.toISOString(),
    request_end_time: end.toISOString(),
    parameters: choice.parameters,
    tags,
    metadata: { ...deps.ciMetadata, ...input.metadata },
    ...(published ? { prompt_name: source.name, prompt_id: source.id, prompt_version_number: source.version } : {}),
    prompt_input_variables: input.variables,
    input_tokens: call?.reply.usage.inputTokens ?? 0,
    output_tokens: call?.reply.usage.outputTokens ?? 0,
    function_name: FUNCTION_NAMES[choice.provider],
    ...(choice.provider === "openai" ? { api_type: "chat-completions" } : {}),
    ...(error
      ? { status: "ERROR" as const, error_type: errorTypeOf(error), error_message: error.message.slice(0, 1024) }
      : { status: "SUCCESS" as const }),
  };
}

async function sendLog(body: LogRequestBody, deps: RunDeps): Promise<number> {
  const client = await deps.client();
  return logRequest(client.transport, deps.redactor.redactValue(body));
}
