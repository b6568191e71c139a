// fast-check arbitraries for JSON that is hard to write as YAML and read back, and for names a file system cannot
// hold as they are: shared by the property tests of every file format plx writes.
import fc from "fast-check";
import { expect } from "vitest";
import type { JsonObject, JsonValue } from "../../src/core/template.js";

/** Pieces that each stress one YAML or template rule; joined, they make strings that are hard to write and read back. */
export const NASTY_PIECES = [
  "\r\n",
  "\r",
  "\n",
  "\n\n",
  "\t",
  " ",
  "  ",
  "😀",
  "👋🏽",
  "🇯🇵",
  "é",
  "e\u0301",
  "日本語",
  "yes",
  "no",
  "null",
  "~",
  "true",
  "1.0",
  "0x1F",
  "1e3",
  ".5",
  "2024-01-01",
  "@@@snippet@@@",
  "#",
  " #",
  ": ",
  ":",
  "- ",
  "-",
  "? ",
  "*",
  "&",
  "!",
  "|",
  ">",
  "%",
  "'",
  '"',
  "\\",
  "`",
  ",",
  "[",
  "]",
  "{",
  "}",
  "{x}",
  "{{ y }}",
  "{% for i in items %}",
  "---",
  "...",
  "<<",
  "\u00a0",
  "\u2028",
  "\u0085",
  "\uFEFF",
  "\u0000",
  "\u001b",
  "\uD800",
  "word",
  "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.",
];

export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.array(fc.constantFrom(...NASTY_PIECES), { maxLength: 8 }).map((parts) => parts.join("")) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 12 }) },
);

/** Object keys: nasty strings plus names that trip up plain JavaScript objects or YAML keys. */
export const keyArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: nastyString },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "__proto__",
      "constructor",
      "toString",
      "hasOwnProperty",
      "1",
      "01",
      "1.0",
      "-1",
      "",
      "a: b",
      "x".repeat(1001),
    ),
  },
);

export const jsonNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer(),
  fc.constantFrom(0, 0.1, 1e-7, 2.5e300, -1, 2 ** 53, 2 ** 64, 1e21, 5e-324, 0.30000000000000004),
  // JSON has no -0 distinct from 0 once written; the codec documents writing it as 0.
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => (Object.is(value, -0) ? 0 : value)),
);

export const jsonScalar: fc.Arbitrary<JsonValue> = fc.oneof(fc.constant(null), fc.boolean(), jsonNumber, nastyString);

export const { json } = fc.letrec<{ json: JsonValue }>((tie) => ({
  json: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    jsonScalar,
    fc.array(tie("json"), { maxLength: 3 }),
    fc.dictionary(keyArb, tie("json"), { maxKeys: 3, noNullPrototype: true }),
  ),
}));

export const jsonObject: fc.Arbitrary<JsonObject> = fc.dictionary(keyArb, json, { maxKeys: 3, noNullPrototype: true });

/** Known keys first, then unknown keys that do not shadow them or name one of `reserved`. */
export function mergeUnknown(
  known: JsonObject,
  unknown: JsonObject | null,
  reserved: readonly string[] = [],
): JsonObject {
  const extra = Object.entries(unknown ?? {}).filter(([key]) => !Object.hasOwn(known, key) && !reserved.includes(key));
  return Object.fromEntries([...Object.entries(known), ...extra]);
}

/** An object with required and optional fields and, when `unknownKeys`, fields no spec knows. */
export function object(
  required: Record<string, fc.Arbitrary<JsonValue>>,
  optional: Record<string, fc.Arbitrary<JsonValue>> = {},
  options: { unknownKeys?: fc.Arbitrary<JsonObject>; reserved?: readonly string[] } = {},
): fc.Arbitrary<JsonObject> {
  const known = fc.record(
    { ...required, ...optional },
    { requiredKeys: Object.keys(required), noNullPrototype: true },
  ) as fc.Arbitrary<JsonObject>;
  if (!options.unknownKeys) return known;
  return fc
    .tuple(known, fc.option(options.unknownKeys, { freq: 3 }))
    .map(([fields, extra]) => mergeUnknown(fields, extra, options.reserved));
}

export const nullable = <T extends JsonValue>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> =>
  fc.option(arb, { nil: null, freq: 3 });
/** Names and folder segments: safe ones, ones that differ only by case, and every kind a path cannot hold as is. */
export const NAMED_SEGMENTS = [
  "support-agent",
  "Foo",
  "foo",
  "FOO",
  "Weekly digest",
  "../x",
  "..",
  ".",
  "a/b",
  "a\\b",
  "/abs",
  "C:",
  "CON",
  "con.txt",
  "Lpt1",
  "com¹",
  ".hidden",
  "trailing.",
  "trailing ",
  " leading",
  "x\ny",
  "tab\there",
  "e\u0301",
  "é",
  "what?",
  "a*b",
  "<tag>",
  "pipe|",
  'quote"',
  "x~12345678",
  "😀",
  "日本語",
  "n".repeat(108),
  "n".repeat(121),
  "x",
  "x.prompt.yaml",
  "x.prompt",
  "x.agent.yaml",
  "x.agent",
];
export const nameArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...NAMED_SEGMENTS) },
  { weight: 1, arbitrary: nastyString.filter((name) => name.length > 0) },
);
export const folderArb: fc.Arbitrary<string[]> = fc.array(nameArb, { maxLength: 3 });

/**
 * What macOS and Windows make of a set of paths: names compare ignoring case, so a file and a directory must not share
 * a name, and two directories that differ only by case are one directory (spelled as whichever was made first), which
 * would give back the wrong folder for the files of the other.
 */
export function expectNoFileSystemClash(paths: readonly string[]): void {
  const directories = new Map<string, string>();
  for (const path of paths) {
    const segments = path.split("/");
    for (let length = 1; length < segments.length; length++) {
      const directory = segments.slice(0, length).join("/");
      const spelled = directories.get(directory.toLowerCase());
      if (spelled === undefined) directories.set(directory.toLowerCase(), directory);
      else
        expect(directory, `directory ${JSON.stringify(directory)} is also spelled ${JSON.stringify(spelled)}`).toBe(
          spelled,
        );
    }
  }
  for (const path of paths)
    expect(
      directories.get(path.toLowerCase()),
      `${JSON.stringify(path)} is both a file and a directory`,
    ).toBeUndefined();
}
