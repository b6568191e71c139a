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
