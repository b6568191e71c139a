// Every command plx has: its name, help, examples, options and the module that runs it, loaded only when that
// command runs so start-up stays near Node's own.
import type { CommandModule } from "./command.js";
import { commandOptions } from "./command-options.js";
import type { OptionsShape } from "./options.js";

export { type CommandName, type CommandOptions, commandOptions, globalOptions } from "./command-options.js";

export interface CommandSpec<S extends OptionsShape = OptionsShape> {
  /** "pull", or "label set" for a subcommand. */
  name: string;
  summary: string;
  /** Shown under the options in `--help`. */
  notes?: string;
  /** Every command shows at least one. */
  examples: readonly string[];
  options: S;
  // biome-ignore lint/suspicious/noExplicitAny: each command's module takes its own options and report.
  load: () => Promise<CommandModule<any, any>>;
}

const define = <const S extends OptionsShape>(spec: CommandSpec<S>): CommandSpec<S> => spec;

export const commandSpecs = [
  define({
    name: "pull",
    summary: "write PromptLayer's templates into prompt files and plx.lock",
    notes: `Local edits not yet pushed are never overwritten without --force.
With --pr, the working tree is left alone: PromptLayer's state is committed to --branch, built from --base, pushed
with --force-with-lease, and proposed as one pull/merge request, opened or updated (or closed once nothing differs).
GitHub: GITHUB_API_URL, GITHUB_REPOSITORY, PLX_GITHUB_TOKEN or GITHUB_TOKEN. GitLab: CI_API_V4_URL, CI_PROJECT_ID,
PLX_GITLAB_TOKEN.`,
    examples: [
      "plx pull",
      "plx pull 'support/*' --dry-run",
      "plx pull --label prod",
      "plx pull --pr --reviewer octocat --pr-label prompts",
    ],
    options: commandOptions.pull,
    load: async () => (await import("./commands/pull.js")).default,
  }),
  define({
    name: "diff",
    summary: "show how prompt files differ from PromptLayer, by kind of change",
    examples: ["plx diff", "plx diff --stat", "plx diff --name-only --exit-code"],
    options: commandOptions.diff,
    load: async () => (await import("./commands/diff.js")).default,
  }),
  define({
    name: "status",
    summary: "list prompt files changed since the last sync (offline; --remote asks PromptLayer too)",
    examples: ["plx status", "plx status --remote --exit-code"],
    options: commandOptions.status,
    load: async () => (await import("./commands/status.js")).default,
  }),
  define({
    name: "check",
    summary: "validate prompt and agent files: what PromptLayer would refuse, template syntax, snippets, variables",
    notes: `Exit 1 when any error is found; warnings alone exit 0. --remote (the pre-push hook) also asks PromptLayer
and fails on conflicts: templates edited both here and there since the last sync. Local edits not yet published
are fine: they are what a pull request is for.`,
    examples: ["plx check", "plx check prompts/support/refund-reply.prompt.yaml", "plx check --remote"],
    options: commandOptions.check,
    load: async () => (await import("./commands/check.js")).default,
  }),
  define({
    name: "push",
    summary: "publish changed prompt files as new PromptLayer versions (labels stay where they are)",
    notes: "Unchanged templates are skipped; a template edited in PromptLayer since the last sync is refused (exit 5).",
    examples: ["plx push --dry-run", "plx push -m 'Shorter refund reply'", "plx push --plan-out plan.json"],
    options: commandOptions.push,
    load: async () => (await import("./commands/push.js")).pushCommand,
  }),
  define({
    name: "publish",
    summary: "push, then move release labels to the pushed content (the CI deploy step)",
    notes: `A label moves on a template that already carries it, on a template created by this run, and where
plx.config.yaml's \`labels:\` map assigns it (or with --all); never onto other templates, and never over a
label that was moved in PromptLayer since the last sync (exit 5; plx pull brings that move in).`,
    examples: ["plx publish --label prod --yes", "plx publish --label staging --dry-run"],
    options: commandOptions.publish,
    load: async () => (await import("./commands/push.js")).publishCommand,
  }),
  define({
    name: "label ls",
    summary: "each template's and agent's labels, their versions, and whether they match the local file",
    examples: ["plx label ls", "plx label ls 'support/*' --json"],
    options: commandOptions["label ls"],
    load: async () => (await import("./commands/label.js")).labelList,
  }),
  define({
    name: "label set",
    summary: "point a label at a version (default: the version matching the local file); an agent's by a new version",
    examples: ["plx label set prod refund-reply", "plx label set staging refund-reply@7"],
    options: commandOptions["label set"],
    load: async () => (await import("./commands/label.js")).labelSet,
  }),
  define({
    name: "label rm",
    summary: "remove a label from a template",
    examples: ["plx label rm staging refund-reply --yes"],
    options: commandOptions["label rm"],
    load: async () => (await import("./commands/label.js")).labelRemove,
  }),
  define({
    name: "label promote",
    summary: "point <to> at the version <from> points at, for each template and agent (e.g. staging to prod)",
    examples: ["plx label promote staging prod --dry-run", "plx label promote staging prod 'support/*' --yes"],
    options: commandOptions["label promote"],
    load: async () => (await import("./commands/label.js")).labelPromote,
  }),
  define({
    name: "eval-report",
    summary: "report eval results CI computed: tie them to prompt versions, upload to PromptLayer, gate the deploy",
    examples: [
      "plx eval-report results.json --fail-under score=0.8 --fail-under pass_rate=95% --junit plx-junit.xml",
      "plx eval-report junit.xml --no-upload --max-failures 0",
    ],
    options: commandOptions["eval-report"],
    load: async () => (await import("./commands/eval-report.js")).default,
  }),
  define({
    name: "run",
    summary: "fill a prompt's variables, call its model, print the answer and log the request to PromptLayer",
    notes: `The prompt comes from PromptLayer (latest, name@version, or --label), or from the working tree with --file
or --local. A variable the template needs and was not given is an error (exit 2); provider keys come from
OPENAI_API_KEY, ANTHROPIC_API_KEY and GEMINI_API_KEY (or GOOGLE_API_KEY), base URLs from OPENAI_BASE_URL,
ANTHROPIC_BASE_URL and GEMINI_BASE_URL. The answer goes to stdout; usage, timing and the request log id to stderr.`,
    examples: [
      "plx run order-summary --label prod --var cart='2 apples'",
      "plx run --file prompts/order-summary.prompt.yaml --vars-file vars.json --no-log",
      "plx run order-summary@3 --model anthropic:claude-sonnet-4-5 --param temperature=0 --stream",
    ],
    options: commandOptions.run,
    load: async () => (await import("./commands/run.js")).default,
  }),
  define({
    name: "agent run",
    summary: "run an agent in PromptLayer, wait for it to end and print its output",
    notes: `Exit 0 when the run succeeds; 1 when a node fails (named with its error) or the run is still going when
--wait runs out (the execution id is printed, to look it up later); 2 when the agent, label or version does
not exist; 3 when PromptLayer cannot be reached. Without --deadline, requests may take --wait plus a minute.
Progress goes to stderr; in GitHub Actions the output also goes to the step summary and to the step outputs
output, status and execution_id.`,
    examples: [
      "plx agent run triage --label prod --input-var question='Where is my refund?'",
      "plx agent run triage@3 --inputs-file case.json --wait 20m --all-outputs --json",
    ],
    options: commandOptions["agent run"],
    load: async () => (await import("./commands/agent.js")).agentRun,
  }),
  define({
    name: "init",
    summary: "set up a repository: plx.config.yaml, the prompts directory, CI workflows and git hooks",
    examples: ["plx init", "plx init --yes --ci github --hooks"],
    options: commandOptions.init,
    load: async () => (await import("./commands/init.js")).default,
  }),
  define({
    name: "sandbox",
    summary: "run a local PromptLayer-compatible server for tests, demos and CI rehearsals",
    notes: `The first line on stdout is "listening on http://127.0.0.1:<port>"; one line per request follows on stderr.
It also answers as OpenAI, Anthropic and Gemini (point OPENAI_BASE_URL at <url>/v1), so plx run needs no provider key.`,
    examples: [
      "plx sandbox --port 4010 --data .plx-sandbox.json",
      "PROMPTLAYER_BASE_URL=http://127.0.0.1:4010 PROMPTLAYER_API_KEY=dev plx pull",
    ],
    options: commandOptions.sandbox,
    load: async () => (await import("./commands/sandbox.js")).default,
  }),
  define({
    name: "webhook serve",
    summary: "receive PromptLayer's webhooks and start a sync (PromptLayer to git) for the ones that change prompts",
    notes: `The first line on stdout is "listening on http://<host>:<port>"; one line per delivery follows on stderr
(JSON with --json). GET /healthz answers 200. SIGTERM finishes the pending actions and exits 0.
Secrets: PLX_WEBHOOK_SECRET (and PLX_WEBHOOK_SECRET_PREVIOUS during a rotation). --dispatch github needs
PLX_GITHUB_TOKEN or GITHUB_TOKEN; --dispatch gitlab needs PLX_GITLAB_TRIGGER_TOKEN. The loop guard reads PromptLayer
with PROMPTLAYER_API_KEY.`,
    examples: [
      "PLX_WEBHOOK_SECRET=... plx webhook serve --host 0.0.0.0 --dispatch github --repo acme/prompts",
      "plx webhook serve --exec 'npx --no-install plx pull --pr'",
    ],
    options: commandOptions["webhook serve"],
    load: async () => (await import("./commands/webhook.js")).default,
  }),
  define({
    name: "cache serve",
    summary: "serve PromptLayer's prompt reads from a cache kept fresh by webhooks, for applications and the SDK",
    notes: `The first line on stdout is "listening on http://<host>:<port>". Point the SDK's baseURL (or
PROMPTLAYER_BASE_URL) at it; reads are answered from the cache (X-Plx-Cache: hit|miss|stale), everything else
under PromptLayer's API is passed through. SIGHUP resyncs now; SIGTERM finishes requests in flight and exits.`,
    examples: [
      "plx cache serve --port 8080 --labels prod --snapshot /var/lib/plx/prompts.snapshot.json",
      "PLX_CACHE_CLIENT_KEYS=$APP_KEY plx cache serve --host 0.0.0.0 --port 8080 --store redis://redis:6379",
    ],
    options: commandOptions["cache serve"],
    load: async () => (await import("./commands/cache.js")).cacheServe,
  }),
  define({
    name: "cache export",
    summary: "write a cache snapshot (latest and the given labels of every template), e.g. to bake into an image",
    examples: ["plx cache export --labels prod -o prompts.snapshot.json"],
    options: commandOptions["cache export"],
    load: async () => (await import("./commands/cache.js")).cacheExport,
  }),
] as const;
