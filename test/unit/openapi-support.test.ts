import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { describeWithOpenApiSpec } from "../support/openapi.js";

const RAW = "/prompt-templates/{identifier}";
const PUBLISH = "/rest/prompt-templates";

const rawTemplate = () => ({
  success: true,
  id: 12,
  prompt_name: "support-reply",
  version: 3,
  workspace_id: 7,
  prompt_template: {
    type: "chat",
    input_variables: ["question"],
    messages: [
      { role: "system", content: [{ type: "text", text: "You are terse." }] },
      { role: "user", template_format: "f-string", content: [{ type: "text", text: "{question}" }] },
    ],
    tools: [
      {
        type: "function",
        function: { name: "lookup", description: "", parameters: { type: "object", properties: {} } },
      },
    ],
  },
  metadata: {
    model: { provider: "openai", name: "gpt-4o", parameters: { temperature: 0.2 } },
    plx: { commit: "abc1234" },
  },
  commit_message: "Tighten the tone",
  tags: ["support"],
  created_at: "2026-08-21T10:15:30Z",
  snippets: [],
});

const publishBody = () => ({
  prompt_template: { prompt_name: "support-reply", tags: ["support"], folder_id: null },
  prompt_version: {
    prompt_template: rawTemplate().prompt_template,
    commit_message: "Tighten the tone",
    metadata: null,
  },
  release_labels: ["staging"],
  external_ids: [{ source: "plx", external_id: "prompts/support-reply.prompt.yaml" }],
});

describeWithOpenApiSpec("OpenAPI contract harness", (contract, specPath) => {
  it("accepts a well-formed response", () => {
    expect(contract.checkResponse("GET", RAW, 200, rawTemplate())).toEqual([]);
  });

  it("reports missing required fields and wrong types, with their location", () => {
    const { snippets: _snippets, ...withoutSnippets } = rawTemplate();
    expect(contract.checkResponse("GET", RAW, 200, withoutSnippets)).toEqual([
      "body must have required property 'snippets'",
    ]);
    expect(contract.checkResponse("GET", RAW, 200, { ...rawTemplate(), version: "3", tags: [1] })).toEqual([
      "body/version must be integer",
      "body/tags/0 must be string",
    ]);
  });

  it("accepts null where the spec says `nullable: true`, and only there", () => {
    const entity = {
      id: 1,
      name: "support",
      type: "FOLDER",
      path: [],
      folder_id: null,
      created_at: null,
      updated_at: null,
      metadata: null,
      external_ids: [],
    };
    const entities = "/api/public/v2/folders/entities";
    expect(contract.checkResponse("GET", entities, 200, { entities: [entity] })).toEqual([]);
    expect(contract.checkResponse("GET", entities, 200, { entities: [{ ...entity, name: null }] })).toEqual([
      "body/entities/0/name must be string",
    ]);

    // Nullable beside a `$ref`, and a nullable enum, which must then also list null.
    const search = "/api/public/v2/requests/search";
    expect(contract.checkRequest("POST", search, { filter_group: null, sort_by: null, sort_order: "asc" })).toEqual([]);
    expect(contract.checkRequest("POST", search, { filter_group: { filters: "cost" } })).toContain(
      "body/filter_group/filters must be array",
    );
    expect(contract.checkRequest("POST", search, { sort_by: "price" })).toContain(
      'body/sort_by must be equal to one of the allowed values: "request_start_time", "input_tokens", "output_tokens", "cost", "latency_ms", "status", null',
    );
  });

  it("dispatches on OpenAPI discriminators", () => {
    const body = rawTemplate();
    body.prompt_template.messages[0] = { role: "robot", content: [{ type: "text", text: "hi" }] };
    body.prompt_template.messages[1] = { role: "user", content: [{ type: "text" } as never] };
    const problems = contract.checkResponse("GET", RAW, 200, body);
    expect(problems).toContain(
      'body/prompt_template/messages/0/role must be equal to one of the allowed values: "assistant", "function", "placeholder", "system", "tool", "user", "developer"',
    );
    expect(problems).toContain("body/prompt_template/messages/1/content/0 must have required property 'text'");
    expect(
      contract.checkResponse("GET", RAW, 200, { ...rawTemplate(), prompt_template: { type: "completion" } }),
    ).toContain("body/prompt_template must have required property 'content'");
  });

  it("treats the spec's overlapping oneOf unions as unions", () => {
    expect(
      contract.checkResponse("GET", RAW, 422, {
        detail: [{ loc: ["query", "version"], msg: "must be > 0", type: "value_error" }],
      }),
    ).toEqual([]);
    expect(contract.checkResponse("GET", RAW, 422, { success: false, message: "Invalid version" })).toEqual([]);
    expect(contract.checkResponse("GET", RAW, 422, 42)).not.toEqual([]);
  });

  it("wants no body where none is declared, including on 204, and a body where one is", () => {
    expect(contract.checkResponse("DELETE", "/prompt-labels/{prompt_label_id}", 204, undefined)).toEqual([]);
    expect(contract.checkResponse("DELETE", "/prompt-labels/{prompt_label_id}", 204, "deleted")).toEqual([
      'expected no body for 204, got "deleted"',
    ]);
    expect(contract.checkResponse("GET", "/prompt-templates/{identifier}/labels", 404, undefined)).toEqual([]);
    expect(contract.checkResponse("GET", RAW, 200, undefined)).toEqual(["expected a JSON body, got none"]);
  });

  it("throws for an operation or status the spec does not declare", () => {
    expect(() => contract.checkResponse("GET", "/prompt-templates/{name}", 200, {})).toThrow(
      "the spec has no operation GET /prompt-templates/{name}",
    );
    expect(() => contract.checkResponse("GET", RAW, 500, {})).toThrow(
      "the spec declares no 500 response for GET /prompt-templates/{identifier}",
    );
    expect(() => contract.checkRequest("PUT", RAW, {})).toThrow(
      "the spec has no operation PUT /prompt-templates/{identifier}",
    );
  });

  it("checks request bodies", () => {
    expect(contract.checkRequest("POST", PUBLISH, publishBody())).toEqual([]);
    expect(contract.checkRequest("POST", PUBLISH, undefined)).toEqual(["the request body is required"]);
    expect(contract.checkRequest("POST", RAW, undefined)).toEqual([]);
    expect(contract.checkRequest("GET", RAW, {})).toEqual(["the spec declares no request body for this operation"]);

    const { prompt_version: _version, ...withoutVersion } = publishBody();
    expect(contract.checkRequest("POST", PUBLISH, withoutVersion)).toEqual([
      "body must have required property 'prompt_version'",
    ]);
    const bad = publishBody();
    bad.prompt_version.commit_message = "x".repeat(73);
    bad.external_ids[0] = { ...bad.external_ids[0]!, url: "https://example.com" } as never;
    expect(contract.checkRequest("POST", PUBLISH, { ...bad, release_labels: "prod" })).toEqual([
      "body/prompt_version/commit_message must NOT have more than 72 characters",
      "body/prompt_version/commit_message must be null",
      "body/prompt_version/commit_message must match a schema in anyOf",
      "body/release_labels must be array,null",
      'body/external_ids/0 must NOT have additional properties: "url"',
    ]);
  });

  it("matches concrete paths to templates, literal segments first", () => {
    expect(contract.matchPath("GET", "/prompt-templates/abc/labels")).toBe("/prompt-templates/{identifier}/labels");
    expect(contract.matchPath("GET", "/prompt-templates/support%20reply?version=2")).toBe(RAW);
    expect(contract.matchPath("PUT", "/prompt-templates/by-external-id/plx/prompts%2Fa.yaml")).toBe(
      "/prompt-templates/by-external-id/{source}/{external_id}",
    );
    expect(contract.matchPath("GET", "/prompt-templates/by-external-id")).toBe(RAW);
    expect(contract.matchPath("GET", "/api/public/v2/tables/1/sheets/2/versions/score-history")).toBe(
      "/api/public/v2/tables/{table_id}/sheets/{sheet_id}/versions/score-history",
    );
    expect(contract.matchPath("GET", "/api/public/v2/tables/1/sheets/2/versions/9")).toBe(
      "/api/public/v2/tables/{table_id}/sheets/{sheet_id}/versions/{version_id}",
    );
    expect(contract.matchPath("GET", "/api/public/v2/folders/entities")).toBe("/api/public/v2/folders/entities");
    expect(contract.matchPath("PATCH", "/api/public/v2/folders/entities")).toBe("/api/public/v2/folders/{folder_id}");
    expect(contract.matchPath("GET", "/prompt-templates/")).toBeUndefined();
    expect(contract.matchPath("GET", "/prompt-templates/a/b")).toBeUndefined();
    expect(contract.matchPath("DELETE", "/prompt-templates/abc")).toBeUndefined();
  });

  it("compiles every operation in the spec, and accepts the spec's own examples bar its known defects", () => {
    const spec = JSON.parse(readFileSync(specPath, "utf8")) as {
      paths: Record<string, Record<string, any>>;
      components: { responses: Record<string, any> };
    };
    // These published examples contradict their own schemas (e.g. log-request's `prompt_version: null` for a non-nullable $ref).
    const knownBadExamples = [
      "201 POST /log-request",
      "200 GET /workflows/{workflow_id_or_name}",
      "request POST /spans-bulk",
      "200 GET /api/public/v2/skill-collections/{identifier}",
    ];
    const examplesOf = (media: any): unknown[] => [
      ...(media?.example === undefined ? [] : [media.example]),
      ...Object.values<any>(media?.examples ?? {}).map((example) => example.value),
    ];
    let checked = 0;
    const failing: string[] = [];
    for (const [path, operations] of Object.entries(spec.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        for (const example of examplesOf(operation.requestBody?.content?.["application/json"])) {
          checked += 1;
          if (contract.checkRequest(method, path, example).length > 0)
            failing.push(`request ${method.toUpperCase()} ${path}`);
        }
        for (const [status, declared] of Object.entries<any>(operation.responses)) {
          const response = declared.$ref ? spec.components.responses[declared.$ref.split("/").at(-1)] : declared;
          expect(() => contract.checkResponse(method, path, Number(status), {})).not.toThrow();
          for (const example of examplesOf(response.content?.["application/json"])) {
            checked += 1;
            if (contract.checkResponse(method, path, Number(status), example).length > 0)
              failing.push(`${status} ${method.toUpperCase()} ${path}`);
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(80);
    expect(knownBadExamples).toEqual(expect.arrayContaining(failing));
  });
});
