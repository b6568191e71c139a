// f-string templates as PromptLayer renders them: Python's `str.format` over the variables, with every field the
// text names filled (a missing or null variable becomes ""). `{{` and `}}` are literal braces; `{x!r}`, `{x:>8}`,
// `{x:.2f}` convert and format as Python does. Anything `str.format` would raise on (a lone brace, `{}`, `{0}`, an
// attribute, a format code the value's type lacks) leaves the text as written, as PromptLayer's SDKs do, and is
// reported, so `plx run` can refuse to send it.
import { PythonFormatError, pythonConvert, pythonFormat } from "./python.js";

/** A replacement field as written. */
export interface FStringField {
  /** The whole field name: `name`, `user[0]`, `a.b`, or "" for `{}`. */
  fieldName: string;
  /** The variable it reads: the field name up to the first `.` or `[`. */
  variable: string;
  /** Offset of the field's `{` in the text. */
  offset: number;
}

/** Why a text was left as written; `syntax` when it is no format string at all, whatever the values. */
export interface FStringError {
  message: string;
  offset: number;
  syntax?: boolean;
}

export interface FStringResult {
  text: string;
  /** Every top-level field, in order. */
  fields: FStringField[];
  /** Why the text was left as written, when it was. */
  error?: FStringError;
}

interface Markup {
  literal: string;
  field?: { name: string; conversion: string; spec: string; offset: number };
}

/** CPython's MarkupIterator: the literal runs and fields of a format string, or a ValueError. */
function* markup(text: string, base = 0): Generator<Markup> {
  let at = 0;
  while (at < text.length) {
    let literal = "";
    let brace: string | undefined;
    while (at < text.length) {
      const char = text[at]!;
      if (char === "{" || char === "}") {
        brace = char;
        break;
      }
      literal += char;
      at++;
    }
    if (brace === undefined) {
      yield { literal };
      return;
    }
    const braceAt = at;
    at++;
    if (text[at] === brace) {
      at++;
      yield { literal: literal + brace };
      continue;
    }
    if (brace === "}") throw new FieldError("Single '}' encountered in format string", base + braceAt);
    if (at >= text.length) throw new FieldError("Single '{' encountered in format string", base + braceAt);
    const field = parseField(text, at, base + braceAt);
    at = field.end;
    yield { literal, field: { ...field, offset: base + braceAt } };
  }
}

class FieldError extends PythonFormatError {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

function parseField(
  text: string,
  start: number,
  offset: number,
): { name: string; conversion: string; spec: string; end: number } {
  let at = start;
  let stop = "";
  while (at < text.length) {
    const char = text[at++]!;
    if (char === "{") throw new FieldError("unexpected '{' in field name", offset);
    if (char === "[") {
      while (at < text.length && text[at] !== "]") at++;
      continue;
    }
    if (char === "}" || char === ":" || char === "!") {
      stop = char;
      break;
    }
  }
  const name = text.slice(start, stop === "" ? at : at - 1);
  if (stop === "}") return { name, conversion: "", spec: "", end: at };
  if (stop === "") throw new FieldError("expected '}' before end of string", offset);
  let conversion = "";
  if (stop === "!") {
    if (at >= text.length) throw new FieldError("end of string while looking for conversion specifier", offset);
    conversion = text[at++]!;
    if (at < text.length) {
      const next = text[at++]!;
      if (next === "}") return { name, conversion, spec: "", end: at };
      if (next !== ":") throw new FieldError("expected ':' after conversion specifier", offset);
    }
  }
  const specStart = at;
  let depth = 1;
  while (at < text.length) {
    const char = text[at++]!;
    if (char === "{") depth++;
    else if (char === "}" && --depth === 0) return { name, conversion, spec: text.slice(specStart, at - 1), end: at };
  }
  throw new FieldError("unmatched '{' in format spec", offset);
}

/** The variable a field name reads: `user` for `user[0].name`. */
const variableOf = (fieldName: string) => /^[^.[]*/.exec(fieldName)![0];

/** Every top-level field of the text, or the ValueError that stops Python from reading it. */
export function fieldsOf(text: string): { fields: FStringField[]; error?: FStringError } {
  const fields: FStringField[] = [];
  try {
    for (const part of markup(text)) {
      if (part.field)
        fields.push({ fieldName: part.field.name, variable: variableOf(part.field.name), offset: part.field.offset });
    }
    return { fields };
  } catch (error) {
    if (error instanceof FieldError)
      return { fields, error: { message: error.message, offset: error.offset, syntax: true } };
    throw error;
  }
}

/**
 * Renders one text as PromptLayer does: `text.format(**resolved)`, where `resolved` maps each top-level field name to
 * its variable's value, or "" when the variable is missing or null.
 */
export function renderFString(text: string, variables: Readonly<Record<string, unknown>>): FStringResult {
  const parsed = fieldsOf(text);
  if (parsed.error) return { text, ...parsed };
  // PromptLayer keys the values by whole field name: only a field written plainly as `{name}` makes `name` available.
  const resolved = new Map<string, unknown>();
  for (const field of parsed.fields) {
    const value = Object.hasOwn(variables, field.fieldName) ? variables[field.fieldName] : undefined;
    resolved.set(field.fieldName, value ?? "");
  }
  try {
    return { text: expand(text, resolved, 2, 0), fields: parsed.fields };
  } catch (error) {
    if (!(error instanceof PythonFormatError)) throw error;
    const offset = error instanceof FieldError ? error.offset : 0;
    return { text, fields: parsed.fields, error: { message: error.message, offset } };
  }
}

function expand(text: string, resolved: ReadonlyMap<string, unknown>, depth: number, base: number): string {
  if (depth < 0) throw new FieldError("Max string recursion exceeded", base);
  let out = "";
  for (const part of markup(text, base)) {
    out += part.literal;
    if (!part.field) continue;
    const { name, conversion, spec, offset } = part.field;
    try {
      let value = lookup(name, resolved);
      if (conversion !== "") value = pythonConvert(value, conversion);
      const expandedSpec = spec.includes("{") ? expand(spec, resolved, depth - 1, offset) : spec;
      out += pythonFormat(value, expandedSpec);
    } catch (error) {
      if (error instanceof FieldError || !(error instanceof PythonFormatError)) throw error;
      throw new FieldError(error.message, offset);
    }
  }
  return out;
}

/** `get_field_object`: the first part by keyword (positional fields have no arguments), then `[key]` lookups. */
function lookup(fieldName: string, resolved: ReadonlyMap<string, unknown>): unknown {
  const first = variableOf(fieldName);
  if (first === "" || /^\d+$/.test(first))
    throw new PythonFormatError("Replacement index 0 out of range for positional args tuple");
  if (!resolved.has(first)) throw new PythonFormatError(`KeyError: '${first}'`);
  let value = resolved.get(first);
  let rest = fieldName.slice(first.length);
  while (rest !== "") {
    if (rest.startsWith(".")) {
      // Attributes of str, int, list and dict are Python methods, which no prompt means to print.
      throw new PythonFormatError(`'${first}' has no attribute ${rest.slice(1).split(/[.[]/)[0]}`);
    }
    const close = rest.indexOf("]");
    if (close < 0) throw new PythonFormatError("Missing ']' in format string");
    const key = rest.slice(1, close);
    if (key === "") throw new PythonFormatError("Empty attribute in format string");
    rest = rest.slice(close + 1);
    if (rest !== "" && !rest.startsWith(".") && !rest.startsWith("["))
      throw new PythonFormatError("Only '.' or '[' may follow ']' in format field specifier");
    value = item(value, /^\d+$/.test(key) ? Number(key) : key);
  }
  return value;
}

function item(container: unknown, key: string | number): unknown {
  if (typeof container === "string" || Array.isArray(container)) {
    if (typeof key !== "number") throw new PythonFormatError("indices must be integers");
    const items = typeof container === "string" ? [...container] : container;
    if (key >= items.length) throw new PythonFormatError("index out of range");
    return items[key];
  }
  if (container !== null && typeof container === "object" && typeof key === "string" && Object.hasOwn(container, key))
    return (container as Record<string, unknown>)[key];
  throw new PythonFormatError(`KeyError: ${typeof key === "number" ? key : `'${key}'`}`);
}
