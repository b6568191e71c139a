// What the receiver does with a batch of events: start a sync somewhere. A GitHub repository_dispatch, a GitLab
// pipeline trigger, or (exec-action.ts) a local command. Each failure says whether trying again could help; the
// pipeline retries those with backoff and never lets one take the server down.
import type { WebhookEvent } from "./envelope.js";

/** The events of one debounce window, and what a sync needs to know of them. */
export interface SyncBatch {
  events: WebhookEvent[];
  /** Every template involved, once, by name (the id too when the event gave one). */
  templates: Array<{ id?: number; name: string }>;
  eventTypes: string[];
  /** Who made the changes, as PromptLayer named them (name, else email). */
  users: string[];
  /** Protected-label changes an admin approved: `template` and `label`. */
  approvals: Array<{ template: string; label: string }>;
}

export interface SyncAction {
  /** For logs: "GitHub repository_dispatch to owner/repo". */
  describe: string;
  run(batch: SyncBatch, signal?: AbortSignal): Promise<void>;
}

export class ActionError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "ActionError";
  }
}

export function summarizeBatch(events: readonly WebhookEvent[]): SyncBatch {
  const templates = new Map<string, { id?: number; name: string }>();
  const users = new Set<string>();
  const approvals = new Map<string, { template: string; label: string }>();
  for (const event of events) {
    const name = event.template?.name ?? (event.template?.id === undefined ? undefined : `#${event.template.id}`);
    if (name !== undefined) {
      const key = event.template?.id === undefined ? `name:${name}` : `id:${event.template.id}`;
      // The latest name wins: a rename within the window names the template as it is now.
      templates.set(key, { ...(event.template?.id === undefined ? {} : { id: event.template.id }), name });
    }
    const who = event.user?.name ?? event.user?.email;
    if (who) users.add(who);
    if (event.eventType === "prompt_template_label_change_approved" && name !== undefined && event.label) {
      approvals.set(`${name}\u0000${event.label}`, { template: name, label: event.label });
    }
  }
  return {
    events: [...events],
    templates: [...templates.values()],
    eventTypes: [...new Set(events.map((event) => event.eventType))],
    users: [...users],
    approvals: [...approvals.values()],
  };
}

/** The envelope as PromptLayer sent it, for scripts that want the original shape. */
export function envelopeOf(event: WebhookEvent): Record<string, unknown> {
  return {
    event_type: event.eventType,
    details: event.details,
    timestamp: event.timestamp,
    ...(event.workspaceId === undefined ? {} : { workspace_id: event.workspaceId }),
    ...(event.user?.id === undefined ? {} : { user_id: event.user.id }),
    user_name: event.user?.name ?? null,
    user_email: event.user?.email ?? null,
  };
}

/** How a request failed without an answer, in a few words. */
export function describeFailure(error: unknown): string {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) return "timed out";
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  if (typeof cause?.code === "string") return cause.code;
  return error instanceof Error ? error.message : String(error);
}

interface HttpActionOptions {
  fetch?: typeof fetch;
  /** Per attempt. Default 30 s. */
  timeoutMs?: number;
}

async function send(
  what: string,
  url: string,
  init: RequestInit,
  options: HttpActionOptions,
  signal: AbortSignal | undefined,
): Promise<void> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 30_000);
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, {
      ...init,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
  } catch (error) {
    throw new ActionError(`${what} failed: ${describeFailure(error)}`, true);
  }
  const text = await response.text().catch(() => "");
  if (response.ok) return;
  const message = (() => {
    try {
      const parsed = JSON.parse(text) as { message?: unknown; error?: unknown };
      const said = parsed.message ?? parsed.error;
      return typeof said === "string" ? `: ${said.slice(0, 200)}` : "";
    } catch {
      return "";
    }
  })();
  // Rate limits and server trouble pass; a refused token or a wrong repository does not.
  const retryable = response.status === 429 || response.status >= 500;
  throw new ActionError(`${what} answered HTTP ${response.status}${message}`, retryable);
}

/** GitHub allows at most 10 top-level keys and under 64 KB in client_payload; stay well within both. */
const CLIENT_PAYLOAD_MAX_BYTES = 60_000;

/** The client_payload of a repository_dispatch: names and types only, trimmed to GitHub's limits. */
export function dispatchPayload(batch: SyncBatch): Record<string, unknown> {
  const payload = {
    source: "plx",
    templates: batch.templates.map((template) => template.name),
    event_types: batch.eventTypes,
    users: batch.users,
    approvals: batch.approvals,
    events: batch.events.length,
    truncated: false,
  };
  while (utf8Length(JSON.stringify(payload)) > CLIENT_PAYLOAD_MAX_BYTES && payload.templates.length > 0) {
    payload.templates = payload.templates.slice(0, Math.floor(payload.templates.length / 2));
    payload.users = payload.users.slice(0, 20);
    payload.approvals = payload.approvals.slice(0, 20);
    payload.truncated = true;
  }
  return payload;
}

const utf8Length = (text: string) => new TextEncoder().encode(text).length;

export const DISPATCH_EVENT_TYPE = "promptlayer";

/** `POST /repos/{owner}/{repo}/dispatches` with event type `promptlayer`: the sync workflow starts on it. */
export function githubDispatchAction(
  options: HttpActionOptions & { apiUrl: string; repository: string; token: string },
): SyncAction {
  const url = `${options.apiUrl.replace(/\/+$/, "")}/repos/${options.repository}/dispatches`;
  return {
    describe: `GitHub repository_dispatch to ${options.repository}`,
    run: (batch, signal) =>
      send(
        "repository_dispatch",
        url,
        {
          method: "POST",
          headers: {
            Authorization: `Bearer ${options.token}`,
            Accept: "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "Content-Type": "application/json",
            "User-Agent": "plx-cli",
          },
          body: JSON.stringify({ event_type: DISPATCH_EVENT_TYPE, client_payload: dispatchPayload(batch) }),
        },
        options,
        signal,
      ),
  };
}

/** GitLab CI/CD variables a triggered pipeline gets: `PLX_SYNC=true` selects the sync job; the rest are JSON lists. */
export function triggerVariables(batch: SyncBatch): Record<string, string> {
  const limit = (values: unknown[]) => {
    let kept = values;
    while (JSON.stringify(kept).length > 10_000 && kept.length > 0) kept = kept.slice(0, Math.floor(kept.length / 2));
    return JSON.stringify(kept);
  };
  return {
    PLX_SYNC: "true",
    PLX_SYNC_TEMPLATES: limit(batch.templates.map((template) => template.name)),
    PLX_SYNC_EVENT_TYPES: JSON.stringify(batch.eventTypes),
    PLX_SYNC_USERS: limit(batch.users),
    PLX_SYNC_APPROVALS: limit(batch.approvals),
  };
}

/** `POST /projects/:id/trigger/pipeline` with a pipeline trigger token, the ref and the variables. */
export function gitlabTriggerAction(
  options: HttpActionOptions & { apiUrl: string; projectId: string; token: string; ref: string },
): SyncAction {
  const url = `${options.apiUrl.replace(/\/+$/, "")}/projects/${encodeURIComponent(options.projectId)}/trigger/pipeline`;
  return {
    describe: `GitLab pipeline trigger on ${options.projectId} (${options.ref})`,
    run: (batch, signal) => {
      const form = new URLSearchParams({ token: options.token, ref: options.ref });
      for (const [key, value] of Object.entries(triggerVariables(batch))) form.append(`variables[${key}]`, value);
      return send(
        "pipeline trigger",
        url,
        {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded", "User-Agent": "plx-cli" },
          body: form.toString(),
        },
        options,
        signal,
      );
    },
  };
}
