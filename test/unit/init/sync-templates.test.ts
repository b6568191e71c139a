// The PromptLayer → git half of what plx init writes: the sync workflow (GitHub) and the sync job (GitLab).
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { initFiles } from "../../../src/init/templates.js";

const files = (ci: "github" | "gitlab", branch = "main") =>
  Object.fromEntries(
    initFiles({ ci, hooks: false, promptsDir: "prompts", label: "prod", branch }).map((f) => [f.path, f.content]),
  );

describe("plx init: the sync from PromptLayer", () => {
  it("writes a GitHub workflow started by the receiver's dispatch, by hand and on a schedule", () => {
    const text = files("github", "trunk")[".github/workflows/plx-sync.yml"]!;
    const workflow = parse(text);
    expect(workflow.on.repository_dispatch).toEqual({ types: ["promptlayer"] });
    expect(workflow.on.workflow_dispatch).toEqual({});
    expect(workflow.on.schedule).toEqual([{ cron: "17 */6 * * *" }]);
    expect(workflow.permissions).toEqual({ contents: "write", "pull-requests": "write" });
    expect(workflow.concurrency).toEqual({ group: "plx-sync", "cancel-in-progress": true });
    const steps = workflow.jobs.sync.steps;
    expect(steps[0]).toEqual({
      uses: "actions/checkout@v4",
      with: { ref: "trunk", token: "${{ secrets.PLX_GITHUB_TOKEN || github.token }}" },
    });
    const sync = steps.find((step: { run?: string }) => step.run?.includes("pull --pr"));
    expect(sync).toEqual({
      name: "Propose PromptLayer's changes",
      run: "npx --no-install plx pull --pr",
      env: {
        PROMPTLAYER_API_KEY: "${{ secrets.PROMPTLAYER_API_KEY }}",
        PLX_GITHUB_TOKEN: "${{ secrets.PLX_GITHUB_TOKEN || github.token }}",
      },
    });
    // The caveat a team needs before relying on the pull request's checks.
    expect(text).toContain("GitHub starts no workflows for a");
  });

  it("adds a GitLab job that runs only in PLX_SYNC pipelines, and keeps the deploy out of them", () => {
    const ci = parse(files("gitlab")[".gitlab-ci.yml"]!);
    expect(ci.stages).toEqual(["test", "deploy", "sync"]);
    expect(ci["plx-sync"]).toEqual({
      stage: "sync",
      extends: ".plx-node",
      rules: [{ if: '$PLX_SYNC == "true" && $CI_COMMIT_BRANCH == "main"' }],
      interruptible: true,
      resource_group: "plx-sync",
      script: ["npx --no-install plx pull --pr"],
    });
    expect(ci["plx-deploy"].rules[0].if).toContain('$PLX_SYNC != "true"');
  });
});
