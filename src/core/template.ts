/**
 * The in-memory model of one template version: what plx keeps in git and publishes. It is built from PromptLayer's raw
 * read and keeps every field it does not know, at every depth, so a pull followed by a push loses nothing.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface TemplateDoc {
  /** The registry's `prompt_name`. */
  name: string;
  /** Folder names from the root; [] is the root. */
  folder: string[];
  tags: string[];
  /** `prompt_template` exactly as the server holds it, unknown keys included. */
  promptTemplate: JsonObject;
  /** Version metadata (model and custom keys), without plx's own stamp `metadata.plx`. */
  metadata: JsonObject;
  /** Version-level fields outside prompt_template, metadata and commit_message (provider_base_url_name, provider_id, …). */
  extras: JsonObject;
}

/**
 * The answer of GET /prompt-templates/{identifier}, as the core needs it: the fields read by name are typed, every
 * other one becomes an extra. The client's schema-checked RawTemplate is one.
 */
export interface RawLike {
  readonly prompt_name: string;
  readonly prompt_template: unknown;
  readonly metadata?: unknown;
  readonly tags?: readonly string[] | null;
  readonly [key: string]: unknown;
}

/** The body of `prompt_version` without commit_message and metadata.plx, which the caller adds. */
export type PublishVersion = JsonObject & { prompt_template: JsonObject; metadata: JsonObject };

/** Fields of the raw read that describe the template, the version's identity or the read itself, rather than content. */
const NON_CONTENT_KEYS = new Set([
  "success",
  "id",
  "prompt_name",
  "version",
  "workspace_id",
  "prompt_template",
  "metadata",
  "commit_message",
  "tags",
  "created_at",
  "updated_at",
  "snippets",
  "llm_kwargs",
  "release_labels",
  "external_ids",
  "is_snippet",
  "folder_id",
  "prompt_version_id",
  "version_number",
]);

/** Read-only expansions of a writable field: `provider_base_url` is what `provider_base_url_name` points at. */
const READ_ONLY_EXPANSIONS = new Set(["provider_base_url"]);

export function templateFromRaw(raw: RawLike, folder: string[]): TemplateDoc {
  return {
    name: raw.prompt_name,
    folder: [...folder],
    tags: [...(raw.tags ?? [])],
    promptTemplate: jsonObjectOf(raw.prompt_template, "prompt_template"),
    metadata: metadataOf(raw.metadata),
    extras: extrasOf(raw),
  };
}

export function publishVersionOf(doc: TemplateDoc): PublishVersion {
  // Copies, so a caller adding metadata.plx to the body cannot write into the document.
  return {
    ...cloneJson(doc.extras),
    prompt_template: cloneJson(doc.promptTemplate),
    metadata: cloneJson(doc.metadata),
  };
}

function metadataOf(metadata: unknown): JsonObject {
  if (metadata === null || metadata === undefined) return {};
  const { plx: _stamp, ...rest } = jsonObjectOf(metadata, "metadata");
  return stripSecrets(rest);
}

function extrasOf(raw: RawLike): JsonObject {
  const entries = Object.entries(raw).filter(
    ([key, value]) => value !== undefined && !NON_CONTENT_KEYS.has(key) && !READ_ONLY_EXPANSIONS.has(key),
  );
  return stripSecrets(Object.fromEntries(entries.map(([key, value]) => [key, jsonOf(value, key)])));
}

// Secrets never reach git. A key naming an API key is dropped whatever it holds. Other credential names are dropped
// only when they hold a plain value: an object under `password` is far more likely a JSON schema describing a field
// (as in a structured-output `response_format`) than a credential, and is searched instead. Names match whole, so a
// setting such as `max_auth_tokens` is never mistaken for a credential and lost.
const API_KEY_NAME = /^(x)?apikey$/;
const SECRET_NAME =
  /^(secret|secretkey|(aws)?secretaccesskey|clientsecret|password|passwd|privatekey|(access|auth|bearer|refresh|session)token|authorization|credentials?)$/;

export function stripSecrets(value: JsonObject): JsonObject;
export function stripSecrets(value: JsonValue): JsonValue;
export function stripSecrets(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map((item) => stripSecrets(item));
  if (!isJsonObject(value)) return value;
  const kept = Object.entries(value).filter(([key, child]) => !isSecret(key, child));
  return Object.fromEntries(kept.map(([key, child]) => [key, stripSecrets(child)]));
}

export function isSecret(key: string, value: JsonValue): boolean {
  const name = key.toLowerCase().replace(/[^a-z0-9]/g, "");
  if (API_KEY_NAME.test(name)) return true;
  return SECRET_NAME.test(name) && (value === null || typeof value !== "object");
}

export function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function jsonObjectOf(value: unknown, where: string): JsonObject {
  const json = jsonOf(value, where);
  if (!isJsonObject(json)) throw new TypeError(`${where} is not a JSON object`);
  return json;
}

/**
 * A deep copy of a parsed JSON value, checked on the way. Objects are rebuilt with Object.fromEntries, which defines
 * keys such as `__proto__` as ordinary fields instead of changing the prototype, so such keys survive too.
 */
export function jsonOf(value: unknown, where: string): JsonValue {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (Array.isArray(value)) return value.map((item, index) => jsonOf(item, `${where}[${index}]`));
  if (typeof value === "object") {
    const entries = Object.entries(value).filter(([, child]) => child !== undefined);
    return Object.fromEntries(entries.map(([key, child]) => [key, jsonOf(child, `${where}.${key}`)]));
  }
  throw new TypeError(`${where} is not JSON: ${String(value)}`);
}

function cloneJson<T extends JsonValue>(value: T): T {
  return jsonOf(value, "value") as T;
}
