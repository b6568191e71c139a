// The cache held to PromptLayer's contract: it passes on every path the official OpenAPI description lists (and
// nothing else), and its own answers have the shapes that description gives.
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { isPromptLayerApiPath } from "../../../src/promptlayer/api-paths.js";
import { startCache, stopAfterEachTest, sandboxesPerTest } from "../../support/cache.js";
import { describeWithOpenApiSpec } from "../../support/openapi.js";
import { chat, completion } from "../../support/registry.js";

stopAfterEachTest();
const sandbox = sandboxesPerTest();

it.each([
  "/prompt-templates",
  "/prompt-templates/refund-reply",
  "/prompt-templates/r%C3%A9sum%C3%A9",
  "/prompt-templates/12/labels",
  "/prompt-templates/by-external-id/plx/prompts%2Fsupport%2Frefund.prompt.yaml",
  "/prompt-templates/by-external-id/plx/prompts/support/refund.prompt.yaml",
  "/rest/prompt-templates",
  "/log-request",
  "/library-track-score",
  "/track-request",
  "/api/public/v2/folders/entities",
  "/api/public/v2/tables/t1/sheets/s1/scorecard/rows/3",
  "/workflows/my-agent/run",
])("passes on %s", (path) => {
  expect(isPromptLayerApiPath(path)).toBe(true);
});

it.each([
  "/",
  "/healthz",
  "/__sandbox/state",
  "/prompt-templates/",
  "/prompt-templates//labels",
  "/prompt-templates/a/b",
  "/prompt-templates/a%2Fb/labels",
  "/prompt-templates/%2e%2e",
  "/prompt-templates/..",
  "/prompt-templates/%zz",
  "/rest/prompt-templates/x/y/z",
  "/v2/anything",
  "prompt-templates",
])("refuses %s", (path) => {
  expect(isPromptLayerApiPath(path)).toBe(false);
});

describeWithOpenApiSpec("the cache against PromptLayer's OpenAPI description", (contract, specPath) => {
  it("passes on every path the description lists", () => {
    const spec = JSON.parse(readFileSync(specPath, "utf8")) as { paths: Record<string, unknown> };
    const refused = Object.keys(spec.paths).filter(
      (template) => !isPromptLayerApiPath(template.replace(/\{[^}]+\}/g, "p1")),
    );
    expect(refused).toEqual([]);
  });

  it("answers its reads in the shapes the description gives", async () => {
    const sb = await sandbox();
    await sb.publish("tone", completion("Be warm."));
    await sb.publish("greet", chat(["system", "Hi {name}. @@@tone@@@"]), { labels: ["prod"] });
    const cache = await startCache(sb.url);
    await cache.synced();
    const checks: Array<[string, string, string, RequestInit?]> = [
      ["GET", "/prompt-templates/greet?label=prod", "/prompt-templates/{identifier}"],
      ["GET", "/prompt-templates/greet?resolve_snippets=false", "/prompt-templates/{identifier}"],
      [
        "POST",
        "/prompt-templates/greet",
        "/prompt-templates/{identifier}",
        { body: JSON.stringify({ label: "prod", input_variables: { name: "Ada" } }) },
      ],
      ["GET", "/prompt-templates?per_page=5", "/prompt-templates"],
    ];
    for (const [method, path, template, init] of checks) {
      for (let round = 0; round < 2; round++) {
        const response = await cache.call(path, { method, headers: { "content-type": "application/json" }, ...init });
        expect(response.status).toBe(200);
        expect(["hit", "miss"]).toContain(response.headers.get("x-plx-cache"));
        expect(contract.checkResponse(method, template, 200, await response.json()), `${method} ${path}`).toEqual([]);
      }
    }
    const refused = await fetch(`${cache.url}/prompt-templates/greet`);
    expect(contract.checkResponse("GET", "/prompt-templates/{identifier}", 401, await refused.json())).toEqual([]);
  });
});
