// CI detection reads only the environment plx is given, so a test (or main() in-process) decides what plx sees.
import { describe, expect, it } from "vitest";
import { detectCi } from "../../../src/ci/detect.js";

describe("detectCi", () => {
  it.each([
    [{}, undefined],
    [{ GITHUB_ACTIONS: "true", CI: "true" }, "github"],
    [{ GITLAB_CI: "true", CI: "true" }, "gitlab"],
    [{ CI: "1" }, "other"],
    [{ JENKINS_URL: "https://ci.example" }, "other"],
    [{ TF_BUILD: "True" }, "other"],
    [{ BUILDKITE: "true", CI: "false" }, undefined],
    [{ GITHUB_ACTIONS: "true", PLX_CI: "0" }, undefined],
    [{ PLX_CI: "gitlab" }, "gitlab"],
    [{ JENKINS_URL: "" }, undefined],
  ] as const)("%j → %s", (env, provider) => {
    expect(detectCi(env).provider).toBe(provider);
  });

  it("notices CI's own debug switches", () => {
    expect(detectCi({ RUNNER_DEBUG: "1" }).debug).toBe(true);
    expect(detectCi({ CI_DEBUG_TRACE: "true" }).debug).toBe(true);
    expect(detectCi({}).debug).toBe(false);
  });
});
