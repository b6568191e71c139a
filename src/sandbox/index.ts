// `plx sandbox`: a local PromptLayer-compatible server for end-to-end tests, demos and offline pipeline rehearsals.
// It speaks the registry's REST API over real HTTP, can inject seeded faults, records every request for tests to
// inspect, and can persist its state and send signed webhooks.
import { existsSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { plxError } from "../errors/index.js";
import { writeFileAtomic } from "../files/atomic.js";
import { FaultInjector, type FaultKnobs } from "./faults.js";
import { ModelEndpoints, modelError, modelRouteOf, refuseUnauthorized, type ModelAnswer } from "./models.js";
import { handleApiRequest } from "./routes.js";
import { ApiError, emptyWorkspace, Workspace, type WorkspaceData, type WorkspaceEvent } from "./state.js";
import { BODY_KEY_ROUTES } from "./tracking.js";
import { createWebhookNotifier } from "./webhooks.js";
import { handleAgentAdmin } from "./workflows.js";
import type { ApiResponse, Json } from "./records.js";

export interface SandboxOptions extends Partial<FaultKnobs> {
  port?: number;
  host?: string;
  /** Where state persists across restarts; in memory only when absent. */
  dataFile?: string;
  /** The only key accepted; any non-empty key when absent. */
  apiKey?: string;
  seed?: number;
  webhookUrl?: string;
  webhookSecret?: string;
  /** Labels whose changes wait for an approval; replaces what a state file says when given. */
  protectedLabels?: readonly string[];
  /** Per delivery to the webhook receiver, retries included (default 10 s). */
  webhookDeadlineMs?: number;
  log?: (line: string) => void;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  body: unknown;
  /** 0 when the connection was dropped without an answer. */
  status: number;
}

export interface RunningSandbox {
  url: string;
  port: number;
  close(): Promise<void>;
}

const ADMIN_PREFIX = "/__sandbox/";
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const MASKED = "***";
const SHUTDOWN_DELIVERY_MS = 5_000;

export async function startSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  const log = options.log ?? (() => {});
  const workspace = new Workspace(loadState(options.dataFile));
  if (options.protectedLabels) workspace.data.protected_labels = [...options.protectedLabels];
  const faults = new FaultInjector(options, options.seed ?? Math.floor(Math.random() * 2 ** 32));
  const models = new ModelEndpoints();
  const recorded: RecordedRequest[] = [];
  const webhooks =
    options.webhookUrl && options.webhookSecret
      ? createWebhookNotifier({
          url: options.webhookUrl,
          secret: options.webhookSecret,
          workspaceId: workspace.data.workspace_id,
          ...(options.webhookDeadlineMs === undefined ? {} : { deliveryDeadlineMs: options.webhookDeadlineMs }),
          log,
        })
      : undefined;
  /** Sends the webhooks for what the last operation did; never waits for them. */
  const announce = () => {
    for (const event of workspace.events.splice(0)) webhooks?.notify(...webhookOf(event));
  };
  let saving: Promise<unknown> = Promise.resolve();
  const persist = () => {
    if (!options.dataFile) return saving;
    const file = options.dataFile;
    const snapshot = JSON.stringify(workspace.data);
    saving = saving
      .then(() => writeFileAtomic(file, `${snapshot}\n`))
      .catch((error: Error) => log(`could not save state to ${file}: ${error.message}`));
    return saving;
  };

  async function serveApi(
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    rawBody: string,
  ): Promise<void> {
    const started = performance.now();
    const body = parseJsonOrText(rawBody);
    // The SDK's tracking calls carry the key in the body; it is read from there and masked like the header.
    const bodyKey =
      BODY_KEY_ROUTES.has(url.pathname) && isRecord(body) && typeof body.api_key === "string"
        ? body.api_key
        : undefined;
    // Model endpoints take the provider's own credential, not PromptLayer's X-API-KEY.
    const modelRoute = modelRouteOf(request.method ?? "GET", url.pathname);
    const query = maskedQuery(url.searchParams);
    const record: RecordedRequest = {
      method: request.method ?? "GET",
      path: url.pathname,
      query: queryObject(query),
      headers: maskedHeaders(request),
      body: bodyKey === undefined ? body : { ...(body as Record<string, unknown>), api_key: MASKED },
      status: 0,
    };
    recorded.push(record);
    const finish = (status: number) => {
      record.status = status;
      const search = query.toString();
      log(
        `${record.method} ${url.pathname}${search ? `?${search}` : ""} ${status === 0 ? "dropped" : status} ${Math.round(performance.now() - started)}ms`,
      );
    };

    if (faults.knobs.latencyMs > 0) await sleep(faults.knobs.latencyMs);
    if (modelRoute) {
      const refused = refuseUnauthorized(modelRoute, request.headers, url.searchParams);
      if (refused) {
        finish(refused.status);
        return sendModel(response, refused);
      }
    } else {
      const key = headerValue(request, "x-api-key") ?? bodyKey;
      if (!key || (options.apiKey !== undefined && key !== options.apiKey)) {
        finish(401);
        return send(response, {
          status: 401,
          body: { success: false, error: "Unauthorized", message: "Invalid or missing API key" },
        });
      }
    }

    const isWrite = record.method !== "GET" && !modelRoute;
    // A failure queued through PATCH /__sandbox/models comes first, so a test can script a 429 exactly.
    const scripted = modelRoute ? models.nextFailure() : undefined;
    const fault = scripted ? { kind: "scripted" as const, ...scripted } : faults.decide(isWrite);
    if (fault.kind === "drop") {
      finish(0);
      return void request.socket.destroy();
    }
    if (fault.kind === "fail" || fault.kind === "rate-limited" || fault.kind === "scripted") {
      const status = fault.kind === "fail" ? 503 : fault.kind === "rate-limited" ? 429 : fault.status;
      const retryAfter =
        fault.kind === "rate-limited"
          ? fault.retryAfterSeconds
          : fault.kind === "scripted"
            ? fault.retryAfter
            : undefined;
      const message =
        (fault.kind === "scripted" ? fault.message : undefined) ??
        (status === 429
          ? "Rate limit exceeded. Please retry later."
          : "Service temporarily unavailable (sandbox fault)");
      finish(status);
      return send(
        response,
        { status, body: modelRoute ? modelError(modelRoute.provider, status, message) : { success: false, message } },
        retryAfter === undefined ? {} : { "retry-after": String(retryAfter) },
      );
    }
    if (modelRoute) {
      const answer = models.answer(modelRoute, body);
      finish(answer.status);
      return sendModel(response, answer, faults.knobs.slowBodyMs);
    }

    let answer: ApiResponse;
    if (typeof body === "string") {
      answer = { status: 422, body: { detail: [{ loc: ["body"], msg: "JSON decode error", type: "json_invalid" }] } };
    } else {
      const noCache = /\bno-cache\b/i.test(headerValue(request, "cache-control") ?? "");
      answer = handleApiRequest(workspace, {
        method: record.method,
        segments: segmentsOf(url.pathname),
        query: url.searchParams,
        body,
        staleForMs: noCache ? 0 : faults.knobs.staleReadMs,
      });
    }
    // A read can change state too: the one that sees an agent run through finishes it.
    if ((isWrite || workspace.events.length > 0) && answer.status < 300) await persist();
    announce();

    if (fault.kind === "drop-after-commit") {
      finish(0);
      return void request.socket.destroy();
    }
    finish(answer.status);
    await send(response, answer, {}, faults.knobs.slowBodyMs);
  }

  async function serveAdmin(
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    rawBody: string,
  ): Promise<void> {
    const action = `${request.method} ${url.pathname.slice(ADMIN_PREFIX.length)}`;
    const body = parseJsonOrText(rawBody);
    switch (action) {
      case "GET state":
        return send(response, { status: 200, body: workspace.data as unknown as Json });
      case "PUT state":
        if (!isWorkspaceData(body))
          return send(response, {
            status: 400,
            body: { message: "Expected a sandbox state document (GET /__sandbox/state shows one)" },
          });
        workspace.data = body;
        return persist().then(() => send(response, { status: 204 }));
      case "POST reset":
        workspace.data = emptyWorkspace();
        models.settings = { reply: null, queue: [] };
        recorded.length = 0;
        return persist().then(() => send(response, { status: 204 }));
      case "GET requests":
        return send(response, { status: 200, body: recorded as unknown as Json });
      case "DELETE requests":
        recorded.length = 0;
        return send(response, { status: 204 });
      case "GET models":
        return send(response, { status: 200, body: models.settings as unknown as Json });
      case "PATCH models": {
        const settings = models.update(body);
        if (!settings)
          return send(response, {
            status: 400,
            body: { message: 'Expected {"reply"?: string | null, "queue"?: [{"status": 429, "retryAfter"?: 1}]}' },
          });
        return send(response, { status: 200, body: settings as unknown as Json });
      }
      case "GET label-changes":
        return send(response, { status: 200, body: workspace.labelChanges() as unknown as Json });
      case "PATCH faults": {
        const knobs = faultKnobsFrom(body);
        if (!knobs)
          return send(response, {
            status: 400,
            body: { message: `Expected numbers for any of: ${Object.keys(faults.knobs).join(", ")}` },
          });
        faults.update(knobs);
        return send(response, { status: 200, body: faults.knobs as unknown as Json });
      }
      default: {
        const agents = handleAgentAdmin(workspace, action, body);
        if (!agents) return serveUiAction(response, action, body);
        if (agents.status < 300) await persist();
        announce();
        return send(response, agents);
      }
    }
  }

  /** What someone does in PromptLayer's UI that the API cannot: approve or deny a label change, rename a template. */
  async function serveUiAction(response: ServerResponse, action: string, body: unknown): Promise<void> {
    const decision = /^POST label-changes\/(\d+)\/(approve|deny)$/.exec(action);
    const rename = /^POST templates\/([^/]+)\/rename$/.exec(action);
    let answer: ApiResponse;
    try {
      if (decision) {
        const change = workspace.labelChange(Number(decision[1]));
        answer = {
          status: 200,
          body: workspace.resolveLabelChange(
            change,
            decision[2] === "approve" ? "approved" : "denied",
          ) as unknown as Json,
        };
      } else if (rename) {
        const name = isRecord(body) && typeof body.name === "string" ? body.name : "";
        const template = workspace.renameTemplate(workspace.template(decodeURIComponent(rename[1]!)), name);
        answer = { status: 200, body: { id: template.id, name: template.name } };
      } else {
        answer = { status: 404, body: { detail: "Not Found" } };
      }
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      answer = { status: error.status, body: error.body };
    }
    if (answer.status < 300) await persist();
    announce();
    return send(response, answer);
  }

  const sockets = new Set<Socket>();
  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? "/", "http://sandbox");
      const rawBody = await readBody(request);
      if (rawBody === undefined)
        return send(response, { status: 413, body: { success: false, message: "Request body too large" } });
      if (url.pathname.startsWith(ADMIN_PREFIX)) return serveAdmin(request, response, url, rawBody);
      return serveApi(request, response, url, rawBody);
    })().catch((error: Error) => {
      log(`sandbox bug: ${error.stack ?? error.message}`);
      if (!response.headersSent)
        void send(response, { status: 500, body: { success: false, message: "Internal sandbox error" } });
      else response.destroy();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      const where = { host: options.host ?? "127.0.0.1", port: options.port ?? 0 };
      if (error.code === "EADDRINUSE") reject(plxError("SANDBOX.PORT_IN_USE", where));
      else if (error.code === "EADDRNOTAVAIL" || error.code === "EACCES" || error.code === "ENOTFOUND")
        reject(plxError("SANDBOX.LISTEN_FAILED", { ...where, reason: error.code }));
      else reject(error);
    });
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? "127.0.0.1";
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;

  return {
    url,
    port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
      // Deliveries already queued get a last chance, but a dead receiver does not hold the shutdown for long.
      await webhooks?.flush(SHUTDOWN_DELIVERY_MS);
      await persist();
    },
  };
}

/** The state saved in --data, or an empty workspace when there is no file yet. A file that is there must be one. */
function loadState(dataFile: string | undefined): WorkspaceData {
  if (!dataFile || !existsSync(dataFile)) return emptyWorkspace();
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(dataFile, "utf8"));
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    throw plxError("SANDBOX.DATA_INVALID", {
      file: dataFile,
      problem: code ? `it cannot be read (${code})` : `it is not JSON (${message})`,
    });
  }
  if (!isWorkspaceData(parsed)) {
    throw plxError("SANDBOX.DATA_INVALID", { file: dataFile, problem: "it is not a state file the sandbox wrote" });
  }
  return parsed;
}

function isWorkspaceData(value: unknown): value is WorkspaceData {
  if (value === null || typeof value !== "object") return false;
  const data = value as Partial<WorkspaceData>;
  return (
    typeof data.workspace_id === "number" &&
    typeof data.next_id === "number" &&
    Array.isArray(data.templates) &&
    Array.isArray(data.labels) &&
    Array.isArray(data.folders)
  );
}

function faultKnobsFrom(body: unknown): Partial<FaultKnobs> | undefined {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return undefined;
  const known = new Set([
    "latencyMs",
    "failRate",
    "rateLimit",
    "dropRate",
    "dropAfterCommitRate",
    "slowBodyMs",
    "staleReadMs",
  ]);
  const entries = Object.entries(body);
  if (!entries.every(([key, value]) => known.has(key) && typeof value === "number" && value >= 0)) return undefined;
  return Object.fromEntries(entries) as Partial<FaultKnobs>;
}

/** A workspace event as PromptLayer's webhook: its event type and `details`. */
export function webhookOf(event: WorkspaceEvent): [string, Record<string, unknown>] {
  // Events the workspace already words as PromptLayer does (an agent run finished).
  if (event.type === "webhook") return [event.event_type, event.details];
  const template = { prompt_template_id: event.template.id, prompt_template_name: event.template.name };
  switch (event.type) {
    case "version_created":
    case "updated":
      return [`prompt_template_${event.type}`, { ...template, prompt_template_version_number: event.version }];
    case "name_changed":
      return ["prompt_template_name_changed", { ...template, old_prompt_template_name: event.from }];
    case "deleted":
      return ["prompt_template_deleted", template];
    case "label_created":
    case "label_deleted":
      return [
        `prompt_template_${event.type}`,
        { ...template, prompt_template_version_number: event.version, prompt_template_label: event.label },
      ];
    case "label_moved":
      return [
        "prompt_template_label_moved",
        {
          ...template,
          prompt_template_version_number: event.version,
          old_prompt_template_version_number: event.from,
          prompt_template_label: event.label,
        },
      ];
    default:
      // Change requests and their outcome carry no version number, as PromptLayer's do not.
      return [
        `prompt_template_${event.type}`,
        { ...template, prompt_template_label: event.change.label, change_type: event.change.change_type },
      ];
  }
}

function segmentsOf(pathname: string): string[] {
  return pathname
    .split("/")
    .filter((segment) => segment !== "")
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    });
}

function queryObject(params: URLSearchParams): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key);
    query[key] = values.length === 1 ? values[0]! : values;
  }
  return query;
}

function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return (Array.isArray(value) ? value[0] : value)?.trim() || undefined;
}

const SECRET_HEADERS = new Set(["x-api-key", "authorization", "x-goog-api-key"]);

/** Headers as recorded for tests: API keys (PromptLayer's and the providers') are masked so a recording can be printed or stored safely. */
function maskedHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    headers[name] = SECRET_HEADERS.has(name) ? MASKED : Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

/** Gemini's clients may send the key as `?key=`; it is masked like a header. */
function maskedQuery(params: URLSearchParams): URLSearchParams {
  if (!params.has("key")) return params;
  const masked = new URLSearchParams(params);
  masked.set("key", MASKED);
  return masked;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function parseJsonOrText(raw: string): unknown {
  if (raw === "") return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** A model's answer: JSON, or its server-sent events, spread over `slowBodyMs` when that knob is on. */
async function sendModel(response: ServerResponse, answer: ModelAnswer, slowBodyMs = 0): Promise<void> {
  if (!("events" in answer)) return send(response, answer, {}, slowBodyMs);
  response.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
  const pause = answer.events.length > 1 ? slowBodyMs / (answer.events.length - 1) : 0;
  for (const [index, event] of answer.events.entries()) {
    if (response.destroyed) return;
    if (index > 0 && pause > 0) await sleep(pause);
    response.write(event);
  }
  response.end();
}

async function send(
  response: ServerResponse,
  answer: ApiResponse,
  headers: Record<string, string> = {},
  slowBodyMs = 0,
): Promise<void> {
  if (answer.body === undefined) {
    response.writeHead(answer.status, headers).end();
    return;
  }
  const bytes = Buffer.from(JSON.stringify(answer.body));
  response.writeHead(answer.status, { "content-type": "application/json", "content-length": bytes.length, ...headers });
  if (slowBodyMs <= 0) {
    response.end(bytes);
    return;
  }
  const half = Math.floor(bytes.length / 2);
  response.write(bytes.subarray(0, half));
  await sleep(slowBodyMs);
  if (!response.destroyed) response.end(bytes.subarray(half));
}
