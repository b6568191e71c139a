// One code path for every delivery plx receives, whatever serves it (`plx webhook serve`, a serverless function, a
// cache server): method and size limits, the signature, the envelope, the replay window and duplicates. It decides;
// it acts on nothing.
import { type JsonValue, parseJsonPreservingNumbers } from "../core/pyjson.js";
import { parseEnvelope, type WebhookEvent } from "./envelope.js";
import { DEFAULT_TOLERANCE_MS, DuplicateFilter, deliveryKey, freshness } from "./freshness.js";
import { SIGNATURE_HEADER, signatureMatches } from "./signature.js";

export const MAX_BODY_BYTES = 1024 * 1024;
export const HEALTH_PATH = "/healthz";

export interface DeliveryReaderOptions {
  /** The webhook secret, and during a rotation the previous one too. */
  secrets: readonly string[];
  /** How old (or how far ahead) a signed timestamp may be. Default 15 minutes. */
  toleranceMs?: number;
  maxBodyBytes?: number;
  now?: () => number;
  /** Shared by every reader that must not act twice on one delivery; one per reader by default. */
  duplicates?: DuplicateFilter;
}

export type Delivery =
  | { kind: "health"; status: 200 }
  /** Verified and fresh. `duplicate` when the same delivery was already accepted within the window. */
  | { kind: "event"; status: 202; event: WebhookEvent; duplicate: boolean }
  | { kind: "rejected"; status: 400 | 401 | 405 | 413; reason: string };

export type DeliveryReader = (request: Request) => Promise<Delivery>;

export function createDeliveryReader(options: DeliveryReaderOptions): DeliveryReader {
  const secrets = options.secrets.filter((secret) => secret !== "");
  if (secrets.length === 0) throw new TypeError("a webhook receiver needs at least one secret");
  const toleranceMs = options.toleranceMs ?? DEFAULT_TOLERANCE_MS;
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const now = options.now ?? Date.now;
  const duplicates = options.duplicates ?? new DuplicateFilter({ ttlMs: 2 * toleranceMs, now });
  const reject = (status: 400 | 401 | 405 | 413, reason: string): Delivery => ({ kind: "rejected", status, reason });

  return async (request) => {
    const path = new URL(request.url).pathname;
    if (request.method === "GET" && path === HEALTH_PATH) return { kind: "health", status: 200 };
    if (request.method !== "POST") return reject(405, `${request.method} is not accepted; PromptLayer POSTs`);

    const body = await readBody(request, maxBodyBytes);
    if (body === "too-large") return reject(413, `the body is over ${maxBodyBytes} bytes`);
    const signature = request.headers.get(SIGNATURE_HEADER)?.trim();
    if (!signature) return reject(401, `no ${SIGNATURE_HEADER} header`);
    if (body === "not-utf8") return reject(400, "the body is not UTF-8 text");
    let payload: JsonValue;
    try {
      payload = parseJsonPreservingNumbers(body);
    } catch {
      return reject(400, "the body is not JSON");
    }
    if (!signatureMatches(payload, signature, secrets)) return reject(401, "the signature does not match the secret");
    const envelope = parseEnvelope(payload);
    if (!envelope.ok) return reject(400, `not a PromptLayer webhook envelope (${envelope.problem})`);
    const fresh = freshness(envelope.event.timestamp, now(), toleranceMs);
    if (fresh === "unreadable") return reject(400, `the timestamp "${envelope.event.timestamp}" is not ISO 8601`);
    if (fresh !== "fresh") {
      const minutes = Math.round(toleranceMs / 60_000);
      return reject(
        401,
        `refused as a replay: the timestamp is more than ${minutes} min ${fresh === "stale" ? "old" : "ahead"}`,
      );
    }
    return {
      kind: "event",
      status: 202,
      event: envelope.event,
      duplicate: duplicates.isDuplicate(deliveryKey(payload)),
    };
  };
}

/** The body as text, read no further than the limit; a declared or actual size over it is "too-large". */
async function readBody(request: Request, limit: number): Promise<string | "too-large" | "not-utf8"> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) return "too-large";
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return "too-large";
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return "not-utf8";
  }
}
