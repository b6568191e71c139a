// The seam between argv and commands: argv and the environment in, a command's typed options out, for every command.
import { describe, expect, it } from "vitest";
import { metaOf } from "../../../src/cli/options.js";
import { envTwin, parseCommandLine } from "../../../src/cli/program.js";
import { commandSpecs, globalOptions } from "../../../src/cli/specs.js";
import { isPlxError } from "../../../src/errors/index.js";

const parse = async (argv: string[], env: Record<string, string> = {}) => {
  const invocation = await parseCommandLine(argv, env);
  return { command: invocation?.spec.name, options: invocation?.options };
};

const failure = async (argv: string[], env: Record<string, string> = {}) => {
  try {
    await parseCommandLine(argv, env);
  } catch (error) {
    return error as Error & { code?: string; exitCode?: number };
  }
  throw new Error("expected the command line to be refused");
};

describe("argv and environment to typed options", () => {
  it.each([
    [["pull"], {}, "pull", { names: [], dryRun: false, force: false, prune: false, json: false }],
    [["run", "order-summary", "--version", "3"], { PLX_VERSION: "9" }, "run", { target: "order-summary", version: 3 }],
    [["agent", "run", "triage", "--version", "2"], {}, "agent run", { target: "triage", version: 2 }],
    [["run", "x"], { PLX_LABEL: "prod", PLX_RUN_LABEL: "staging" }, "run", { label: "staging" }],
    [
      ["pull", "a", "support/*", "--dry-run", "--label", "prod"],
      {},
      "pull",
      { names: ["a", "support/*"], dryRun: true, label: "prod" },
    ],
    [["pull"], { PLX_LABEL: "staging", PLX_DRY_RUN: "1" }, "pull", { label: "staging", dryRun: true }],
    [["pull", "--label", "prod"], { PLX_LABEL: "staging" }, "pull", { label: "prod" }],
    [["pull"], { PLX_DRY_RUN: "0" }, "pull", { dryRun: false }],
    [["pull"], { PLX_DRY_RUN: "off" }, "pull", { dryRun: false }],
    [["pull"], { PLX_DRY_RUN: "" }, "pull", { dryRun: false }],
    [["diff", "--name-only", "--exit-code"], {}, "diff", { nameOnly: true, exitCode: true, stat: false }],
    [["diff"], { PLX_NAME_ONLY: "true", PLX_STAT: "yes" }, "diff", { nameOnly: true, stat: true }],
    [["status", "--remote"], { PLX_LABEL: "prod" }, "status", { remote: true, label: "prod" }],
    [["check", "prompts/a.prompt.yaml"], {}, "check", { files: ["prompts/a.prompt.yaml"], remote: false }],
    [["check", "--remote"], {}, "check", { files: [], remote: true }],
    [["check"], { PLX_CHECK_REMOTE: "1" }, "check", { remote: true }],
    // PLX_REMOTE is status's: exported for it, it must not make the offline check call PromptLayer.
    [["check"], { PLX_REMOTE: "1" }, "check", { remote: false }],
    [["push", "-m", "Shorter", "--plan-out", "p.json"], {}, "push", { message: "Shorter", planOut: "p.json" }],
    [
      ["publish", "--label", "prod", "--label", "staging", "-y"],
      {},
      "publish",
      { label: ["prod", "staging"], yes: true, all: false },
    ],
    [["publish"], { PLX_LABEL: "prod,staging", PLX_YES: "1" }, "publish", { label: ["prod", "staging"], yes: true }],
    [["label", "ls", "a"], {}, "label ls", { names: ["a"] }],
    [["label", "set", "prod", "refund@3"], {}, "label set", { label: "prod", target: "refund@3" }],
    [["label", "rm", "prod", "refund", "--yes"], {}, "label rm", { label: "prod", name: "refund", yes: true }],
    [
      ["label", "set", "prod", "triage@3", "--agent"],
      {},
      "label set",
      { label: "prod", target: "triage@3", agent: true },
    ],
    [["label", "rm", "prod", "triage"], { PLX_AGENT: "1" }, "label rm", { label: "prod", name: "triage", agent: true }],
    [
      ["label", "promote", "staging", "prod", "x*"],
      {},
      "label promote",
      { from: "staging", to: "prod", names: ["x*"] },
    ],
    [
      ["eval-report", "r.json", "--fail-under", "score=0.8", "--no-upload"],
      {},
      "eval-report",
      { files: ["r.json"], failUnder: ["score=0.8"], upload: false },
    ],
    [
      ["eval-report", "r.json"],
      { PLX_NO_UPLOAD: "1", PLX_MAX_FAILURES: "2" },
      "eval-report",
      { upload: false, maxFailures: 2 },
    ],
    [["eval-report", "r.json"], { PLX_EVAL_FORMAT: "junit" }, "eval-report", { format: "junit" }],
    [
      ["init", "--yes", "--ci", "gitlab"],
      { PLX_FORCE: "1", PLX_CI: "github" },
      "init",
      { yes: true, ci: "gitlab", force: false },
    ],
    [["init"], { PLX_INIT_FORCE: "1", PLX_INIT_CI: "none" }, "init", { force: true, ci: "none" }],
    [
      ["run", "order-summary@3", "--var", "cart=2 apples, 1 pear", "--var", "items:=[1]", "--no-log", "--stream"],
      {},
      "run",
      {
        target: "order-summary@3",
        var: ["cart=2 apples, 1 pear", "items:=[1]"],
        log: false,
        stream: true,
        local: false,
      },
    ],
    [
      ["run", "x", "--param", "temperature=0", "--metadata", "ticket=SUP-1", "--tag", "a", "--tag", "b"],
      { PLX_VAR: "ignored=1" },
      "run",
      { param: ["temperature=0"], metadata: ["ticket=SUP-1"], tag: ["a", "b"], var: [] },
    ],
    [
      ["run", "--file", "prompts/a.prompt.yaml"],
      { PLX_NO_LOG: "1", PLX_MODEL: "anthropic:claude-haiku-4-5", PLX_VARS_FILE: "vars.json", PLX_TAG: "ci,smoke" },
      "run",
      {
        file: "prompts/a.prompt.yaml",
        log: false,
        model: "anthropic:claude-haiku-4-5",
        varsFile: "vars.json",
        tag: ["ci", "smoke"],
      },
    ],
    [["sandbox", "--port", "4010", "--fail-rate", "0.5"], {}, "sandbox", { port: 4010, failRate: 0.5 }],
    [["sandbox"], { PLX_SANDBOX_PORT: "0", PLX_SANDBOX_SEED: "7" }, "sandbox", { port: 0, seed: 7 }],
    [
      ["pull", "--concurrency", "4", "--base-url", "http://127.0.0.1:1", "--no-input"],
      {},
      "pull",
      { concurrency: 4, baseUrl: "http://127.0.0.1:1", input: false },
    ],
    [
      ["pull"],
      { PLX_NO_INPUT: "1", PLX_DEBUG: "1", PLX_DEADLINE: "30" },
      "pull",
      { input: false, debug: true, deadline: 30 },
    ],
    [["pull", "--no-color"], {}, "pull", { color: false }],
    [
      ["agent", "run", "triage"],
      {},
      "agent run",
      { target: "triage", inputVar: [], metadata: [], wait: 600_000, allOutputs: false, json: false },
    ],
    [
      ["agent", "run", "triage@3", "--input-var", "q=a=b", "--input-var", "t=", "--wait", "90s", "--all-outputs"],
      {},
      "agent run",
      { target: "triage@3", inputVar: ["q=a=b", "t="], wait: 90_000, allOutputs: true },
    ],
    [
      ["agent", "run", "triage", "--metadata", "sha=abc", "--inputs-file", "case.json", "--no-input"],
      {},
      "agent run",
      { metadata: ["sha=abc"], inputsFile: "case.json", input: false },
    ],
    [
      ["agent", "run", "triage"],
      { PLX_AGENT_LABEL: "prod", PLX_LABEL: "staging", PLX_AGENT_WAIT: "1h", PLX_AGENT_INPUT_VAR: "a=1,b=2" },
      "agent run",
      { label: "prod", wait: 3_600_000, inputVar: ["a=1", "b=2"] },
    ],
    [["agent", "run", "triage"], { PLX_AGENT_WAIT: "500ms" }, "agent run", { wait: 500 }],
    [
      ["pull", "--pr", "--branch", "sync/pl", "--pr-label", "a", "--pr-label", "b", "--reviewer", "octocat", "--draft"],
      {},
      "pull",
      { pr: true, branch: "sync/pl", prLabel: ["a", "b"], reviewer: ["octocat"], draft: true },
    ],
    [
      ["pull"],
      { PLX_PR: "1", PLX_FORGE: "gitlab", PLX_BASE: "trunk", PLX_AUTHOR: "Bot <bot@example.com>" },
      "pull",
      { pr: true, forge: "gitlab", base: "trunk", author: "Bot <bot@example.com>" },
    ],
    [
      ["webhook", "serve", "--port", "0", "--debounce", "500", "--dispatch", "github", "--repo", "acme/prompts"],
      {},
      "webhook serve",
      { port: 0, debounce: 500, dispatch: "github", repo: "acme/prompts" },
    ],
    [
      ["webhook", "serve", "--no-loop-guard", "--exec", "./sync.sh"],
      { PLX_WEBHOOK_SECRET: "s3cret", PLX_WEBHOOK_TOLERANCE: "60" },
      "webhook serve",
      { loopGuard: false, exec: "./sync.sh", secret: "s3cret", tolerance: 60 },
    ],
    [["sandbox", "--protected-labels", "prod,staging"], {}, "sandbox", { protectedLabels: ["prod,staging"] }],
    [
      ["sandbox"],
      { PLX_SANDBOX_PROTECTED_LABELS: "prod,staging" },
      "sandbox",
      { protectedLabels: ["prod", "staging"] },
    ],
    [["cache", "serve"], {}, "cache serve", { labels: [], clientKeys: [] }],
    [
      ["cache", "serve", "--port", "8080", "--labels", "prod,staging", "--labels", "canary", "--resync", "5m"],
      {},
      "cache serve",
      { port: 8080, labels: ["prod,staging", "canary"], resync: 300_000 },
    ],
    [
      ["cache", "serve"],
      {
        PLX_CACHE_PORT: "9000",
        PLX_CACHE_LABELS: "prod,staging",
        PLX_CACHE_STORE: "redis://cache:6379/2",
        PLX_CACHE_RESYNC: "0",
        PLX_CACHE_CLIENT_KEYS: "a-key-of-sixteen-chars,another-key-of-sixteen",
        PLX_CACHE_SNAPSHOT: "/var/lib/plx/prompts.snapshot.json",
      },
      "cache serve",
      {
        port: 9000,
        labels: ["prod", "staging"],
        store: "redis://cache:6379/2",
        resync: 0,
        clientKeys: ["a-key-of-sixteen-chars", "another-key-of-sixteen"],
        snapshot: "/var/lib/plx/prompts.snapshot.json",
      },
    ],
    [
      ["cache", "serve", "--webhook-tolerance", "60", "--exec", "./sync.sh", "--debounce", "0", "--no-loop-guard"],
      { PLX_WEBHOOK_SECRET: "s3cret" },
      "cache serve",
      { webhookSecret: "s3cret", webhookTolerance: 60, exec: "./sync.sh", debounce: 0, loopGuard: false },
    ],
    [
      ["cache", "serve", "--dispatch", "gitlab", "--repo", "42", "--ref", "trunk"],
      { PLX_WEBHOOK_TOLERANCE: "30" },
      "cache serve",
      { dispatch: "gitlab", repo: "42", ref: "trunk", webhookTolerance: 30 },
    ],
    [["cache", "serve", "--resync", "250ms"], {}, "cache serve", { resync: 250 }],
    [["cache", "serve", "--resync", "90"], {}, "cache serve", { resync: 90_000 }],
    [
      ["cache", "export", "--labels", "prod", "-o", "out.json", "--json"],
      {},
      "cache export",
      { labels: ["prod"], output: "out.json", json: true },
    ],
  ] as const)("%j with %j → %s", async (argv, env, command, expected) => {
    const parsed = await parse([...argv], env);
    expect(parsed.command).toBe(command);
    expect(parsed.options).toMatchObject(expected);
  });

  it.each([
    [["publish", "--label", "--yes"], {}, "--label"],
    [["publish", "--label", "pro d"], {}, "--label"],
    [["pull", "--label", ""], {}, "--label"],
    [["pull", "--concurrency", "0"], {}, "--concurrency"],
    [["pull"], { PLX_CONCURRENCY: "lots" }, "PLX_CONCURRENCY"],
    [["sandbox", "--fail-rate", "2"], {}, "--fail-rate"],
    [["eval-report", "r.json", "--format", "csv"], {}, "--format"],
    [["pull", "--base-url", "ftp://x"], {}, "--base-url"],
    [["label", "set", " ", "x"], {}, "<label>"],
    [["run", "x", "--label", "pro d"], {}, "--label"],
    [["agent", "run", "triage@0"], {}, "<name[@version]>"],
    [["agent", "run", "triage", "--wait", "2d"], {}, "--wait"],
    [["agent", "run", "triage"], { PLX_AGENT_WAIT: "25h" }, "PLX_AGENT_WAIT"],
    [["agent", "run", "triage", "--metadata", "sha"], {}, "--metadata"],
    [["agent", "run", "triage", "--input-var", "=x"], {}, "--input-var"],
    [["agent", "run", "triage", "--label", "pro d"], {}, "--label"],
    [["webhook", "serve", "--dispatch", "bitbucket"], {}, "--dispatch"],
    [["webhook", "serve", "--port", "70000"], {}, "--port"],
    [["pull", "--forge", "gitea"], {}, "--forge"],
    [["cache", "serve", "--store", "http://cache:6379"], {}, "--store"],
    [["cache", "serve", "--resync", "often"], {}, "--resync"],
    [["cache", "serve", "--resync", "8d"], {}, "--resync"],
    [["cache", "serve", "--labels", "prod,pro d"], {}, "--labels"],
    [["cache", "serve"], { PLX_CACHE_PORT: "70000" }, "PLX_CACHE_PORT"],
  ] as const)("refuses %j %j as a usage error naming %s", async (argv, env, named) => {
    const error = await failure([...argv], env);
    expect(isPlxError(error)).toBe(true);
    expect(error.code).toBe("USAGE.INVALID_OPTION");
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(named);
  });
});

it("leaves tri-state switches unset when neither form is given", async () => {
  const { options } = await parse(["pull"]);
  expect(options!.color).toBeUndefined();
  expect(options!.input).toBeUndefined();
});

describe("environment twins", () => {
  /** A value each kind of flag accepts, as text. */
  function sampleFor(key: string, flags: string): { argv: string[]; env: string } {
    const schema = (
      { ...globalOptions, ...Object.assign({}, ...commandSpecs.map((s) => s.options)) } as Record<string, any>
    )[key];
    const meta = metaOf(schema);
    if (meta?.kind !== "flag") throw new Error(key);
    const long = /--[a-z-]+/.exec(flags)![0];
    if (!flags.includes("<")) return { argv: [long], env: "1" };
    const value =
      meta.choices?.[0] ??
      (/redis-url/.test(flags)
        ? "redis://127.0.0.1:6379"
        : /url/.test(flags)
          ? "http://127.0.0.1:9"
          : /=value>/.test(flags)
            ? "a=1"
            : /<duration>/.test(flags)
              ? "90s"
              : /<ms>/.test(flags)
                ? "1000"
                : /<(n|s)>/.test(flags)
                  ? "1"
                  : /<r>/.test(flags)
                    ? "0.5"
                    : "alpha");
    return { argv: [long, value], env: value };
  }

  const cases = commandSpecs.flatMap((spec) =>
    Object.entries({ ...globalOptions, ...spec.options }).flatMap(([key, schema]) => {
      const meta = metaOf(schema);
      if (meta?.kind !== "flag") return [];
      const twin = envTwin(key, meta);
      return twin ? [{ command: spec.name, key, flags: meta.flags, twin }] : [];
    }),
  );

  it("exist for every flag but colour and help", () => {
    expect(cases.length).toBeGreaterThan(60);
    expect(cases.every((c) => /^PLX_[A-Z0-9_]+$/.test(c.twin))).toBe(true);
  });

  it.each(cases)("$command: $twin does what $flags does", async ({ command, key, flags, twin }) => {
    const words = command.split(" ");
    const required =
      command === "label set" || command === "label rm"
        ? ["prod", "x"]
        : command === "label promote"
          ? ["a", "b"]
          : command === "eval-report"
            ? ["r.json"]
            : command === "agent run"
              ? ["triage"]
              : [];
    const sample = sampleFor(key, flags);
    const byFlag = await parse([...words, ...required, ...sample.argv]);
    const byEnv = await parse([...words, ...required], { [twin]: sample.env });
    const unset = await parse([...words, ...required]);
    expect(byEnv.options![key]).toEqual(byFlag.options![key]);
    expect(byEnv.options![key]).not.toEqual(unset.options![key]);
  });
});

describe("the command list", () => {
  it("gives every command a summary and at least one example that starts with plx or a variable", () => {
    for (const spec of commandSpecs) {
      expect(spec.summary.length, spec.name).toBeGreaterThan(10);
      expect(spec.examples.length, spec.name).toBeGreaterThan(0);
      for (const example of spec.examples) expect(example, spec.name).toMatch(/(^|\s)plx /);
    }
  });
});
