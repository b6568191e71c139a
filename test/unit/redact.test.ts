// The redactor masks what plx was given and anything shaped like a credential, provider keys included.
import { expect, it } from "vitest";
import { Redactor } from "../../src/redact.js";

it.each([
  ["an OpenAI project key", "key sk-proj-AbC123def456GHI789jkl0_mno-PQR", "key ***"],
  ["an OpenAI service-account key", "sk-svcacct-0123456789abcdefABCDEF", "***"],
  ["an Anthropic key", "use sk-ant-api03-0123456789abcdefABCDEF-xyz_123 now", "use *** now"],
  ["a Google API key", "AIzaSyA0123456789abcdefghijklmnopqrstuv", "***"],
  [
    "Gemini's ?key= query",
    "POST /v1beta/models/g:generateContent?alt=sse&key=anything-at-all",
    "POST /v1beta/models/g:generateContent?alt=sse&key=***",
  ],
  ["an x-goog-api-key header", "x-goog-api-key: short-key", "x-goog-api-key: ***"],
  ["a bearer token", "Authorization: Bearer any-opaque-token", "Authorization: ***"],
])("masks %s", (_kind, text, expected) => {
  expect(new Redactor().redact(text)).toBe(expected);
});

it("masks provider keys under their header names inside JSON", () => {
  expect(
    new Redactor().redactValue({ headers: { "x-goog-api-key": "k123456", "x-api-key": "k654321" }, model: "gemini" }),
  ).toEqual({
    headers: { "x-goog-api-key": "***", "x-api-key": "***" },
    model: "gemini",
  });
});
