// Replay protection and duplicate suppression. PromptLayer sends no delivery id and no timestamp header: the signed
// `timestamp` is the only clock, and the body itself is the only identity a repeated delivery has.
import { createHash } from "node:crypto";
import { type JsonValue, pythonJsonDumps } from "../core/pyjson.js";

export const DEFAULT_TOLERANCE_MS = 15 * 60_000;

const ISO_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Milliseconds since the epoch for an ISO-8601 timestamp. PromptLayer's own example carries microseconds and no zone
 * (`2023-12-01T22:05:57.924833`): a timestamp without a zone is UTC. Undefined for anything else.
 */
export function parseWebhookTimestamp(text: string): number | undefined {
  const match = ISO_TIMESTAMP.exec(text.trim());
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second = "0", fraction = "", zone = "Z"] = match;
  const parts = [year, month, day, hour, minute, second].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const [y, mo, d, h, mi, s] = parts;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  const millis = Math.floor(Number(`0.${fraction || "0"}`) * 1000);
  let at = Date.UTC(y, mo - 1, d, h, mi, s, millis);
  if (new Date(at).getUTCDate() !== d) return undefined;
  if (zone.toUpperCase() !== "Z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    const offset = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || "0");
    at -= sign * offset * 60_000;
  }
  return at;
}

export type Freshness = "fresh" | "stale" | "future" | "unreadable";

/**
 * Whether a delivery's signed timestamp is within `toleranceMs` of now. Too old is a replay; too far ahead is refused
 * as well, since a forged future timestamp would otherwise stretch the window.
 */
export function freshness(timestamp: string, now: number, toleranceMs = DEFAULT_TOLERANCE_MS): Freshness {
  const at = parseWebhookTimestamp(timestamp);
  if (at === undefined) return "unreadable";
  if (now - at > toleranceMs) return "stale";
  if (at - now > toleranceMs) return "future";
  return "fresh";
}

/** The identity of a delivery: the hash of its canonical (Python) form, so reformatting in transit does not hide a repeat. */
export function deliveryKey(payload: JsonValue): string {
  return createHash("sha256").update(pythonJsonDumps(payload), "utf8").digest("hex");
}

export interface DuplicateFilterOptions {
  /** How long a delivery is remembered; past the replay tolerance it is refused as stale anyway. */
  ttlMs?: number;
  /** Most deliveries remembered; the oldest is forgotten first. */
  maxEntries?: number;
  now?: () => number;
}

/** Remembers deliveries for a while, so the same one seen again is acknowledged and not acted on twice. */
export class DuplicateFilter {
  private readonly seenUntil = new Map<string, number>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: DuplicateFilterOptions = {}) {
    this.ttlMs = options.ttlMs ?? DEFAULT_TOLERANCE_MS;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** True when `key` was seen within the window; otherwise records it and returns false. */
  isDuplicate(key: string): boolean {
    const now = this.now();
    const until = this.seenUntil.get(key);
    if (until !== undefined && until > now) return true;
    this.seenUntil.delete(key);
    this.seenUntil.set(key, now + this.ttlMs);
    this.evict(now);
    return false;
  }

  get size(): number {
    return this.seenUntil.size;
  }

  /** Entries are in insertion order, which is expiry order: drop expired ones from the front, then any over the cap. */
  private evict(now: number): void {
    for (const [key, until] of this.seenUntil) {
      if (until > now && this.seenUntil.size <= this.maxEntries) break;
      this.seenUntil.delete(key);
    }
  }
}
