// A PromptLayer template as each provider's request, and parameters carried across providers.
import { describe, expect, it } from "vitest";
import type { JsonObject } from "../../../src/core/template.js";
import { FORMATS, parametersFor, providerFor, type ModelChoice } from "../../../src/providers/index.js";

const text = (value: string) => [{ type: "text", text: value }];
const conversation: JsonObject = {
  type: "chat",
  messages: [
    { role: "system", content: text("Be brief.") },
    {
      role: "user",
      content: [...text("What is this?"), { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } }],
    },
    {
      role: "assistant",
      content: [],
      tool_calls: [{ id: "call_1", type: "function", function: { name: "lookup", arguments: '{"id": "7"}' } }],
    },
    { role: "tool", tool_call_id: "call_1", content: text("found it") },
  ],
  tools: [
    {
      type: "function",
      function: {
        name: "lookup",
        description: "Find it",
        parameters: { type: "object", properties: { id: { type: "string" } } },
      },
    },
    { type: "web_search", id: "ws", name: "web_search", description: "", provider: "openai", config: {} },
  ],
  tool_choice: "required",
};
const choice = (provider: ModelChoice["provider"], name: string): ModelChoice => ({
  provider,
  name,
  parameters: { temperature: 0 },
});

describe("request bodies", () => {
  it("OpenAI: messages as chat completions takes them, function tools only", () => {
    const warnings: string[] = [];
    expect(FORMATS.openai.request(conversation, choice("openai", "gpt-4o"), false, warnings)).toEqual({
      provider: "openai",
      path: "/chat/completions",
      stream: false,
      body: {
        model: "gpt-4o",
        messages: [
          { role: "system", content: "Be brief." },
          {
            role: "user",
            content: [
              { type: "text", text: "What is this?" },
              { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
            ],
          },
          {
            role: "assistant",
            content: null,
            tool_calls: [{ id: "call_1", type: "function", function: { name: "lookup", arguments: '{"id": "7"}' } }],
          },
          { role: "tool", tool_call_id: "call_1", content: "found it" },
        ],
        tools: [
          {
            type: "function",
            function: {
              name: "lookup",
              description: "Find it",
              parameters: { type: "object", properties: { id: { type: "string" } } },
            },
          },
        ],
        tool_choice: "required",
        temperature: 0,
      },
    });
    expect(warnings).toEqual(['the web_search tool "web_search" is not sent: plx sends function tools only']);
  });

  it("Anthropic: system on top, tool_use and tool_result blocks, images as sources, max_tokens required", () => {
    const { body } = FORMATS.anthropic.request(conversation, choice("anthropic", "claude-sonnet-4-5"), true, []);
    expect(body).toEqual({
      model: "claude-sonnet-4-5",
      max_tokens: 4096,
      system: "Be brief.",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is this?" },
            { type: "image", source: { type: "base64", media_type: "image/png", data: "AAAA" } },
          ],
        },
        { role: "assistant", content: [{ type: "tool_use", id: "call_1", name: "lookup", input: { id: "7" } }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "call_1", content: "found it" }] },
      ],
      tools: [
        {
          name: "lookup",
          description: "Find it",
          input_schema: { type: "object", properties: { id: { type: "string" } } },
        },
      ],
      tool_choice: { type: "any" },
      temperature: 0,
      stream: true,
    });
  });

  it("Gemini: systemInstruction, model turns, function calls and responses, generationConfig", () => {
    const request = FORMATS.google.request(conversation, choice("google", "gemini-2.5-flash"), false, []);
    expect(request.path).toBe("/v1beta/models/gemini-2.5-flash:generateContent");
    expect(request.body).toEqual({
      systemInstruction: { parts: [{ text: "Be brief." }] },
      contents: [
        { role: "user", parts: [{ text: "What is this?" }, { inlineData: { mimeType: "image/png", data: "AAAA" } }] },
        { role: "model", parts: [{ functionCall: { name: "lookup", args: { id: "7" } } }] },
        { role: "user", parts: [{ functionResponse: { name: "lookup", response: { content: "found it" } } }] },
      ],
      tools: [
        {
          functionDeclarations: [
            {
              name: "lookup",
              description: "Find it",
              parameters: { type: "object", properties: { id: { type: "string" } } },
            },
          ],
        },
      ],
      generationConfig: { temperature: 0 },
    });
    expect(FORMATS.google.request(conversation, choice("google", "gemini-2.5-flash"), true, [])).toMatchObject({
      path: "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
      query: { alt: "sse" },
    });
  });

  it("sends a completion template as one user message", () => {
    const completion = { type: "completion", content: text("Summarise: x") };
    expect(FORMATS.openai.request(completion, choice("openai", "gpt-4o"), false, []).body.messages).toEqual([
      { role: "user", content: "Summarise: x" },
    ]);
  });
});

describe("parameters across providers", () => {
  it("pass unchanged to the provider they were written for, stream excepted", () => {
    const parameters = { temperature: 0.2, max_completion_tokens: 50, reasoning_effort: "low", stream: true };
    expect(parametersFor(parameters, "openai", "openai", [])).toEqual({
      temperature: 0.2,
      max_completion_tokens: 50,
      reasoning_effort: "low",
    });
  });

  it("are renamed for another provider, and those it lacks are left out with a warning", () => {
    const warnings: string[] = [];
    const parameters = {
      temperature: 0.2,
      max_tokens: 50,
      stop: "END",
      frequency_penalty: 1,
      response_format: { type: "json_object" },
    };
    expect(parametersFor(parameters, "openai", "anthropic", warnings)).toEqual({
      temperature: 0.2,
      max_tokens: 50,
      stop_sequences: ["END"],
    });
    expect(warnings).toEqual([
      "the parameter frequency_penalty is not sent: anthropic has no equivalent",
      "the parameter response_format is not sent: anthropic has no equivalent",
    ]);
    expect(parametersFor(parameters, "openai", "google", [])).toEqual({
      temperature: 0.2,
      maxOutputTokens: 50,
      stopSequences: ["END"],
      frequencyPenalty: 1,
      responseMimeType: "application/json",
    });
  });

  it("for Gemini, in its camelCase even when written for it", () => {
    expect(
      parametersFor(
        { max_output_tokens: 10, top_p: 0.9, thinking_config: { thinking_budget: 0 } },
        "google",
        "google",
        [],
      ),
    ).toEqual({
      maxOutputTokens: 10,
      topP: 0.9,
      thinkingConfig: { thinking_budget: 0 },
    });
  });
});

it("picks the provider as the official SDK does: claude- and gemini- names win, then the template's", () => {
  expect(providerFor("openai", "claude-haiku-4-5")).toBe("anthropic");
  expect(providerFor("vertexai", "gemini-2.5-pro")).toBe("google");
  expect(providerFor("openai", "llama-3.1-70b")).toBe("openai");
  expect(providerFor(undefined, "gpt-4o")).toBe("openai");
  expect(providerFor("mistral", "mistral-large")).toBeUndefined();
});
