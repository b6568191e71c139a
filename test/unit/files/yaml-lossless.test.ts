import fc from "fast-check";
import { parseDocument } from "yaml";
import { describe, expect, it } from "vitest";
import { fromYaml, toYaml, YamlSyntaxError, type JsonValue } from "../../../src/files/yaml-lossless.js";

/** Both halves of the round-trip guarantee: same value back, and byte-identical when re-written. */
function expectRoundTrip(value: JsonValue): string {
  const text = toYaml(value);
  const back = fromYaml(text);
  expect(back).toStrictEqual(value);
  // toStrictEqual ignores key order; JSON text does not.
  expect(JSON.stringify(back)).toBe(JSON.stringify(value));
  expect(toYaml(back)).toBe(text);
  expect(text.endsWith("\n")).toBe(true);
  expect(text.endsWith("\n\n")).toBe(false);
  return text;
}

/** What a YAML 1.1 reader (PyYAML and friends) makes of the same text. */
function readAsYaml11(text: string): unknown {
  return parseDocument(text, { version: "1.1" }).toJS();
}

function catchYamlError(text: string, file?: string): YamlSyntaxError {
  try {
    fromYaml(text, file);
  } catch (error) {
    expect(error).toBeInstanceOf(YamlSyntaxError);
    return error as YamlSyntaxError;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

describe("toYaml: exact output", () => {
  it.each<[string, JsonValue, string]>([
    [
      "a multi-line string with a final newline is a | block",
      { text: "line one\nline two\n" },
      "text: |\n  line one\n  line two\n",
    ],
    ["no final newline is |-", { text: "line one\nline two" }, "text: |-\n  line one\n  line two\n"],
    ["several final newlines are |+", { text: "a\n\n\n", b: 1 }, "text: |+\n  a\n\n\nb: 1\n"],
    ["trailing spaces stay on their line", { text: "a  \n" }, "text: |\n  a  \n"],
    [
      "a first line starting with a space gets an indentation indicator",
      { text: "  indented\nnext\n" },
      "text: |2\n    indented\n  next\n",
    ],
    ["leading blank lines stay in the block", { text: "\n\nbody\n" }, "text: |\n\n\n  body\n"],
    ["blank lines inside carry no indentation", { text: "a\n\nb\n" }, "text: |\n  a\n\n  b\n"],
    ["a top-level block scalar is indented by two", "x\ny\n", "|\n  x\n  y\n"],
    ["a block inside a sequence", ["x\ny"], "- |-\n  x\n  y\n"],
    ["a block inside a mapping inside a sequence", [{ k: " x\ny\n" }], "- k: |2\n     x\n    y\n"],
    ["CRLF falls back to double quotes", { text: "a\r\nb\r\n" }, 'text: "a\\r\\nb\\r\\n"\n'],
    ["|+ as the very last thing falls back to double quotes", { text: "a\n\n" }, 'text: "a\\n\\n"\n'],
    ["a whitespace-only last line stays in the block", { text: "a\n  \n" }, "text: |\n  a\n    \n"],
    [
      "a whitespace-only last line after an indented first line is double-quoted",
      { text: " a\n  \n" },
      'text: " a\\n  \\n"\n',
    ],
    ["a string of newlines only is double-quoted", { text: "\n\n", b: 1 }, 'text: "\\n\\n"\nb: 1\n'],
    ["short plain lists are flow style", { tags: ["a", "b c", 3, true, null] }, "tags: [a, b c, 3, true, null]\n"],
    ["lists needing quotes are block style", { tags: ["a", "yes"] }, 'tags:\n  - a\n  - "yes"\n'],
    ["empty collections are [] and {}", { a: [], b: {} }, "a: []\nb: {}\n"],
    ["nested mappings indent by two", { a: { b: { c: 1 } } }, "a:\n  b:\n    c: 1\n"],
    ["mappings in sequences are compact", [{ a: 1, b: 2 }], "- a: 1\n  b: 2\n"],
    ["sequences in sequences are compact", [[{ a: 1 }, "x: y"]], '- - a: 1\n  - "x: y"\n'],
    [
      "a bare exponent gets .0 for YAML 1.1 readers",
      { tiny: 1e-7, huge: 2.5e300, int: 42, float: 0.1 },
      "tiny: 1.0e-7\nhuge: 2.5e+300\nint: 42\nfloat: 0.1\n",
    ],
    [
      "keys that look like other types are quoted",
      { "1": "a", yes: "b", "": "c", "a: b": "d" },
      '"1": a\n"yes": b\n"": c\n"a: b": d\n',
    ],
    [
      "control characters are escaped",
      { s: '\0\x07\t\x1b\x7f\x85\u2028\uFEFF"\\' },
      's: "\\0\\a\\t\\e\\x7F\\N\\L\\uFEFF\\"\\\\"\n',
    ],
    ["non-ASCII and emoji stay as they are", { s: "héllo 😀 日本" }, "s: héllo 😀 日本\n"],
    ["null at the top level", null, "null\n"],
    ["a number at the top level", 42, "42\n"],
    ["a boolean at the top level", false, "false\n"],
    ["a plain string at the top level", "hello", "hello\n"],
    ["an empty string at the top level", "", '""\n'],
    ["an empty list at the top level", [], "[]\n"],
    ["an empty mapping at the top level", {}, "{}\n"],
    ["a list at the top level is block style", ["a", "b"], "- a\n- b\n"],
  ])("%s", (_name, value, expected) => {
    expect(toYaml(value)).toBe(expected);
    expectRoundTrip(value);
  });

  it("never folds long lines", () => {
    const long = "word ".repeat(100).trim();
    expect(toYaml({ long })).toBe(`long: ${long}\n`);
    expect(toYaml({ long: `${long}\n${long}\n` })).toBe(`long: |\n  ${long}\n  ${long}\n`);
  });

  it("keeps a flow list only while its line is shorter than 80 columns", () => {
    const items = Array.from({ length: 12 }, (_, i) => `item${i}`);
    expect(toYaml({ tags: items.slice(0, 8) })).toBe(`tags: [${items.slice(0, 8).join(", ")}]\n`);
    expect(toYaml({ tags: items })).toBe(`tags:\n${items.map((item) => `  - ${item}\n`).join("")}`);
  });

  it("puts the 80-column limit between 79 and 80", () => {
    expect(toYaml({ tags: ["a".repeat(71)] })).toBe(`tags: [${"a".repeat(71)}]\n`);
    expect(toYaml({ tags: ["a".repeat(72)] })).toBe(`tags:\n  - ${"a".repeat(72)}\n`);
  });

  it("writes keys over the implicit-key limit in explicit form", () => {
    const key = "k".repeat(1500);
    const text = expectRoundTrip({ [key]: { a: 1 }, short: "x\ny" });
    expect(text).toBe(`? ${key}\n: a: 1\nshort: |-\n  x\n  y\n`);
  });

  it("keeps the caller's key order", () => {
    expect(toYaml({ zeta: 1, alpha: 2, mid: 3 })).toBe("zeta: 1\nalpha: 2\nmid: 3\n");
  });

  it("refuses non-finite numbers", () => {
    expect(() => toYaml(Number.NaN)).toThrow(TypeError);
    expect(() => toYaml({ a: Number.POSITIVE_INFINITY })).toThrow(TypeError);
  });

  it("writes -0 as 0 (JSON has no negative zero either)", () => {
    expect(toYaml(-0)).toBe("0\n");
    expect(fromYaml(toYaml(-0))).toBe(0);
  });
});

const trickyStrings: string[] = [
  "yes",
  "no",
  "on",
  "off",
  "y",
  "n",
  "Y",
  "N",
  "YES",
  "On",
  "OFF",
  "true",
  "false",
  "True",
  "FALSE",
  "null",
  "Null",
  "NULL",
  "~",
  "1.0",
  "0x10",
  "0o17",
  "0b101",
  "1e3",
  "1_000",
  "1:20",
  "+1",
  "-1",
  ".5",
  "1.",
  "e3",
  "E5",
  ".e1",
  "+e3",
  ".",
  "._",
  "+.",
  ".inf",
  "-.inf",
  "+.INF",
  ".nan",
  ".NaN",
  "2024-01-01",
  "2001-12-14t21:59:43.10-05:00",
  "2001-12-14 21:59:43.10 -5",
  "@@@snippet@@@",
  "@x",
  "*x",
  "&x",
  "!x",
  "%x",
  "|x",
  ">x",
  "`x",
  "'x",
  '"x',
  "#x",
  "-x",
  "- x",
  "-",
  "?",
  "?x",
  ":x",
  ":",
  ",x",
  "[x",
  "]x",
  "{x",
  "}x",
  "a: b",
  "a #b",
  "a:",
  "a:b",
  "a#b",
  "a - b",
  "---",
  "...",
  "... x",
  "<<",
  "=",
  "",
  " ",
  "  ",
  " lead",
  "trail ",
  "\t",
  "\ttab",
  "tab\t",
  "a\tb",
  "\n",
  "\n\n",
  "\n\n\n",
  "a\n",
  "a\n\n",
  "a\n\n\n",
  "\na",
  "\n\na\n",
  "  a\n",
  " a\nb",
  "a\n b",
  "a  \nb  \n",
  "a\n  \nb\n",
  "a\n  \n",
  "  \na\n",
  "\ta\nb\n",
  "a\n\tb\n",
  "a\r\nb\r\n",
  "a\rb",
  "\r",
  "\r\n",
  "a\x00b",
  "\x00",
  "\x01\x02\x1f\x7f",
  "\x85",
  "a\u2028b",
  "a\u2029b\n",
  "\uFEFFbom",
  "a\uFEFF\nb",
  "héllo",
  "日本語\nテキスト\n",
  "😀",
  "emoji 😀\n👍🏽 done\n",
  "\u00a0nbsp\u00a0",
  "zero\u200bwidth",
  "# heading\n\n- item\n- item\n",
  "key: value\nother: x\n",
  "|\n>\n",
  "---\n...\n",
  "\"quoted\"\n'single'\n",
  "a\\b",
  "\\n",
  "ends with backslash\\",
  "x".repeat(2000),
];

describe("tricky strings", () => {
  it.each(trickyStrings.map((s) => [JSON.stringify(s), s]))(
    "%s round-trips as a value, a key and a list item",
    (_label, s) => {
      expectRoundTrip(s);
      expectRoundTrip({ s, after: 1 });
      expectRoundTrip({ [s]: s });
      expectRoundTrip([s, s]);
      expectRoundTrip([[s], { k: [s] }]);
    },
  );

  it.each(trickyStrings.map((s) => [JSON.stringify(s), s]))("%s reads back the same under YAML 1.1", (_label, s) => {
    const value = { s, list: [s], [s]: 1 };
    expect(readAsYaml11(toYaml(value))).toStrictEqual(value);
  });

  const mustQuote = [
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "true",
    "null",
    "~",
    "1.0",
    "0x10",
    "1e3",
    "e3",
    ".",
    ".inf",
    ".nan",
    "2024-01-01",
    "@x",
    "*x",
    "&x",
    "!x",
    "%x",
    "|x",
    ">x",
    "`x",
    "'x",
    '"x',
    "#x",
    "-x",
    "?x",
    ":x",
    "a: b",
    "a #b",
    " a",
    "a ",
    "",
  ];
  it.each(mustQuote)("%j is quoted", (s) => {
    expect(toYaml({ s })).toMatch(/^s: "/);
  });

  const staysPlain = [
    "hello world",
    "don't",
    "a:b",
    "a#b",
    "snake_case",
    "a-b",
    "x%",
    ".env",
    "e",
    "e3x",
    "héllo",
    "😀",
    "path/to/file.txt",
  ];
  it.each(staysPlain)("%j stays plain", (s) => {
    expect(toYaml({ s })).toBe(`s: ${s}\n`);
  });

  it("keeps lone surrogates through \\u escapes", () => {
    const text = expectRoundTrip({ s: "a\uD800b\uDC00" });
    expect(text).toBe('s: "a\\uD800b\\uDC00"\n');
  });

  it("stores a __proto__ key as data", () => {
    const value = JSON.parse('{"__proto__": {"x": 1}, "a": 2}') as JsonValue;
    expectRoundTrip(value);
    expect(Object.getPrototypeOf(fromYaml(toYaml(value)))).toBe(Object.prototype);
  });
});

describe("fromYaml", () => {
  it("reads an empty or comment-only document as null", () => {
    expect(fromYaml("")).toBeNull();
    expect(fromYaml("# nothing here\n")).toBeNull();
    expect(fromYaml("---\n")).toBeNull();
  });

  it("uses YAML 1.2 core types", () => {
    expect(fromYaml("a: yes\nb: on\nc: true\nd: ~\ne: 0x10\nf: 1e3\ng: 2024-01-01\nh: 012\n")).toStrictEqual({
      a: "yes",
      b: "on",
      c: true,
      d: null,
      e: 16,
      f: 1000,
      g: "2024-01-01",
      h: 12,
    });
  });

  it("keeps non-finite numbers as their text", () => {
    expect(fromYaml("[.inf, -.Inf, .nan, 1e400]")).toStrictEqual([".inf", "-.Inf", ".nan", "1e400"]);
  });

  it("turns scalar keys into strings as written", () => {
    expect(fromYaml("1: a\n1.5: b\n0x1F: c\ntrue: d\n~: e\n")).toStrictEqual({
      "1": "a",
      "1.5": "b",
      "0x1F": "c",
      true: "d",
      "~": "e",
    });
    expect(fromYaml(": empty\n")).toStrictEqual({ "": "empty" });
  });

  it("accepts the harmless standard tags", () => {
    expect(fromYaml("a: !!str 1\nb: !!int 2\nc: !!map {}\nd: !<tag:yaml.org,2002:str> x\n")).toStrictEqual({
      a: "1",
      b: 2,
      c: {},
      d: "x",
    });
  });

  it("reads a file whose line endings were turned into CRLF, or that starts with a BOM, the same", () => {
    const value = { text: "line one\n  two\n", quoted: "a\r\nb", list: ["x", "y"] };
    expect(fromYaml(toYaml(value).replaceAll("\n", "\r\n"))).toStrictEqual(value);
    expect(fromYaml(`\uFEFF${toYaml(value)}`)).toStrictEqual(value);
  });

  it("reads other writers' styles", () => {
    expect(fromYaml("a: 'it''s'\nb: >\n  folded\n  text\nc: {x: [1, 2]}\n")).toStrictEqual({
      a: "it's",
      b: "folded text\n",
      c: { x: [1, 2] },
    });
  });
});

describe("fromYaml errors", () => {
  it.each<[string, string, number, number, RegExp]>([
    ["an anchor", "a: 1\nb: &x 2\n", 2, 4, /anchor/],
    ["an alias", "a: 1\nb: *x\n", 2, 4, /alias/],
    ["an anchor and alias pair", "a:\n  - &base 1\n  - *base\n", 2, 5, /anchor/],
    ["a custom tag", "a: !foo x\n", 1, 4, /tag/],
    ["a custom tag on a collection", "a:\n  b: !thing\n    c: 1\n", 2, 6, /tag/],
    ["a binary tag", "a: !!binary aGk=\n", 1, 4, /the tag !!binary is not allowed/],
    ["a timestamp tag", "a: !!timestamp 2024-01-01\n", 1, 4, /!!timestamp/],
    ["a set tag", "- x\n- !!set {a}\n", 2, 3, /!!set/],
    ["a tag from a %TAG directive", "%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n", 3, 4, /!e!x/],
    ["a duplicate key", "a: 1\nb: 2\na: 3\n", 3, 1, /duplicate key "a": a mapping holds each key once$/],
    ["a duplicate key of several letters", "content: 1\ncontent: 2\n", 2, 1, /duplicate key "content":/],
    [
      "keys that are equal once stringified",
      "1: a\n'1': b\n",
      2,
      1,
      /duplicate key "1": two keys read as the same string/,
    ],
    ["a nested duplicate key", "top:\n  role: 1\n  role: 2\n", 3, 3, /duplicate key "role":/],
    ["a duplicate key in a flow mapping", "a: {bb: 1, bb: 2}\n", 1, 12, /duplicate key "bb":/],
    ["a duplicate key holding colons", "http://x: 1\nhttp://x: 2\n", 2, 1, /duplicate key "http:\/\/x": a mapping/],
    ["a second document", "a: 1\n---\nb: 2\n", 2, 1, /one YAML document/],
    ["a collection key", "x: 1\n[a, b]: 2\n", 2, 1, /key/],
    ["bad indentation", "a:\n  b: 1\n c: 2\n", 3, 1, /same column/],
    ["an unclosed quote", 'a: "open\n', 2, 1, /closing "/],
    ["an unclosed flow sequence", "a: [1, 2\n", 2, 1, /\]/],
    ["a tab as indentation", "a:\n\tb: 1\n", 2, 1, /Tabs/],
  ])("rejects %s with its position", (_name, text, line, col, reason) => {
    const error = catchYamlError(text, "prompts/x.prompt.yaml");
    expect({ line: error.line, col: error.col }).toStrictEqual({ line, col });
    expect(error.message).toMatch(reason);
    expect(error.message.startsWith(`prompts/x.prompt.yaml:${line}:${col}: `)).toBe(true);
  });

  it("says nesting too deep to read is too deep, not that the stack overflowed", () => {
    // Where the parser gives up depends on the stack size, so only the line is certain.
    const error = catchYamlError(`a: ${"[".repeat(10_000)}${"]".repeat(10_000)}\n`, "prompts/x.prompt.yaml");
    expect(error).toMatchObject({ line: 1, reason: "the YAML nests too deeply to read" });
  });

  it("carries the file, the position and the bare reason", () => {
    const error = catchYamlError("ok: 1\nlist:\n  - *ref\n", "a.yaml");
    expect(error).toMatchObject({
      name: "YamlSyntaxError",
      file: "a.yaml",
      line: 3,
      col: 5,
      reason: "aliases (*ref) are not allowed",
    });
    expect(error.message).toBe("a.yaml:3:5: aliases (*ref) are not allowed");
  });

  it("labels errors <yaml> without a file name", () => {
    expect(catchYamlError("a: *x\n").message).toMatch(/^<yaml>:1:4: /);
  });
});

// ---- Property tests -------------------------------------------------------------------------

/** Fragments that have broken YAML writers before, mixed with ordinary words. */
const nastyPiece = fc.constantFrom(
  "\r",
  "\r\n",
  "\t",
  " ",
  "  ",
  "   ",
  "\n",
  "\n\n",
  "\n  \n",
  "#",
  " #",
  ": ",
  ":",
  "- ",
  "@@@snippet@@@",
  "😀",
  "👍🏽",
  "yes",
  "no",
  "1.0",
  "0x1",
  "~",
  "null",
  '"',
  "'",
  "\\",
  "|",
  ">",
  "---",
  "...",
  "&a",
  "*a",
  "!x",
  "%",
  "`",
  "[",
  "]",
  "{",
  "}",
  ",",
  "?",
  "\0",
  "\x1b",
  "\x85",
  "\u2028",
  "\uFEFF",
  "é",
  "日本",
);
const word = fc.stringMatching(/^[a-zA-Z0-9 .,]{1,8}$/);
const nastyString = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: nastyPiece },
      { weight: 2, arbitrary: word },
      { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 4 }) },
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.join(""));
/** Multi-line text shaped like a prompt: lines of words with odd indentation and blank runs. */
const promptLine = fc
  .tuple(
    fc.constantFrom("", " ", "  ", "\t"),
    fc.oneof(word, nastyString, fc.constant("")),
    fc.constantFrom("", " ", "  "),
  )
  .map((parts) => parts.join(""));
const promptText = fc
  .tuple(fc.array(promptLine, { minLength: 1, maxLength: 8 }), fc.constantFrom("", "\n", "\n\n", "\n\n\n"))
  .map(([lines, end]) => lines.join("\n") + end);
const anyString = fc.oneof(nastyString, promptText, fc.string({ unit: "binary" }), fc.string({ unit: "grapheme" }));

/** -0 is left out: it is written as 0 on purpose (see "writes -0 as 0"). */
const finiteNumber = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
  fc.constantFrom(0.1, 1e-7, 2.5e300, 1e21, 5e-324, Number.MAX_SAFE_INTEGER, -1.5),
);

const { json } = fc.letrec<{ json: JsonValue }>((tie) => ({
  json: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    finiteNumber,
    anyString,
    fc.array(tie("json"), { maxLength: 5 }),
    fc.dictionary(anyString, tie("json"), { maxKeys: 5, noNullPrototype: true }),
  ),
}));

describe("properties", () => {
  it("round-trips any string, as a document, a value and a key", () => {
    fc.assert(
      fc.property(anyString, (s) => {
        expectRoundTrip(s);
        expectRoundTrip({ s, next: [s] });
        expectRoundTrip({ [s]: [s, { [s]: s }] });
      }),
      { numRuns: 3000 },
    );
  });

  it("writes multi-line strings as block scalars whenever they can be", () => {
    fc.assert(
      fc.property(promptText, (s) => {
        const text = toYaml({ s, next: 1 });
        const indicator = /^\n*[ \t]/.test(s);
        const blockable =
          !/[\r\x00-\x08\x0B-\x1F\x7F-\x9F\u2028\u2029\uFEFF]/.test(s) &&
          /[^ \t\n]/.test(s) &&
          !(indicator && /\n[ \t]+\n*$/.test(s));
        if (s.includes("\n") && blockable) expect(text).toMatch(/^s: \|/);
        expectRoundTrip({ s, next: 1 });
      }),
      { numRuns: 2000 },
    );
  });

  it("round-trips every finite number exactly, for YAML 1.1 readers too", () => {
    fc.assert(
      fc.property(finiteNumber, (n) => {
        expect(fromYaml(toYaml(n))).toBe(n);
        expect(readAsYaml11(toYaml({ n }))).toStrictEqual({ n });
      }),
      { numRuns: 2000 },
    );
  });

  it("round-trips any JSON value and is byte-stable", () => {
    fc.assert(
      fc.property(json, (value) => {
        expectRoundTrip(value);
      }),
      { numRuns: 500 },
    );
  });

  it("survives a checkout that turns every LF into CRLF", () => {
    fc.assert(
      fc.property(json, (value) => {
        expect(fromYaml(toYaml(value).replaceAll("\n", "\r\n"))).toStrictEqual(value);
      }),
      { numRuns: 500 },
    );
  });

  it("reads the same under YAML 1.1 for any JSON value", () => {
    fc.assert(
      fc.property(json, (value) => {
        expect(readAsYaml11(toYaml(value))).toStrictEqual(value);
      }),
      { numRuns: 500 },
    );
  });
});
