/**
 * A lossless codec between JSON values and YAML text, for plx's prompt files.
 *
 * Writing is done here by hand so every choice (plain, block or double-quoted scalar; block
 * or flow collection) is deliberate and stable; reading goes through the `yaml` package with
 * the YAML 1.2 core schema, then rejects everything that has no JSON meaning.
 *
 * Guarantees: `fromYaml(toYaml(v))` equals `v` and `toYaml` of that is byte-identical.
 * Known edges, all deliberate:
 * - `-0` is written as `0`; non-finite numbers cannot be written (they are not JSON).
 * - Lone UTF-16 surrogates survive, as `\uXXXX` escapes inside double quotes.
 * - Object keys keep the caller's order, except that JavaScript itself always lists
 *   integer-like keys ("1", "42") first.
 * - When reading, a non-string scalar key keeps the text it was written with (`1.0: x`
 *   gives the key "1.0"); `.inf`/`.nan` and other non-finite numbers come back as their text.
 */
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  Parser,
  type Node,
  type Scalar,
  type YAMLError,
} from "yaml";

import type { JsonValue } from "../core/template.js";

export type { JsonValue };

/** A YAML text plx cannot accept; `line` and `col` are 1-based. */
export class YamlSyntaxError extends Error {
  readonly line: number;
  readonly col: number;
  readonly file: string | undefined;
  /** The problem alone, without the position prefix. */
  readonly reason: string;

  constructor(reason: string, line: number, col: number, file?: string) {
    super(`${file ?? "<yaml>"}:${line}:${col}: ${reason}`);
    this.name = "YamlSyntaxError";
    this.line = line;
    this.col = col;
    this.file = file;
    this.reason = reason;
  }
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

const INDENT = 2;
/** A flow sequence (`[a, b]`) is only used while its whole line stays shorter than this. */
const FLOW_LINE_LIMIT = 80;
/** YAML caps implicit keys at 1024 characters; longer keys are written as `? key`. */
const IMPLICIT_KEY_LIMIT = 1000;

/** How a node sits after "key: " or "- ": `inline` text on that line, then indented `lines`. */
interface Rendered {
  /** null for a block collection, whose `lines` then start on the next line. */
  inline: string | null;
  lines: string[];
}

export function toYaml(value: JsonValue): string {
  const lines = isBlockCollection(value) ? renderCollection(value, 0, true) : topLevelScalar(value);
  return `${lines.join("\n")}\n`;
}

function topLevelScalar(value: JsonValue): string[] {
  const rendered = renderNode(value, INDENT, 0, true);
  return [rendered.inline ?? "", ...rendered.lines];
}

function isBlockCollection(value: JsonValue): value is JsonValue[] | { [key: string]: JsonValue } {
  if (Array.isArray(value)) return value.length > 0;
  return value !== null && typeof value === "object" && Object.keys(value).length > 0;
}

/**
 * Renders one value. `indent` is the column of its own block lines (block scalar content or
 * collection entries), `column` is where its inline text would start, and `atEnd` says
 * nothing follows it in the document, which matters for `|+`.
 */
function renderNode(value: JsonValue, indent: number, column: number, atEnd: boolean): Rendered {
  if (isBlockCollection(value)) {
    const flow = Array.isArray(value) ? flowSequence(value, column) : null;
    return flow === null
      ? { inline: null, lines: renderCollection(value, indent, atEnd) }
      : { inline: flow, lines: [] };
  }
  if (Array.isArray(value)) return { inline: "[]", lines: [] };
  if (value !== null && typeof value === "object") return { inline: "{}", lines: [] };
  if (typeof value === "string") return renderString(value, indent, atEnd);
  return { inline: renderNonString(value), lines: [] };
}

function renderCollection(value: JsonValue[] | { [key: string]: JsonValue }, indent: number, atEnd: boolean): string[] {
  return Array.isArray(value) ? renderSequence(value, indent, atEnd) : renderMapping(value, indent, atEnd);
}

function renderSequence(items: JsonValue[], indent: number, atEnd: boolean): string[] {
  const pad = " ".repeat(indent);
  return items.flatMap((item, index) => {
    const last = atEnd && index === items.length - 1;
    return attach(`${pad}- `, renderNode(item, indent + INDENT, indent + 2, last), indent + INDENT);
  });
}

function renderMapping(object: { [key: string]: JsonValue }, indent: number, atEnd: boolean): string[] {
  const pad = " ".repeat(indent);
  const entries = Object.entries(object);
  return entries.flatMap(([key, value], index) => {
    const last = atEnd && index === entries.length - 1;
    const keyText = renderKey(key);
    if (keyText.length > IMPLICIT_KEY_LIMIT) {
      const child = renderNode(value, indent + INDENT, indent + 2, last);
      return [`${pad}? ${keyText}`, ...attach(`${pad}: `, child, indent + INDENT)];
    }
    const child = renderNode(value, indent + INDENT, indent + keyText.length + 2, last);
    if (child.inline === null) return [`${pad}${keyText}:`, ...child.lines];
    return [`${pad}${keyText}: ${child.inline}`, ...child.lines];
  });
}

/**
 * Puts a rendered child after a prefix such as "- ". A block collection goes on the same line
 * in YAML's compact form ("- a: 1"), which works because its lines are indented by the
 * prefix's width.
 */
function attach(prefix: string, child: Rendered, childIndent: number): string[] {
  if (child.inline !== null) return [`${prefix}${child.inline}`, ...child.lines];
  const [first = "", ...rest] = child.lines;
  return [`${prefix}${first.slice(childIndent)}`, ...rest];
}

/** `[a, b, 3]` for short sequences of plain scalars; null when block style is needed. */
function flowSequence(items: JsonValue[], column: number): string | null {
  const texts: string[] = [];
  for (const item of items) {
    if (typeof item === "string") {
      if (!isFlowSafe(item)) return null;
      texts.push(item);
    } else if (item === null || typeof item !== "object") {
      texts.push(renderNonString(item));
    } else {
      return null;
    }
  }
  const text = `[${texts.join(", ")}]`;
  return column + text.length < FLOW_LINE_LIMIT ? text : null;
}

function renderNonString(value: null | boolean | number): string {
  if (value === null) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  return renderNumber(value);
}

/**
 * JavaScript's shortest round-trip form, with ".0" added to a bare exponent mantissa
 * ("1e-7" becomes "1.0e-7") because YAML 1.1 readers such as PyYAML need the dot to see a float.
 */
function renderNumber(value: number): string {
  if (!Number.isFinite(value)) throw new TypeError(`${value} cannot be written: it is not a JSON number.`);
  const text = String(value);
  const match = /^(-?\d+)(e[+-]\d+)$/.exec(text);
  return match ? `${match[1]}.0${match[2]}` : text;
}

function renderKey(key: string): string {
  return isPlainSafe(key) ? key : doubleQuoted(key);
}

function renderString(value: string, indent: number, atEnd: boolean): Rendered {
  if (value.includes("\n")) {
    const block = literalBlock(value, indent, atEnd);
    if (block !== null) return block;
  }
  return { inline: isPlainSafe(value) ? value : doubleQuoted(value), lines: [] };
}

// ---- Literal block scalars -------------------------------------------------------------------

/** Characters a literal block cannot carry verbatim: controls other than tab and LF (so CR too),
 * C1 controls, Unicode line/paragraph separators, BOM, non-characters and lone surrogates. */
const NOT_LITERAL =
  /[\x00-\x08\x0B-\x1F\x7F-\x9F\u2028\u2029\uFEFF\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The `|` form of a multi-line string, or null when it would not read back byte for byte.
 * Refused: characters in NOT_LITERAL; text with no visible character (it reads back as
 * empty); whitespace-only lines after the last visible one when an indentation indicator is
 * needed (the yaml package then drops them); and `|+` as the last thing in the file, whose
 * trailing blank lines would break the one-final-newline rule and be eaten by editors.
 */
function literalBlock(value: string, indent: number, atEnd: boolean): Rendered | null {
  if (NOT_LITERAL.test(value)) return null;
  const trailingNewlines = value.length - value.replace(/\n+$/, "").length;
  const chomping = trailingNewlines === 0 ? "-" : trailingNewlines === 1 ? "" : "+";
  if (chomping === "+" && atEnd) return null;
  const lines = (trailingNewlines === 0 ? value : value.slice(0, -1)).split("\n");
  const lastVisible = lines.findLastIndex((line) => /[^ \t]/.test(line));
  if (lastVisible === -1) return null;
  const indicator = needsIndentIndicator(lines);
  if (indicator && lines.slice(lastVisible + 1).some((line) => line !== "")) return null;
  const pad = " ".repeat(indent);
  return {
    inline: `|${indicator ? INDENT : ""}${chomping}`,
    lines: lines.map((line) => (line === "" ? "" : pad + line)),
  };
}

/** Without an indicator, the indentation is guessed from the first non-empty line, so content
 * that itself starts with whitespace there would be misread. */
function needsIndentIndicator(lines: string[]): boolean {
  const first = lines.find((line) => line !== "");
  return first !== undefined && /^[ \t]/.test(first);
}

// ---- Plain and double-quoted scalars ---------------------------------------------------------

/** Words that some YAML version reads as null, a boolean or a merge/value key. */
const RESERVED_WORDS = new Set(["", "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n", "<<", "="]);

/** Text that some YAML reader takes for a number, a date or a time. */
const NUMBER_LIKE = [
  // Anything that starts like a number: 1.0, 0x10, 1e3, 1_000, 2024-01-01, 1:20, .5.
  /^[-+]?\.?\d/,
  /^[-+]?\.(inf|nan)$/i,
  // The yaml package's YAML 1.1 schema also reads a bare exponent (e3, .e1) and a lone dot as floats.
  /^[-+]?[\d_.]*[eE][-+]?\d+$/,
  /^[-+]?\.[\d_]*$/,
];

/** Plain scalars may not start with an indicator character. */
const INDICATOR_START = /^[-?:,[\]{}#&*!|>'"%@`]/;

/** Plain text must be single-line printable text without tabs or odd code points. */
const NOT_PLAIN_CHAR =
  /[\x00-\x1F\x7F-\x9F\u2028\u2029\uFEFF\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when the string can be written bare and every YAML reader (1.1 or 1.2) gets it back as this string. */
function isPlainSafe(value: string): boolean {
  return (
    !RESERVED_WORDS.has(value.toLowerCase()) &&
    !NUMBER_LIKE.some((pattern) => pattern.test(value)) &&
    !INDICATOR_START.test(value) &&
    !NOT_PLAIN_CHAR.test(value) &&
    !/^\s|\s$/.test(value) &&
    !value.includes(": ") &&
    !value.includes(" #") &&
    !value.endsWith(":") &&
    // "..." at the start of a line ends a document.
    !value.startsWith("...")
  );
}

/** Inside `[...]` the flow indicators and ":"/"#" would change the meaning too. */
function isFlowSafe(value: string): boolean {
  return isPlainSafe(value) && !/[,[\]{}:#]/.test(value);
}

const NAMED_ESCAPES: Record<string, string> = {
  "\0": "\\0",
  "\x07": "\\a",
  "\b": "\\b",
  "\t": "\\t",
  "\n": "\\n",
  "\v": "\\v",
  "\f": "\\f",
  "\r": "\\r",
  "\x1B": "\\e",
  '"': '\\"',
  "\\": "\\\\",
  "\x85": "\\N",
  "\u2028": "\\L",
  "\u2029": "\\P",
};

const NEEDS_ESCAPE =
  /[\x00-\x1F"\\\x7F-\x9F\u2028\u2029\uFEFF\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** A one-line double-quoted scalar; every character that is not plainly visible is escaped. */
function doubleQuoted(value: string): string {
  return `"${value.replace(NEEDS_ESCAPE, escapeChar)}"`;
}

function escapeChar(char: string): string {
  const named = NAMED_ESCAPES[char];
  if (named !== undefined) return named;
  const code = char.charCodeAt(0);
  return code <= 0xff ? `\\x${hex(code, 2)}` : `\\u${hex(code, 4)}`;
}

function hex(code: number, width: number): string {
  return code.toString(16).toUpperCase().padStart(width, "0");
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/** Explicit tags that add nothing beyond JSON and so are harmless. */
const ALLOWED_TAGS = new Set(
  ["str", "int", "float", "bool", "null", "map", "seq"].map((name) => `tag:yaml.org,2002:${name}`),
);

/** Parses one YAML document into a JSON value; an empty document is null. */
export function fromYaml(text: string, fileLabel?: string): JsonValue {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    version: "1.2",
    schema: "core",
    uniqueKeys: true,
    merge: false,
    intAsBigInt: false,
    prettyErrors: false,
    lineCounter,
  });
  const fail = (reason: string, offset: number): never => {
    const { line, col } = lineCounter.linePos(offset);
    throw new YamlSyntaxError(reason, line, col, fileLabel);
  };
  // Warnings too: they cover unknown tags and directives, which plx does not accept.
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) fail(describeProblem(problem, text), problem.pos[0]);
  return doc.contents === null ? null : toJson(doc.contents, { text, fail });
}

/** The yaml package's wording, reworded where it would send a plx user the wrong way. */
function describeProblem(problem: YAMLError, text: string): string {
  const [start, end] = problem.pos;
  switch (problem.code) {
    case "DUPLICATE_KEY":
      return `duplicate key ${keyAt(text, start) || "in this mapping"}: a mapping holds each key once`;
    case "RESOURCE_EXHAUSTION":
      return "the YAML nests too deeply to read";
    case "MULTIPLE_DOCS":
      return "only one YAML document is allowed, but a second one starts here";
    case "TAG_RESOLVE_FAILED":
      return `the tag ${text.slice(start, end)} is not allowed: custom tags have no JSON meaning`;
    default:
      return problem.message;
  }
}

/** The key written at `offset`, as the file spells it (quoted keys keep their quotes); empty when it cannot tell. */
function keyAt(text: string, offset: number): string {
  const lineEnd = text.indexOf("\n", offset);
  const line = text.slice(offset, lineEnd === -1 ? undefined : lineEnd);
  // A plain key ends at the first colon followed by a space or the line's end, so `http://x:` keeps its own colons.
  const key = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|.*?)\s*:(?=\s|$)/.exec(line)?.[1]?.trim() ?? "";
  return key === "" || key.startsWith('"') || key.startsWith("'") ? key : JSON.stringify(key);
}

interface ReadContext {
  text: string;
  fail: (reason: string, offset: number) => never;
}

function toJson(node: Node, ctx: ReadContext): JsonValue {
  const start = node.range?.[0] ?? 0;
  if (isAlias(node)) return ctx.fail(`aliases (*${node.source}) are not allowed`, start);
  if (node.anchor !== undefined)
    return ctx.fail(`anchors (&${node.anchor}) are not allowed`, propertyToken(ctx.text, "anchor", start).offset);
  if (node.tag !== undefined && !ALLOWED_TAGS.has(node.tag)) {
    const tag = propertyToken(ctx.text, "tag", start);
    return ctx.fail(`the tag ${tag.source || node.tag} is not allowed: values must be plain JSON types`, tag.offset);
  }
  if (isScalar(node)) return scalarToJson(node, ctx);
  if (isSeq(node)) return node.items.map((item) => (item === null ? null : toJson(item as Node, ctx)));
  if (isMap(node)) return mapToJson(node.items, ctx);
  return ctx.fail("unsupported YAML node", start);
}

/**
 * The anchor or tag written for the node whose content starts at `nodeStart`: the last such
 * token before it. Composed nodes keep neither its position nor its spelling, so the source is
 * re-read as a syntax tree; this only happens on the way to an error.
 */
function propertyToken(text: string, type: "anchor" | "tag", nodeStart: number): { offset: number; source: string } {
  let found = { offset: nodeStart, source: "" };
  const visit = (value: unknown): void => {
    if (value === null || typeof value !== "object") return;
    const token = value as { type?: unknown; offset?: unknown; source?: unknown };
    if (token.type === type && typeof token.offset === "number" && typeof token.source === "string") {
      const closer = token.offset <= nodeStart && (found.source === "" || token.offset > found.offset);
      if (closer) found = { offset: token.offset, source: token.source };
    }
    for (const child of Object.values(value)) visit(child);
  };
  for (const token of new Parser().parse(text)) visit(token);
  return found;
}

function scalarToJson(node: Scalar, ctx: ReadContext): JsonValue {
  const { value } = node;
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  // .inf, .nan and numbers too large for a double have no JSON form: keep their text.
  if (typeof value === "number") return Number.isFinite(value) ? value : sourceText(node);
  return ctx.fail(`a ${typeof value} value has no JSON form`, node.range?.[0] ?? 0);
}

function sourceText(node: Scalar): string {
  return typeof node.source === "string" ? node.source : String(node.value);
}

function mapToJson(pairs: Array<{ key: unknown; value: unknown }>, ctx: ReadContext): { [key: string]: JsonValue } {
  const object: { [key: string]: JsonValue } = {};
  for (const pair of pairs) {
    const keyNode = pair.key as Node | null;
    const key = keyToString(keyNode, ctx);
    // Distinct YAML keys can meet as one string, like 1 and "1".
    if (Object.hasOwn(object, key))
      ctx.fail(`duplicate key ${JSON.stringify(key)}: two keys read as the same string`, keyNode?.range?.[0] ?? 0);
    const value = pair.value === null ? null : toJson(pair.value as Node, ctx);
    // defineProperty, so a "__proto__" key is stored as data rather than changing the prototype.
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return object;
}

/** Scalar keys become strings as written (`1.0:` is "1.0", an empty key is ""); collection keys are refused. */
function keyToString(key: Node | null, ctx: ReadContext): string {
  if (key === null) return "";
  const json = toJson(key, ctx);
  if (!isScalar(key)) return ctx.fail("mapping keys must be strings or other scalars", key.range?.[0] ?? 0);
  return typeof json === "string" ? json : sourceText(key);
}
