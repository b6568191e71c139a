// PromptLayer's webhook signature: `X-PromptLayer-Signature` is the lowercase hex HMAC-SHA256, keyed by the UTF-8
// secret, of Python's `json.dumps(payload, sort_keys=True)`. One implementation, used by the sandbox to sign and by
// the receiver (and anything else that verifies deliveries) to check.
import { createHmac, timingSafeEqual } from "node:crypto";
import { type JsonValue, parseJsonPreservingNumbers, pythonJsonDumps } from "../core/pyjson.js";

export const SIGNATURE_HEADER = "X-PromptLayer-Signature";

/** The signature PromptLayer sends for `payload`. */
export function signWebhookPayload(payload: JsonValue, secret: string): string {
  return createHmac("sha256", secret).update(pythonJsonDumps(payload), "utf8").digest("hex");
}

/**
 * Whether `signatureHeader` signs the already parsed `payload` under one of `secrets` (two during a rotation). Every
 * secret is compared in constant time; a header that is not 64 hex digits matches none.
 */
export function signatureMatches(payload: JsonValue, signatureHeader: string, secrets: readonly string[]): boolean {
  if (!/^[0-9a-fA-F]{64}$/.test(signatureHeader)) return false;
  const received = Buffer.from(signatureHeader, "hex");
  const canonical = pythonJsonDumps(payload);
  let matched = false;
  for (const secret of secrets) {
    const expected = createHmac("sha256", secret).update(canonical, "utf8").digest();
    // No early return: the time taken does not say which secret matched.
    if (timingSafeEqual(expected, received)) matched = true;
  }
  return matched;
}

/**
 * Checks a received body as PromptLayer's reference verifier does: parse it keeping each number's lexeme, re-serialise
 * it the Python way and compare HMACs. A body that is not JSON is simply not validly signed.
 */
export function verifyWebhookSignature(rawBody: string, signatureHeader: string, secret: string): boolean {
  let payload: JsonValue;
  try {
    payload = parseJsonPreservingNumbers(rawBody);
  } catch {
    return false;
  }
  return signatureMatches(payload, signatureHeader, [secret]);
}
