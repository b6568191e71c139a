/**
 * The one redactor every output path goes through: stdout, stderr, --json documents, debug logs,
 * written reports and uploaded eval rows. It masks the literal secrets plx was given (API key,
 * CI tokens) and anything shaped like a credential.
 */

export const MASK = "***";

const TOKEN_SHAPES: RegExp[] = [
  /\b(?:ghp|gho|ghs|ghu|ghr)_[A-Za-z0-9]{20,}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}\b/g,
  /\bglpat-[A-Za-z0-9_-]{16,}\b/g,
  /\bnpms?_[A-Za-z0-9]{30,}\b/g,
  // OpenAI (sk-, sk-proj-, sk-svcacct-) and Anthropic (sk-ant-api03-, sk-ant-admin01-) keys.
  /\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{16,}\b/g,
  // Google API keys (Gemini).
  /\bAIza[0-9A-Za-z_-]{35}\b/g,
  /\bpl_[A-Za-z0-9]{16,}\b/g,
  /\bxox[abpr]-[A-Za-z0-9-]{10,}\b/g,
  /\bAKIA[0-9A-Z]{16}\b/g,
  /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g,
];

// `X-API-KEY: v`, `Authorization: Bearer v`, `"api_key": "v"`, `token=v`, a URL's `?key=v` (Gemini's), and URL userinfo.
const LABELLED_SECRETS: Array<[RegExp, string]> = [
  [
    /\b(x-api-key|x-goog-api-key|authorization|private-token|cookie|set-cookie)(\s*[:=]\s*)(?:(?:bearer|basic|token)\s+)?[^\s,;"']+/gi,
    `$1$2${MASK}`,
  ],
  [
    /(["']?)\b(api[_-]?key|apikey|access[_-]?token|auth[_-]?token|secret|password|client[_-]?secret|token)\1(\s*[:=]\s*)(["']?)[^\s"',;}]+\4/gi,
    `$1$2$1$3$4${MASK}$4`,
  ],
  [/([?&]key=)[^&\s"'#]+/gi, `$1${MASK}`],
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+@/gi, `$1${MASK}@`],
];

export class Redactor {
  private readonly secrets = new Set<string>();

  /** Registers a literal secret (an API key, a token). Values under 6 characters are too short to mask safely. */
  add(secret: string | undefined): void {
    if (secret && secret.trim().length >= 6) this.secrets.add(secret.trim());
  }

  redact(text: string): string {
    let out = text;
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) {
      out = out.split(secret).join(MASK);
      const encoded = encodeURIComponent(secret);
      if (encoded !== secret) out = out.split(encoded).join(MASK);
    }
    for (const shape of TOKEN_SHAPES) out = out.replace(shape, MASK);
    for (const [pattern, replacement] of LABELLED_SECRETS) out = out.replace(pattern, replacement);
    return out;
  }

  /** Redacts every string inside a JSON-like value; keys named like credentials lose their value entirely. */
  redactValue<T>(value: T): T {
    return this.walk(value) as T;
  }

  private walk(value: unknown): unknown {
    if (typeof value === "string") return this.redact(value);
    if (Array.isArray(value)) return value.map((item) => this.walk(item));
    if (value !== null && typeof value === "object") {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        out[key] = SECRET_KEY.test(key) && item !== null && item !== "" ? MASK : this.walk(item);
      }
      return out;
    }
    return value;
  }
}

const SECRET_KEY =
  /^(?:x-api-key|x-goog-api-key|api[_-]?key|apikey|authorization|password|secret|client[_-]?secret|access[_-]?token|auth[_-]?token|private[_-]?token)$/i;
