// Python's text forms of the values a template receives (JSON values), because PromptLayer renders templates in
// Python: an f-string is `str.format`, jinja2 is Jinja2, and both print a value as Python would (`True`, `None`,
// `['a', 1]`, `{'k': 'v'}`, `2.5`), not as JavaScript does (`true`, `null`, `a,1`, `[object Object]`).
import { pythonFloat, pythonInt } from "../core/pyjson.js";

/** A failure Python would raise while formatting (ValueError, TypeError, KeyError…): the text cannot be rendered. */
export class PythonFormatError extends Error {}

// Beyond 2^53 JSON integers have lost their digits anyway, and such numbers come from floats far more often (1e16).
const isInt = (value: unknown): value is number => typeof value === "number" && Number.isSafeInteger(value);
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function floatRepr(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  return pythonFloat(value);
}

/** `str(value)`. JSON has no int/float distinction left, so an integral number is an int. `undefined` is Jinja2's undefined: empty. */
export function pythonStr(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === undefined) return "";
  return pythonRepr(value);
}

/** `repr(value)`. */
export function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") return isInt(value) ? pythonInt(value) : floatRepr(value);
  if (typeof value === "string") return stringRepr(value);
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(", ")}]`;
  if (isRecord(value)) {
    const entries = Object.entries(value).map(([key, item]) => `${stringRepr(key)}: ${pythonRepr(item)}`);
    return `{${entries.join(", ")}}`;
  }
  return String(value);
}

// Python's str.isprintable(): everything but control, format, surrogate, private-use, unassigned and separator
// characters; the ASCII space is the one separator it prints.
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

/** `repr(text)`: single quotes unless the text holds one and no double quote; escapes as CPython writes them. */
function stringRepr(text: string, asciiOnly = false): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (char === quote || char === "\\") out += `\\${char}`;
    else if (char === "\t") out += "\\t";
    else if (char === "\n") out += "\\n";
    else if (char === "\r") out += "\\r";
    else if (code < 0x20 || code === 0x7f) out += `\\x${hex(code, 2)}`;
    else if (code < 0x7f || (!asciiOnly && (char === " " || !UNPRINTABLE.test(char)))) out += char;
    else if (code <= 0xff) out += `\\x${hex(code, 2)}`;
    else if (code <= 0xffff) out += `\\u${hex(code, 4)}`;
    else out += `\\U${hex(code, 8)}`;
  }
  return out + quote;
}

const hex = (code: number, width: number) => code.toString(16).padStart(width, "0");

/** The conversion of a replacement field: `!s`, `!r` or `!a`. */
export function pythonConvert(value: unknown, conversion: string): unknown {
  if (conversion === "s") return pythonStr(value);
  if (conversion === "r") return pythonRepr(value);
  if (conversion === "a") return typeof value === "string" ? stringRepr(value, true) : pythonRepr(value);
  throw new PythonFormatError(`Unknown conversion specifier ${conversion}`);
}

interface Spec {
  fill: string;
  /** As written; undefined leaves each type its default (strings left, numbers right, "=" with a 0 flag). */
  align: string | undefined;
  /** As written: "+", "-", " ", or undefined. */
  sign: string | undefined;
  /** "z": a negative zero after rounding is written without its sign (floats only). */
  coerceZero: boolean;
  alternate: boolean;
  zero: boolean;
  width: number;
  grouping: string;
  precision: number | undefined;
  type: string;
}

const SPEC = /^(?:(.)?([<>=^]))?([-+ ])?(z)?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/su;

function parseSpec(spec: string): Spec {
  // The fill may be any character, so "<" alone is an alignment, not a fill.
  const match = SPEC.exec(spec);
  if (!match) throw new PythonFormatError("Invalid format specifier");
  const [, fill, align, sign, coerceZero, alternate, zero, width, grouping, precision, type] = match;
  return {
    fill: fill ?? (zero ? "0" : " "),
    align,
    sign,
    coerceZero: coerceZero !== undefined,
    alternate: alternate !== undefined,
    zero: zero !== undefined,
    width: width === undefined ? 0 : Number(width),
    grouping: grouping ?? "",
    precision: precision === undefined ? undefined : Number(precision),
    type: type ?? "",
  };
}

/** `format(value, spec)` for the values a template receives: str, int, float, bool, None, list and dict. */
export function pythonFormat(value: unknown, spec: string): string {
  if (spec === "") return pythonStr(value);
  const parsed = parseSpec(spec);
  if (typeof value === "string") return formatString(value, parsed);
  if (typeof value === "boolean") return formatNumber(value ? 1 : 0, parsed, true);
  if (typeof value === "number") return formatNumber(value, parsed, isInt(value));
  const kind = value === null || value === undefined ? "NoneType" : Array.isArray(value) ? "list" : "dict";
  throw new PythonFormatError(`unsupported format string passed to ${kind}.__format__`);
}

function formatString(value: string, spec: Spec): string {
  if (spec.type !== "" && spec.type !== "s")
    throw new PythonFormatError(`Unknown format code '${spec.type}' for object of type 'str'`);
  if (spec.sign !== undefined) throw new PythonFormatError("Sign not allowed in string format specifier");
  if (spec.coerceZero) throw new PythonFormatError("Negative zero coercion (z) not allowed in format specifier");
  if (spec.align === "=") throw new PythonFormatError("'=' alignment not allowed in string format specifier");
  if (spec.alternate) throw new PythonFormatError("Alternate form (#) not allowed in string format specifier");
  if (spec.grouping) throw new PythonFormatError(`Cannot specify '${spec.grouping}' with 's'.`);
  const text = spec.precision === undefined ? value : [...value].slice(0, spec.precision).join("");
  // A "0" flag pads a string with zeros on the right, as Python 3.10+ does.
  return pad(text, "", spec.width, spec.fill, spec.align ?? "<");
}

function formatNumber(value: number, spec: Spec, integral: boolean): string {
  const { type } = spec;
  const kind = integral ? "int" : "float";
  if (type === "s") throw new PythonFormatError(`Unknown format code 's' for object of type '${kind}'`);
  if (("bcdoxX".includes(type) && type !== "") || (type === "n" && integral)) {
    if (!integral) throw new PythonFormatError(`Unknown format code '${type}' for object of type 'float'`);
    if (spec.coerceZero)
      throw new PythonFormatError("Negative zero coercion (z) not allowed in integer format specifier");
    if (spec.precision !== undefined) throw new PythonFormatError("Precision not allowed in integer format specifier");
    return formatInteger(value, spec);
  }
  if (type === "" && integral) {
    if (spec.coerceZero)
      throw new PythonFormatError("Negative zero coercion (z) not allowed in integer format specifier");
    if (spec.precision !== undefined) throw new PythonFormatError("Precision not allowed in integer format specifier");
    return formatInteger(value, spec);
  }
  return formatFloat(value, spec, integral);
}

function formatInteger(value: number, spec: Spec): string {
  const big = BigInt(value);
  const negative = big < 0n;
  const magnitude = negative ? -big : big;
  let digits: string;
  let prefix = "";
  switch (spec.type) {
    case "b":
      digits = magnitude.toString(2);
      prefix = spec.alternate ? "0b" : "";
      break;
    case "o":
      digits = magnitude.toString(8);
      prefix = spec.alternate ? "0o" : "";
      break;
    case "x":
    case "X":
      digits = magnitude.toString(16);
      prefix = spec.alternate ? "0x" : "";
      if (spec.type === "X") [digits, prefix] = [digits.toUpperCase(), prefix.toUpperCase()];
      break;
    case "c":
      if (spec.sign !== undefined) throw new PythonFormatError("Sign not allowed with integer format specifier 'c'");
      return pad(String.fromCodePoint(value), "", spec.width, spec.fill, spec.align ?? ">");
    default:
      digits = magnitude.toString();
  }
  if (spec.grouping)
    digits = group(digits, spec.type === "" || spec.type === "d" || spec.type === "n" ? 3 : 4, spec.grouping);
  return finish(negative, prefix, digits, spec);
}

function formatFloat(value: number, spec: Spec, integral: boolean): string {
  const negative = value < 0 || Object.is(value, -0);
  const magnitude = Math.abs(value);
  let type = spec.type;
  if (type === "n") type = "g";
  let body: string;
  if (!Number.isFinite(magnitude)) {
    body = Number.isNaN(magnitude) ? "nan" : "inf";
    if ("EFG".includes(type) && type !== "") body = body.toUpperCase();
  } else if (type === "" && spec.precision === undefined) {
    // repr, as str() writes it; an int formatted with only width and the like stays an int.
    body = integral ? pythonInt(magnitude) : floatRepr(magnitude);
  } else if (type === "%") {
    const scaled = magnitude * 100;
    body = `${Number.isFinite(scaled) ? fixed(scaled, spec.precision ?? 6, spec.alternate) : "inf"}%`;
  } else if (type === "f" || type === "F") {
    body = fixed(magnitude, spec.precision ?? 6, spec.alternate);
  } else if (type === "e" || type === "E") {
    body = scientific(magnitude, spec.precision ?? 6, spec.alternate);
    if (type === "E") body = body.toUpperCase();
  } else {
    // "g", "G", and no type with a precision (which keeps one digit after the point).
    body = general(magnitude, spec.precision ?? 6, spec.alternate, type === "");
    if (type === "G") body = body.toUpperCase();
  }
  if (spec.grouping && Number.isFinite(magnitude)) {
    const [whole, rest] = splitNumber(body);
    body = group(whole, 3, spec.grouping) + rest;
  }
  const zero = !/[1-9]/.test(body.replace(/e.*$/i, ""));
  return finish(negative && !(spec.coerceZero && zero), "", body, spec);
}

function splitNumber(body: string): [string, string] {
  const at = body.search(/[.eE%]/);
  return at < 0 ? [body, ""] : [body.slice(0, at), body.slice(at)];
}

/** The sign, the alignment and the fill around digits. */
function finish(negative: boolean, prefix: string, digits: string, spec: Spec): string {
  const sign = negative ? "-" : spec.sign === "+" ? "+" : spec.sign === " " ? " " : "";
  return pad(digits, sign + prefix, spec.width, spec.fill, spec.align ?? (spec.zero ? "=" : ">"));
}

function pad(body: string, lead: string, width: number, fill: string, align: string): string {
  const length = [...lead].length + [...body].length;
  const missing = Math.max(0, width - length);
  if (align === "=") return lead + fill.repeat(missing) + body;
  const text = lead + body;
  if (align === "<") return text + fill.repeat(missing);
  if (align === "^") return fill.repeat(Math.floor(missing / 2)) + text + fill.repeat(Math.ceil(missing / 2));
  return fill.repeat(missing) + text;
}

function group(digits: string, size: number, separator: string): string {
  let out = "";
  for (let end = digits.length; end > 0; end -= size) {
    const start = Math.max(0, end - size);
    out = digits.slice(start, end) + (out ? separator + out : "");
  }
  return out;
}

// ---- Exact decimal rounding, as Python rounds: the exact binary value, ties to even ----

/** The exact decimal value of a finite non-negative double, as a digit string and the position of the point. */
function exactDecimal(value: number): { digits: string; point: number } {
  if (value === 0) return { digits: "0", point: 1 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const bits = view.getBigUint64(0);
  const exponentBits = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & 0xfffffffffffffn;
  let exponent = exponentBits - 1075;
  if (exponentBits === 0) exponent = -1074;
  else mantissa |= 1n << 52n;
  if (exponent >= 0) {
    const digits = (mantissa << BigInt(exponent)).toString();
    return { digits, point: digits.length };
  }
  // mantissa / 2^k = mantissa * 5^k / 10^k
  const scaled = (mantissa * 5n ** BigInt(-exponent)).toString();
  const point = scaled.length + exponent;
  return point > 0 ? { digits: scaled, point } : { digits: "0".repeat(-point) + scaled, point: 0 };
}

/** Rounds an exact decimal to `keep` significant-position digits, ties to even. Returns digits and the new point. */
function roundDigits(digits: string, point: number, keep: number): { digits: string; point: number } {
  if (keep < 0) return { digits: "0", point: point };
  if (digits.length <= keep) return { digits: digits.padEnd(keep, "0"), point };
  const head = digits.slice(0, keep);
  const next = digits[keep]!;
  const rest = digits.slice(keep + 1);
  const last = keep === 0 ? 0 : Number(head[keep - 1]);
  const up = next > "5" || (next === "5" && (/[1-9]/.test(rest) || last % 2 === 1));
  if (!up) return { digits: head || "0", point: keep === 0 ? point + 1 : point };
  const incremented = (BigInt(head || "0") + 1n).toString().padStart(keep, "0");
  return incremented.length > keep ? { digits: incremented, point: point + 1 } : { digits: incremented, point };
}

function fixed(value: number, precision: number, alternate: boolean): string {
  const exact = exactDecimal(value);
  const rounded = roundDigits(exact.digits, exact.point, exact.point + precision);
  const all = rounded.digits.padStart(rounded.point + precision, "0");
  const whole = all.slice(0, all.length - precision).replace(/^0+(?=\d)/, "") || "0";
  const fraction = all.slice(all.length - precision);
  return precision > 0 ? `${whole}.${fraction}` : alternate ? `${whole}.` : whole;
}

/** Digits and decimal exponent of `value` rounded to `significant` digits. */
function significantDigits(value: number, significant: number): { digits: string; exponent: number } {
  if (value === 0) return { digits: "0".repeat(significant), exponent: 0 };
  const exact = exactDecimal(value);
  const firstNonZero = exact.digits.search(/[1-9]/);
  const rounded = roundDigits(exact.digits.slice(firstNonZero), exact.point - firstNonZero, significant);
  return { digits: rounded.digits.slice(0, significant), exponent: rounded.point - 1 };
}

function scientific(value: number, precision: number, alternate: boolean): string {
  const { digits, exponent } = significantDigits(value, precision + 1);
  const mantissa = precision > 0 ? `${digits[0]}.${digits.slice(1)}` : alternate ? `${digits[0]}.` : digits[0]!;
  return `${mantissa}e${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`;
}

function general(value: number, precision: number, alternate: boolean, keepPoint: boolean): string {
  const p = precision === 0 ? 1 : precision;
  const { exponent } = significantDigits(value, p);
  // Without a type, scientific notation starts one digit earlier: format(3.14, ".1") is "3e+00".
  const limit = keepPoint ? p - 1 : p;
  let body: string;
  if (exponent >= -4 && exponent < limit) {
    body = fixed(value, p - 1 - exponent, alternate);
    if (!alternate && body.includes(".")) body = body.replace(/0+$/, "").replace(/\.$/, "");
    // Without a type, fixed notation keeps one digit after the point: format(3.0, ".3") is "3.0".
    if (keepPoint && !body.includes(".")) body += ".0";
  } else {
    body = scientific(value, p - 1, alternate);
    if (!alternate) body = body.replace(/\.?0+e/, "e");
  }
  return body;
}
