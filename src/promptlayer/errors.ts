/**
 * Turns what went wrong on the wire into plx's words: error bodies into one readable message, statuses into
 * PlxErrors, undici failures into a reason plus "could the request have reached the server?". Pure; the
 * transport redacts every string built here before it reaches an error.
 */
import type { z } from "zod";
import { type PlxError, plxError } from "../errors/index.js";

const MAX_MESSAGE_LENGTH = 200;

/**
 * The server's explanation in an error body. PromptLayer's bodies vary by endpoint: `{message}`, `{error}`,
 * FastAPI's `{detail: [{loc, msg}]}` or `{detail: "…"}`, a bare JSON string, and a proxy in front may answer
 * with HTML. Checked in that order; anything else is shown as trimmed text.
 */
export function messageFromBody(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  let json: unknown;
  try {
    json = JSON.parse(trimmed);
  } catch {
    return clip(looksLikeHtml(trimmed) ? htmlToText(trimmed) : trimmed);
  }
  return clip(messageFromJson(json) ?? trimmed);
}

function messageFromJson(json: unknown): string | undefined {
  if (typeof json === "string") return json;
  if (json === null || typeof json !== "object" || Array.isArray(json)) return undefined;
  const { message, error, detail } = json as Record<string, unknown>;
  for (const candidate of [message, error])
    if (typeof candidate === "string" && candidate.trim() !== "") return candidate;
  if (Array.isArray(detail)) {
    const parts = detail.flatMap((item) => {
      if (item === null || typeof item !== "object") return [];
      const { loc, msg } = item as { loc?: unknown; msg?: unknown };
      if (typeof msg !== "string") return [];
      const where = Array.isArray(loc) ? loc.filter((part) => part !== "body").join(".") : "";
      return [where ? `${where}: ${msg}` : msg];
    });
    if (parts.length > 0) return parts.join("; ");
  }
  return typeof detail === "string" && detail.trim() !== "" ? detail : undefined;
}

const looksLikeHtml = (text: string) => /^<(?:!doctype|html|head|body|\w+[^>]*>)/i.test(text);

function htmlToText(html: string): string {
  return html
    .replace(/<(head|script|style)\b[\s\S]*?<\/\1>/gi, " ")
    .replace(/<[^>]*>/g, " ")
    .replace(/&nbsp;/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&");
}

function clip(text: string): string | undefined {
  const flat = text.replace(/\s+/g, " ").trim();
  if (flat === "") return undefined;
  return flat.length > MAX_MESSAGE_LENGTH ? `${flat.slice(0, MAX_MESSAGE_LENGTH - 1)}…` : flat;
}

export interface FailedRequest {
  method: string;
  /** Redacted path. */
  path: string;
  /** Where the request went, so a wrong base URL shows. */
  baseUrl?: string;
  serverMessage: string | undefined;
  attempts: number;
}

/**
 * An answer the caller did not expect, by whose problem it is: a refused key is exit 4; a timeout, throttling or a
 * server failure is PromptLayer's (exit 3); a conflict with its state is exit 5; any other 4xx refused what was sent,
 * which the user can fix (exit 2, with the field PromptLayer named).
 */
export function statusError(status: number, request: FailedRequest): PlxError {
  const { serverMessage } = request;
  if (status === 401 || status === 403) return plxError("AUTH.REJECTED", { status, serverMessage });
  if (status === 408 || status === 429 || status >= 500) return plxError("REMOTE.HTTP_ERROR", { ...request, status });
  if (status === 409) return plxError("REMOTE.CONFLICT", request);
  if (status === 404) return plxError("REMOTE.NOT_FOUND", request);
  return plxError("REMOTE.REJECTED", { ...request, status });
}

export interface TransportFailure {
  /** A short reason for a person: "connection refused", "no answer within 60000 ms". */
  reason: string;
  /** False only when the request certainly never reached the server, so repeating it cannot duplicate anything. */
  maybeSent: boolean;
}

// Failures that happen before a single byte of the request is written.
const NOT_SENT: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  UND_ERR_CONNECT_TIMEOUT: "connection timed out",
};

const SENT: Record<string, string> = {
  ECONNRESET: "the connection was reset",
  EPIPE: "the connection was closed",
  UND_ERR_SOCKET: "the connection closed before the answer was complete",
  UND_ERR_HEADERS_TIMEOUT: "no answer in time",
  UND_ERR_BODY_TIMEOUT: "the answer stalled",
};

/** Classifies an undici or socket error. `timedOut` is true when plx's own request timeout aborted it. */
export function describeTransportFailure(error: unknown, timedOut: { afterMs: number } | undefined): TransportFailure {
  if (timedOut) return { reason: `no answer within ${timedOut.afterMs} ms`, maybeSent: true };
  const code = errorCode(error);
  if (code !== undefined && code in NOT_SENT) return { reason: NOT_SENT[code]!, maybeSent: false };
  if (code !== undefined && code in SENT) return { reason: SENT[code]!, maybeSent: true };
  const message = error instanceof Error ? error.message : String(error);
  return { reason: code ? `${message} (${code})` : message, maybeSent: true };
}

// Node reports a failed multi-address connect as an AggregateError, and undici sometimes nests the socket error.
function errorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current !== null && typeof current === "object" && depth < 4; depth++) {
    const { code, errors, cause } = current as { code?: unknown; errors?: unknown; cause?: unknown };
    if (typeof code === "string" && code !== "UND_ERR") return code;
    current = Array.isArray(errors) ? errors[0] : cause;
  }
  return undefined;
}

/** The first few schema problems, e.g. `release_labels.0.release_label_id: Invalid input: expected number, received undefined`. */
export function describeIssues(error: z.ZodError, limit = 3): string {
  const described = error.issues.slice(0, limit).map((issue) => {
    const where = issue.path.map(String).join(".");
    return where ? `${where}: ${issue.message}` : issue.message;
  });
  const more = error.issues.length - described.length;
  return described.join("; ") + (more > 0 ? ` (and ${more} more)` : "");
}
