import { describe, expect, it } from "vitest";
import { ExitCode, PlxError } from "../../../src/errors/index.js";
import { apiPath, buildUrl, normalizeBaseUrl } from "../../../src/promptlayer/http.js";

describe("apiPath", () => {
  it("percent-encodes every interpolated segment", () => {
    expect(apiPath`/prompt-templates/${"my prompt/x?y#z"}/labels`).toBe(
      "/prompt-templates/my%20prompt%2Fx%3Fy%23z/labels",
    );
    expect(apiPath`/prompt-templates/by-external-id/${"plx:repo"}/${"prompts/a b.json"}`).toBe(
      "/prompt-templates/by-external-id/plx%3Arepo/prompts%2Fa%20b.json",
    );
    expect(apiPath`/prompts/${42}/label`).toBe("/prompts/42/label");
    expect(apiPath`/prompt-templates/${"café"}`).toBe("/prompt-templates/caf%C3%A9");
  });
});

describe("buildUrl", () => {
  it("repeats keys for arrays, skips undefined, and encodes values", () => {
    expect(
      buildUrl("https://api.promptlayer.com", "/api/public/v2/folders/entities", {
        workspace_id: 7,
        flatten: true,
        filter_type: ["PROMPT", "SNIPPET"],
        folder_id: undefined,
        path: "a b.c&d",
      }),
    ).toBe(
      "https://api.promptlayer.com/api/public/v2/folders/entities?workspace_id=7&flatten=true&filter_type=PROMPT&filter_type=SNIPPET&path=a+b.c%26d",
    );
  });

  it("adds no ? without a query", () => {
    expect(buildUrl("http://127.0.0.1:1", "/prompt-templates", { page: undefined })).toBe(
      "http://127.0.0.1:1/prompt-templates",
    );
  });
});

describe("normalizeBaseUrl", () => {
  it("strips trailing slashes and keeps a path prefix", () => {
    expect(normalizeBaseUrl("https://api.promptlayer.com/")).toBe("https://api.promptlayer.com");
    expect(normalizeBaseUrl(" https://proxy.example/promptlayer// ")).toBe("https://proxy.example/promptlayer");
  });

  it("rejects what is not an http(s) URL as a usage error", () => {
    for (const bad of ["api.promptlayer.com", "ftp://x", "https://x/?a=1", ""]) {
      const error = (() => {
        try {
          normalizeBaseUrl(bad);
        } catch (caught) {
          return caught;
        }
      })();
      expect(error).toBeInstanceOf(PlxError);
      expect((error as PlxError).exitCode).toBe(ExitCode.Usage);
    }
  });
});
