import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ANNOTATION_SCHEMAS,
  BLOCK_SCHEMAS,
  IMPLIED_TYPES,
  MESSAGE_SCHEMAS,
  SCHEMA_DEFAULTS,
  canonicalContent,
  compareCodePoints,
  contentHash,
  stableStringify,
  type CanonicalInput,
} from "../../../src/core/canonical.js";
import { isJsonObject, templateFromRaw, type JsonObject, type JsonValue } from "../../../src/core/template.js";
import { describeWithOpenApiSpec } from "../../support/openapi.js";

const doc = (promptTemplate: JsonObject, rest: Partial<CanonicalInput> = {}): CanonicalInput => ({
  promptTemplate,
  metadata: {},
  extras: {},
  tags: [],
  ...rest,
});

/** A chat template as someone writes it by hand: no defaults. */
const handWritten = (): CanonicalInput => ({
  promptTemplate: {
    type: "chat",
    messages: [
      { role: "system", content: [{ type: "text", text: "You are terse." }] },
      {
        role: "user",
        template_format: "jinja2",
        content: [
          { type: "text", text: "{{ question }}" },
          { type: "image_url", image_url: { url: "https://x/y.png" } },
        ],
      },
      { role: "assistant", tool_calls: [{ id: "c1", function: { name: "lookup", arguments: "{}" } }] },
      { role: "tool", tool_call_id: "c1", content: [{ type: "text", text: "found" }] },
      { role: "placeholder", name: "history" },
    ],
    tools: [
      {
        type: "function",
        function: {
          name: "lookup",
          parameters: { type: "object", properties: { q: { type: "string", default: null } } },
        },
      },
    ],
  },
  metadata: {
    model: { provider: "openai", name: "gpt-4o", parameters: { temperature: 0.2, stop: [] } },
    team: "support",
  },
  extras: { provider_base_url_name: "eu-proxy" },
  tags: ["support", "email"],
});

/** The same template as the server returns it: every default filled in. */
const serverShaped = (): CanonicalInput => ({
  promptTemplate: {
    type: "chat",
    input_variables: ["question"],
    messages: [
      {
        role: "system",
        input_variables: [],
        template_format: "f-string",
        name: null,
        content: [{ type: "text", text: "You are terse.", id: null, annotations: null, thought_signature: null }],
      },
      {
        role: "user",
        input_variables: ["question"],
        template_format: "jinja2",
        name: null,
        content: [
          { type: "text", text: "{{ question }}", id: null, annotations: [], thought_signature: null },
          { type: "image_url", image_url: { url: "https://x/y.png", detail: null }, image_variable: null },
        ],
      },
      {
        role: "assistant",
        input_variables: [],
        template_format: "f-string",
        name: null,
        content: null,
        function_call: null,
        tool_calls: [{ id: "c1", type: "function", tool_id: null, function: { name: "lookup", arguments: "{}" } }],
      },
      {
        role: "tool",
        input_variables: [],
        template_format: "f-string",
        name: null,
        tool_call_id: "c1",
        content: [{ type: "text", text: "found", id: null }],
      },
      {
        role: "placeholder",
        input_variables: [],
        template_format: "f-string",
        name: "history",
        content: null,
        raw_request_display_role: "",
      },
    ],
    functions: null,
    tools: [
      {
        type: "function",
        function: {
          name: "lookup",
          description: "",
          strict: false,
          parameters: { properties: { q: { default: null, type: "string" } }, type: "object" },
        },
      },
    ],
    function_call: null,
    tool_choice: null,
  },
  metadata: {
    model: {
      provider: "openai",
      name: "gpt-4o",
      parameters: { stop: [], temperature: 0.2 },
      display_params: {},
      api_type: null,
      model_config_display_name: null,
      base_model: null,
    },
    team: "support",
  },
  extras: { provider_base_url_name: "eu-proxy", provider_id: null, inference_client_name: null, report_id: null },
  tags: ["email", "support", "email"],
});

/** Applies a change to a copy of the hand-written template. */
const changed = (edit: (input: CanonicalInput) => void): CanonicalInput => {
  const input = handWritten();
  edit(input);
  return input;
};

const messages = (input: CanonicalInput) => input.promptTemplate.messages as JsonObject[];
const contentOf = (message: JsonObject | undefined) => message?.content as JsonObject[];
const firstTool = (input: CanonicalInput) => (input.promptTemplate.tools as JsonObject[])[0]!.function as JsonObject;
const model = (input: CanonicalInput) => input.metadata.model as JsonObject;

describe("canonicalContent", () => {
  it("makes a server-shaped template and its hand-written form equal", () => {
    expect(canonicalContent(serverShaped())).toEqual(canonicalContent(handWritten()));
    expect(contentHash(serverShaped())).toBe(contentHash(handWritten()));
  });

  it("treats a raw read the same as the hand-written file", () => {
    const server = serverShaped();
    const raw = {
      success: true,
      id: 1,
      prompt_name: "support-reply",
      version: 4,
      workspace_id: 7,
      prompt_template: { ...server.promptTemplate, type: "chat" },
      metadata: { ...server.metadata, plx: { content_hash: "sha256:00" } },
      commit_message: "x",
      tags: server.tags,
      created_at: "2026-01-01T00:00:00Z",
      snippets: [],
      provider_base_url: { id: 1, name: "eu-proxy", provider: "openai", url: "https://proxy.example" },
      ...server.extras,
    };
    expect(contentHash(templateFromRaw(raw, []))).toBe(contentHash(handWritten()));
  });

  it.each<[string, (input: CanonicalInput) => void]>([
    ["message text", (input) => (contentOf(messages(input)[0])[0]!.text = "You are verbose.")],
    ["template format", (input) => (messages(input)[1]!.template_format = "f-string")],
    ["message order", (input) => messages(input).reverse()],
    ["temperature", (input) => ((model(input).parameters as JsonObject).temperature = 0.3)],
    ["a model parameter left empty", (input) => delete (model(input).parameters as JsonObject).stop],
    ["model", (input) => (model(input).name = "gpt-4o-mini")],
    ["a tool's description", (input) => (firstTool(input).description = "Looks things up.")],
    ["a tool's strictness", (input) => (firstTool(input).strict = true)],
    [
      "a default inside a tool's schema",
      (input) => delete ((firstTool(input).parameters as JsonObject).properties as JsonObject).q,
    ],
    [
      "a tool added",
      (input) =>
        (input.promptTemplate.tools as JsonValue[]).push({
          type: "web_search",
          id: "w",
          name: "w",
          description: "d",
          provider: "openai",
          config: {},
        }),
    ],
    ["tool choice", (input) => (input.promptTemplate.tool_choice = "auto")],
    ["a tag", (input) => input.tags.push("billing")],
    ["custom metadata", (input) => (input.metadata.team = "sales")],
    ["a null custom metadata key", (input) => (input.metadata.reviewer = null)],
    ["an extra", (input) => (input.extras.provider_base_url_name = "us-proxy")],
    ["an unknown extra", (input) => (input.extras.future = false)],
    ["an unknown template key", (input) => (input.promptTemplate.future = null)],
    ["an unknown message key", (input) => (messages(input)[0]!.future = [])],
    ["an unknown block key", (input) => (contentOf(messages(input)[0])[0]!.future = {})],
    ["a display param", (input) => (model(input).display_params = { temperature: "0.2" })],
    ["an image's detail", (input) => ((contentOf(messages(input)[1])[1]!.image_url as JsonObject).detail = "low")],
  ])("changes the hash when the %s changes", (_label, edit) => {
    expect(contentHash(changed(edit))).not.toBe(contentHash(handWritten()));
  });

  it("drops input_variables at template and message level", () => {
    const withVariables = doc({ type: "completion", input_variables: ["a"], content: [{ type: "text", text: "{a}" }] });
    expect(canonicalContent(withVariables).prompt_template).toEqual({
      type: "completion",
      content: [{ type: "text", text: "{a}" }],
    });
    expect(contentHash(changed((input) => (messages(input)[0]!.input_variables = ["z"])))).toBe(
      contentHash(handWritten()),
    );
  });

  it("drops completion defaults and keeps a non-default format", () => {
    const completion = (extra: JsonObject) =>
      doc({ type: "completion", content: [{ type: "text", text: "hi" }], ...extra });
    expect(contentHash(completion({ template_format: "f-string" }))).toBe(contentHash(completion({})));
    expect(contentHash(completion({ template_format: "jinja2" }))).not.toBe(contentHash(completion({})));
  });

  it("writes the type a template, tool or tool call implies", () => {
    const untyped = doc({
      messages: [{ role: "assistant", tool_calls: [{ id: "c", function: { name: "f", arguments: "" } }] }],
      tools: [{ function: { name: "f" } }],
      tool_choice: { function: { name: "f" } },
    });
    expect(canonicalContent(untyped).prompt_template).toEqual({
      type: "chat",
      messages: [
        { role: "assistant", tool_calls: [{ type: "function", id: "c", function: { name: "f", arguments: "" } }] },
      ],
      tools: [{ type: "function", function: { name: "f" } }],
      tool_choice: { type: "function", function: { name: "f" } },
    });
    expect(canonicalContent(doc({ content: [] })).prompt_template).toEqual({ type: "completion", content: [] });
  });

  it("applies each default only at its own position", () => {
    const input = doc(
      {
        type: "chat",
        messages: [
          // A function message's name is required: a null there is kept.
          { role: "function", name: null, content: null },
          { role: "user", content: [{ type: "text", text: "t", annotations: [], future: null }] },
        ],
        tools: [
          { type: "function", function: { name: "f", parameters: { type: "object", properties: {}, required: [] } } },
        ],
      },
      {
        metadata: {
          model: { provider: "p", name: "n", parameters: { stop: [], seed: null, response_format: {} } },
          notes: null,
        },
      },
    );
    expect(canonicalContent(input)).toEqual({
      prompt_template: {
        type: "chat",
        messages: [
          { role: "function", name: null },
          { role: "user", content: [{ type: "text", text: "t", future: null }] },
        ],
        tools: [
          { type: "function", function: { name: "f", parameters: { type: "object", properties: {}, required: [] } } },
        ],
      },
      metadata: {
        model: { provider: "p", name: "n", parameters: { stop: [], seed: null, response_format: {} } },
        notes: null,
      },
      extras: {},
      tags: [],
    });
  });

  it("keeps unknown block types, roles, tool kinds and template types verbatim", () => {
    const hologram = { type: "hologram", id: null, frames: [], input_variables: [] };
    const registryTool = { type: "registry", tool_registry_id: 3, label: null, version_number: null };
    const input = doc({
      type: "chat",
      messages: [
        {
          role: "narrator",
          input_variables: ["a"],
          name: null,
          content: [hologram, { type: "text", text: "x", id: null }],
        },
        { role: "user", content: [hologram] },
      ],
      tools: [registryTool, { type: "variable", name: "more_tools", description: "" }],
    });
    expect(canonicalContent(input).prompt_template).toEqual({
      type: "chat",
      messages: [
        { role: "narrator", name: null, content: [hologram, { type: "text", text: "x" }] },
        { role: "user", content: [hologram] },
      ],
      tools: [registryTool, { type: "variable", name: "more_tools", description: "" }],
    });
    const future = { type: "audio", input_variables: ["a"], segments: [null] };
    expect(canonicalContent(doc(future)).prompt_template).toEqual({ type: "audio", segments: [null] });
  });

  it("drops the defaults of recorded output blocks", () => {
    const blocks: JsonObject[] = [
      { type: "media", media: { title: "media", type: "image/jpeg", url: null, format: "neither" } },
      {
        type: "output_media",
        url: "u",
        id: null,
        mime_type: "image/png",
        media_type: "image",
        provider_metadata: null,
      },
      {
        type: "web_search_tool_result",
        tool_use_id: "t",
        content: [{ url: "u", title: "", encrypted_content: "", page_age: null }],
      },
      {
        type: "text",
        text: "t",
        annotations: [
          {
            type: "url_citation",
            title: "a",
            url: "u",
            start_index: 0,
            end_index: 1,
            cited_text: null,
            encrypted_index: null,
          },
        ],
      },
      {
        type: "mcp_call",
        id: null,
        name: "",
        server_label: "",
        arguments: "",
        output: null,
        error: null,
        approval_request_id: null,
      },
      { type: "shell_call_output", id: null, call_id: null, output: [], status: null },
    ];
    expect(
      canonicalContent(doc({ type: "chat", messages: [{ role: "assistant", content: blocks }] })).prompt_template,
    ).toEqual({
      type: "chat",
      messages: [
        {
          role: "assistant",
          content: [
            { type: "media", media: {} },
            { type: "output_media", url: "u" },
            { type: "web_search_tool_result", tool_use_id: "t", content: [{ type: "web_search_result", url: "u" }] },
            {
              type: "text",
              text: "t",
              annotations: [{ type: "url_citation", title: "a", url: "u", start_index: 0, end_index: 1 }],
            },
            { type: "mcp_call" },
            { type: "shell_call_output" },
          ],
        },
      ],
    });
  });

  it("compares tags as a sorted set and drops null extras and plx's stamp", () => {
    const canonical = canonicalContent(
      doc(
        { type: "completion", content: [] },
        {
          tags: ["b", "a", "b", "é", "Z"],
          extras: { gone: null, kept: 0 },
          metadata: { plx: { content_hash: "h" }, model: null },
        },
      ),
    );
    expect(canonical.tags).toEqual(["Z", "a", "b", "é"]);
    expect(canonical.extras).toEqual({ kept: 0 });
    expect(canonical.metadata).toEqual({});
  });

  it("keeps keys named like Object.prototype members", () => {
    const template = JSON.parse(
      '{"type":"chat","messages":[{"role":"constructor","content":[{"type":"toString","__proto__":1}]}],"constructor":null}',
    ) as JsonObject;
    expect(stableStringify(canonicalContent(doc(template)).prompt_template!)).toBe(
      '{"constructor":null,"messages":[{"content":[{"__proto__":1,"type":"toString"}],"role":"constructor"}],"type":"chat"}',
    );
  });
});

describe("contentHash", () => {
  it("is sha256 of the stable serialization", () => {
    expect(contentHash(handWritten())).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe("stableStringify", () => {
  it.each<[string, JsonValue, string]>([
    ["scalars", [null, true, 1.5, 'a"b'], '[null,true,1.5,"a\\"b"]'],
    [
      "sorted keys at every depth, array order kept",
      { b: [{ d: 1, c: 2 }, 0], a: {} },
      '{"a":{},"b":[{"c":2,"d":1},0]}',
    ],
    [
      "keys by code point, astral after U+FFFF-range",
      { "\uffff": 1, "\u{1f600}": 2, a: 3 },
      '{"a":3,"\uffff":1,"\u{1f600}":2}',
    ],
  ])("%s", (_label, value, expected) => {
    expect(stableStringify(value)).toBe(expected);
  });

  it("does not depend on key insertion order", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue() as fc.Arbitrary<JsonValue>), (object) => {
        const reversed = Object.fromEntries(Object.entries(object).reverse());
        expect(stableStringify(reversed)).toBe(stableStringify(object));
        expect(JSON.parse(stableStringify(object))).toEqual(JSON.parse(JSON.stringify(object)));
      }),
    );
  });
});

describe("compareCodePoints", () => {
  it("agrees with comparing code point arrays", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (a, b) => {
        const expected = compareArrays(
          [...a].map((c) => c.codePointAt(0)!),
          [...b].map((c) => c.codePointAt(0)!),
        );
        expect(Math.sign(compareCodePoints(a, b))).toBe(expected);
      }),
    );
  });
});

function compareArrays(a: number[], b: number[]): number {
  for (let index = 0; index < Math.min(a.length, b.length); index++)
    if (a[index] !== b[index]) return Math.sign(a[index]! - b[index]!);
  return Math.sign(a.length - b.length);
}

// Generated templates, written by hand (no defaults), then dressed the way the server returns them.

const word = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/);
/** Unknown keys carry a prefix so they never collide with a field that has a default. */
const unknownKeys = fc.dictionary(
  word.map((key) => `x_${key}`),
  fc.jsonValue() as fc.Arbitrary<JsonValue>,
  { maxKeys: 2 },
);

const textBlock = fc.record({ type: fc.constant("text"), text: fc.string() });
const imageBlock = fc.record({
  type: fc.constant("image_url"),
  image_url: fc.record({ url: fc.webUrl() }, { noNullPrototype: true }),
});
const mediaBlock = fc.record({
  type: fc.constant("media"),
  media: fc.record({ url: fc.webUrl(), format: fc.constant("url") }),
});
const variableBlock = fc.record({ type: fc.constant("media_variable"), name: word });
const block = fc
  .tuple(fc.oneof(textBlock, imageBlock, mediaBlock, variableBlock), unknownKeys)
  .map(([known, extra]) => ({ ...extra, ...known }));
const blocks = fc.array(block, { maxLength: 3 });
const format = fc.option(fc.constant("jinja2"), { nil: undefined });

const withFormat = <T extends JsonObject>(message: T, templateFormat: string | undefined): JsonObject =>
  templateFormat === undefined ? message : { ...message, template_format: templateFormat };

const toolCall = fc.record({ id: word, function: fc.record({ name: word, arguments: fc.json() }) });
const message = fc.oneof(
  fc
    .tuple(fc.constantFrom("system", "user", "developer"), blocks, format)
    .map(([role, content, f]) => withFormat({ role, content }, f)),
  fc
    .tuple(
      fc.option(blocks, { nil: undefined }),
      fc.option(fc.array(toolCall, { minLength: 1, maxLength: 2 }), { nil: undefined }),
    )
    .map(([content, calls]) => ({
      role: "assistant",
      ...(content && { content }),
      ...(calls && { tool_calls: calls }),
    })),
  fc.tuple(word, blocks).map(([id, content]) => ({ role: "tool", tool_call_id: id, content })),
  word.map((name) => ({ role: "placeholder", name })),
);

const jsonSchema = fc.record({
  type: fc.constant("object"),
  properties: fc.dictionary(
    word,
    fc.record({ type: fc.constantFrom("string", "number"), default: fc.constantFrom(null, 0, "") }),
  ),
});
const functionTool = fc
  .record(
    { name: word, description: fc.string({ minLength: 1 }), strict: fc.constant(true), parameters: jsonSchema },
    { requiredKeys: ["name"] },
  )
  .map((fn) => ({ type: "function", function: fn }));

const chatTemplate = fc
  .record(
    {
      messages: fc.array(message, { maxLength: 4 }),
      tools: fc.array(functionTool, { minLength: 1, maxLength: 2 }),
      tool_choice: fc.constantFrom("auto", "none"),
    },
    { requiredKeys: ["messages"] },
  )
  .chain((template) => fc.tuple(fc.constant(template), unknownKeys, fc.boolean()))
  .map(([template, extra, typed]) => ({ ...extra, ...(typed && { type: "chat" }), ...template }) as JsonObject);
const completionTemplate = fc
  .tuple(blocks, format, unknownKeys)
  .map(([content, f, extra]) => withFormat({ ...extra, type: "completion", content }, f));

const modelArbitrary = fc.record(
  {
    provider: word,
    name: word,
    parameters: fc.dictionary(word, fc.jsonValue() as fc.Arbitrary<JsonValue>, { minKeys: 1 }),
    api_type: word,
  },
  { requiredKeys: ["provider", "name"] },
);

const handWrittenDoc: fc.Arbitrary<CanonicalInput> = fc.record({
  promptTemplate: fc.oneof(chatTemplate, completionTemplate),
  metadata: fc
    .tuple(fc.option(modelArbitrary, { nil: undefined }), unknownKeys)
    .map(([m, extra]) => ({ ...extra, ...(m && { model: m }) }) as JsonObject),
  extras: fc.dictionary(word, fc.jsonValue().filter((value) => value !== null) as fc.Arbitrary<JsonValue>, {
    maxKeys: 2,
  }),
  tags: fc.array(word, { maxLength: 3 }),
});

/** Fills in, wherever `pick` says so, the defaults the spec declares and the server echoes. Written from the spec, not from the table under test. */
function withServerDefaults(input: CanonicalInput, pick: () => boolean): CanonicalInput {
  const fill = (object: JsonObject, defaults: JsonObject): JsonObject => {
    const out = { ...object };
    for (const [key, value] of Object.entries(defaults)) if (!Object.hasOwn(out, key) && pick()) out[key] = value;
    return out;
  };
  const dressBlock = (b: JsonObject): JsonObject => {
    if (b.type === "text") return fill(b, { id: null, annotations: pick() ? null : [], thought_signature: null });
    if (b.type === "image_url")
      return fill({ ...b, image_url: fill(b.image_url as JsonObject, { detail: null }) }, { image_variable: null });
    if (b.type === "media") return { ...b, media: fill(b.media as JsonObject, { title: "media", type: "image/jpeg" }) };
    return b;
  };
  const dressMessage = (m: JsonObject): JsonObject => {
    const common = fill({ ...m, input_variables: ["v"] }, { template_format: "f-string" });
    if (Array.isArray(m.content)) common.content = (m.content as JsonObject[]).map(dressBlock);
    if (m.role === "placeholder") return fill(common, { content: null, raw_request_display_role: "" });
    const named = fill(common, { name: null });
    if (m.role !== "assistant") return named;
    const calls = Array.isArray(m.tool_calls)
      ? (m.tool_calls as JsonObject[]).map((call) => fill(call, { type: "function", tool_id: null }))
      : null;
    return fill(
      { ...named, ...(calls && { tool_calls: calls }) },
      { content: null, tool_calls: null, function_call: null },
    );
  };
  const dressTool = (tool: JsonObject): JsonObject => ({
    ...tool,
    function: fill(tool.function as JsonObject, {
      description: "",
      strict: false,
      parameters: { type: "object", properties: {} },
    }),
  });
  const template = input.promptTemplate;
  const promptTemplate =
    template.type === "completion"
      ? fill(
          { ...template, content: (template.content as JsonObject[]).map(dressBlock), input_variables: ["v"] },
          { template_format: "f-string" },
        )
      : fill(
          {
            ...template,
            type: "chat",
            input_variables: [],
            messages: (template.messages as JsonObject[]).map(dressMessage),
            ...(Array.isArray(template.tools) && { tools: (template.tools as JsonObject[]).map(dressTool) }),
          },
          { functions: null, tools: null, function_call: null, tool_choice: null },
        );
  const modelValue = input.metadata.model;
  const metadata = isJsonObject(modelValue)
    ? {
        ...input.metadata,
        model: fill(modelValue, {
          parameters: {},
          display_params: {},
          api_type: null,
          model_config_display_name: null,
          base_model: null,
        }),
      }
    : fill(input.metadata, { model: null });
  return {
    promptTemplate,
    metadata,
    extras: fill(input.extras, {
      provider_base_url_name: null,
      provider_id: null,
      inference_client_name: null,
      report_id: null,
    }),
    tags: [...input.tags, ...input.tags].reverse(),
  };
}

const picks = fc.infiniteStream(fc.boolean()).map((stream) => () => stream.next().value as boolean);
const asInput = (canonical: JsonObject): CanonicalInput => ({
  promptTemplate: canonical.prompt_template as JsonObject,
  metadata: canonical.metadata as JsonObject,
  extras: canonical.extras as JsonObject,
  tags: canonical.tags as string[],
});
const anyObject = fc.dictionary(fc.string(), fc.jsonValue() as fc.Arbitrary<JsonValue>);

describe("canonical form properties", () => {
  it("is idempotent on generated templates and on arbitrary JSON", () => {
    const arbitraryDoc = fc.record({
      promptTemplate: anyObject,
      metadata: anyObject,
      extras: anyObject,
      tags: fc.array(fc.string()),
    });
    fc.assert(
      fc.property(
        fc.oneof(
          handWrittenDoc,
          handWrittenDoc.chain((d) => picks.map((pick) => withServerDefaults(d, pick))),
          arbitraryDoc,
        ),
        (input) => {
          const once = canonicalContent(input);
          expect(canonicalContent(asInput(once))).toEqual(once);
        },
      ),
    );
  });

  it("never changes the hash when server defaults are added", () => {
    fc.assert(
      fc.property(handWrittenDoc, picks, (input, pick) => {
        expect(contentHash(withServerDefaults(input, pick))).toBe(contentHash(input));
      }),
    );
  });
});

// Every default in the table must be the one the official spec declares, and every default the spec declares on a
// schema the canonical form handles must be in the table (or be a `type`/`role` discriminator, or derived data).

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  required?: string[];
  default?: JsonValue;
  const?: JsonValue;
  type?: string | string[];
  nullable?: boolean;
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  items?: SchemaNode;
  $ref?: string;
  discriminator?: { propertyName: string; mapping?: Record<string, string> };
}

describeWithOpenApiSpec("canonical defaults table", (_contract, specPath) => {
  const schemas = (
    JSON.parse(readFileSync(specPath, "utf8")) as { components: { schemas: Record<string, SchemaNode> } }
  ).components.schemas;
  const schemaNamed = (name: string): SchemaNode => {
    const schema = schemas[name];
    if (!schema) throw new Error(`the spec has no schema ${name}`);
    return schema;
  };
  const propertyOf = (name: string, property: string): SchemaNode => {
    const node = schemaNamed(name).properties?.[property];
    if (!node) throw new Error(`the spec's ${name} has no property ${property}`);
    return node;
  };
  const acceptsNull = (node: SchemaNode) =>
    node.nullable === true ||
    node.type === "null" ||
    (Array.isArray(node.type) && node.type.includes("null")) ||
    (node.anyOf ?? []).some(acceptsNull);
  const acceptsArray = (node: SchemaNode) => node.type === "array" || (node.anyOf ?? []).some(acceptsArray);
  const mappingNames = (mapping: Record<string, string> | undefined) =>
    Object.fromEntries(Object.entries(mapping ?? {}).map(([key, ref]) => [key, ref.split("/").at(-1)]));

  const rules = Object.entries(SCHEMA_DEFAULTS).flatMap(([schema, properties]) =>
    Object.entries(properties).flatMap(([property, list]) => list.map((rule) => ({ schema, property, ...rule }))),
  );

  it.each(
    rules.map(
      (rule) => [`${rule.schema}.${rule.property} = ${JSON.stringify(rule.value)} (${rule.basis})`, rule] as const,
    ),
  )("%s", (_label, rule) => {
    const node = propertyOf(rule.schema, rule.property);
    if (rule.basis === "declared") {
      expect(node).toHaveProperty("default");
      expect(node.default).toEqual(rule.value);
    } else if (rule.basis === "null-when-optional") {
      expect(node).not.toHaveProperty("default");
      expect(schemaNamed(rule.schema).required ?? []).not.toContain(rule.property);
      expect(acceptsNull(node)).toBe(true);
    } else {
      expect(node.default).toBeNull();
      expect(acceptsArray(node)).toBe(true);
    }
  });

  it("implies the type each schema declares", () => {
    for (const [schema, type] of Object.entries(IMPLIED_TYPES))
      expect(propertyOf(schema, "type").default, schema).toBe(type);
  });

  it("knows every message role and content block type of the spec", () => {
    expect(MESSAGE_SCHEMAS).toEqual(mappingNames(propertyOf("ChatPrompt", "messages").items?.discriminator?.mapping));
    expect(BLOCK_SCHEMAS).toEqual(
      mappingNames(propertyOf("CompletionPrompt", "content").items?.discriminator?.mapping),
    );
    const annotations =
      propertyOf("TextContent", "annotations").anyOf?.find((branch) => branch.type === "array")?.items?.oneOf ?? [];
    const annotationTypes = Object.fromEntries(
      annotations.map(({ $ref }) => [propertyOf($ref!.split("/").at(-1)!, "type").const, $ref!.split("/").at(-1)]),
    );
    expect(ANNOTATION_SCHEMAS).toEqual(annotationTypes);
  });

  it("treats input_variables as derived wherever the spec declares it", () => {
    for (const schema of ["ChatPrompt", "CompletionPrompt", ...Object.values(MESSAGE_SCHEMAS)])
      expect(propertyOf(schema, "input_variables").default, schema).toEqual([]);
  });

  it("lists every default the spec declares on the schemas it handles", () => {
    const handled = new Set([
      ...Object.keys(SCHEMA_DEFAULTS),
      ...Object.keys(IMPLIED_TYPES),
      ...Object.values(MESSAGE_SCHEMAS),
      ...Object.values(BLOCK_SCHEMAS),
      ...Object.values(ANNOTATION_SCHEMAS),
      "FunctionTool",
      "Function",
    ]);
    const missing = [...handled].flatMap((schema) =>
      Object.entries(schemaNamed(schema).properties ?? {})
        .filter(([property, node]) => "default" in node && node.const === undefined && property !== "input_variables")
        .filter(([property]) => !Object.hasOwn(SCHEMA_DEFAULTS[schema] ?? {}, property))
        .map(([property, node]) => `${schema}.${property} = ${JSON.stringify(node.default)}`),
    );
    expect(missing).toEqual([]);
  });
});
