// jinja2 templates as PromptLayer renders them: Jinja2's sandboxed environment, where an undefined variable (or an
// attribute of one) renders as "". plx renders with nunjucks, the engine the official JS SDK uses, adjusted where
// it departs from Jinja2 in ways a prompt shows: values print as Python prints them (`True`, `None`, `['a', 'b']`),
// `True`/`False`/`None`, Python's str/dict/list methods, and Jinja2 filters nunjucks lacks (`tojson`, `map`,
// `items`, `unique`, `min`, `max`, `format`…). Like Jinja2's sandbox, templates cannot reach JavaScript internals
// (`range.constructor` is undefined here), and `range()` is bounded.
import nunjucks from "nunjucks";
import { pythonJsonDumps, type JsonValue } from "../core/pyjson.js";
import { PythonFormatError, pythonFormat, pythonRepr, pythonStr } from "./python.js";

/** Where in a text: nunjucks's zero-based line and column. */
export interface TextPosition {
  line: number;
  col: number;
}

export interface JinjaAnalysis {
  /** Variables the text reads from its context, each with where it is first read. */
  variables: Map<string, TextPosition>;
  /** Of those, the ones the text tests before relying on (`{% if x %}`, `x is defined`, `x | default(…)`). */
  optional: Set<string>;
  /** Why the text does not parse, when it does not. */
  error?: { message: string } & TextPosition;
}

export interface JinjaResult {
  text: string;
  /** Why the text was left as written (PromptLayer's SDKs leave a text they cannot render unchanged). */
  error?: { message: string } & Partial<TextPosition>;
}

// ---- nunjucks internals plx relies on (present in every 3.x release) ----

interface Node {
  typename: string;
  fields: string[];
  lineno: number;
  colno: number;
  [field: string]: unknown;
}
interface Internals {
  parser: { parse(src: string, extensions: unknown[], opts: object): Node };
  runtime: Record<string, unknown> & { SafeString: new (value: string) => object };
  lib: { TemplateError: new (message: string) => Error };
}
type RootRender = (env: unknown, context: unknown, frame: unknown, runtime: unknown, cb: unknown) => void;
const internals = nunjucks as unknown as Internals;
const { SafeString } = internals.runtime;

/** Jinja2's sandbox refuses ranges longer than this; so does plx, rather than fill memory. */
const MAX_RANGE = 100_000;
const MAX_COMPILED = 512;

const environment = new nunjucks.Environment([], { autoescape: false, throwOnUndefined: false });

// ---- Values as Python sees them ----

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" &&
  value !== null &&
  !Array.isArray(value) &&
  [Object.prototype, null].includes(Object.getPrototypeOf(value));

/** How a value prints: as Python's str(), a macro's output as it is, and a function by name only. */
const text = (value: unknown): string =>
  value instanceof SafeString
    ? String(value)
    : typeof value === "function"
      ? `<function ${value.name || "<lambda>"}>`
      : pythonStr(value);

/** Python's `str.split` (runs of whitespace when no separator is given). */
function split(value: string, separator?: string | null, limit = -1): string[] {
  if (separator === undefined || separator === null) {
    const words = value
      .trim()
      .split(/\s+/)
      .filter((word) => word !== "");
    if (limit < 0 || words.length <= limit + 1) return words;
    const head = words.slice(0, limit);
    let rest = value.trimStart();
    for (const word of head) rest = rest.slice(rest.indexOf(word) + word.length).trimStart();
    return [...head, rest];
  }
  const parts = value.split(separator);
  return limit < 0 || parts.length <= limit + 1
    ? parts
    : [...parts.slice(0, limit), parts.slice(limit).join(separator)];
}

const stripChars = (chars: string | null | undefined) =>
  chars === undefined || chars === null ? "\\s" : chars.replace(/[\\\]^-]/g, "\\$&");

/** Python's `str.title()`: every run of letters capitalised ("they're" becomes "They'Re", as in Python). */
const titleCase = (value: string) =>
  value.replace(/\p{L}+/gu, (word) => word[0]!.toUpperCase() + word.slice(1).toLowerCase());

const STRING_METHODS: Record<string, (self: string, ...args: never[]) => unknown> = {
  upper: (self) => self.toUpperCase(),
  lower: (self) => self.toLowerCase(),
  strip: (self, chars?: string | null) =>
    self.replace(new RegExp(`^[${stripChars(chars)}]+|[${stripChars(chars)}]+$`, "gu"), ""),
  lstrip: (self, chars?: string | null) => self.replace(new RegExp(`^[${stripChars(chars)}]+`, "u"), ""),
  rstrip: (self, chars?: string | null) => self.replace(new RegExp(`[${stripChars(chars)}]+$`, "u"), ""),
  split: (self, separator?: string | null, limit?: number) => split(self, separator, limit),
  splitlines: (self) =>
    self.split(/\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/).filter((line, i, all) => i < all.length - 1 || line !== ""),
  replace: (self, old: string, replacement: string, count = -1) => {
    if (count < 0) return self.split(old).join(replacement);
    const parts = self.split(old);
    return (
      parts.slice(0, count + 1).join(replacement) +
      (parts.length > count + 1 ? old + parts.slice(count + 1).join(old) : "")
    );
  },
  startswith: (self, prefix: string | string[]) => [prefix].flat().some((candidate) => self.startsWith(candidate)),
  endswith: (self, suffix: string | string[]) => [suffix].flat().some((candidate) => self.endsWith(candidate)),
  title: (self) => titleCase(self),
  capitalize: (self) => self.charAt(0).toUpperCase() + self.slice(1).toLowerCase(),
  join: (self, items: unknown[]) => [...(items ?? [])].map(text).join(self),
  count: (self, part: string) => (part === "" ? [...self].length + 1 : self.split(part).length - 1),
  find: (self, part: string) => self.indexOf(part),
  isdigit: (self) => /^\p{Nd}+$/u.test(self),
  isalpha: (self) => /^\p{L}+$/u.test(self),
  isspace: (self) => /^\s+$/u.test(self),
  zfill: (self, width: number) => {
    const sign = /^[-+]/.test(self) ? self[0]! : "";
    return sign + self.slice(sign.length).padStart(width - sign.length, "0");
  },
};

const DICT_METHODS: Record<string, (self: Record<string, unknown>, ...args: never[]) => unknown> = {
  items: (self) => Object.entries(self),
  keys: (self) => Object.keys(self),
  values: (self) => Object.values(self),
  get: (self, key: string, fallback: unknown = null) => (Object.hasOwn(self, key) ? self[key] : fallback),
};

const LIST_METHODS: Record<string, (self: unknown[], ...args: never[]) => unknown> = {
  index: (self, item: unknown) => {
    const at = self.indexOf(item);
    if (at < 0) throw new Error(`${pythonRepr(item)} is not in list`);
    return at;
  },
  count: (self, item: unknown) => self.filter((candidate) => candidate === item).length,
};

const indexOf = (key: unknown, length: number): number | undefined => {
  if (typeof key !== "number" || !Number.isInteger(key)) return undefined;
  const at = key < 0 ? length + key : key;
  return at >= 0 && at < length ? at : undefined;
};

const bound = <S>(self: S, method: ((self: S, ...args: never[]) => unknown) | undefined) =>
  method && ((...args: never[]) => method(self, ...args));

/**
 * `x.key` and `x[key]` as Jinja2's sandbox allows them: items and own fields of the data, the Python methods above,
 * and nothing of JavaScript's (no constructor, prototype or function members), so a template cannot run code.
 */
function memberLookup(target: unknown, key: unknown): unknown {
  if (target === undefined || target === null) return undefined;
  const self = target instanceof SafeString ? String(target) : target;
  if (typeof self === "string") {
    const at = indexOf(key, [...self].length);
    if (at !== undefined) return [...self][at];
    return typeof key === "string" && Object.hasOwn(STRING_METHODS, key) ? bound(self, STRING_METHODS[key]) : undefined;
  }
  if (Array.isArray(self)) {
    const at = indexOf(key, self.length);
    if (at !== undefined) return self[at];
    return typeof key === "string" && Object.hasOwn(LIST_METHODS, key) ? bound(self, LIST_METHODS[key]) : undefined;
  }
  if (isRecord(self) && (typeof key === "string" || typeof key === "number")) {
    const name = String(key);
    if (Object.hasOwn(self, name)) {
      const value = self[name];
      // Own functions are the helpers nunjucks itself builds (a cycler's next(), a loop's cycle()).
      return typeof value === "function" ? (...args: unknown[]) => value.apply(self, args) : value;
    }
    return Object.hasOwn(DICT_METHODS, name) ? bound(self, DICT_METHODS[name]) : undefined;
  }
  return undefined;
}

const PYTHON_CONSTANTS: Record<string, unknown> = { True: true, False: false, None: null };

const runtime = {
  ...internals.runtime,
  suppressValue: (value: unknown) => text(value),
  memberLookup,
  contextOrFrameLookup(
    context: { lookup(name: string): unknown },
    frame: { lookup(name: string): unknown },
    name: string,
  ) {
    const value = frame.lookup(name);
    if (value !== undefined) return value;
    const fromContext = context.lookup(name);
    if (fromContext !== undefined) return fromContext;
    return Object.hasOwn(PYTHON_CONSTANTS, name) ? PYTHON_CONSTANTS[name] : undefined;
  },
};

// ---- Globals and filters Jinja2 has ----

const originalRange = (environment.getGlobal("range") as (...args: number[]) => number[]).bind(null);
environment.addGlobal("range", (...args: number[]) => {
  const [start, stop, step = 1] = args.length === 1 ? [0, args[0]!] : args;
  if (step !== 0 && Math.ceil((stop! - start!) / step) > MAX_RANGE)
    throw new Error(`range too big, maximum size for range is ${MAX_RANGE}`);
  return originalRange(...args);
});
environment.addGlobal("dict", (...args: unknown[]) => {
  const keywords = args.at(-1);
  return isRecord(keywords) && keywords.__keywords
    ? Object.fromEntries(Object.entries(keywords).filter(([k]) => k !== "__keywords"))
    : {};
});

const attributeOf = (item: unknown, path: string) =>
  path.split(".").reduce<unknown>((value, part) => memberLookup(value, /^\d+$/.test(part) ? Number(part) : part), item);

/** Keyword arguments arrive as a trailing object marked `__keywords`. */
function keywordsOf(args: unknown[]): { positional: unknown[]; keywords: Record<string, unknown> } {
  const last = args.at(-1);
  if (isRecord(last) && last.__keywords === true) return { positional: args.slice(0, -1), keywords: last };
  return { positional: args, keywords: {} };
}

environment.addFilter("tojson", (value: unknown, ...args: unknown[]) => {
  const { positional, keywords } = keywordsOf(args);
  const indent = (keywords.indent ?? positional[0]) as number | undefined;
  // Jinja2's htmlsafe_json_dumps: sorted keys, then <, >, & and ' escaped so the JSON is safe inside HTML.
  const json = pythonJsonDumps(value as JsonValue, typeof indent === "number" ? indent : undefined)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/'/g, "\\u0027");
  return new SafeString(json);
});
environment.addFilter("items", (value: unknown) => (isRecord(value) ? Object.entries(value) : []));
environment.addFilter("map", function (this: unknown, value: unknown, ...args: unknown[]) {
  const { positional, keywords } = keywordsOf(args);
  const items = Array.isArray(value) ? value : isRecord(value) ? Object.keys(value) : [];
  if (typeof keywords.attribute === "string") {
    const attribute = keywords.attribute;
    return items.map((item) => attributeOf(item, attribute) ?? keywords.default);
  }
  const [name, ...rest] = positional as [string, ...unknown[]];
  const filter = environment.getFilter(name) as (...a: unknown[]) => unknown;
  return items.map((item) => filter.call(this, item, ...rest));
});
environment.addFilter("unique", (value: unknown, ...args: unknown[]) => {
  const { keywords } = keywordsOf(args);
  const seen = new Set<unknown>();
  return [...(Array.isArray(value) ? value : typeof value === "string" ? [...value] : [])].filter((item) => {
    let key = typeof keywords.attribute === "string" ? attributeOf(item, keywords.attribute) : item;
    if (typeof key === "string" && keywords.case_sensitive !== true) key = key.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
});
for (const [name, pick] of [
  ["min", (a: number, b: number) => a < b],
  ["max", (a: number, b: number) => a > b],
] as const) {
  environment.addFilter(name, (value: unknown, ...args: unknown[]) => {
    const { keywords } = keywordsOf(args);
    const items = Array.isArray(value) ? value : [];
    const keyOf = (item: unknown) => {
      const key = typeof keywords.attribute === "string" ? attributeOf(item, keywords.attribute) : item;
      return (typeof key === "string" && keywords.case_sensitive !== true ? key.toLowerCase() : key) as number;
    };
    return items.reduce<unknown>(
      (best, item) => (best === undefined || pick(keyOf(item), keyOf(best)) ? item : best),
      undefined,
    );
  });
}
environment.addFilter("attr", (value: unknown, name: string) => memberLookup(value, name));
environment.addFilter("count", (value: unknown) =>
  Array.isArray(value) || typeof value === "string" ? value.length : isRecord(value) ? Object.keys(value).length : 0,
);
environment.addFilter("pprint", (value: unknown) => pythonRepr(value));
environment.addFilter("string", (value: unknown) => text(value));
environment.addFilter("list", (value: unknown) =>
  Array.isArray(value)
    ? [...value]
    : typeof value === "string"
      ? [...value]
      : isRecord(value)
        ? Object.keys(value)
        : [],
);
environment.addFilter("join", (value: unknown, separator = "", attribute?: string) => {
  const items = Array.isArray(value) ? value : typeof value === "string" ? [...value] : [];
  return items.map((item) => text(attribute === undefined ? item : attributeOf(item, attribute))).join(text(separator));
});
environment.addFilter("format", (value: unknown, ...args: unknown[]) => percentFormat(text(value), args));

const PERCENT = /%(?:\(([^)]*)\))?([-+ #0]*)(\d+|\*)?(?:\.(\d+|\*))?([diouxXeEfFgGcrsa%])/g;

/** Python's `%` operator, which Jinja2's `format` filter is: `"%s has %d items" | format(name, n)`. */
function percentFormat(template: string, args: unknown[]): string {
  let next = 0;
  const take = () => {
    if (next >= args.length) throw new PythonFormatError("not enough arguments for format string");
    return args[next++];
  };
  const byKey = /%\(/.test(template);
  const out = template.replace(
    PERCENT,
    (_whole, key: string | undefined, flags: string, width?: string, precision?: string, type = "s") => {
      if (type === "%") return "%";
      const value = key === undefined ? take() : (args[0] as Record<string, unknown> | undefined)?.[key];
      const widthText = width === "*" ? String(take()) : (width ?? "");
      const dot = precision === undefined ? "" : `.${precision === "*" ? String(take()) : precision}`;
      const align = flags.includes("-") ? "<" : "";
      if (type === "s" || type === "r" || type === "a") {
        const shown = type === "s" ? text(value) : pythonRepr(value);
        return pythonFormat(shown, `${align || ">"}${widthText}${dot}`);
      }
      const number = typeof value === "boolean" ? Number(value) : value;
      if (typeof number !== "number") throw new PythonFormatError(`%${type} format: a real number is required`);
      const sign = flags.includes("+") ? "+" : flags.includes(" ") ? " " : "";
      const zero = flags.includes("0") && !align ? "0" : "";
      const alternate = flags.includes("#") ? "#" : "";
      const code = "iu".includes(type) ? "d" : type;
      return pythonFormat(
        code === "d" ? Math.trunc(number) : number,
        `${align}${sign}${alternate}${zero}${widthText}${dot}${code}`,
      );
    },
  );
  if (!byKey && next < args.length) throw new PythonFormatError("not all arguments converted during string formatting");
  return out;
}

// ---- Compiling and rendering ----

const compiled = new Map<string, nunjucks.Template>();

function compile(source: string): nunjucks.Template {
  const cached = compiled.get(source);
  if (cached) return cached;
  const template = new nunjucks.Template(source, environment, undefined, true);
  // Every helper call in a compiled template goes through the runtime it is handed: handing it plx's runtime changes
  // printing and member access for this template only, leaving the nunjucks module as other users see it.
  const own = template as unknown as { rootRenderFunc: RootRender };
  const root = own.rootRenderFunc;
  own.rootRenderFunc = (env, context, frame, _runtime, cb) => root(env, context, frame, runtime, cb);
  if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value!);
  compiled.set(source, template);
  return template;
}

/** Renders one text; a text that does not parse or fails while rendering comes back as written, with the reason. */
export function renderJinja(source: string, variables: Readonly<Record<string, unknown>>): JinjaResult {
  try {
    return { text: compile(source).render({ ...variables }) };
  } catch (error) {
    return { text: source, error: describeError(error) };
  }
}

/** nunjucks prefixes its messages with "(unknown path) [Line 1, Column 4]" and a nested "Error:"; keep the reason. */
function describeError(error: unknown): { message: string } & Partial<TextPosition> {
  const raw = error instanceof Error ? error.message : String(error);
  const message = raw
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !/^\(unknown path\)/.test(line))
    .join(" ")
    .replace(/^(?:(?:Template render error: )?(?:Error: )?)+/, "");
  const written = /\[Line (\d+), Column (\d+)\]/.exec(raw);
  const { lineno, colno } = error as { lineno?: unknown; colno?: unknown };
  const position = written
    ? { line: Number(written[1]) - 1, col: Number(written[2]) - 1 }
    : typeof lineno === "number" && typeof colno === "number"
      ? { line: lineno, col: colno }
      : {};
  return { message: message || raw, ...position };
}

// ---- Which variables a text reads ----

/** Names nunjucks or Jinja2 provide, never looked up in the variables. */
const BUILTINS = new Set([
  "loop",
  "range",
  "cycler",
  "joiner",
  "caller",
  "dict",
  "True",
  "False",
  "None",
  "super",
  "varargs",
  "kwargs",
]);
const GUARD_FILTERS = new Set(["default", "d"]);

/**
 * The variables a text reads, found in its syntax tree: names bound inside the text (loop variables, `set`, macro
 * arguments) and builtins are not variables. Which names the text guards is what lets `plx run` tell a forgotten
 * variable from one the template means to be optional.
 */
export function analyzeJinja(source: string): JinjaAnalysis {
  const variables = new Map<string, TextPosition>();
  const optional = new Set<string>();
  const boundNames = new Set<string>();
  let root: Node;
  try {
    root = internals.parser.parse(source, [], {});
  } catch (error) {
    const described = describeError(error);
    return {
      variables,
      optional,
      error: { message: described.message, line: described.line ?? 0, col: described.col ?? 0 },
    };
  }
  const bind = (node: unknown) => {
    for (const symbol of nodesIn(node)) if (symbol.typename === "Symbol") boundNames.add(String(symbol.value));
  };
  const visit = (node: unknown, guarded: boolean): void => {
    if (Array.isArray(node)) {
      for (const child of node) visit(child, guarded);
      return;
    }
    if (!isNode(node)) return;
    switch (node.typename) {
      case "Symbol": {
        const name = String(node.value);
        if (!variables.has(name)) variables.set(name, { line: node.lineno, col: node.colno });
        if (guarded) optional.add(name);
        return;
      }
      case "If":
      case "InlineIf":
        visit(node.cond, true);
        visit(node.body, guarded);
        visit(node.else_, guarded);
        return;
      case "Is":
        visit(node.left, true);
        // The right side names a test (`defined`, `divisibleby(3)`), whose arguments are ordinary expressions.
        if (isNode(node.right) && node.right.typename === "FunCall") visit(node.right.args, guarded);
        return;
      case "Filter": {
        const args = (node.args as Node).children as unknown[];
        const name = String((node.name as Node).value);
        for (const [index, arg] of args.entries()) visit(arg, guarded || (index === 0 && GUARD_FILTERS.has(name)));
        return;
      }
      case "For":
      case "AsyncEach":
      case "AsyncAll":
        bind(node.name);
        visit(node.arr, guarded);
        visit(node.body, guarded);
        visit(node.else_, guarded);
        return;
      case "Set":
        bind(node.targets);
        visit(node.value, guarded);
        visit(node.body, guarded);
        return;
      case "Macro":
      case "Caller":
        bind(node.name);
        for (const arg of ((node.args as Node).children as Node[]) ?? []) {
          if (arg.typename === "Symbol") bind(arg);
          else
            for (const pair of (arg.children as Node[]) ?? []) {
              bind(pair.key);
              visit(pair.value, guarded);
            }
        }
        visit(node.body, guarded);
        return;
      case "Import":
        bind(node.target);
        return;
      case "FromImport":
        bind(node.names);
        return;
      case "Pair":
        // A dict key or a keyword argument's name, not a variable.
        if (!(isNode(node.key) && node.key.typename === "Symbol")) visit(node.key, guarded);
        visit(node.value, guarded);
        return;
      default:
        for (const field of node.fields) visit(node[field], guarded);
    }
  };
  visit(root, false);
  for (const name of [...variables.keys()]) {
    if (boundNames.has(name) || BUILTINS.has(name)) {
      variables.delete(name);
      optional.delete(name);
    }
  }
  return { variables, optional };
}

const isNode = (value: unknown): value is Node =>
  typeof value === "object" && value !== null && typeof (value as Node).typename === "string";

function* nodesIn(value: unknown): Generator<Node> {
  if (Array.isArray(value)) for (const item of value) yield* nodesIn(item);
  else if (isNode(value)) {
    yield value;
    for (const field of value.fields) yield* nodesIn(value[field]);
  }
}
