// Runs the built plx binary as a user would, and starts `plx sandbox` as a real child process.
import { execa, type ResultPromise } from "execa";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach } from "vitest";

export const PLX_BIN = fileURLToPath(new URL("../../bin/plx.js", import.meta.url));

/** A clean environment: no CI variables, no colour, no keys, unless a test adds them. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(CI|GITHUB_|GITLAB_|RUNNER_|PLX_|PROMPTLAYER_|FORCE_COLOR|NO_COLOR)/.test(key)) env[key] = undefined;
  }
  return { ...env, NO_COLOR: "1", ...extra };
}

export interface PlxResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export async function runPlx(
  args: string[],
  options: { cwd?: string; env?: Record<string, string | undefined>; input?: string; node?: string } = {},
): Promise<PlxResult> {
  const result = await execa(options.node ?? process.execPath, [PLX_BIN, ...args], {
    cwd: options.cwd,
    env: options.env ?? cleanEnv(),
    extendEnv: false,
    reject: false,
    input: options.input ?? "",
    timeout: 120_000,
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** A request the sandbox recorded, as GET /__sandbox/requests lists it. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, unknown>;
  headers: Record<string, string>;
  body: any;
  status: number;
}

export interface SandboxProcess {
  url: string;
  process: ResultPromise;
  stderrLines: string[];
  /** Recorded API requests (the sandbox's admin endpoint). */
  requests(): Promise<RecordedRequest[]>;
  state(): Promise<any>;
  stop(signal?: NodeJS.Signals): Promise<{ exitCode: number | undefined; stdout: string }>;
}

export interface ServerProcess {
  url: string;
  process: ResultPromise;
  stderrLines: string[];
  stop(signal?: NodeJS.Signals): Promise<{ exitCode: number | undefined; stdout: string }>;
}

/** Starts a plx command that serves (`sandbox`, `cache serve`) and resolves once it prints its "listening on" line. */
export async function startServerProcess(args: string[], env = cleanEnv()): Promise<ServerProcess> {
  const child = execa(process.execPath, [PLX_BIN, ...args], {
    env,
    extendEnv: false,
    reject: false,
    buffer: { stdout: true, stderr: false },
  });
  const stderrLines: string[] = [];
  createInterface({ input: child.stderr! }).on("line", (line) => stderrLines.push(line));
  const firstLine = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once("line", (line) => resolve(line));
    void child.then((result) =>
      reject(new Error(`plx ${args[0]} exited with ${result.exitCode} before listening:\n${stderrLines.join("\n")}`)),
    );
  });
  const match = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(firstLine);
  if (!match) throw new Error(`unexpected first line from plx ${args[0]}: ${firstLine}`);
  return {
    url: match[1]!,
    process: child,
    stderrLines,
    stop: async (signal = "SIGTERM") => {
      child.kill(signal);
      const result = await child;
      return { exitCode: result.exitCode, stdout: String(result.stdout) };
    },
  };
}

/** Starts `plx sandbox --port 0 …` and resolves once it prints its "listening on" line. */
export async function startSandboxProcess(args: string[] = [], env = cleanEnv()): Promise<SandboxProcess> {
  const server = await startServerProcess(["sandbox", "--port", "0", ...args], env);
  return {
    ...server,
    requests: async () => (await fetch(`${server.url}/__sandbox/requests`)).json() as Promise<any>,
    state: async () => (await fetch(`${server.url}/__sandbox/state`)).json(),
  };
}

/** A sandbox starter whose sandboxes all stop after each test, stopped early or not. */
export function sandboxesPerTest(): (args?: string[]) => Promise<SandboxProcess> {
  const running: SandboxProcess[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((sandbox) => sandbox.stop()));
  });
  return async (args = []) => {
    const started = await startSandboxProcess(args);
    running.push(started);
    return started;
  };
}
