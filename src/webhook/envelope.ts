// What PromptLayer posts: `{event_type, details, user_id, user_name, user_email, workspace_id, timestamp}`. Older docs
// lack the user's name and email, so everything but the event type, details and timestamp is optional. Payloads carry
// names, ids and version numbers, never content.
import { RawNumber } from "../core/pyjson.js";

/** Events that change what a repository of prompt files holds; every other event is acknowledged and left alone. */
export const REPOSITORY_EVENTS = [
  "prompt_template_version_created",
  "prompt_template_name_changed",
  "prompt_template_deleted",
  "prompt_template_label_created",
  "prompt_template_label_moved",
  "prompt_template_label_deleted",
  "prompt_template_label_change_approved",
  "prompt_template_updated",
] as const;
export type RepositoryEventType = (typeof REPOSITORY_EVENTS)[number];

const REPOSITORY_EVENT_SET: ReadonlySet<string> = new Set(REPOSITORY_EVENTS);

/** Whether an event changes what a repository holds (so a sync should run). */
export const changesRepository = (event: Pick<WebhookEvent, "eventType">): boolean =>
  REPOSITORY_EVENT_SET.has(event.eventType);

/** One delivery, read: the envelope's fields in plx's names, and the template facts most events carry. */
export interface WebhookEvent {
  eventType: string;
  details: Record<string, unknown>;
  /** As sent; see parseWebhookTimestamp. */
  timestamp: string;
  workspaceId?: number;
  user?: { id?: number; name?: string; email?: string };
  template?: { id?: number; name?: string; previousName?: string };
  /** The version the event is about: a new version, or where a label points now. */
  version?: number;
  /** Where a moved label pointed before. */
  previousVersion?: number;
  label?: string;
  /** `move`, `delete`… on label change requests and their approval. */
  changeType?: string;
}

export type EnvelopeResult = { ok: true; event: WebhookEvent } | { ok: false; problem: string };

/** Reads a parsed body as a webhook envelope; a body of another shape is a problem to report, never an exception. */
export function parseEnvelope(payload: unknown): EnvelopeResult {
  // Checked by hand rather than with zod: this runs in the serverless bundle, which stays small without it.
  const envelope = plainJson(payload) as Record<string, unknown>;
  if (envelope === null || typeof envelope !== "object" || Array.isArray(envelope))
    return { ok: false, problem: "body: expected an object" };
  const problem =
    typeof envelope.event_type !== "string" || envelope.event_type === ""
      ? "event_type: expected a non-empty string"
      : !isRecord(envelope.details)
        ? "details: expected an object"
        : typeof envelope.timestamp !== "string" || envelope.timestamp === ""
          ? "timestamp: expected a non-empty string"
          : undefined;
  if (problem) return { ok: false, problem };
  const details = envelope.details as Record<string, unknown>;
  const number = (key: string) => (typeof details[key] === "number" ? (details[key] as number) : undefined);
  const text = (key: string) => (typeof details[key] === "string" ? (details[key] as string) : undefined);
  const event: WebhookEvent = {
    eventType: envelope.event_type as string,
    details,
    timestamp: envelope.timestamp as string,
  };
  if (typeof envelope.workspace_id === "number") event.workspaceId = envelope.workspace_id;
  const user = compact({
    id: typeof envelope.user_id === "number" ? envelope.user_id : undefined,
    name: typeof envelope.user_name === "string" ? envelope.user_name : undefined,
    email: typeof envelope.user_email === "string" ? envelope.user_email : undefined,
  });
  if (Object.keys(user).length > 0) event.user = user;
  const template = compact({
    id: number("prompt_template_id"),
    name: text("prompt_template_name"),
    previousName: text("old_prompt_template_name"),
  });
  if (Object.keys(template).length > 0) event.template = template;
  const version = number("prompt_template_version_number");
  if (version !== undefined) event.version = version;
  const previousVersion = number("old_prompt_template_version_number");
  if (previousVersion !== undefined) event.previousVersion = previousVersion;
  const label = text("prompt_template_label");
  if (label !== undefined) event.label = label;
  const changeType = text("change_type");
  if (changeType !== undefined) event.changeType = changeType;
  return { ok: true, event };
}

/** A short name for logs: `support/refund-reply v3`, `prod on refund-reply`. */
export function describeEvent(event: WebhookEvent): string {
  const name = event.template?.name ?? (event.template?.id === undefined ? "" : `#${event.template.id}`);
  const version = event.version === undefined ? "" : ` v${event.version}`;
  const label = event.label === undefined ? "" : ` [${event.label}]`;
  return `${event.eventType}${name ? ` ${name}` : ""}${version}${label}`;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

function compact<T extends Record<string, unknown>>(record: T): Partial<T> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** The receiver parses numbers as their source text (for the signature); here they are plain numbers again. */
function plainJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plainJson);
  if (value !== null && typeof value === "object") {
    if (value instanceof RawNumber) return Number(value.source);
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, plainJson(item)]));
  }
  return value;
}
