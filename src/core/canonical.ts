/**
 * The canonical form of a template version: what `diff` compares and what the content hash covers.
 *
 * A version read from PromptLayer carries every default the server fills in; a hand-written file leaves them out. Dropping
 * each value that equals the default for its position makes the two compare equal. The table of defaults is copied from
 * the OpenAPI spec's schemas (the spec is not read at run time) and applied only where that schema applies, so user data
 * such as a tool's JSON schema, model parameters or custom metadata is kept exactly as written, nulls and empties included.
 */
import { createHash } from "node:crypto";
import { isJsonObject, type JsonObject, type JsonValue, type TemplateDoc } from "./template.js";
import { UNIONS } from "./template-schema.js";

export type CanonicalInput = Pick<TemplateDoc, "promptTemplate" | "metadata" | "extras" | "tags">;

/**
 * Why a value means "left at its default":
 * - `declared`: the spec's `default` for the property;
 * - `null-when-optional`: the property is optional and nullable without a declared default, and the server echoes it as null;
 * - `empty-list`: an empty list where the declared default is null; both mean "none".
 */
export type DefaultBasis = "declared" | "null-when-optional" | "empty-list";

export interface DefaultRule {
  readonly value: JsonValue;
  readonly basis: DefaultBasis;
}

type DefaultsTable = Readonly<Record<string, Readonly<Record<string, readonly DefaultRule[]>>>>;

const declared = (value: JsonValue): readonly DefaultRule[] => [{ value, basis: "declared" }];
const UNSET: readonly DefaultRule[] = [{ value: null, basis: "null-when-optional" }];
const NULL_OR_EMPTY: readonly DefaultRule[] = [
  { value: null, basis: "declared" },
  { value: [], basis: "empty-list" },
];
const NULL = declared(null);
const F_STRING = declared("f-string");

/** Per spec schema, the values of each property that mean "default". Schemas whose only default is their `type` are absent. */
export const SCHEMA_DEFAULTS: DefaultsTable = {
  ChatPrompt: { functions: NULL, tools: NULL, function_call: NULL, tool_choice: NULL },
  CompletionPrompt: { template_format: F_STRING },
  SystemMessage: { template_format: F_STRING, name: UNSET },
  UserMessage: { template_format: F_STRING, name: UNSET },
  DeveloperMessage: { template_format: F_STRING, name: UNSET },
  ToolMessage: { template_format: F_STRING, name: UNSET },
  AssistantMessage: { template_format: F_STRING, name: UNSET, content: UNSET, tool_calls: UNSET, function_call: UNSET },
  // A function message's `name` is required, so a null there is data, not a default.
  FunctionMessage: { template_format: F_STRING, content: UNSET },
  PlaceholderMessage: { template_format: F_STRING, content: NULL, raw_request_display_role: declared("") },
  ToolCall: { tool_id: NULL },
  Function: {
    description: declared(""),
    strict: declared(false),
    parameters: declared({ type: "object", properties: {} }),
  },
  Metadata: { model: NULL },
  Model: {
    parameters: declared({}),
    display_params: declared({}),
    api_type: NULL,
    model_config_display_name: NULL,
    base_model: NULL,
  },
  TextContent: { id: NULL, annotations: NULL_OR_EMPTY, thought_signature: NULL },
  ThinkingContent: { id: NULL, signature: NULL },
  CodeContent: { id: NULL, container_id: NULL },
  ImageContent: { image_variable: NULL },
  ImageURL: { detail: UNSET },
  Media: { title: declared("media"), type: declared("image/jpeg"), url: NULL, format: declared("neither") },
  OutputMediaContent: {
    id: NULL,
    mime_type: declared("image/png"),
    media_type: declared("image"),
    provider_metadata: NULL,
  },
  ServerToolUseContent: { input: declared({}) },
  WebSearchToolResultContent: { content: declared([]) },
  WebSearchResult: { url: declared(""), title: declared(""), encrypted_content: declared(""), page_age: NULL },
  CodeExecutionResultContent: { outcome: declared("OUTCOME_OK") },
  McpListToolsContent: { id: NULL, server_label: declared(""), tools: declared([]), error: NULL },
  McpCallContent: {
    id: NULL,
    name: declared(""),
    server_label: declared(""),
    arguments: declared(""),
    output: NULL,
    error: NULL,
    approval_request_id: NULL,
  },
  McpApprovalRequestContent: { id: NULL, name: declared(""), arguments: declared(""), server_label: declared("") },
  BashCodeExecutionToolResultContent: { content: declared({}) },
  TextEditorCodeExecutionToolResultContent: { content: declared({}) },
  ShellCallContent: { id: NULL, call_id: NULL, action: declared({}), status: NULL },
  ShellCallOutputContent: { id: NULL, call_id: NULL, output: declared([]), status: NULL },
  ApplyPatchCallContent: { id: NULL, call_id: NULL, operation: declared({}), status: NULL },
  ApplyPatchCallOutputContent: { id: NULL, call_id: NULL, output: NULL, status: NULL },
  WebAnnotation: { cited_text: NULL, encrypted_index: NULL },
  MapAnnotation: { place_id: NULL, cited_text: NULL },
  ContainerFileAnnotation: { start_index: NULL, end_index: NULL, filename: NULL, file_id: NULL },
};

/**
 * The `type` each schema defaults to. Unlike other defaults it is written out, not dropped: a file says what it is.
 * Where a position implies the type and it is missing, the canonical form adds it.
 */
export const IMPLIED_TYPES = {
  ChatPrompt: "chat",
  CompletionPrompt: "completion",
  FunctionTool: "function",
  ToolCall: "function",
  ChatToolChoice: "function",
  WebSearchResult: "web_search_result",
} as const;

/** Message schemas by `role`, as in the spec's discriminator. */
export const MESSAGE_SCHEMAS: Readonly<Record<string, string>> = UNIONS.Message.members;

/** Content block schemas by `type`, as in the spec's discriminator. A type not listed is kept verbatim. */
export const BLOCK_SCHEMAS: Readonly<Record<string, string>> = UNIONS.ContentBlock.members;

/** Annotation schemas of a text block by `type`. */
export const ANNOTATION_SCHEMAS: Readonly<Record<string, string>> = {
  url_citation: "WebAnnotation",
  file_citation: "FileAnnotation",
  map_citation: "MapAnnotation",
  container_file_citation: "ContainerFileAnnotation",
};

/** The server recomputes `input_variables` from the text, so it is derived data and never compared. */
const DERIVED_KEYS: readonly string[] = ["input_variables"];

type Canonicalize = (value: JsonValue) => JsonValue;

/** Where a JSON object sits in a template: which defaults apply, and how its known children are canonicalised. */
interface Position {
  readonly schema?: string;
  readonly children?: Readonly<Record<string, Canonicalize>>;
  readonly derived?: readonly string[];
  readonly impliedType?: string;
}

export function canonicalContent(doc: CanonicalInput): JsonObject {
  return {
    prompt_template: canonicalTemplate(doc.promptTemplate),
    metadata: canonicalMetadata(doc.metadata),
    extras: canonicalExtras(doc.extras),
    tags: canonicalTags(doc.tags),
  };
}

/**
 * The document with server defaults and derived fields removed, key order kept: what plx writes to a file, so a
 * reviewer sees what the prompt says rather than what the server filled in. It hashes equal to the original.
 */
export function canonicalDoc(doc: TemplateDoc): TemplateDoc {
  const canonical = canonicalContent(doc);
  return {
    ...doc,
    promptTemplate: canonical.prompt_template as JsonObject,
    metadata: canonical.metadata as JsonObject,
    extras: canonical.extras as JsonObject,
    tags: canonical.tags as string[],
  };
}

export function contentHash(doc: CanonicalInput): string {
  return `sha256:${createHash("sha256")
    .update(stableStringify(canonicalContent(doc)))
    .digest("hex")}`;
}

/** JSON with object keys sorted by code point at every depth; array order is kept. */
export function stableStringify(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(",")}]`;
  if (isJsonObject(value)) {
    const keys = Object.keys(value).sort(compareCodePoints);
    return `{${keys.map((key) => `${JSON.stringify(key)}:${stableStringify(value[key]!)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** Orders strings by Unicode code point; the default sort compares UTF-16 units, which misorders astral characters. */
export function compareCodePoints(a: string, b: string): number {
  for (let index = 0; index < a.length && index < b.length; ) {
    const left = a.codePointAt(index)!;
    const right = b.codePointAt(index)!;
    if (left !== right) return left - right;
    index += left > 0xffff ? 2 : 1;
  }
  return a.length - b.length;
}

function canonicalTemplate(template: JsonObject): JsonValue {
  return canonicalObject(template, templatePosition(template));
}

function templatePosition(template: JsonObject): Position {
  const type = Object.hasOwn(template, "type") ? template.type : impliedTemplateType(template);
  if (type === "chat") return CHAT_PROMPT;
  if (type === "completion") return COMPLETION_PROMPT;
  return { derived: DERIVED_KEYS };
}

/** Both template schemas default their `type`, so a template without one is told apart by its body. */
function impliedTemplateType(template: JsonObject): string | undefined {
  if (Object.hasOwn(template, "messages")) return IMPLIED_TYPES.ChatPrompt;
  if (Object.hasOwn(template, "content")) return IMPLIED_TYPES.CompletionPrompt;
  return undefined;
}

function canonicalMetadata(metadata: JsonObject): JsonValue {
  // plx's own stamp holds the content hash, so the hash cannot cover it.
  const { plx: _stamp, ...content } = metadata;
  return canonicalObject(content, { schema: "Metadata", children: { model: at({ schema: "Model" }) } });
}

/** Every version-level field the spec knows (PromptBlueprint) defaults to null, and the server echoes unset ones as null. */
function canonicalExtras(extras: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(extras).filter(([, value]) => value !== null));
}

function canonicalTags(tags: readonly string[]): string[] {
  return [...new Set(tags)].sort(compareCodePoints);
}

function canonicalObject(value: JsonValue, position: Position): JsonValue {
  if (!isJsonObject(value)) return value;
  const entries: Array<[string, JsonValue]> = [];
  if (position.impliedType !== undefined && !Object.hasOwn(value, "type")) entries.push(["type", position.impliedType]);
  for (const [key, child] of Object.entries(value)) {
    if (position.derived?.includes(key)) continue;
    const canonicalize = own(position.children, key);
    // Compared after canonicalising, so a child that reduces to its default is dropped on the first pass, not the second.
    const canonical = canonicalize ? canonicalize(child) : child;
    if (!isDefault(position.schema, key, canonical)) entries.push([key, canonical]);
  }
  // fromEntries defines `__proto__` and friends as plain keys, so unknown keys of any name survive.
  return Object.fromEntries(entries);
}

function isDefault(schema: string | undefined, key: string, value: JsonValue): boolean {
  const rules = schema === undefined ? undefined : own(own(SCHEMA_DEFAULTS, schema), key);
  if (!rules) return false;
  const serialized = stableStringify(value);
  return rules.some((rule) => stableStringify(rule.value) === serialized);
}

/** A record's own entry: data keys such as `constructor` must not find Object.prototype's members. */
function own<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

function listOf(item: Canonicalize): Canonicalize {
  return (value) => (Array.isArray(value) ? value.map(item) : value);
}

function at(position: Position): Canonicalize {
  return (value) => canonicalObject(value, position);
}

/** Picks the position from a discriminator field; an object with an unknown discriminator is kept verbatim. */
function byDiscriminator(field: string, positions: ReadonlyMap<string, Position>, fallback?: Position): Canonicalize {
  return (value) => {
    if (!isJsonObject(value)) return value;
    const discriminator = value[field];
    const position = (typeof discriminator === "string" ? positions.get(discriminator) : undefined) ?? fallback;
    return position ? canonicalObject(value, position) : value;
  };
}

/** Tools, tool calls and tool choices are function-shaped when typed so, or when untyped and holding a `function`. */
function whenFunction(position: Position): Canonicalize {
  return (value) => {
    if (!isJsonObject(value)) return value;
    const typed = Object.hasOwn(value, "type");
    return value.type === "function" || (!typed && Object.hasOwn(value, "function"))
      ? canonicalObject(value, position)
      : value;
  };
}

const FUNCTION: Position = { schema: "Function" };
const canonicalTool = whenFunction({ children: { function: at(FUNCTION) }, impliedType: IMPLIED_TYPES.FunctionTool });
const canonicalToolCall = whenFunction({ schema: "ToolCall", impliedType: IMPLIED_TYPES.ToolCall });
const canonicalToolChoice = whenFunction({ impliedType: IMPLIED_TYPES.ChatToolChoice });

const canonicalAnnotation = byDiscriminator(
  "type",
  new Map(Object.entries(ANNOTATION_SCHEMAS).map(([type, schema]) => [type, { schema }])),
);

/** The children of content blocks that have a schema of their own. */
const BLOCK_CHILDREN: Readonly<Record<string, Readonly<Record<string, Canonicalize>>>> = {
  TextContent: { annotations: listOf(canonicalAnnotation) },
  ImageContent: { image_url: at({ schema: "ImageURL" }) },
  MediaContent: { media: at({ schema: "Media" }) },
  WebSearchToolResultContent: {
    content: listOf(at({ schema: "WebSearchResult", impliedType: IMPLIED_TYPES.WebSearchResult })),
  },
};

const canonicalBlocks = listOf(
  byDiscriminator(
    "type",
    new Map(
      Object.entries(BLOCK_SCHEMAS).map(([type, schema]) => [type, { schema, children: own(BLOCK_CHILDREN, schema) }]),
    ),
  ),
);

const MESSAGE_CHILDREN: Readonly<Record<string, Canonicalize>> = { content: canonicalBlocks };
const ASSISTANT_CHILDREN: Readonly<Record<string, Canonicalize>> = {
  ...MESSAGE_CHILDREN,
  tool_calls: listOf(canonicalToolCall),
};

/** A message with a role the spec does not know still has derived variables and content blocks. */
const canonicalMessage = byDiscriminator(
  "role",
  new Map(
    Object.entries(MESSAGE_SCHEMAS).map(([role, schema]) => [
      role,
      { schema, children: role === "assistant" ? ASSISTANT_CHILDREN : MESSAGE_CHILDREN, derived: DERIVED_KEYS },
    ]),
  ),
  { children: MESSAGE_CHILDREN, derived: DERIVED_KEYS },
);

const CHAT_PROMPT: Position = {
  schema: "ChatPrompt",
  derived: DERIVED_KEYS,
  impliedType: IMPLIED_TYPES.ChatPrompt,
  children: {
    messages: listOf(canonicalMessage),
    tools: listOf(canonicalTool),
    functions: listOf(at(FUNCTION)),
    tool_choice: canonicalToolChoice,
  },
};

const COMPLETION_PROMPT: Position = {
  schema: "CompletionPrompt",
  derived: DERIVED_KEYS,
  impliedType: IMPLIED_TYPES.CompletionPrompt,
  children: { content: canonicalBlocks },
};
