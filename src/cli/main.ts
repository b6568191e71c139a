import { readFileSync } from "node:fs";
import { ExitCode } from "../errors/index.js";
import { PLX_VERSION } from "../version.js";
import type { Env, Io, OutputStream } from "./io.js";
import type { RawInvocation } from "./program.js";

/**
 * The process boundary: the only place that reads argv, the environment, the working directory and the real
 * streams, and listens for signals. Returns the exit code; bin/plx.js assigns it to process.exitCode. Tests call
 * it in-process with their own argv, environment and captured streams.
 */
export async function main(
  argv: readonly string[] = process.argv.slice(2),
  env: Env = process.env,
  io: Io = defaultIo(),
): Promise<number> {
  if (io.stdout === process.stdout) quietOnClosedPipe();
  // The most common probes answer before commander is even loaded: start-up is most of their cost. plx's version is
  // asked for first on the line; after a command, --version is that command's (plx run name --version 3).
  if (["--version", "-v", "-V"].includes(argv[0]!)) {
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
  const [{ CommanderError }, { createProgram, commandTree }] = await Promise.all([
    import("commander"),
    import("./program.js"),
  ]);
  let invoked: RawInvocation | undefined;
  const program = createProgram((raw) => {
    invoked = raw;
  });
  let commanderError: string | undefined;
  for (const command of commandTree(program)) {
    command.exitOverride().configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // Commander's own complaints are rendered like every other plx error, below.
      outputError: (text) => {
        commanderError = text;
      },
    });
  }
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // Help and version exit 0; everything else commander rejects is a usage error.
    if (error.exitCode === 0) return ExitCode.Ok;
    const { reportArgumentError } = await import("./run-command.js");
    return reportArgumentError({ argv, env, io, message: commanderError ?? error.message });
  }
  if (!invoked) return ExitCode.Ok;

  const interruption = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    // A second Ctrl-C means "now": stop waiting for in-flight work to settle.
    if (interruption.signal.aborted) process.exit(ExitCode.Interrupted);
    interruption.abort(signal);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const { runCommand } = await import("./run-command.js");
    return await runCommand({ raw: invoked, env, io, signal: interruption.signal });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

function defaultIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdinIsTTY: Boolean(process.stdin.isTTY),
    cwd: process.cwd(),
  };
}

let pipeGuarded = false;
/** `plx … | head` closes the pipe early: stop quietly, as other command-line tools do, instead of crashing. */
function quietOnClosedPipe(): void {
  if (pipeGuarded) return;
  pipeGuarded = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE") throw error;
      process.exit(process.exitCode ?? ExitCode.Ok);
    });
  }
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
