import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseJsonPreservingNumbers, pythonJsonDumps, RawNumber, type JsonValue } from "../../src/core/pyjson.js";
import { signWebhookPayload, verifyWebhookSignature } from "../../src/webhook/signature.js";

// Every expected string below was produced by CPython 3.11's `json.dumps(json.loads(source), sort_keys=True)`, and the
// signature by `hmac.new(secret.encode(), dumped.encode(), hashlib.sha256).hexdigest()`. They are stored so the tests do
// not need Python.
const PYTHON_VECTORS: ReadonlyArray<readonly [name: string, source: string, python: string]> = [
  [
    "nested objects and arrays keep array order, sort keys",
    '{"b": {"z": 1, "a": [3, 1, {"y": null, "x": true}]}, "a": false}',
    '{"a": false, "b": {"a": [3, 1, {"x": true, "y": null}], "z": 1}}',
  ],
  [
    "keys sort by code point: U+E000 before an astral emoji",
    '{"\ue000": 1, "\ud83d\ude00": 2, "a": 3, "\u00e9": 4, "Z": 5, "": 6, "\uffff": 7, "\ud800\udc00": 8, "aa": 9}',
    '{"": 6, "Z": 5, "a": 3, "aa": 9, "\\u00e9": 4, "\\ue000": 1, "\\uffff": 7, "\\ud800\\udc00": 8, "\\ud83d\\ude00": 2}',
  ],
  [
    "non-ASCII is escaped with lowercase hex, astral as surrogate pairs",
    '{"emoji": "hi \ud83d\ude00 \ud83d\udc4d\ud83c\udffd", "accent": "caf\u00e9 \u00c9", "separators": "a\u2028b\u2029c", "cjk": "\u65e5\u672c\u8a9e"}',
    '{"accent": "caf\\u00e9 \\u00c9", "cjk": "\\u65e5\\u672c\\u8a9e", "emoji": "hi \\ud83d\\ude00 \\ud83d\\udc4d\\ud83c\\udffd", "separators": "a\\u2028b\\u2029c"}',
  ],
  [
    "DEL and control characters are escaped, short escapes kept",
    '["\\u007f", "\\u0000\\u0001\\u001f", "\\b\\f\\n\\r\\t", "tab\\there"]',
    '["\\u007f", "\\u0000\\u0001\\u001f", "\\b\\f\\n\\r\\t", "tab\\there"]',
  ],
  [
    "quotes, backslashes and slashes",
    '{"q": "say \\"hi\\"", "bs": "C:\\\\path\\\\x", "slash": "a/b", "escaped slash": "\\/"}',
    '{"bs": "C:\\\\path\\\\x", "escaped slash": "/", "q": "say \\"hi\\"", "slash": "a/b"}',
  ],
  [
    "empty containers and strings",
    '{"a": {}, "b": [], "c": "", "d": [[], {}]}',
    '{"a": {}, "b": [], "c": "", "d": [[], {}]}',
  ],
  [
    "floats take Python repr",
    "[2.0, 0.1, 1e-05, 1e+16, 123456789.123, -0.0, 0.0, 0.0001, 1e-4, 1.5e-7, 1E5, 1.50, 9999999999999998.0, 1e16, 1.7976931348623157e308, 5e-324, 2.5, -1.25e-10, 100.0, 1e22, 0.1e1, 12345678901234567.0]",
    "[2.0, 0.1, 1e-05, 1e+16, 123456789.123, -0.0, 0.0, 0.0001, 0.0001, 1.5e-07, 100000.0, 1.5, 9999999999999998.0, 1e+16, 1.7976931348623157e+308, 5e-324, 2.5, -1.25e-10, 100.0, 1e+22, 1.0, 1.2345678901234568e+16]",
  ],
  [
    "floats given with 17 significant digits come back as the shortest repr",
    "[9.741850333280721e-22, 782.08623817611488, -443.51801398295288, 1.2445784057714462e-10, 3.2470912017513464e+19, -4.5805894707969806e+20, -3.3864056800268649e-20, 0.00053889887763212193, -15312.528440128315, 2.1946015709398492e+23, -3.4859431398253402e-17, -7478279565823.4316, 6.5097386815072779e-17, -2.2768521156279853e+19, 3.8647972148667218e+18, -8.9030523691564149e-10, 6.5689257970191019e-25, -3.531843328634523e-23, -8.4022357780721065e-13, -3936445132.3848248, -76703050.642132893, -6.4022033432927827, 6.8745443794001821e+22, -9155765564774164]",
    "[9.741850333280721e-22, 782.0862381761149, -443.5180139829529, 1.2445784057714462e-10, 3.2470912017513464e+19, -4.5805894707969806e+20, -3.386405680026865e-20, 0.0005388988776321219, -15312.528440128315, 2.1946015709398492e+23, -3.48594313982534e-17, -7478279565823.432, 6.509738681507278e-17, -2.2768521156279853e+19, 3.864797214866722e+18, -8.903052369156415e-10, 6.568925797019102e-25, -3.531843328634523e-23, -8.402235778072107e-13, -3936445132.3848248, -76703050.6421329, -6.402203343292783, 6.874544379400182e+22, -9155765564774164]",
  ],
  [
    "integers keep every digit",
    "[0, -0, 1, -1, 9007199254740993, 12345678901234567890123, -42]",
    "[0, 0, 1, -1, 9007199254740993, 12345678901234567890123, -42]",
  ],
  ["literals", "[true, false, null]", "[true, false, null]"],
  [
    "insignificant whitespace is dropped, separators are Python's",
    ' { "b" :[ 1 ,2 ] ,\n\t"a" : { } } ',
    '{"a": {}, "b": [1, 2]}',
  ],
  ["escaped lone surrogates survive", '{"\\ud800": "\\udfff"}', '{"\\ud800": "\\udfff"}'],
  [
    "a webhook envelope",
    '{"event_type": "prompt_template_version_created", "details": {"prompt_template_id": 42, "prompt_template_name": "support/refund \u2013 \u00e9", "prompt_template_version_number": 3}, "user_id": 1, "user_name": "plx sandbox", "user_email": null, "workspace_id": 7, "timestamp": "2026-08-21T10:15:30.123Z"}',
    '{"details": {"prompt_template_id": 42, "prompt_template_name": "support/refund \\u2013 \\u00e9", "prompt_template_version_number": 3}, "event_type": "prompt_template_version_created", "timestamp": "2026-08-21T10:15:30.123Z", "user_email": null, "user_id": 1, "user_name": "plx sandbox", "workspace_id": 7}',
  ],
];

const ENVELOPE_SOURCE = PYTHON_VECTORS.at(-1)![1];
const ENVELOPE_PYTHON = PYTHON_VECTORS.at(-1)![2];
const SECRET = "whsec_plx_test_\u{1f511}";
const ENVELOPE_SIGNATURE = "5ce407d431588523f734e347e2ff53a35a8ac734706cff16af29cd9df42e1356";

describe("pythonJsonDumps", () => {
  it.each(PYTHON_VECTORS)("matches Python: %s", (_name, source, python) => {
    expect(pythonJsonDumps(parseJsonPreservingNumbers(source))).toBe(python);
  });

  it("gives the same bytes for JSON.parse output when no float is integral", () => {
    for (const [, source, python] of PYTHON_VECTORS.filter(([name]) => !/floats|integers/.test(name))) {
      expect(pythonJsonDumps(JSON.parse(source))).toBe(python);
    }
  });

  it("writes integral JS numbers as Python ints and others as Python float repr", () => {
    const value = {
      float: 0.1,
      tiny: 1e-5,
      small: 1.5e-7,
      int: 10 ** 16,
      huge: 10 ** 21,
      neg: -2.5,
      negzero: -0,
      third: 1 / 3,
    };
    expect(pythonJsonDumps(value)).toBe(
      '{"float": 0.1, "huge": 1000000000000000000000, "int": 10000000000000000, "neg": -2.5, "negzero": 0, "small": 1.5e-07, "third": 0.3333333333333333, "tiny": 1e-05}',
    );
    expect(pythonJsonDumps([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])).toBe(
      "[NaN, Infinity, -Infinity]",
    );
  });

  it("writes JSON that parses back to the value, and that re-serialises to itself", () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: "binary" }), (value) => {
        const dumped = pythonJsonDumps(value as JsonValue);
        // JSON has no negative zero to give back.
        expect(JSON.parse(dumped)).toEqual(JSON.parse(JSON.stringify(value)));
        expect(pythonJsonDumps(parseJsonPreservingNumbers(dumped))).toBe(dumped);
      }),
    );
  });

  it("sorts astral keys after U+E000, unlike JS's default sort", () => {
    const keys = ["\u{1f600}", "\ue000"];
    expect([...keys].sort()).toEqual(["\u{1f600}", "\ue000"]);
    expect(pythonJsonDumps({ "\u{1f600}": 1, "\ue000": 2 })).toBe('{"\\ue000": 2, "\\ud83d\\ude00": 1}');
  });

  it("keeps a __proto__ key as an ordinary member", () => {
    const parsed = parseJsonPreservingNumbers('{"__proto__": {"x": 1}, "a": 2}');
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(pythonJsonDumps(parsed)).toBe('{"__proto__": {"x": 1}, "a": 2}');
  });

  it("rejects values JSON cannot hold", () => {
    expect(() => pythonJsonDumps(undefined as never)).toThrow(TypeError);
    expect(() => pythonJsonDumps({ when: new Date(0) } as never)).toThrow(TypeError);
    expect(() => pythonJsonDumps([10n] as never)).toThrow(TypeError);
  });
});

describe("parseJsonPreservingNumbers", () => {
  it("keeps every number's source text", () => {
    expect(parseJsonPreservingNumbers('{"a": [2.0, -0, 1E5]}')).toEqual({
      a: [new RawNumber("2.0"), new RawNumber("-0"), new RawNumber("1E5")],
    });
    expect(parseJsonPreservingNumbers(' "x" ')).toBe("x");
  });

  it.each([
    '{"a": 1,}',
    "[1,]",
    "01",
    "1.",
    "-",
    '"\u0001"',
    "NaN",
    "{'a': 1}",
    "{} x",
    "",
    '"open',
    "[1 2]",
    '{"a" 1}',
    "tru",
  ])("rejects %j as Python's strict json.loads does", (source) => {
    expect(() => parseJsonPreservingNumbers(source)).toThrow(SyntaxError);
  });

  it("only wraps valid JSON number lexemes", () => {
    expect(() => new RawNumber("1.")).toThrow(SyntaxError);
    expect(new RawNumber("12").isInteger).toBe(true);
    expect(new RawNumber("1e2").isInteger).toBe(false);
  });
});

describe("webhook signatures", () => {
  it("signs the Python form with the UTF-8 secret, as PromptLayer does", () => {
    expect(pythonJsonDumps(parseJsonPreservingNumbers(ENVELOPE_SOURCE))).toBe(ENVELOPE_PYTHON);
    expect(signWebhookPayload(JSON.parse(ENVELOPE_SOURCE), SECRET)).toBe(ENVELOPE_SIGNATURE);
  });

  it("verifies the body Python sent, and the same payload reformatted in transit", () => {
    expect(verifyWebhookSignature(ENVELOPE_PYTHON, ENVELOPE_SIGNATURE, SECRET)).toBe(true);
    expect(
      verifyWebhookSignature(JSON.stringify(JSON.parse(ENVELOPE_SOURCE), null, 2), ENVELOPE_SIGNATURE, SECRET),
    ).toBe(true);
    expect(verifyWebhookSignature(ENVELOPE_PYTHON, ENVELOPE_SIGNATURE.toUpperCase(), SECRET)).toBe(true);
  });

  it("tells a float 2.0 from an int 2, which JSON.parse cannot", () => {
    const body = '{"score": 2.0}';
    const signature = createHmac("sha256", "s").update(body).digest("hex");
    expect(verifyWebhookSignature(body, signature, "s")).toBe(true);
    expect(verifyWebhookSignature('{"score": 2}', signature, "s")).toBe(false);
  });

  it("rejects a tampered body, another secret, and malformed signatures", () => {
    expect(
      verifyWebhookSignature(
        ENVELOPE_PYTHON.replace('"workspace_id": 7', '"workspace_id": 8'),
        ENVELOPE_SIGNATURE,
        SECRET,
      ),
    ).toBe(false);
    expect(verifyWebhookSignature(ENVELOPE_PYTHON, ENVELOPE_SIGNATURE, "another secret")).toBe(false);
    expect(verifyWebhookSignature(ENVELOPE_PYTHON, ENVELOPE_SIGNATURE.slice(2), SECRET)).toBe(false);
    expect(verifyWebhookSignature(ENVELOPE_PYTHON, `${ENVELOPE_SIGNATURE}00`, SECRET)).toBe(false);
    expect(verifyWebhookSignature(ENVELOPE_PYTHON, ENVELOPE_SIGNATURE.replace(/.$/, "g"), SECRET)).toBe(false);
    expect(verifyWebhookSignature(ENVELOPE_PYTHON, "", SECRET)).toBe(false);
    expect(verifyWebhookSignature("not json", ENVELOPE_SIGNATURE, SECRET)).toBe(false);
  });
});
