// The `.prompt.yaml` file: a TemplateDoc laid out for people reviewing a pull request. The model comes first, a text
// block that is the whole content is written as a plain string, and everything plx does not know is kept verbatim.
import { isMap, isScalar, LineCounter, type Node, parseDocument, Scalar } from "yaml";
import { conflictRegions, describeRegion } from "../core/conflict-markers.js";
import { TEMPLATE_FIELDS } from "../core/template-schema.js";
import { isJsonObject, type JsonObject, type JsonValue, type TemplateDoc } from "../core/template.js";
import { locationFromPath, type PlannedPath } from "./paths.js";
import { fromYaml, toYaml, YamlSyntaxError } from "./yaml-lossless.js";

/** One thing wrong with a file, with where it is and what to do about it. */
export interface FileProblem {
  path: string;
  line: number;
  col: number;
  message: string;
  hint: string;
  /** What kind of problem, for `plx check`'s findings, when it is more than "the file cannot be read". */
  code?: string;
}

// File keys that are not prompt_template keys. A prompt_template key with one of these names (none exists today), or
// one the spec does not know for either template type, is kept under TEMPLATE_OVERFLOW: it can never be mistaken for
// them, and a key written at the top level is then always one plx knows, so `plx check` can call any other a typo.
export const FILE_KEYS = ["name", "folder", "model", "tags", "metadata", "extras"] as const;
export const TEMPLATE_OVERFLOW = "template_fields";
const RESERVED = new Set<string>([...FILE_KEYS, TEMPLATE_OVERFLOW]);
const LEADING_TEMPLATE_KEYS = ["type", "template_format"];

/** The template's own fields the spec lists for its type: the ones a file writes at its top level. */
function topLevelTemplateKeys(template: JsonObject): ReadonlySet<string> {
  const type = Object.hasOwn(template, "type")
    ? template.type
    : Object.hasOwn(template, "messages")
      ? "chat"
      : "completion";
  return new Set(
    type === "chat" || type === "completion"
      ? TEMPLATE_FIELDS[type]
      : [...TEMPLATE_FIELDS.chat, ...TEMPLATE_FIELDS.completion],
  );
}

/** The file's content, as text. */
export function serializePromptFile(
  doc: TemplateDoc,
  placement: Pick<PlannedPath, "nameInFile" | "folderInFile">,
): string {
  return toYaml(fileLayout(doc, placement));
}

/**
 * Why a template, written as a file, would fail plx's own check; undefined when the file would be accepted. PromptLayer
 * refuses such content, so only a corrupted record or a proxy's rewriting could produce one; pull leaves it unwritten.
 */
export function unwritableReason(
  doc: TemplateDoc,
  placement: Pick<PlannedPath, "nameInFile" | "folderInFile">,
): string | undefined {
  const [first] = validateLayout(fileLayout(doc, placement));
  return first && (first.at.length > 0 ? `${first.at.join(".")}: ${first.message}` : first.message);
}

// Objects are built from entry lists with Object.fromEntries, never by assignment: a key named `__proto__` is data
// here (PromptLayer may hold one), and assigning it would set the object's prototype instead of keeping it.
function fileLayout(doc: TemplateDoc, placement: Pick<PlannedPath, "nameInFile" | "folderInFile">): JsonObject {
  const entries: Array<[string, JsonValue]> = [];
  if (placement.nameInFile) entries.push(["name", doc.name]);
  if (placement.folderInFile) entries.push(["folder", doc.folder]);
  const template = doc.promptTemplate;
  for (const key of LEADING_TEMPLATE_KEYS) if (Object.hasOwn(template, key)) entries.push([key, template[key]!]);
  if (Object.hasOwn(doc.metadata, "model")) entries.push(["model", doc.metadata.model!]);
  if (doc.tags.length > 0) entries.push(["tags", doc.tags]);
  const overflow: Array<[string, JsonValue]> = [];
  const ownKeys = topLevelTemplateKeys(template);
  for (const [key, value] of Object.entries(template)) {
    if (LEADING_TEMPLATE_KEYS.includes(key)) continue;
    if (RESERVED.has(key) || !ownKeys.has(key)) overflow.push([key, value]);
    else
      entries.push([
        key,
        key === "messages" && Array.isArray(value)
          ? value.map(shortenMessage)
          : key === "content"
            ? shortenContent(value)
            : value,
      ]);
  }
  if (overflow.length > 0) entries.push([TEMPLATE_OVERFLOW, Object.fromEntries(overflow)]);
  const metadata = Object.entries(doc.metadata).filter(([key]) => key !== "model");
  if (metadata.length > 0) entries.push(["metadata", Object.fromEntries(metadata)]);
  if (Object.keys(doc.extras).length > 0) entries.push(["extras", doc.extras]);
  return Object.fromEntries(entries);
}

function shortenMessage(message: JsonValue): JsonValue {
  if (!isJsonObject(message) || !Object.hasOwn(message, "content")) return message;
  return { ...message, content: shortenContent(message.content!) };
}

/** A content list that is one plain text block reads best as the text itself. */
function shortenContent(content: JsonValue): JsonValue {
  if (!Array.isArray(content) || content.length !== 1) return content;
  const [block] = content;
  if (
    !isJsonObject(block) ||
    Object.keys(block).length !== 2 ||
    block.type !== "text" ||
    typeof block.text !== "string"
  )
    return content;
  return block.text;
}

function expandContent(content: JsonValue): JsonValue {
  return typeof content === "string" ? [{ type: "text", text: content }] : content;
}

export type ParsedPromptFile = { ok: true; doc: TemplateDoc } | { ok: false; problems: FileProblem[] };

/** Reads a file's text; `path` is repo-relative and decides the name and folder unless the file says otherwise. */
export function parsePromptFile(text: string, path: string, promptsDir: string): ParsedPromptFile {
  const read = readYamlFile(text, path);
  if (!read.ok) return read;
  const { value } = read;
  const issues = validateLayout(value);
  if (issues.length > 0) {
    const locate = positionFinder(text);
    return {
      ok: false,
      problems: issues.map((issue) => ({ path, ...locate(issue.at), message: issue.message, hint: issue.hint })),
    };
  }
  return { ok: true, doc: docFromLayout(value as JsonObject, path, promptsDir) };
}

/** A prompt or agent file's YAML, or the problems that stop reading it: conflict markers, then syntax. */
export function readYamlFile(
  text: string,
  path: string,
): { ok: true; value: JsonValue } | { ok: false; problems: FileProblem[] } {
  const conflicts = conflictProblems(text, path);
  if (conflicts.length > 0) return { ok: false, problems: conflicts };
  try {
    return { ok: true, value: fromYaml(text, path) };
  } catch (error) {
    if (!(error instanceof YamlSyntaxError)) throw error;
    const hint = "Fix the YAML syntax; `plx check` lists every problem.";
    return { ok: false, problems: [{ path, line: error.line, col: error.col, message: error.reason, hint }] };
  }
}

/** One problem per conflict a merge left in the file, at its first marker line. */
function conflictProblems(text: string, path: string): FileProblem[] {
  return conflictRegions(text).map((region) => ({
    path,
    line: region.start,
    col: 1,
    message: `a merge left conflict markers in the file (${describeRegion(region)})`,
    code: "conflict-markers",
    hint: "Keep what each side should keep, delete the <<<<<<<, ======= and >>>>>>> lines, then run `plx check`.",
  }));
}

function docFromLayout(file: JsonObject, path: string, promptsDir: string): TemplateDoc {
  const location = locationFromPath(path, promptsDir);
  const template: Array<[string, JsonValue]> = [];
  const metadata: Array<[string, JsonValue]> = [];
  for (const [key, value] of Object.entries(file)) {
    if (key === "model") metadata.push([key, value]);
    else if (key === TEMPLATE_OVERFLOW) template.push(...Object.entries(value as JsonObject));
    else if (RESERVED.has(key)) continue;
    else if (key === "messages" && Array.isArray(value))
      template.push([
        key,
        value.map((m) =>
          isJsonObject(m) && Object.hasOwn(m, "content") ? { ...m, content: expandContent(m.content!) } : m,
        ),
      ]);
    else if (key === "content") template.push([key, expandContent(value)]);
    else template.push([key, value]);
  }
  const promptTemplate = Object.fromEntries(template);
  if (!Object.hasOwn(promptTemplate, "type")) {
    Object.defineProperty(promptTemplate, "type", {
      value: Object.hasOwn(promptTemplate, "messages") ? "chat" : "completion",
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  metadata.push(...Object.entries((file.metadata as JsonObject | undefined) ?? {}));
  return {
    name: typeof file.name === "string" ? file.name : location.name,
    folder: Array.isArray(file.folder) ? (file.folder as string[]) : location.folder,
    tags: (file.tags as string[] | undefined) ?? [],
    promptTemplate,
    metadata: Object.fromEntries(metadata),
    extras: (file.extras as JsonObject | undefined) ?? {},
  };
}

// ---- Validation: only what plx needs to be sure of; everything else is the registry's to judge ----

interface LayoutIssue {
  at: Array<string | number>;
  message: string;
  hint: string;
}

const isStringList = (value: JsonValue | undefined) =>
  Array.isArray(value) && value.every((item) => typeof item === "string");

function validateLayout(value: JsonValue): LayoutIssue[] {
  if (!isJsonObject(value)) {
    return [
      {
        at: [],
        message:
          value === null ? "the file is empty" : "the file must be a mapping of keys such as type, model and messages",
        hint: "Start from a file `plx pull` wrote, or see the format in the README.",
      },
    ];
  }
  if (nestsDeeperThan(value, MAX_NESTING)) {
    return [
      {
        at: [],
        message: `the template nests deeper than ${MAX_NESTING} levels`,
        hint: "Flatten it: no prompt needs that depth, and YAML readers give up not far beyond.",
      },
    ];
  }
  const issues: LayoutIssue[] = [];
  const issue = (at: Array<string | number>, message: string, hint: string) => issues.push({ at, message, hint });
  const type = Object.hasOwn(value, "type")
    ? value.type
    : Object.hasOwn(value, "messages")
      ? "chat"
      : Object.hasOwn(value, "content")
        ? "completion"
        : undefined;
  if (type !== "chat" && type !== "completion")
    issue(
      ["type"],
      `type must be chat or completion, not ${JSON.stringify(value.type ?? null)}`,
      "Write `type: chat` with messages, or `type: completion` with content.",
    );
  if (value.name !== undefined && (typeof value.name !== "string" || value.name === ""))
    issue(["name"], "name must be a non-empty string", "Remove `name:` to use the file name, or quote the name.");
  if (value.folder !== undefined && !isStringList(value.folder))
    issue(
      ["folder"],
      "folder must be a list of folder names",
      "Write it as `folder: [support, billing]`, or remove it to use the directory.",
    );
  if (value.tags !== undefined && !isStringList(value.tags))
    issue(["tags"], "tags must be a list of strings", "Write them as `tags: [support, billing]`.");
  for (const key of ["metadata", "extras", TEMPLATE_OVERFLOW]) {
    if (value[key] !== undefined && !isJsonObject(value[key]))
      issue([key], `${key} must be a mapping`, `Nest its fields under \`${key}:\`.`);
  }
  if (value.model !== undefined && value.model !== null) {
    if (!isJsonObject(value.model))
      issue(
        ["model"],
        "model must be a mapping with provider and name",
        "For example `model: {provider: openai, name: gpt-4o}`.",
      );
    else
      for (const field of ["provider", "name"])
        if (typeof value.model[field] !== "string")
          issue(
            ["model", field],
            `model.${field} must be a string`,
            "PromptLayer needs both model.provider and model.name.",
          );
  }
  if (type === "chat") validateMessages(value.messages, issue);
  if (type === "completion") validateContent(value.content, ["content"], issue);
  return issues;
}

/** Far beyond any real template (tool schemas nest a dozen levels), and far below where parsing runs out of stack. */
const MAX_NESTING = 100;

function nestsDeeperThan(value: JsonValue, limit: number): boolean {
  if (value === null || typeof value !== "object") return false;
  if (limit === 0) return true;
  return (Array.isArray(value) ? value : Object.values(value)).some((child) => nestsDeeperThan(child, limit - 1));
}

type Report = (at: Array<string | number>, message: string, hint: string) => void;

function validateMessages(messages: JsonValue | undefined, issue: Report): void {
  if (!Array.isArray(messages)) {
    issue(
      ["messages"],
      "a chat template needs a list of messages",
      "Add `messages:` with at least one `- role: ...` entry.",
    );
    return;
  }
  messages.forEach((message, index) => {
    if (!isJsonObject(message)) {
      issue(
        ["messages", index],
        "each message must be a mapping with a role",
        "Write it as `- role: user` followed by `content: ...`.",
      );
      return;
    }
    if (typeof message.role !== "string")
      issue(
        ["messages", index, "role"],
        "the message needs a role",
        "Use system, user, assistant, developer, tool, function or placeholder.",
      );
    if (message.content !== undefined && message.content !== null)
      validateContent(message.content, ["messages", index, "content"], issue);
  });
}

function validateContent(content: JsonValue | undefined, at: Array<string | number>, issue: Report): void {
  if (typeof content === "string") return;
  if (!Array.isArray(content)) {
    issue(
      at,
      "content must be text or a list of content blocks",
      "Write the text directly, or a list of blocks such as `- type: text`.",
    );
    return;
  }
  content.forEach((block, index) => {
    if (!isJsonObject(block) || typeof block.type !== "string")
      issue(
        [...at, index],
        "each content block must be a mapping with a type",
        "For text, write `- type: text` and `text: ...`.",
      );
  });
}

/** Where things are in a file's text, for problems found after parsing. */
export interface FileLocator {
  /** Line and column of the node at a path; of the deepest node on the way there that exists, or the file start. */
  at(path: Array<string | number>): { line: number; col: number };
  /** Line and column of the key of the entry at a path (where a misspelt key is written); `at` when there is none. */
  keyAt(path: Array<string | number>): { line: number; col: number };
  /** Whether the file holds a node at this path. */
  has(path: Array<string | number>): boolean;
  /**
   * Line and column of a character of the text at a path, given as its 1-based line and column in that text: exact
   * for literal block scalars (`|`) and one-line scalars, the scalar's start where folding or escapes blur it.
   */
  inText(path: Array<string | number>, line: number, col: number): { line: number; col: number };
}

export function fileLocator(text: string): FileLocator {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, keepSourceTokens: false });
  const nodeAt = (path: Array<string | number>) => {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = document.getIn(path.slice(0, depth), true);
      if (node && typeof node === "object" && (node as { range?: unknown }).range) return node as Node;
    }
    return undefined;
  };
  const at = (path: Array<string | number>) => {
    const node = nodeAt(path);
    return node?.range ? lineCounter.linePos(node.range[0]) : { line: 1, col: 1 };
  };
  let lines: string[] | undefined;
  const fileLine = (line: number) => (lines ??= text.split("\n"))[line - 1]?.replace(/\r$/, "");
  return {
    at,
    keyAt(path) {
      const parent = path.length === 0 ? undefined : document.getIn(path.slice(0, -1), true);
      const pair = isMap(parent)
        ? parent.items.find((item) => isScalar(item.key) && String(item.key.value) === String(path.at(-1)))
        : undefined;
      const range = isScalar(pair?.key) ? pair.key.range : undefined;
      return range ? lineCounter.linePos(range[0]) : at(path);
    },
    has: (path) => document.hasIn(path),
    inText(path, line, col) {
      const node = nodeAt(path);
      if (!node?.range || !isScalar(node) || typeof node.value !== "string") return at(path);
      const start = lineCounter.linePos(node.range[0]);
      const textLine = node.value.split("\n")[line - 1];
      if (textLine === undefined) return start;
      if (node.type === Scalar.BLOCK_LITERAL) {
        // The header (`|-`) is on the start line; the text's line n is the n-th line after it, indented.
        const written = fileLine(start.line + line);
        return written?.endsWith(textLine)
          ? { line: start.line + line, col: written.length - textLine.length + col }
          : start;
      }
      if (line !== 1) return start;
      const quote = node.type === Scalar.PLAIN ? 0 : 1;
      const written = fileLine(start.line)?.slice(start.col - 1 + quote);
      return written?.startsWith(textLine.slice(0, col - 1))
        ? { line: start.line, col: start.col + quote + col - 1 }
        : start;
    },
  };
}

/** Line and column of the node at a path, for problems found after parsing; the file start when there is none. */
export function positionFinder(text: string): (at: Array<string | number>) => { line: number; col: number } {
  return fileLocator(text).at;
}
