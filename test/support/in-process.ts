// Runs plx in-process, as `main(argv, env, io)`, with captured streams: the fast tier's way to test a command end to
// end against an in-process sandbox.
import { main } from "../../src/cli/main.js";

export interface InProcessResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout as written, write by write: what a terminal showed as it arrived. */
  writes: string[];
}

export async function runInProcess(
  argv: string[],
  options: { env?: Record<string, string | undefined>; cwd: string; tty?: boolean },
): Promise<InProcessResult> {
  const writes: string[] = [];
  let stderr = "";
  const exitCode = await main(
    argv,
    { NO_COLOR: "1", CI: "false", ...options.env },
    {
      stdout: { write: (chunk: string) => writes.push(chunk), isTTY: options.tty ?? false },
      stderr: { write: (chunk: string) => (stderr += chunk), isTTY: false },
      stdinIsTTY: false,
      cwd: options.cwd,
    },
  );
  return { exitCode, stdout: writes.join(""), stderr, writes };
}
