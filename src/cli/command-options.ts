// Every command's options, declared once: a zod schema per option, which also yields the commander flag, its
// environment twin and its help line. Kept apart from the command list, so a command's module can import the type
// of its options without importing every other command.
import type { z } from "zod";
import { redisUrlProblem } from "../cache/store.js";
import { EVAL_FORMATS } from "../evals/cases.js";
import {
  booleanFlag,
  choiceFlag,
  durationFlag,
  fractionFlag,
  integerFlag,
  keyValueProblem,
  labelFlagProblem,
  listFlag,
  optionalArgument,
  nameAtVersionProblem,
  type OptionsShape,
  requiredArgument,
  stringFlag,
  switchFlag,
  urlFlag,
  variadicArgument,
} from "./options.js";

/** The options a command receives: its own and the global ones, parsed. */
export type OptionsOf<S extends OptionsShape> = z.output<z.ZodObject<S & typeof globalOptions>>;

/** Flags every command takes; subcommand help lists them too. */
export const globalOptions = {
  baseUrl: urlFlag("--base-url <url>", "PromptLayer API base URL (default https://api.promptlayer.com)"),
  concurrency: integerFlag("--concurrency <n>", "most requests in flight at once (default 16)", { min: 1, max: 256 }),
  timeout: integerFlag("--timeout <ms>", "time limit to connect and get the first byte of one answer (default 15000)", {
    min: 100,
  }),
  deadline: integerFlag(
    "--deadline <s>",
    "time limit for all of a command's requests, retries included (default 600)",
    {
      min: 1,
    },
  ),
  retries: integerFlag("--retries <n>", "retries of a failed request before giving up (default 3)", {
    min: 0,
    max: 20,
  }),
  promptsDir: stringFlag("--prompts-dir <dir>", "directory of prompt files (default prompts)"),
  // NO_COLOR and FORCE_COLOR are the conventional twins of these two.
  color: switchFlag("--color, --no-color", "force colour on | turn colour off", { env: false }),
  input: switchFlag("--no-input", "never ask a question, even in a terminal; fail naming the flag that answers it"),
  debug: booleanFlag("--debug", "log requests and show stack traces of unexpected errors"),
};

const json = booleanFlag("--json", "print one JSON document on stdout");
const FORGES = ["github", "gitlab"] as const;
const names = variadicArgument("names", "template names or globs (default: all)");
const dryRun = booleanFlag("--dry-run", "show what would change and change nothing");
const yes = booleanFlag("-y, --yes", "confirm without asking (required without a terminal)");
const exitCode = booleanFlag("--exit-code", "exit 1 when anything differs, as git diff --exit-code");
const comment = booleanFlag("--comment", "post or update one sticky pull/merge-request comment with the report");
const label = (help: string) => stringFlag("--label <label>", help, { check: labelFlagProblem });

/** `--labels prod,staging` (or repeated): release labels, each checked as one. */
const labelList = (help: string, env: string) =>
  listFlag("--labels <labels>", help, {
    env,
    check: (value) =>
      value
        .split(",")
        .map((part) => part.trim())
        .filter((part) => part !== "")
        .map(labelFlagProblem)
        .find((problem) => problem !== undefined),
  });

const pushOptions = {
  names,
  dryRun: booleanFlag("--dry-run", "print the plan and send nothing"),
  force: booleanFlag("--force", "overwrite templates edited in PromptLayer since the last sync"),
  message: stringFlag(
    "-m, --message <text>",
    "commit message for the new versions (default: git HEAD subject and sha)",
  ),
  planOut: stringFlag("--plan-out <file>", "save the plan as JSON, to apply later with --plan"),
  plan: stringFlag("--plan <file>", "apply a saved plan, only if nothing it was built from has moved"),
  delete: booleanFlag("--delete", "delete in PromptLayer the templates whose file was deleted here (asks first)"),
  yes: booleanFlag("-y, --yes", "confirm without asking (required without a terminal)"),
  json,
};

/** What a webhook receiver does with the events that change prompts; `webhook serve` and `cache serve` both take them. */
const webhookActionOptions = {
  debounce: integerFlag(
    "--debounce <ms>",
    "events this close together make one action (default 10000)",
    { min: 0, max: 3_600_000 },
    { env: "PLX_WEBHOOK_DEBOUNCE" },
  ),
  dispatch: choiceFlag(
    "--dispatch <forge>",
    "start the sync: a GitHub repository_dispatch or a GitLab pipeline trigger",
    FORGES,
    { env: "PLX_WEBHOOK_DISPATCH" },
  ),
  exec: stringFlag("--exec <command>", "run this command, the events as one JSON document on its stdin", {
    env: "PLX_WEBHOOK_EXEC",
  }),
  repo: stringFlag("--repo <repo>", "GitHub owner/name or GitLab project (default GITHUB_REPOSITORY / CI_PROJECT_ID)"),
  ref: stringFlag("--ref <branch>", "with --dispatch gitlab: the branch the pipeline runs on (default main)"),
  loopGuard: switchFlag("--no-loop-guard", "act on every event; do not read PromptLayer to skip plx's own publishes"),
};

/** Each command's own options, by command name. */
export const commandOptions = {
  pull: {
    names,
    label: label("pull the versions this release label points at"),
    dryRun,
    force: booleanFlag("--force", "overwrite local edits and conflicts with the remote version"),
    prune: booleanFlag("--prune", "delete files whose template is gone from PromptLayer"),
    yes: booleanFlag("-y, --yes", "allow --prune to remove many files at once"),
    pr: booleanFlag("--pr", "propose PromptLayer's state as one pull request (GitHub) or merge request (GitLab)"),
    branch: stringFlag(
      "--branch <name>",
      "with --pr: the branch plx owns and rebuilds each run (default plx/promptlayer)",
    ),
    base: stringFlag("--base <branch>", "with --pr: the branch to propose to (default: the one checked out)"),
    forge: choiceFlag("--forge <forge>", "with --pr: where the repository is hosted (default: from the CI)", FORGES),
    repo: stringFlag(
      "--repo <repo>",
      "with --pr: GitHub owner/name or GitLab project (default GITHUB_REPOSITORY / CI_PROJECT_ID)",
    ),
    prLabel: listFlag("--pr-label <label>", "with --pr: a label for the pull request (repeatable)"),
    reviewer: listFlag("--reviewer <login>", "with --pr: ask this user (or org/team on GitHub) to review (repeatable)"),
    draft: booleanFlag("--draft", "with --pr: open the pull request as a draft"),
    author: stringFlag("--author <author>", 'with --pr: commit author, "Name <email>" (default: plx)'),
    json,
  },
  diff: {
    names,
    label: label("compare with the versions this release label points at"),
    nameOnly: booleanFlag("--name-only", "print only the paths of changed files, one per line"),
    stat: booleanFlag("--stat", "list changed templates with added and removed line counts"),
    exitCode,
    comment,
    json,
  },
  status: {
    names,
    remote: booleanFlag("--remote", "also compare with PromptLayer"),
    label: label("with --remote, compare with the versions this label points at"),
    exitCode: booleanFlag("--exit-code", "exit 1 when anything changed"),
    json,
  },
  check: {
    files: variadicArgument("files", "prompt and agent files to check (default: all); other files are ignored"),
    // Its own twin: a PLX_REMOTE exported for status must not make the offline check (run where no key is, such as
    // a fork's pull request) call PromptLayer.
    remote: booleanFlag(
      "--remote",
      "also compare with PromptLayer: a template changed both here and there since the last sync is an error",
      { env: "PLX_CHECK_REMOTE" },
    ),
    codequality: stringFlag(
      "--codequality <file>",
      "also write findings as a GitLab code quality report (artifacts:reports:codequality)",
    ),
    json,
  },
  push: pushOptions,
  publish: {
    ...pushOptions,
    label: listFlag("--label <label>", "release label to move (repeatable)", { check: labelFlagProblem }),
    all: booleanFlag("--all", "also put the label on every template in scope that does not carry it"),
    yes,
  },
  "label ls": { names: variadicArgument("names", "template and agent names or globs"), json },
  "label set": {
    label: requiredArgument("label", "release label, e.g. prod", labelFlagProblem),
    target: requiredArgument("name[@version]", "template or agent name, optionally @version", nameAtVersionProblem),
    agent: booleanFlag("--agent", "the name is an agent's (needed only when a prompt has the same name)"),
    json,
  },
  "label rm": {
    label: requiredArgument("label", "release label", labelFlagProblem),
    name: requiredArgument("name", "template name"),
    agent: booleanFlag("--agent", "the name is an agent's (whose labels PromptLayer cannot remove)"),
    yes,
    json,
  },
  "label promote": {
    from: requiredArgument("from", "source label", labelFlagProblem),
    to: requiredArgument("to", "target label", labelFlagProblem),
    names: variadicArgument("names", "template and agent names or globs (default: all carrying <from>)"),
    dryRun: booleanFlag("--dry-run", "show what would move and change nothing"),
    yes,
    json,
  },
  "eval-report": {
    files: variadicArgument("files", "results files: promptfoo JSON/JSONL, JUnit XML or plx NDJSON", {
      required: true,
    }),
    format: choiceFlag("--format <format>", "skip detection", EVAL_FORMATS, {
      env: "PLX_EVAL_FORMAT",
    }),
    prompt: stringFlag(
      "--prompt <name[@version]>",
      "every case tested this prompt (default: from the results, else the local file's version)",
    ),
    table: stringFlag("--table <title>", "PromptLayer table to upload into (default: one per prompt)"),
    upload: switchFlag("--no-upload", "compute and report locally; send nothing"),
    failUnder: listFlag(
      "--fail-under <metric=value>",
      "fail (exit 1) below this: score=0.8, pass_rate=95%, <metric>=0.7, <prompt>:<metric>=v (repeatable)",
    ),
    maxFailures: integerFlag("--max-failures <n>", "fail (exit 1) when more cases fail", { min: 0 }),
    junit: stringFlag("--junit <file>", "also write the cases as JUnit XML (GitLab artifacts:reports:junit)"),
    comment,
    json,
  },
  run: {
    target: optionalArgument(
      "name[@version]",
      "template to run: latest, @version, or --label's version",
      nameAtVersionProblem,
    ),
    // Not PLX_LABEL: exported for a publish, it must not choose which version a run runs.
    label: stringFlag("--label <label>", "run the version this release label points at", {
      env: "PLX_RUN_LABEL",
      check: labelFlagProblem,
    }),
    // No environment twin: an exported PLX_VERSION must not choose which version runs.
    version: integerFlag("--version <n>", "run this version (the same as name@n)", { min: 1 }, { env: false }),
    file: stringFlag("--file <path>", "run this prompt file as it is in the working tree (unpublished)"),
    local: booleanFlag("--local", "run the prompt file holding <name> instead of PromptLayer's version"),
    // Values hold commas, which a comma-separated environment twin would split: variables come from --vars-file there.
    var: listFlag("--var <name=value>", "a variable; name:=<JSON> for a list, number or object (repeatable)", {
      env: false,
    }),
    varsFile: stringFlag("--vars-file <file>", "variables from a JSON object; --var overrides them"),
    model: stringFlag("--model <model>", "call this model instead of the template's: name or provider:name"),
    param: listFlag("--param <name=value>", "a model parameter, e.g. temperature=0 (repeatable)", { env: false }),
    tag: listFlag("--tag <tag>", "tag for the request log (repeatable)"),
    metadata: listFlag("--metadata <key=value>", "metadata for the request log (repeatable)", { env: false }),
    log: switchFlag("--no-log", "do not log the request to PromptLayer"),
    stream: booleanFlag("--stream", "write the model's text as it arrives"),
    json,
  },
  "agent run": {
    target: requiredArgument(
      "name[@version]",
      "the agent's name in PromptLayer, optionally @version (default: the latest version)",
      nameAtVersionProblem,
    ),
    // Not PLX_LABEL: exported for a publish, it must not pick which version an agent run runs.
    label: stringFlag("--label <label>", "run the version this release label points at", {
      env: "PLX_AGENT_LABEL",
      check: labelFlagProblem,
    }),
    version: integerFlag("--version <n>", "run this version (the same as name@n)", { min: 1 }, { env: false }),
    // Not --input: the global --no-input owns that name.
    inputVar: listFlag("--input-var <name=value>", "an input variable (repeatable); wins over --inputs-file", {
      env: "PLX_AGENT_INPUT_VAR",
      check: keyValueProblem,
    }),
    inputsFile: stringFlag("--inputs-file <file>", "input variables from a JSON object in this file", {
      env: "PLX_AGENT_INPUTS_FILE",
    }),
    metadata: listFlag("--metadata <key=value>", "metadata to record on the run (repeatable)", {
      env: "PLX_AGENT_METADATA",
      check: keyValueProblem,
    }),
    wait: durationFlag(
      "--wait <duration>",
      "how long to wait for the run to end, e.g. 90s or 10m (default 10m); --timeout limits each request instead",
      { minMs: 0, maxMs: 24 * 3_600_000, default: "10m" },
      { env: "PLX_AGENT_WAIT" },
    ),
    allOutputs: booleanFlag("--all-outputs", "print every node's status and value, not only the output", {
      env: "PLX_AGENT_ALL_OUTPUTS",
    }),
    json,
  },
  init: {
    yes: booleanFlag("-y, --yes", "ask nothing; use the flags and defaults"),
    // Not PLX_CI: that one tells plx which CI it runs in.
    ci: choiceFlag("--ci <ci>", "CI to write workflows for", ["github", "gitlab", "none"], { env: "PLX_INIT_CI" }),
    hooks: booleanFlag("--hooks", "also write .pre-commit-config.yaml"),
    label: stringFlag("--label <label>", "release label the deploy job publishes to (default prod)", {
      env: "PLX_INIT_LABEL",
      check: labelFlagProblem,
    }),
    // Not PLX_FORCE: exported for pull or push, it must not make init replace workflow files.
    force: booleanFlag("--force", "replace files that exist", { env: "PLX_INIT_FORCE" }),
    json,
  },
  sandbox: {
    port: integerFlag(
      "--port <n>",
      "port to listen on; 0 picks a free one (default 0)",
      { min: 0, max: 65535 },
      {
        env: "PLX_SANDBOX_PORT",
      },
    ),
    host: stringFlag("--host <host>", "interface to listen on (default 127.0.0.1)", { env: "PLX_SANDBOX_HOST" }),
    data: stringFlag("--data <file>", "keep state in this JSON file across restarts", { env: "PLX_SANDBOX_DATA" }),
    apiKey: stringFlag("--api-key <key>", "accept only this X-API-KEY (default: any non-empty key)", {
      env: "PLX_SANDBOX_API_KEY",
    }),
    latency: integerFlag(
      "--latency <ms>",
      "delay added to every response",
      { min: 0, max: 600_000 },
      {
        env: "PLX_SANDBOX_LATENCY",
      },
    ),
    failRate: fractionFlag("--fail-rate <r>", "share of requests answered with a 5xx (0..1)", {
      env: "PLX_SANDBOX_FAIL_RATE",
    }),
    rateLimit: integerFlag(
      "--rate-limit <n>",
      "requests per second; above it, 429 with Retry-After",
      { min: 1 },
      {
        env: "PLX_SANDBOX_RATE_LIMIT",
      },
    ),
    dropRate: fractionFlag("--drop-rate <r>", "share of connections dropped without an answer (0..1)", {
      env: "PLX_SANDBOX_DROP_RATE",
    }),
    slowBody: integerFlag(
      "--slow-body <ms>",
      "spread each response body over this many milliseconds",
      { min: 0, max: 600_000 },
      { env: "PLX_SANDBOX_SLOW_BODY" },
    ),
    staleReads: integerFlag(
      "--stale-reads <ms>",
      "for this long after a new version, reads without Cache-Control: no-cache still answer the previous one",
      { min: 0, max: 600_000 },
      { env: "PLX_SANDBOX_STALE_READS" },
    ),
    seed: integerFlag(
      "--seed <n>",
      "seed for the fault decisions, to replay a run",
      { min: 0 },
      {
        env: "PLX_SANDBOX_SEED",
      },
    ),
    webhookUrl: urlFlag("--webhook-url <url>", "POST PromptLayer webhook events here", {
      env: "PLX_SANDBOX_WEBHOOK_URL",
    }),
    webhookSecret: stringFlag("--webhook-secret <secret>", "secret that signs webhook events", {
      env: "PLX_SANDBOX_WEBHOOK_SECRET",
    }),
    protectedLabels: listFlag(
      "--protected-labels <labels>",
      "labels whose changes wait for an approval (POST /__sandbox/label-changes/<id>/approve)",
      { env: "PLX_SANDBOX_PROTECTED_LABELS" },
    ),
  },
  "webhook serve": {
    port: integerFlag(
      "--port <n>",
      "port to listen on; 0 picks a free one (default 8080)",
      { min: 0, max: 65535 },
      { env: "PLX_WEBHOOK_PORT" },
    ),
    host: stringFlag("--host <host>", "interface to listen on (default 127.0.0.1; 0.0.0.0 for all)", {
      env: "PLX_WEBHOOK_HOST",
    }),
    secret: stringFlag(
      "--secret <secret>",
      "the webhook secret from PromptLayer (prefer the variable: a flag shows in the process list)",
      { env: "PLX_WEBHOOK_SECRET" },
    ),
    tolerance: integerFlag(
      "--tolerance <s>",
      "refuse deliveries whose signed timestamp is further off than this (default 900)",
      { min: 1, max: 86_400 },
      { env: "PLX_WEBHOOK_TOLERANCE" },
    ),
    ...webhookActionOptions,
    json,
  },
  "cache serve": {
    port: integerFlag(
      "--port <n>",
      "port to listen on; 0 picks a free one (default 0)",
      { min: 0, max: 65535 },
      { env: "PLX_CACHE_PORT" },
    ),
    host: stringFlag("--host <host>", "interface to listen on (default 127.0.0.1; 0.0.0.0 in a container)", {
      env: "PLX_CACHE_HOST",
    }),
    labels: labelList("release labels to keep warm besides latest, comma-separated", "PLX_CACHE_LABELS"),
    snapshot: stringFlag("--snapshot <file>", "start from this snapshot and keep it up to date (written atomically)", {
      env: "PLX_CACHE_SNAPSHOT",
    }),
    store: stringFlag("--store <redis-url>", "share entries with other instances through Redis (redis://…)", {
      env: "PLX_CACHE_STORE",
      check: redisUrlProblem,
    }),
    resync: durationFlag(
      "--resync <duration>",
      "full resync interval, e.g. 5m; 0 turns it off (default 5m)",
      { minMs: 0, maxMs: 7 * 24 * 3_600_000, default: "5m" },
      { env: "PLX_CACHE_RESYNC" },
    ),
    clientKeys: listFlag(
      "--client-keys <keys>",
      "keys clients must send as X-API-KEY, comma-separated (default: the workspace's own key); prefer the env",
      { env: "PLX_CACHE_CLIENT_KEYS" },
    ),
    webhookSecret: stringFlag(
      "--webhook-secret <secret>",
      "receive PromptLayer's webhooks at POST /webhook, verified with this secret (prefer the variable)",
      { env: "PLX_WEBHOOK_SECRET" },
    ),
    webhookTolerance: integerFlag(
      "--webhook-tolerance <s>",
      "refuse deliveries whose signed timestamp is further off than this (default 900)",
      { min: 1, max: 86_400 },
      { env: "PLX_WEBHOOK_TOLERANCE" },
    ),
    ...webhookActionOptions,
  },
  "cache export": {
    labels: labelList("release labels to export besides latest, comma-separated", "PLX_CACHE_LABELS"),
    output: stringFlag("-o, --output <file>", "where to write the snapshot (default prompts.snapshot.json)", {
      env: "PLX_CACHE_OUTPUT",
    }),
    json,
  },
} satisfies Record<string, OptionsShape>;

export type CommandName = keyof typeof commandOptions;

/** The parsed options a command's module receives. */
export type CommandOptions<N extends CommandName> = OptionsOf<(typeof commandOptions)[N]>;
