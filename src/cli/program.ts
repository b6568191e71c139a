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
      new Option("--concurrency <n>", "most requests in flight at once (default 16)").env("PLX_CONCURRENCY").argParser(parseInteger(1, 256)),
    )
    .addOption(
      new Option("--timeout <ms>", "time limit for one HTTP request (default 60000)").env("PLX_TIMEOUT").argParser(parseInteger(100)),
    )
    .addOption(new Option("--color", "force colour output"))
    .addOption(new Option("--no-color", "disable colour output"))
    .addOption(new Option("--debug", "log requests and show stack traces of unexpected errors").env("PLX_DEBUG"))
    .addOption(new Option("--prompts-dir <dir>", "directory of prompt files (default prompts; env PLX_PROMPTS_DIR)"))
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
  const label = (what: string) => new Option("--label <label>", what).env("PLX_LABEL");
  const run = (name: string, load: CommandLoader) => async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    const positional = command.processedArgs[0] as string[] | undefined;
    await execute(name, load, { ...command.optsWithGlobals(), names: positional ?? [], files: positional ?? [] });
  };

  program
    .command("pull")
    .description("write PromptLayer's templates into prompt files and plx.lock")
    .argument("[names...]", "template names or globs (default: all)")
    .addOption(label("pull the versions this release label points at"))
    .addOption(new Option("--dry-run", "show what would change and write nothing").env("PLX_DRY_RUN"))
    .addOption(new Option("--force", "overwrite local edits and conflicts with the remote version").env("PLX_FORCE"))
    .addOption(new Option("--prune", "delete files whose template is gone from PromptLayer").env("PLX_PRUNE"))
    .addOption(json())
    .addHelpText("after", "\nLocal edits not yet pushed are never overwritten without --force.\nExample:\n  plx pull 'support/*' --dry-run")
    .action(run("pull", () => import("./commands/pull.js")));

  program
    .command("diff")
    .description("show how prompt files differ from PromptLayer, by kind of change")
    .argument("[names...]", "template names or globs (default: all)")
    .addOption(label("compare with the versions this release label points at"))
    .addOption(new Option("--name-only", "list the changed templates only"))
    .addOption(new Option("--stat", "list changed templates with added and removed line counts"))
    .addOption(new Option("--exit-code", "exit 1 when anything differs, as git diff --exit-code").env("PLX_EXIT_CODE"))
    .addOption(json())
    .action(run("diff", () => import("./commands/diff.js")));

  program
    .command("status")
    .description("list prompt files changed since the last sync (offline; --remote asks PromptLayer too)")
    .argument("[names...]", "template names or globs (default: all)")
    .addOption(new Option("--remote", "also compare with PromptLayer"))
    .addOption(label("with --remote, compare with the versions this label points at"))
    .addOption(new Option("--exit-code", "exit 1 when anything changed").env("PLX_EXIT_CODE"))
    .addOption(json())
    .action(run("status", () => import("./commands/status.js")));

  program
    .command("check")
    .description("validate prompt files offline: syntax, schema, names, snippets and variables")
    .argument("[files...]", "prompt files to check (default: all); other files are ignored")
    .addOption(json())
    .addHelpText("after", "\nExit 1 when any error is found; warnings alone exit 0.")
    .action(run("check", () => import("./commands/check.js")));

  program
    .command("sandbox")
    .description("run a local PromptLayer-compatible server for tests, demos and CI rehearsals")
    .addOption(new Option("--port <n>", "port to listen on; 0 picks a free one").default(0).env("PLX_SANDBOX_PORT").argParser(parseInteger(0, 65535)))
    .addOption(new Option("--host <host>", "interface to listen on").default("127.0.0.1").env("PLX_SANDBOX_HOST"))
    .addOption(new Option("--data <file>", "keep state in this JSON file across restarts").env("PLX_SANDBOX_DATA"))
    .addOption(new Option("--api-key <key>", "accept only this X-API-KEY (default: any non-empty key)").env("PLX_SANDBOX_API_KEY"))
    .addOption(new Option("--latency <ms>", "delay added to every response").env("PLX_SANDBOX_LATENCY").argParser(parseInteger(0, 600_000)))
    .addOption(new Option("--fail-rate <r>", "share of requests answered with a 5xx (0..1)").env("PLX_SANDBOX_FAIL_RATE").argParser(parseFraction))
    .addOption(
      new Option("--rate-limit <n>", "requests per second before answering 429 with Retry-After").env("PLX_SANDBOX_RATE_LIMIT").argParser(parseInteger(1)),
    )
    .addOption(new Option("--drop-rate <r>", "share of connections dropped without an answer (0..1)").env("PLX_SANDBOX_DROP_RATE").argParser(parseFraction))
    .addOption(
      new Option("--slow-body <ms>", "spread each response body over this many milliseconds").env("PLX_SANDBOX_SLOW_BODY").argParser(parseInteger(0, 600_000)),
    )
    .addOption(new Option("--seed <n>", "seed for the fault decisions, to replay a run").env("PLX_SANDBOX_SEED").argParser(parseInteger(0)))
    .addOption(new Option("--webhook-url <url>", "POST PromptLayer webhook events here").env("PLX_SANDBOX_WEBHOOK_URL").argParser(parseHttpUrl))
    .addOption(new Option("--webhook-secret <secret>", "secret that signs webhook events").env("PLX_SANDBOX_WEBHOOK_SECRET"))
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

  return program;
}
