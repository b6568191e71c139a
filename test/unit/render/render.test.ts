// The renderer against what PromptLayer's Python renderer (str.format; Jinja2's sandbox with undefined as "") returns.
// The expected texts were produced by CPython 3.11 and Jinja2 3.1 running the PromptLayer SDK's render functions, so
// a difference here is a difference from PromptLayer.
import { describe, expect, it } from "vitest";
import type { JsonObject } from "../../../src/core/template.js";
import { renderFString } from "../../../src/render/fstring.js";
import { analyzeJinja, renderJinja } from "../../../src/render/jinja.js";
import { pythonFormat } from "../../../src/render/python.js";
import { analyzePromptTemplate, promptBlueprint, renderPromptTemplate } from "../../../src/render/index.js";

const VARIABLES = {
  name: "Ada",
  n: 5,
  price: 3.5,
  none: null,
  flag: true,
  items: ["a", "b"],
  user: { name: "Bo", tier: "gold" },
  s: "it's",
};

// [case, text, what PromptLayer's Python renderer returns, whether it could not render and left the text]
const F_STRINGS: Array<[string, string, string, boolean]> = [
  ["plain substitution", "Hello {name}!", "Hello Ada!", false],
  ["escaped braces", "{{literal}} and {name}", "{literal} and Ada", false],
  ["escaped braces around a field", "{{{name}}}", "{Ada}", false],
  ["JSON in an f-string", '{"a": 1}', '{"a": 1}', true],
  ["missing variable renders empty", "[{missing}]", "[]", false],
  ["None renders empty", "[{none}]", "[]", false],
  ["Python str of values", "{flag} {items} {user}", "True ['a', 'b'] {'name': 'Bo', 'tier': 'gold'}", false],
  ["format spec", "{n:>4}|{price:.2f}|{n:03d}|{price:%}", "   5|3.50|005|350.000000%", false],
  ["conversion", "{name!r} {s!r}", "'Ada' \"it's\"", false],
  ["item lookup", "{user[name]} {user}", "Bo {'name': 'Bo', 'tier': 'gold'}", false],
  ["nested spec", "{name:>{n}}|{n}", "  Ada|5", false],
  ["lone closing brace", "a } b {name}", "a } b {name}", true],
  ["lone opening brace", "a { b", "a { b", true],
  ["positional field", "{} {0}", "{} {0}", true],
  ["attribute", "{user.name}", "{user.name}", true],
  ["format code the type lacks", "{name:d}", "{name:d}", true],
  ["spaces are not a field name", "{ name }", "", false],
  ["non-ASCII and newlines", "ünï\n{name}\t😀", "ünï\nAda\t😀", false],
];

const JINJA2: Array<[string, string, string, boolean]> = [
  ["plain substitution", "Hello {{ name }}!", "Hello Ada!", false],
  ["undefined renders empty", "[{{ missing }}][{{ missing.attr.deeper }}]", "[][]", false],
  ["loop with loop.index", "{% for i in items %}{{ loop.index }}.{{ i }} {% endfor %}", "1.a 2.b ", false],
  ["loop over dict items", "{% for k, v in user.items() %}{{ k }}={{ v }};{% endfor %}", "name=Bo;tier=gold;", false],
  ["loop else", "{% for i in [] %}x{% else %}none{% endfor %}", "none", false],
  [
    "filters",
    "{{ name | upper }} {{ items | join(', ') }} {{ user.name | lower }} {{ items | length }}",
    "ADA a, b bo 2",
    false,
  ],
  ["default filter", "{{ nickname | default('friend') }}", "friend", false],
  ["conditionals", "{% if flag %}yes{% else %}no{% endif %} {{ 'a' if none else 'b' }}", "yes b", false],
  [
    "literal braces",
    "{{ '{{' }} not a variable {{ '}}' }} {% raw %}{{ raw }}{% endraw %}",
    "{{ not a variable }} {{ raw }}",
    false,
  ],
  ["whitespace control", "a\n{%- if true %}\n  b\n{%- endif %}\nc", "a\n  b\nc", false],
  [
    "Python printing of values",
    "{{ flag }} {{ none }} {{ items }} {{ user }} {{ n / 2 }} {{ n // 2 }}",
    "True None ['a', 'b'] {'name': 'Bo', 'tier': 'gold'} 2.5 2",
    false,
  ],
  ["tojson", "{{ user | tojson }} {{ items | tojson }}", '{"name": "Bo", "tier": "gold"} ["a", "b"]', false],
  ["string methods", "{{ name.upper() }} {{ 'a,b'.split(',') }} {{ '  x  '.strip() }}", "ADA ['a', 'b'] x", false],
  [
    "set and macro",
    "{% set greeting = 'Hi ' ~ name %}{% macro tag(x) %}<{{ x }}>{% endmacro %}{{ greeting }} {{ tag(n) }}",
    "Hi Ada <5>",
    false,
  ],
  ["map and attribute", "{{ [user, user] | map(attribute='tier') | join('/') }}", "gold/gold", false],
  ["format filter", "{{ '%s has %d items' | format(name, n) }}", "Ada has 5 items", false],
  ["True False None", "{{ True }} {{ False }} {{ None }}", "True False None", false],
  ["JSON text needs no escaping", '{"name": "{{ name }}"}', '{"name": "Ada"}', false],
  ["syntax error leaves the text", "{{ broken", "{{ broken", true],
  ["calling an undefined function fails", "{{ nothing() }}", "{{ nothing() }}", true],
];

describe("f-string texts render as str.format renders them", () => {
  it.each(F_STRINGS)("%s: %j", (_case, text, expected, leftAsWritten) => {
    const result = renderFString(text, VARIABLES);
    expect(result.text).toBe(expected);
    expect(result.error !== undefined).toBe(leftAsWritten);
  });
});

describe("jinja2 texts render as Jinja2's sandbox renders them", () => {
  it.each(JINJA2)("%s: %j", (_case, text, expected, leftAsWritten) => {
    const result = renderJinja(text, VARIABLES);
    expect(result.text).toBe(expected);
    expect(result.error !== undefined).toBe(leftAsWritten);
  });

  it("keeps templates away from JavaScript: no constructors, no prototypes, no unbounded ranges", () => {
    expect(renderJinja("{{ range.constructor('return process')() }}", {}).error?.message).toMatch(/Unable to call/);
    expect(renderJinja("{{ name.constructor }}|{{ user.__proto__ }}|{{ items.constructor }}", VARIABLES).text).toBe(
      "||",
    );
    expect(renderJinja("{% for i in range(1000000) %}{% endfor %}", {}).error?.message).toMatch(/range too big/);
  });

  it("finds the variables a text reads, telling guarded ones from required ones", () => {
    const analysis = analyzeJinja(
      "{{ a }}{% for x in items %}{{ x.n }}{{ loop.index }}{% endfor %}{% if opt %}{{ opt }}{% endif %}" +
        "{{ b | default('z') }}{% set s = 1 %}{{ s }}{{ c is defined }}{% macro m(p, q=r) %}{{ p }}{% endmacro %}{{ m(w) }}",
    );
    expect([...analysis.variables.keys()]).toEqual(["a", "items", "opt", "b", "c", "r", "w"]);
    expect([...analysis.optional]).toEqual(["opt", "b", "c"]);
    expect(analysis.variables.get("items")).toEqual({ line: 0, col: 19 });
  });
});

it("formats values with Python's format-spec language, ties rounding to even", () => {
  const table: Array<[unknown, string, string]> = [
    [2.5, ".0f", "2"],
    [0.125, ".2f", "0.12"],
    [2.675, ".2f", "2.67"],
    [1234567, ",", "1,234,567"],
    [1234.5, "_.2f", "1_234.50"],
    [255, "#x", "0xff"],
    [0.000123456, "g", "0.000123456"],
    [1e-7, "", "1e-07"],
    [3.25, ".1", "3e+00"],
    [1234.5, ".2", "1.2e+03"],
    ["ab", "*^6", "**ab**"],
    [-0.0001, "z.1f", "0.0"],
    [true, "d", "1"],
  ];
  for (const [value, spec, expected] of table) expect(pythonFormat(value, spec)).toBe(expected);
});

const text = (value: string) => [{ type: "text", text: value }];

describe("a prompt_template renders as PromptLayer renders it", () => {
  const chat = (...messages: JsonObject[]): JsonObject => ({ type: "chat", messages });

  it("fills each message in its own format and reports the variables it read", () => {
    const result = renderPromptTemplate(
      chat(
        { role: "system", content: text("Be {tone}. {{ kept }}") },
        { role: "user", template_format: "jinja2", content: text("{% for i in items %}{{ i }},{% endfor %} {tone}") },
      ),
      { tone: "brief", items: ["x", "y"] },
    );
    expect(result.promptTemplate.messages).toEqual([
      { role: "system", content: text("Be brief. { kept }") },
      { role: "user", template_format: "jinja2", content: text("x,y, {tone}") },
    ]);
    expect(result.used).toEqual(["tone", "items"]);
    expect(result.missing).toEqual([]);
    expect(result.failures).toEqual([]);
  });

  it("names each missing variable and every place that reads it", () => {
    const result = renderPromptTemplate(
      chat(
        { role: "system", content: text("Hi {who}") },
        {
          role: "user",
          template_format: "jinja2",
          content: text("line one\n  {{ who }} and {{ order.id }}{{ maybe | default('') }}"),
        },
      ),
      {},
    );
    expect(result.missing).toEqual([
      {
        name: "who",
        at: [
          { path: ["messages", 0, "content", 0, "text"], role: "system", line: 1, col: 4 },
          { path: ["messages", 1, "content", 0, "text"], role: "user", line: 2, col: 6 },
        ],
      },
      { name: "order", at: [{ path: ["messages", 1, "content", 0, "text"], role: "user", line: 2, col: 20 }] },
    ]);
    expect(result.optional).toEqual(["maybe"]);
    // PromptLayer sends them empty.
    expect(result.promptTemplate.messages).toEqual([
      { role: "system", content: text("Hi ") },
      { role: "user", template_format: "jinja2", content: text("line one\n   and ") },
    ]);
  });

  it("replaces a placeholder message with the messages its variable holds", () => {
    const template = chat(
      { role: "system", content: text("You help.") },
      { role: "placeholder", name: "history" },
      { role: "user", content: text("{question}") },
    );
    const history = [
      { role: "user", content: text("My age is {age}") },
      { role: "assistant", content: "What a wonderful age!" },
    ];
    const result = renderPromptTemplate(template, { history, question: "And now?" });
    expect(result.promptTemplate.messages).toEqual([
      { role: "system", content: text("You help.") },
      // Messages a placeholder brings are data: their braces are not filled.
      { role: "user", content: text("My age is {age}") },
      { role: "assistant", content: text("What a wonderful age!") },
      { role: "user", content: text("And now?") },
    ]);
    expect(result.used).toEqual(["history", "question"]);

    expect(renderPromptTemplate(template, { question: "q" }).missing).toEqual([
      { name: "history", at: [{ path: ["messages", 1], role: "placeholder" }] },
    ]);
    expect(renderPromptTemplate(template, { history: "not a list", question: "q" }).failures).toEqual([
      {
        message: 'the placeholder "history" needs a list of messages, each with a role and content',
        at: { path: ["messages", 1], role: "placeholder" },
        variable: "history",
      },
    ]);
  });

  it("expands media and tool variables", () => {
    const result = renderPromptTemplate(
      {
        type: "chat",
        messages: [{ role: "user", content: [{ type: "media_variable", name: "photos" }, ...text("What is this?")] }],
        tools: [{ type: "variable", name: "tools" }],
      },
      {
        photos: ["https://example.com/a.png", "data:image/png;base64,AAAA"],
        tools: [{ name: "lookup", description: "Find it", parameters: { type: "object", properties: {} } }],
      },
    );
    expect(result.promptTemplate).toEqual({
      type: "chat",
      messages: [
        {
          role: "user",
          content: [
            { type: "image_url", image_url: { url: "https://example.com/a.png" } },
            { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
            ...text("What is this?"),
          ],
        },
      ],
      tools: [
        {
          type: "function",
          function: { name: "lookup", description: "Find it", parameters: { type: "object", properties: {} } },
        },
      ],
    });
  });

  it("renders a completion template in its template_format, and reports a text it cannot render", () => {
    const result = renderPromptTemplate(
      { type: "completion", template_format: "jinja2", content: text("{{ a }} {% if %}") },
      { a: 1 },
    );
    expect(result.promptTemplate.content).toEqual(text("{{ a }} {% if %}"));
    expect(result.failures).toEqual([
      {
        message: "unexpected token: %}",
        at: { path: ["content", 0, "text"], line: 1, col: 15 },
        syntax: true,
      },
    ]);
  });

  it("analyses a template without rendering it: every variable by kind and first place, and syntax errors only", () => {
    const analysis = analyzePromptTemplate(
      chat(
        { role: "system", content: text("Hi {name}, {price:.2f} {{literal}}") },
        { role: "placeholder", name: "history" },
        {
          role: "user",
          template_format: "jinja2",
          content: [
            ...text("{% if topic %}{{ topic }}{% endif %}\n{{ name }}"),
            { type: "media_variable", name: "scan" },
            { type: "image_url", image_url: { url: "" }, image_variable: "photo" },
          ],
        },
        { role: "user", content: text("{ spaced } and { open") },
        { role: "user", template_format: "jinja2", content: text("{% for x in xs %}") },
      ),
    );
    expect(analysis.variables.map((use) => [use.kind, use.name, use.optional, use.at])).toEqual([
      ["text", "name", false, { path: ["messages", 0, "content", 0, "text"], role: "system", line: 1, col: 4 }],
      ["text", "price", false, { path: ["messages", 0, "content", 0, "text"], role: "system", line: 1, col: 12 }],
      ["placeholder", "history", false, { path: ["messages", 1], role: "placeholder" }],
      ["text", "topic", true, { path: ["messages", 2, "content", 0, "text"], role: "user", line: 1, col: 7 }],
      ["media", "scan", false, { path: ["messages", 2, "content", 1], role: "user" }],
      ["media", "photo", false, { path: ["messages", 2, "content", 2, "image_variable"], role: "user" }],
    ]);
    // `{price:.2f}` would fail on the empty value rendering gives a missing variable: not a syntax error.
    expect(analysis.syntaxErrors.map((failure) => [failure.at.path, failure.at.line, failure.at.col])).toEqual([
      [["messages", 3, "content", 0, "text"], 1, 16],
      [["messages", 4, "content", 0, "text"], 1, 1],
    ]);
    expect(analysis.warnings.map((warning) => warning.message)).toEqual([]);
  });

  it("answers as POST /prompt-templates/{identifier} does: rendered, with llm_kwargs for the provider", () => {
    const raw = {
      id: 7,
      prompt_name: "greet",
      version: 3,
      prompt_template: chat({ role: "system", content: text("Sys") }, { role: "user", content: text("Hi {name}") }),
      metadata: {
        model: { provider: "anthropic", name: "claude-haiku-4-5", parameters: { temperature: 0.3, max_tokens: 99 } },
      },
      commit_message: "c",
    };
    const { response, render } = promptBlueprint(raw, { inputVariables: { name: "Ada" } });
    expect(render?.missing).toEqual([]);
    expect(response).toMatchObject({ id: 7, prompt_name: "greet", version: 3, commit_message: "c" });
    expect(response.llm_kwargs).toEqual({
      model: "claude-haiku-4-5",
      max_tokens: 99,
      messages: [{ role: "user", content: [{ type: "text", text: "Hi Ada" }] }],
      system: "Sys",
      temperature: 0.3,
    });
    // Without variables the template comes back as stored.
    expect(promptBlueprint(raw).response.prompt_template).toEqual(raw.prompt_template);
  });
});
