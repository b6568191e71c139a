import { readFileSync } from "node:fs";
import { ExitCode } from "../errors/index.js";
import { PLX_VERSION } from "../version.js";
import type { Env, Io, OutputStream } from "./io.js";
import type { CommandLoader } from "./program.js";

/**
 * The process boundary: the only place that reads argv, the environment and the real streams,
 * and listens for signals. Returns the exit code; bin/plx.js assigns it to process.exitCode.
 */
export async function main(
  argv: readonly string[] = process.argv.slice(2),
  env: Env = process.env,
  io: Io = { stdout: process.stdout, stderr: process.stderr, stdinIsTTY: Boolean(process.stdin.isTTY) },
): Promise<number> {
  // `plx … | head` closes the pipe early: stop quietly, as other command-line tools do, instead of crashing.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE") throw error;
      process.exit(process.exitCode ?? ExitCode.Ok);
    });
  }
  // The most common probe answers before commander is even loaded: start-up is most of its cost.
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v")) {
    io.stdout.write(`${PLX_VERSION}\n`);
    return ExitCode.Ok;
  }
  if (argv.length === 1 && (argv[0] === "--help" || argv[0] === "-h")) {
    const help = prerenderedHelp(io.stdout);
    if (help !== undefined) {
      io.stdout.write(help);
      return ExitCode.Ok;
    }
  }
  const [{ CommanderError }, { createProgram, switchedOffEnvTwins }] = await Promise.all([
    import("commander"),
    import("./program.js"),
  ]);
  const interruption = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (interruption.signal.aborted) {
      // A second Ctrl-C means "now": stop waiting for in-flight work to settle.
      process.exit(ExitCode.Interrupted);
    }
    interruption.abort(signal);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  let exitCode: number = ExitCode.Ok;
  const execute = async (name: string, load: CommandLoader, options: Record<string, unknown>) => {
    const { runCommand } = await import("./run-command.js");
    exitCode = await runCommand({ name, load, options, env, io, signal: interruption.signal });
  };

  const program = createProgram(execute);
  for (const name of switchedOffEnvTwins(program, process.env)) delete process.env[name];
  // Subcommands copy these settings only when created after them, so apply them to the whole tree.
  const commands = [program];
  for (const command of commands) {
    command
      .exitOverride()
      .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });
    commands.push(...command.commands);
  }

  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // Help and version exit 0; everything else commander rejects is a usage error.
    exitCode = error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  return exitCode;
}

/**
 * The top-level help as the build rendered it, at 80 columns: right for pipes and for any terminal at least that
 * wide. A narrower terminal, or a run from source without a build, goes through commander, which wraps to fit.
 */
function prerenderedHelp(stdout: OutputStream): string | undefined {
  if (stdout.isTTY && (stdout.columns ?? 80) < 80) return undefined;
  try {
    return readFileSync(new URL("./help.txt", import.meta.url), "utf8");
  } catch {
    return undefined;
  }
}
