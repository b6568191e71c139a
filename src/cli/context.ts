import type { CiEnvironment } from "../ci/detect.js";
import type { Redactor } from "../redact.js";
import type { Env, Logger, Styles } from "./io.js";

/** Everything a command may use from the outside world, built once per run by the CLI. */
export interface Context {
  cwd: string;
  env: Env;
  /** Progress and diagnostics, on stderr. */
  log: Logger;
  /** Writes one result line to stdout right away, for commands whose result is a stream (the sandbox). */
  emit(line: string): void;
  /** Aborted on Ctrl-C or SIGTERM. */
  signal: AbortSignal;
  ci: CiEnvironment;
  /** True only when a person can answer a prompt: both streams are terminals, not CI, not --json. */
  interactive: boolean;
  redactor: Redactor;
  styles: { stdout: Styles; stderr: Styles };
  /** Global connection settings, already resolved from flags and environment. */
  remoteSettings: RemoteSettings;
}

export interface RemoteSettings {
  baseUrl: string;
  apiKey: string | undefined;
  concurrency: number;
  timeoutMs: number;
}

export const DEFAULT_BASE_URL = "https://api.promptlayer.com";
export const DEFAULT_CONCURRENCY = 16;
export const DEFAULT_TIMEOUT_MS = 60_000;

/** Flag > PLX_* > PROMPTLAYER_* > default; the API key only ever comes from the environment. */
export function resolveRemoteSettings(
  flags: { baseUrl?: string; concurrency?: number; timeout?: number },
  env: Env,
): RemoteSettings {
  const nonEmpty = (value: string | undefined) => (value === undefined || value.trim() === "" ? undefined : value.trim());
  const baseUrl = (flags.baseUrl ?? nonEmpty(env.PLX_BASE_URL) ?? nonEmpty(env.PROMPTLAYER_BASE_URL) ?? DEFAULT_BASE_URL).replace(/\/+$/, "");
  return {
    baseUrl,
    apiKey: nonEmpty(env.PLX_API_KEY) ?? nonEmpty(env.PROMPTLAYER_API_KEY),
    concurrency: flags.concurrency ?? DEFAULT_CONCURRENCY,
    timeoutMs: flags.timeout ?? DEFAULT_TIMEOUT_MS,
  };
}
