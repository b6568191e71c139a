// The in-process tier: plx's real `main(argv, env, io)` with captured streams, against `startSandbox()` in the same
// process over real HTTP. No child processes, no build: most behaviour is tested here, fast.
import { afterEach } from "vitest";
import { main } from "../../src/cli/main.js";
import { type RunningSandbox, type SandboxOptions, startSandbox } from "../../src/sandbox/index.js";
import { API_KEY, type Registry, registry } from "./registry.js";
import type { RecordedRequest } from "./cli.js";

export interface Captured {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout as written, write by write: what a terminal showed as it arrived. */
  writes: string[];
}

export interface RunOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  /** Pretend both streams are a terminal (colour stays off unless asked for). */
  tty?: boolean;
}

/** Runs plx in this process, as `plx <args>` would run, and returns what it printed and its exit code. */
export async function plx(args: readonly string[], options: RunOptions): Promise<Captured> {
  const writes: string[] = [];
  let stderr = "";
  const tty = options.tty ?? false;
  const exitCode = await main(
    args,
    // Not in CI unless a test says so, whatever machine runs the suite.
    { NO_COLOR: "1", CI: "false", ...options.env },
    {
      stdout: { write: (chunk: string) => writes.push(String(chunk)), isTTY: tty, columns: 100 },
      stderr: { write: (chunk: string) => (stderr += String(chunk)), isTTY: tty, columns: 100 },
      stdinIsTTY: tty,
      cwd: options.cwd,
    },
  );
  return { exitCode, stdout: writes.join(""), stderr, writes };
}

export interface TestSandbox extends RunningSandbox, Registry {
  /** The environment a user points at this sandbox. */
  env: Record<string, string>;
  requests(): Promise<RecordedRequest[]>;
  clearRequests(): Promise<void>;
  state(): Promise<any>;
  setState(state: unknown): Promise<void>;
  /** Runs plx in `cwd` against this sandbox. */
  plx(cwd: string, ...args: string[]): Promise<Captured>;
}

/** A sandbox per test, closed after it. */
export function sandboxPerTest(defaults: SandboxOptions = {}): (options?: SandboxOptions) => Promise<TestSandbox> {
  const running: RunningSandbox[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((sandbox) => sandbox.close()));
  });
  return async (options = {}) => {
    const sandbox = await startSandbox({ ...defaults, ...options });
    running.push(sandbox);
    const admin = (path: string, init?: RequestInit) => fetch(`${sandbox.url}/__sandbox/${path}`, init);
    const env = { PROMPTLAYER_BASE_URL: sandbox.url, PROMPTLAYER_API_KEY: API_KEY };
    return {
      ...sandbox,
      ...registry(sandbox.url),
      env,
      requests: async () => (await admin("requests")).json() as Promise<any>,
      clearRequests: async () => void (await admin("requests", { method: "DELETE" })),
      state: async () => (await admin("state")).json(),
      setState: async (state) => {
        const response = await admin("state", { method: "PUT", body: JSON.stringify(state) });
        if (response.status !== 204)
          throw new Error(`PUT /__sandbox/state: ${response.status} ${await response.text()}`);
      },
      plx: (cwd, ...args) => plx(args, { cwd, env }),
    };
  };
}

export { commitAll, edit, git, newRepo, readJson } from "./repo.js";
