// Runs plx's main() in this process with captured streams: the in-process tier's way to drive a whole command.
import { main } from "../../src/cli/main.js";

export interface InProcessResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * `env` replaces the environment entirely. PLX_CI=0 unless the test says otherwise, so a CI runner's own variables
 * cannot turn on CI behaviour the test did not ask for.
 */
export async function runInProcess(
  argv: readonly string[],
  options: { cwd: string; env?: Record<string, string>; tty?: boolean },
): Promise<InProcessResult> {
  let stdout = "";
  let stderr = "";
  const exitCode = await main(
    argv,
    { PLX_CI: "0", NO_COLOR: "1", ...options.env },
    {
      stdout: { write: (chunk: string) => (stdout += chunk), isTTY: options.tty ?? false, columns: 100 },
      stderr: { write: (chunk: string) => (stderr += chunk), isTTY: options.tty ?? false, columns: 100 },
      stdinIsTTY: false,
      cwd: options.cwd,
    },
  );
  return { exitCode, stdout, stderr };
}
