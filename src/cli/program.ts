import { Command, Option } from "commander";
import { PLX_VERSION } from "../version.js";
import { parseFraction, parseHttpUrl, parseInteger } from "./options.js";

/** A command's module, loaded only when that command runs so start-up stays near Node's own. */
export type CommandLoader = () => Promise<{ default: unknown }>;

export type Execute = (name: string, load: CommandLoader, options: Record<string, unknown>) => Promise<void>;

/**
 * The commander tree: names, flags, env twins and help. Declaration only; each action hands its
 * options to `execute`, which loads the command module and runs it.
 */
export function createProgram(execute: Execute): Command {
  const program = new Command("plx")
    .description("Prompts as code: sync a prompts/ directory with PromptLayer's prompt registry.")
    .version(PLX_VERSION, "-v, --version", "print plx's version")
    .helpOption("-h, --help", "show help")
    .addOption(new Option("--base-url <url>", "PromptLayer API base URL").env("PLX_BASE_URL").argParser(parseHttpUrl))
    .addOption(
      new Option("--concurrency <n>", "most requests in flight at once (default 16)")
        .env("PLX_CONCURRENCY")
        .argParser(parseInteger(1, 256)),
    )
    .addOption(
      new Option("--timeout <ms>", "time limit for one HTTP request (default 60000)")
        .env("PLX_TIMEOUT")
        .argParser(parseInteger(100)),
    )
    .addOption(
      new Option("--retries <n>", "retries of a failed request before giving up (default 3)")
        .env("PLX_RETRIES")
        .argParser(parseInteger(0, 20)),
    )
    .addOption(new Option("--color", "force colour output"))
    .addOption(new Option("--no-color", "disable colour output"))
    .addOption(
      new Option("--no-input", "never ask a question, even in a terminal; fail naming the flag that answers it").env(
        "PLX_NO_INPUT",
      ),
    )
    .addOption(new Option("--debug", "log requests and show stack traces of unexpected errors").env("PLX_DEBUG"))
    .addOption(new Option("--prompts-dir <dir>", "directory of prompt files (default prompts)"))
    .showSuggestionAfterError(true)
    .addHelpText(
      "after",
      `
Environment:
  PROMPTLAYER_API_KEY   API key (also PLX_API_KEY); never pass it as a flag
  PROMPTLAYER_BASE_URL  API base URL (also PLX_BASE_URL, or --base-url)

Exit codes: 0 ok, 1 negative result, 2 usage or invalid input, 3 remote failure,
4 authentication, 5 conflict, 130 interrupted.`,
    );

  const json = () => new Option("--json", "print one JSON document on stdout").env("PLX_JSON");
  const labelOption = (what: string) => new Option("--label <label>", what).env("PLX_LABEL");
  const run =
    (name: string, load: CommandLoader) =>
    async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      const positional = command.processedArgs[0] as string[] | undefined;
      await execute(name, load, { ...command.optsWithGlobals(), names: positional ?? [], files: positional ?? [] });
    };

  program
    .command("pull")
    .description("write PromptLayer's templates into prompt files and plx.lock")
    .argument("[names...]", "template names or globs (default: all)")
    .addOption(labelOption("pull the versions this release label points at"))
    .addOption(new Option("--dry-run", "show what would change and write nothing").env("PLX_DRY_RUN"))
    .addOption(new Option("--force", "overwrite local edits and conflicts with the remote version").env("PLX_FORCE"))
    .addOption(new Option("--prune", "delete files whose template is gone from PromptLayer").env("PLX_PRUNE"))
    .addOption(json())
    .addHelpText(
      "after",
      "\nLocal edits not yet pushed are never overwritten without --force.\nExample:\n  plx pull 'support/*' --dry-run",
    )
    .action(run("pull", () => import("./commands/pull.js")));

  program
    .command("diff")
    .description("show how prompt files differ from PromptLayer, by kind of change")
    .argument("[names...]", "template names or globs (default: all)")
    .addOption(labelOption("compare with the versions this release label points at"))
    .addOption(new Option("--name-only", "list the changed templates only"))
    .addOption(new Option("--stat", "list changed templates with added and removed line counts"))
    .addOption(new Option("--exit-code", "exit 1 when anything differs, as git diff --exit-code").env("PLX_EXIT_CODE"))
    .addOption(
      new Option("--comment", "post or update one sticky pull/merge-request comment with the diff").env("PLX_COMMENT"),
    )
    .addOption(json())
    .action(run("diff", () => import("./commands/diff.js")));

  program
    .command("status")
    .description("list prompt files changed since the last sync (offline; --remote asks PromptLayer too)")
    .argument("[names...]", "template names or globs (default: all)")
    .addOption(new Option("--remote", "also compare with PromptLayer"))
    .addOption(labelOption("with --remote, compare with the versions this label points at"))
    .addOption(new Option("--exit-code", "exit 1 when anything changed").env("PLX_EXIT_CODE"))
    .addOption(json())
    .action(run("status", () => import("./commands/status.js")));

  const collect = (value: string, previous: string[] = []) => [...previous, value];
  const pushOptions = (command: Command) =>
    command
      .argument("[names...]", "template names or globs (default: all)")
      .addOption(new Option("--dry-run", "print the plan and send nothing").env("PLX_DRY_RUN"))
      .addOption(
        new Option("--force", "overwrite templates edited in PromptLayer since the last sync").env("PLX_FORCE"),
      )
      .addOption(
        new Option(
          "-m, --message <text>",
          "commit message for the new versions (default: git HEAD subject and sha)",
        ).env("PLX_MESSAGE"),
      )
      .addOption(new Option("--plan-out <file>", "save the plan as JSON, to apply later with --plan"))
      .addOption(new Option("--plan <file>", "apply a saved plan, only if nothing it was built from has moved"))
      .addOption(json());

  pushOptions(program.command("push").description("publish changed prompt files as new PromptLayer versions"))
    .addHelpText(
      "after",
      "\nUnchanged templates are skipped; a template edited in PromptLayer since the last sync is refused (exit 5).",
    )
    .action(run("push", () => import("./commands/push.js")));

  pushOptions(
    program
      .command("publish")
      .description("push, then point release labels at the pushed content (the CI deploy step)"),
  )
    .addOption(new Option("--label <label>", "release label to move (repeatable)").argParser(collect))
    .addOption(new Option("-y, --yes", "confirm without asking (required without a terminal)").env("PLX_YES"))
    .addHelpText("after", "\nExample (CI deploy job):\n  plx publish --label prod --yes")
    .action(run("publish", () => import("./commands/publish.js")));

  const label = program.command("label").description("list, set, remove and promote release labels");
  const labelAction =
    (action: string) =>
    async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      const positional = command.processedArgs
        .flatMap((value) => (value === undefined ? [] : [value]))
        .flat() as string[];
      const names = action === "ls" ? positional : action === "promote" ? positional.slice(2) : [];
      await execute("label", () => import("./commands/label.js"), {
        ...command.optsWithGlobals(),
        action,
        args: positional,
        names,
      });
    };
  label
    .command("ls")
    .description("each template's labels, their versions, and whether they match the local file")
    .argument("[names...]", "template names or globs")
    .addOption(json())
    .action(labelAction("ls"));
  label
    .command("set")
    .description("point a label at a version (default: the version matching the local file)")
    .argument("<label>", "release label, e.g. prod")
    .argument("<name[@version]>", "template name, optionally @version")
    .addOption(json())
    .action(labelAction("set"));
  label
    .command("rm")
    .description("remove a label from a template")
    .argument("<label>", "release label")
    .argument("<name>", "template name")
    .addOption(new Option("-y, --yes", "confirm without asking (required without a terminal)").env("PLX_YES"))
    .addOption(json())
    .action(labelAction("rm"));
  label
    .command("promote")
    .description("point <to> at the version <from> points at, for each template (e.g. staging to prod)")
    .argument("<from>", "source label")
    .argument("<to>", "target label")
    .argument("[names...]", "template names or globs (default: all carrying <from>)")
    .addOption(new Option("--dry-run", "show what would move and change nothing").env("PLX_DRY_RUN"))
    .addOption(json())
    .action(labelAction("promote"));

  program
    .command("eval-report")
    .description("report eval results CI computed: tie them to prompt versions, upload to PromptLayer, gate the deploy")
    .argument("<files...>", "results files: promptfoo JSON/JSONL, JUnit XML or plx NDJSON")
    .addOption(
      new Option("--format <format>", "skip detection: promptfoo, promptfoo-jsonl, junit or ndjson").env(
        "PLX_EVAL_FORMAT",
      ),
    )
    .addOption(
      new Option(
        "--prompt <name[@version]>",
        "every case tested this prompt (default: from the results, else the local file's version)",
      ),
    )
    .addOption(new Option("--table <title>", "PromptLayer table to upload into (default: one per prompt)"))
    .addOption(new Option("--no-upload", "compute and report locally; send nothing"))
    .addOption(
      new Option(
        "--fail-under <metric=value>",
        "fail (exit 1) below this: score=0.8, pass_rate=95%, <metric>=0.7, <prompt>:<metric>=v (repeatable)",
      ).argParser(collect),
    )
    .addOption(new Option("--max-failures <n>", "fail (exit 1) when more cases fail").argParser(parseInteger(0)))
    .addOption(new Option("--junit <file>", "also write the cases as JUnit XML (GitLab artifacts:reports:junit)"))
    .addOption(
      new Option("--comment", "post or update one sticky pull/merge-request comment with the results").env(
        "PLX_COMMENT",
      ),
    )
    .addOption(json())
    .addHelpText(
      "after",
      "\nExample:\n  plx eval-report results.json --fail-under score=0.8 --fail-under pass_rate=95% --junit plx-junit.xml",
    )
    .action(run("eval-report", () => import("./commands/eval-report.js")));

  program
    .command("init")
    .description("set up a repository: plx.config.yaml, the prompts directory, CI workflows and git hooks")
    .addOption(new Option("-y, --yes", "ask nothing; use the flags and defaults").env("PLX_YES"))
    // Not PLX_CI: that one tells plx which CI it runs in.
    .addOption(
      new Option("--ci <ci>", "CI to write workflows for").choices(["github", "gitlab", "none"]).env("PLX_INIT_CI"),
    )
    .addOption(new Option("--hooks", "also write .pre-commit-config.yaml"))
    .addOption(new Option("--label <label>", "release label the deploy job publishes to (default prod)"))
    // Not PLX_FORCE: exported for pull or push, it must not make init replace workflow files.
    .addOption(new Option("--force", "replace files that exist").env("PLX_INIT_FORCE"))
    .addOption(json())
    .addHelpText("after", "\nExample (no questions):\n  plx init --yes --ci github --hooks")
    .action(run("init", () => import("./commands/init.js")));

  program
    .command("check")
    .description("validate prompt files offline: syntax, schema, names, snippets and variables")
    .argument("[files...]", "prompt files to check (default: all); other files are ignored")
    .addOption(
      new Option(
        "--codequality <file>",
        "also write findings as a GitLab code quality report (artifacts:reports:codequality)",
      ).env("PLX_CODEQUALITY"),
    )
    .addOption(json())
    .addHelpText("after", "\nExit 1 when any error is found; warnings alone exit 0.")
    .action(run("check", () => import("./commands/check.js")));

  program
    .command("sandbox")
    .description("run a local PromptLayer-compatible server for tests, demos and CI rehearsals")
    .addOption(
      new Option("--port <n>", "port to listen on; 0 picks a free one")
        .default(0)
        .env("PLX_SANDBOX_PORT")
        .argParser(parseInteger(0, 65535)),
    )
    .addOption(new Option("--host <host>", "interface to listen on").default("127.0.0.1").env("PLX_SANDBOX_HOST"))
    .addOption(new Option("--data <file>", "keep state in this JSON file across restarts").env("PLX_SANDBOX_DATA"))
    .addOption(
      new Option("--api-key <key>", "accept only this X-API-KEY (default: any non-empty key)").env(
        "PLX_SANDBOX_API_KEY",
      ),
    )
    .addOption(
      new Option("--latency <ms>", "delay added to every response")
        .env("PLX_SANDBOX_LATENCY")
        .argParser(parseInteger(0, 600_000)),
    )
    .addOption(
      new Option("--fail-rate <r>", "share of requests answered with a 5xx (0..1)")
        .env("PLX_SANDBOX_FAIL_RATE")
        .argParser(parseFraction),
    )
    .addOption(
      new Option("--rate-limit <n>", "requests per second before answering 429 with Retry-After")
        .env("PLX_SANDBOX_RATE_LIMIT")
        .argParser(parseInteger(1)),
    )
    .addOption(
      new Option("--drop-rate <r>", "share of connections dropped without an answer (0..1)")
        .env("PLX_SANDBOX_DROP_RATE")
        .argParser(parseFraction),
    )
    .addOption(
      new Option("--slow-body <ms>", "spread each response body over this many milliseconds")
        .env("PLX_SANDBOX_SLOW_BODY")
        .argParser(parseInteger(0, 600_000)),
    )
    .addOption(
      new Option(
        "--stale-reads <ms>",
        "for this long after a new version, reads without Cache-Control: no-cache still answer the previous one",
      )
        .env("PLX_SANDBOX_STALE_READS")
        .argParser(parseInteger(0, 600_000)),
    )
    .addOption(
      new Option("--seed <n>", "seed for the fault decisions, to replay a run")
        .env("PLX_SANDBOX_SEED")
        .argParser(parseInteger(0)),
    )
    .addOption(
      new Option("--webhook-url <url>", "POST PromptLayer webhook events here")
        .env("PLX_SANDBOX_WEBHOOK_URL")
        .argParser(parseHttpUrl),
    )
    .addOption(
      new Option("--webhook-secret <secret>", "secret that signs webhook events").env("PLX_SANDBOX_WEBHOOK_SECRET"),
    )
    .addHelpText(
      "after",
      `
The first line on stdout is "listening on http://127.0.0.1:<port>"; one line per request follows on stderr.
Example:
  plx sandbox --port 4010 --data .plx-sandbox.json
  PROMPTLAYER_BASE_URL=http://127.0.0.1:4010 PROMPTLAYER_API_KEY=dev plx pull`,
    )
    .action(async (_options, command: Command) => {
      await execute("sandbox", () => import("./commands/sandbox.js"), command.optsWithGlobals());
    });

  giveEveryFlagAnEnvTwin(program);
  return program;
}

/**
 * Every flag can also come from the environment, as PLX_<FLAG_NAME>, so CI systems that configure jobs through
 * variables need no argument plumbing. Explicit twins (PLX_SANDBOX_*, PROMPTLAYER_*) are kept; --help, --version
 * and the negated colour/upload switches are left out (NO_COLOR and FORCE_COLOR are their twins).
 */
function giveEveryFlagAnEnvTwin(root: Command): void {
  const commands = [root];
  for (const command of commands) {
    commands.push(...command.commands);
    for (const option of command.options) {
      if (option.envVar || option.negate || !option.long || ["--help", "--version", "--color"].includes(option.long))
        continue;
      option.env(
        `PLX_${option
          .attributeName()
          .replace(/[A-Z]/g, (letter) => `_${letter}`)
          .toUpperCase()}`,
      );
    }
  }
}

/** Values of a boolean flag's env twin that mean "off", as a CI variable left at 0 or false should. */
const OFF = new Set(["", "0", "false", "no", "off"]);

/**
 * Commander turns a boolean flag on whenever its env twin is set, whatever the value. Returns the twins set to a
 * value meaning off, which the caller removes from the environment before parsing.
 */
export function switchedOffEnvTwins(program: Command, env: Readonly<Record<string, string | undefined>>): string[] {
  const names = new Set<string>();
  const commands = [program];
  for (const command of commands) {
    commands.push(...command.commands);
    for (const option of command.options) {
      const value = option.envVar === undefined ? undefined : env[option.envVar];
      // Negated flags (--no-input) are boolean too, though commander's isBoolean() says otherwise.
      if ((option.isBoolean() || option.negate) && value !== undefined && OFF.has(value.trim().toLowerCase()))
        names.add(option.envVar!);
    }
  }
  return [...names];
}
