import { describe, expect, it } from "vitest";
import {
  publishVersionOf,
  stripSecrets,
  templateFromRaw,
  type JsonObject,
  type RawLike,
} from "../../../src/core/template.js";

const raw = (overrides: Record<string, unknown> = {}): RawLike => ({
  success: true,
  id: 12,
  prompt_name: "support-reply",
  version: 3,
  workspace_id: 7,
  prompt_template: {
    type: "chat",
    input_variables: ["question"],
    messages: [
      {
        role: "system",
        input_variables: [],
        template_format: "f-string",
        name: null,
        content: [{ type: "text", text: "Be terse.", id: null }],
      },
      { role: "user", content: [{ type: "text", text: "{question}" }] },
    ],
    functions: null,
    tools: null,
  },
  metadata: {
    model: { provider: "openai", name: "gpt-4o", parameters: { temperature: 0.2 } },
    team: "support",
    plx: { content_hash: "sha256:00" },
  },
  commit_message: "Tighten the tone",
  tags: ["support", "email"],
  created_at: "2026-08-21T10:15:30Z",
  updated_at: "2026-08-21T10:15:30Z",
  snippets: [],
  llm_kwargs: { temperature: 0.2 },
  release_labels: ["prod"],
  external_ids: [],
  is_snippet: false,
  folder_id: 4,
  prompt_version_id: 99,
  version_number: 3,
  ...overrides,
});

describe("templateFromRaw", () => {
  it("takes name, folder and tags, and keeps prompt_template exactly as read", () => {
    const doc = templateFromRaw(raw(), ["support", "email"]);
    expect(doc.name).toBe("support-reply");
    expect(doc.folder).toEqual(["support", "email"]);
    expect(doc.tags).toEqual(["support", "email"]);
    expect(doc.promptTemplate).toEqual(raw().prompt_template);
  });

  it("keeps metadata with its custom keys but without plx's stamp", () => {
    expect(templateFromRaw(raw(), []).metadata).toEqual({
      model: { provider: "openai", name: "gpt-4o", parameters: { temperature: 0.2 } },
      team: "support",
    });
  });

  it("reads null or missing metadata and tags as empty", () => {
    const { tags: _tags, ...untagged } = raw({ metadata: null });
    const doc = templateFromRaw(untagged as RawLike, []);
    expect(doc.metadata).toEqual({});
    expect(doc.tags).toEqual([]);
  });

  it("captures version-level fields as extras and leaves out identity, read-only and non-content fields", () => {
    const doc = templateFromRaw(
      raw({
        provider_base_url_name: "eu-proxy",
        provider_id: 5,
        inference_client_name: null,
        provider_base_url: { id: 1, name: "eu-proxy", provider: "openai", url: "https://proxy.example" },
        future_field: { nested: [1, { deeper: true }] },
      }),
      [],
    );
    expect(doc.extras).toEqual({
      provider_base_url_name: "eu-proxy",
      provider_id: 5,
      inference_client_name: null,
      future_field: { nested: [1, { deeper: true }] },
    });
  });

  it("preserves unknown content block types and unknown keys at every depth", () => {
    const promptTemplate = {
      type: "chat",
      brand_new_template_key: { a: [null, {}] },
      messages: [
        {
          role: "assistant",
          unknown_message_key: 1,
          content: [
            { type: "hologram", frames: [{ at: 0, data: "…" }] },
            { type: "text", text: "hi", unknown_block_key: null },
          ],
          tool_calls: [
            { id: "c1", type: "function", function: { name: "f", arguments: "{}" }, provider_metadata: { x: 1 } },
          ],
        },
        { role: "narrator", content: "a role from the future" },
      ],
      tools: [
        { type: "registry", tool_registry_id: 3 },
        { type: "variable", name: "extra_tools" },
      ],
    };
    expect(templateFromRaw(raw({ prompt_template: promptTemplate }), []).promptTemplate).toEqual(promptTemplate);
  });

  it("keeps keys named like Object.prototype members as plain data", () => {
    const promptTemplate = JSON.parse(
      '{"type":"completion","content":[],"__proto__":{"polluted":true},"constructor":"x"}',
    ) as JsonObject;
    const doc = templateFromRaw(raw({ prompt_template: promptTemplate, metadata: JSON.parse('{"__proto__":1}') }), []);
    expect(Object.keys(doc.promptTemplate)).toEqual(["type", "content", "__proto__", "constructor"]);
    expect(Object.getPrototypeOf(doc.promptTemplate)).toBe(Object.prototype);
    expect(Object.hasOwn(doc.metadata, "__proto__")).toBe(true);
  });

  it("never keeps the custom provider's API key", () => {
    const doc = templateFromRaw(
      raw({
        custom_provider: {
          id: 2,
          name: "mine",
          client: "openai",
          base_url: "https://llm.example",
          workspace_id: 7,
          api_key: "sk-live",
        },
      }),
      [],
    );
    expect(doc.extras).toEqual({
      custom_provider: { id: 2, name: "mine", client: "openai", base_url: "https://llm.example", workspace_id: 7 },
    });
  });

  it("strips secrets from metadata and extras at any depth", () => {
    const doc = templateFromRaw(
      raw({
        metadata: {
          model: { provider: "x", name: "y", parameters: { apiKey: "k", max_tokens: 5 } },
          vendor: { client_secret: "s", region: "eu" },
        },
        gateway: { auth: [{ password: "p", access_token: "t", user: "u" }] },
      }),
      [],
    );
    expect(doc.metadata).toEqual({
      model: { provider: "x", name: "y", parameters: { max_tokens: 5 } },
      vendor: { region: "eu" },
    });
    expect(doc.extras).toEqual({ gateway: { auth: [{ user: "u" }] } });
  });

  it("rejects a value that is not JSON", () => {
    expect(() =>
      templateFromRaw(raw({ prompt_template: { type: "chat", messages: [], when: Number.NaN } }), []),
    ).toThrow(/prompt_template\.when is not JSON/);
  });
});

describe("stripSecrets", () => {
  it.each([
    ["api_key", { api_key: "sk", keep: 1 }, { keep: 1 }],
    ["API-Key and x-api-key", { "API-Key": "sk", "x-api-key": "sk" }, {}],
    ["an api key held in an object", { apiKey: { value: "sk" } }, {}],
    [
      "secret-looking names",
      { aws_secret_access_key: "s", private_key: "k", Authorization: "Bearer t", refresh_token: "r" },
      {},
    ],
    [
      "token counts and limits",
      { max_tokens: 10, max_completion_tokens: 20, max_auth_tokens: 3 },
      { max_tokens: 10, max_completion_tokens: 20, max_auth_tokens: 3 },
    ],
    [
      "a JSON schema describing a password field",
      { schema: { properties: { password: { type: "string" } } } },
      { schema: { properties: { password: { type: "string" } } } },
    ],
    ["inside arrays", [{ secret: "s", n: 1 }], [{ n: 1 }]],
  ])("%s", (_label, input, expected) => {
    expect(stripSecrets(input)).toEqual(expected);
  });
});

describe("publishVersionOf", () => {
  it("is prompt_template and metadata beside the extras", () => {
    const doc = templateFromRaw(raw({ provider_base_url_name: "eu-proxy" }), []);
    expect(publishVersionOf(doc)).toEqual({
      prompt_template: doc.promptTemplate,
      metadata: doc.metadata,
      provider_base_url_name: "eu-proxy",
    });
  });

  it("hands out copies, so adding the stamp leaves the document alone", () => {
    const doc = templateFromRaw(raw(), []);
    const body = publishVersionOf(doc);
    body.metadata.plx = { content_hash: "sha256:11" };
    expect(doc.metadata).not.toHaveProperty("plx");
  });

  it("lets an extra never override the content", () => {
    const doc = { ...templateFromRaw(raw(), []), extras: { prompt_template: { type: "completion", content: [] } } };
    expect(publishVersionOf(doc).prompt_template).toEqual(doc.promptTemplate);
  });
});
