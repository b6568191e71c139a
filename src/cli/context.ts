import type { CiEnvironment } from "../ci/detect.js";
import type { CiReporter } from "../ci/report.js";
import type { ResolvedConfig } from "../config/schema.js";
import type { PromptLayerClient } from "../promptlayer/index.js";
import type { Redactor } from "../redact.js";
import type { Activity, Env, Logger, Styles } from "./io.js";

/** Questions for the person at the terminal; only asked when `Context.interactive` is true. */
export interface Prompter {
  /** False when declined or cancelled. */
  confirm(message: string, options?: { initial?: boolean }): Promise<boolean>;
  /** Undefined when cancelled. */
  select<T extends string>(
    message: string,
    choices: ReadonlyArray<{ value: T; label: string }>,
    initial?: T,
  ): Promise<T | undefined>;
  /** Undefined when cancelled. */
  text(message: string, initial?: string): Promise<string | undefined>;
}

/** Everything a command may use from the outside world, built once per run by the CLI. */
export interface Context {
  cwd: string;
  env: Env;
  /** Progress and diagnostics, on stderr. */
  log: Logger;
  /** A progress indicator on stderr: a line redrawn in place in a terminal, a few plain lines elsewhere. */
  progress(label: string): Progress;
  /** What a long wait is doing, on stderr: a spinner in a terminal, a line per change in CI and logs. */
  activity(label: string): Activity;
  /** Writes one result line to stdout right away, for commands whose result is a stream (the sandbox). */
  emit(line: string): void;
  /** Writes result text to stdout right away, with no line break added: a model's answer as it streams in. */
  write(text: string): void;
  /** Aborted on Ctrl-C or SIGTERM. */
  signal: AbortSignal;
  ci: CiEnvironment;
  /** True only when a person can answer a prompt: both streams are terminals, not CI, not --json, not --no-input. */
  interactive: boolean;
  prompt: Prompter;
  redactor: Redactor;
  styles: { stdout: Styles; stderr: Styles };
  /** plx.config.yaml merged with flags and environment; read on first use. */
  config(): Promise<ResolvedConfig>;
  /** Annotations, step summary, outputs and sticky comments for the CI the run is in (a no-op elsewhere); built on first use. */
  reporter(): Promise<CiReporter>;
  /** The PromptLayer client, configured and shared by the whole run; built on first use. */
  remote(): Promise<PromptLayerClient>;
}

export interface Progress {
  update(done: number, total: number): void;
  done(): void;
}
