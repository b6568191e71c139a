// A new agent version made from a file keeps the secrets PromptLayer holds: files never have them, and a push must
// not strip them from the server.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { agentContentHash, agentFromRaw, withSecretsFrom, workflowContentOf } from "../../../src/agents/doc.js";
import { isJsonObject, type JsonObject, type JsonValue, stripSecrets } from "../../../src/core/template.js";
import { json, jsonObject } from "../../support/json-arbitraries.js";

const raw = JSON.parse(
  readFileSync(new URL("../../../fixtures/agents/support-triage.raw.json", import.meta.url), "utf8"),
);
const SECRET = "Bearer sk-live-do-not-commit-0123456789";
const node = (content: { nodes: Array<Record<string, unknown>> }, name: string) =>
  content.nodes.find((candidate) => candidate.name === name) as JsonObject;

describe("withSecretsFrom", () => {
  it("puts an endpoint's Authorization header back from the version replaced, and changes nothing else", () => {
    const doc = agentFromRaw(raw, "support-triage", ["support"]);
    const content = workflowContentOf(doc);
    expect(JSON.stringify(content)).not.toContain("sk-live");
    const restored = withSecretsFrom(content, raw);
    expect((node(restored, "escalate").configuration as any).headers).toEqual({
      Authorization: SECRET,
      "Content-Type": "application/json",
    });
    // Apart from the secret, what is sent is the file's content; its hash (which ignores secrets) is the file's.
    expect(stripSecrets(restored as unknown as JsonObject)).toEqual(stripSecrets(content as unknown as JsonObject));
    expect(agentContentHash(agentFromRaw(restored, "x", []))).toBe(agentContentHash(doc));
  });

  it("lets a secret go with the node or object the file removed, and never overrides what the file sets", () => {
    const content = workflowContentOf(agentFromRaw(raw, "support-triage", []));
    const withoutEscalate = { ...content, nodes: content.nodes.filter((n) => n.name !== "escalate") };
    expect(JSON.stringify(withSecretsFrom(withoutEscalate, raw))).not.toContain("sk-live");
    const escalate = node(content, "escalate");
    const noHeaders = {
      ...content,
      nodes: content.nodes.map((n) =>
        n === escalate ? { ...n, configuration: { url: "https://tickets.example.com/v2" } } : n,
      ),
    };
    expect(JSON.stringify(withSecretsFrom(noHeaders, raw))).not.toContain("sk-live");
    const ownHeader = {
      ...content,
      nodes: content.nodes.map((n) =>
        n === escalate ? { ...n, configuration: { headers: { Authorization: "Bearer from-the-file" } } } : n,
      ),
    };
    expect((node(withSecretsFrom(ownHeader, raw), "escalate").configuration as any).headers.Authorization).toBe(
      "Bearer from-the-file",
    );
    expect(withSecretsFrom(content, undefined)).toBe(content);
  });

  it("adds only secrets, only where the file has the same place, over any JSON", () => {
    const nodeArb = fc.record({ name: fc.constantFrom("a", "b", "c"), configuration: jsonObject });
    const contentArb = fc.record({
      nodes: fc.uniqueArray(nodeArb, { selector: (n) => n.name, maxLength: 3 }),
      edges: fc.constant([]),
      required_input_variables: fc.constant({}),
      extra: json,
    });
    const secretArb = fc.record({
      configuration: fc.record({ headers: fc.record({ Authorization: fc.string(), accept: json }), api_key: json }),
    });
    fc.assert(
      fc.property(contentArb, contentArb, fc.array(secretArb, { maxLength: 3 }), (current, previous, secrets) => {
        const replaced = {
          ...previous,
          nodes: previous.nodes.map((n, index) => mergeDeep(n, secrets[index] ?? {})),
        };
        const restored = withSecretsFrom(current as unknown as ReturnType<typeof workflowContentOf>, replaced);
        // Strip what was added and the file's content is all that remains.
        expect(stripSecrets(restored as unknown as JsonValue)).toEqual(stripSecrets(current as unknown as JsonValue));
        expect(restored.nodes.map((n) => n.name)).toEqual(current.nodes.map((n) => n.name));
      }),
      { numRuns: 500 },
    );
  });
});

function mergeDeep(base: JsonValue, extra: JsonValue): JsonValue {
  if (!isJsonObject(base) || !isJsonObject(extra)) return extra;
  const entries = Object.entries(base);
  for (const [key, value] of Object.entries(extra)) {
    const at = entries.findIndex(([existing]) => existing === key);
    if (at === -1) entries.push([key, value]);
    else entries[at] = [key, mergeDeep(entries[at]![1], value)];
  }
  return Object.fromEntries(entries);
}
