// Runs plx's CLI in this process, as `main(argv, env, io)`, with captured streams.
import { main } from "../../src/cli/main.js";

export interface InProcessResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export async function plxInProcess(
  argv: string[],
  options: { cwd: string; env: Record<string, string | undefined> },
): Promise<InProcessResult> {
  let stdout = "";
  let stderr = "";
  const exitCode = await main(argv, options.env, {
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    stdinIsTTY: false,
    cwd: options.cwd,
  });
  return { exitCode, stdout, stderr };
}
