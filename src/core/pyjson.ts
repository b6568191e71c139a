// Python's `json.dumps(value, sort_keys=True)` byte for byte, and Python's int and float text. PromptLayer signs webhooks
// over that form (webhook/signature.ts signs and verifies with it), the template renderer prints numbers and `tojson` as
// Python does, and `JSON.stringify` does neither (spacing, key order, non-ASCII escaping, float formatting).
// Python sorts `str` keys by code point, as plx's canonical form does.
import { compareCodePoints } from "./canonical.js";

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** A number kept as its JSON source text, so Python's int/float distinction (`2` vs `2.0`) survives parsing. */
export class RawNumber {
  constructor(readonly source: string) {
    if (!JSON_NUMBER.test(source)) throw new SyntaxError(`not a JSON number: ${JSON.stringify(source)}`);
  }

  /** Python's `json.loads` makes an `int` of a lexeme without fraction or exponent, and a `float` of any other. */
  get isInteger(): boolean {
    return !/[.eE]/.test(this.source);
  }
}

export type JsonValue = null | boolean | number | string | RawNumber | JsonValue[] | { [key: string]: JsonValue };

/**
 * Byte-identical to CPython's `json.dumps(value, sort_keys=True)`, or with `indent` to `json.dumps(value, sort_keys=True,
 * indent=indent)` (Jinja2's `tojson` filter writes both).
 * A plain JS number that is integral is written as a Python `int` (JSON has already lost any `.0`); pass a {@link RawNumber}
 * from {@link parseJsonPreservingNumbers} to keep a float's form.
 */
export function pythonJsonDumps(value: JsonValue, indent?: number): string {
  return dumps(value, indent, "");
}

function dumps(value: JsonValue, indent: number | undefined, margin: string): string {
  if (value === null) return "null";
  if (value === true) return "true";
  if (value === false) return "false";
  if (typeof value === "string") return pythonString(value);
  if (typeof value === "number") return Number.isInteger(value) ? pythonInt(value) : pythonFloat(value);
  if (value instanceof RawNumber)
    return value.isInteger ? pythonIntFromSource(value.source) : pythonFloat(Number(value.source));
  const inner = indent === undefined ? "" : margin + " ".repeat(indent);
  const wrap = (open: string, members: string[], close: string) =>
    indent === undefined || members.length === 0
      ? `${open}${members.join(", ")}${close}`
      : `${open}\n${inner}${members.join(`,\n${inner}`)}\n${margin}${close}`;
  if (Array.isArray(value))
    return wrap(
      "[",
      value.map((item) => dumps(item, indent, inner)),
      "]",
    );
  if (isPlainObject(value)) {
    const members = Object.keys(value)
      .sort(compareCodePoints)
      .map((key) => `${pythonString(key)}: ${dumps(value[key]!, indent, inner)}`);
    return wrap("{", members, "}");
  }
  throw new TypeError(`not a JSON value: ${String(value)}`);
}

function isPlainObject(value: unknown): value is { [key: string]: JsonValue } {
  if (typeof value !== "object" || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\b": "\\b",
  "\f": "\\f",
};

/**
 * `ensure_ascii` form: everything outside printable ASCII becomes `\uxxxx`. Working on UTF-16 code units gives Python's
 * surrogate pairs for astral characters for free.
 */
function pythonString(text: string): string {
  const escaped = text.replace(
    /[\\"\u0000-\u001f\u007f-\uffff]/g,
    (unit) => SHORT_ESCAPES[unit] ?? `\\u${unit.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return `"${escaped}"`;
}

/** Exact decimal digits of an integral double: `String()` would switch to exponent form from 1e21, Python's int never does. */
export function pythonInt(value: number): string {
  return BigInt(value).toString();
}

/**
 * Python's float `repr`: the shortest round-trip digits (which JS computes identically), written in scientific form when the
 * decimal exponent is below -4 or at least 16, with a sign and at least two exponent digits; otherwise positional, with `.0`
 * when integral. NaN and the infinities are written as json.dumps writes them.
 */
export function pythonFloat(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "Infinity" : "-Infinity";
  const sign = value < 0 || Object.is(value, -0) ? "-" : "";
  const [mantissa = "", exponentText = ""] = Math.abs(value).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : "";
    const exponentDigits = String(Math.abs(exponent)).padStart(2, "0");
    return `${sign}${digits[0]}${fraction}e${exponent < 0 ? "-" : "+"}${exponentDigits}`;
  }
  if (exponent < 0) return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
  const integerPart = digits.slice(0, exponent + 1).padEnd(exponent + 1, "0");
  const fractionPart = digits.slice(exponent + 1) || "0";
  return `${sign}${integerPart}.${fractionPart}`;
}

/** `-0` is the only non-canonical integer lexeme JSON allows; Python's int has no negative zero. */
function pythonIntFromSource(source: string): string {
  return source === "-0" ? "0" : source;
}

/**
 * Parses JSON (RFC 8259, as Python's strict `json.loads` accepts it bar `NaN`/`Infinity`) and returns every number as a
 * {@link RawNumber} holding its source text, so {@link pythonJsonDumps} can reproduce the bytes Python signed. Node 22's
 * `JSON.parse` hands a reviver each primitive's source text, which is all the preserving needs. Throws `SyntaxError` on
 * bad input.
 */
export function parseJsonPreservingNumbers(text: string): JsonValue {
  return JSON.parse(text, (_key, value: unknown, context?: { source?: string }) =>
    typeof value === "number" ? new RawNumber(context?.source ?? String(value)) : value,
  ) as JsonValue;
}
