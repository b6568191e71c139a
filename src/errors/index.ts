/**
 * plx's typed errors. Every failure a user can meet is a PlxError made from one entry of the catalog below: a
 * permanent code, a message that says what happened and why, a hint that says what to do, and an exit code.
 * Anything else reaching the top-level handler is a bug.
 */
import { agentErrors } from "./agents.js";
import { ciErrors } from "./ci.js";
import { configErrors } from "./config.js";
import type { ErrorEntry, ExitCode } from "./define.js";
import { evalErrors } from "./evals.js";
import { fileErrors } from "./files.js";
import { forgeErrors } from "./forge.js";
import { generalErrors } from "./general.js";
import { remoteErrors } from "./remote.js";
import { runErrors } from "./run.js";
import { syncErrors } from "./sync.js";
import { webhookErrors } from "./webhook.js";

export { ExitCode } from "./define.js";
export type { FileProblemParams } from "./files.js";

/** Every error plx can raise, by code. `--json` consumers can switch on the code; README lists them all. */
export const catalog = {
  ...generalErrors,
  ...configErrors,
  ...fileErrors,
  ...remoteErrors,
  ...syncErrors,
  ...evalErrors,
  ...ciErrors,
  ...runErrors,
  ...agentErrors,
  ...webhookErrors,
  ...forgeErrors,
};

export type ErrorCode = keyof typeof catalog;
type ParamsOf<C extends ErrorCode> = Parameters<(typeof catalog)[C]["message"]>[0];
interface RaiseOptions {
  cause?: unknown;
}
type RaiseArgs<C extends ErrorCode> =
  undefined extends ParamsOf<C>
    ? [params?: ParamsOf<C>, options?: RaiseOptions]
    : [params: ParamsOf<C>, options?: RaiseOptions];

export interface PlxErrorJson {
  code: ErrorCode;
  message: string;
  hint?: string;
  details?: Record<string, unknown>;
  exitCode: number;
}

export class PlxError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly exitCode: ExitCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    fields: { hint?: string; exitCode: ExitCode; details?: Record<string, unknown>; cause?: unknown },
  ) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = "PlxError";
    this.code = code;
    this.hint = fields.hint;
    this.exitCode = fields.exitCode;
    this.details = fields.details;
  }

  /** The same error with what the command had done before it, so the user knows the state it left. */
  withProgress(progress: string, hint?: string): PlxError {
    return new PlxError(this.code, `${this.message.replace(/\.$/, "")}. ${progress}`, {
      hint: hint ?? this.hint,
      exitCode: this.exitCode,
      details: this.details,
      cause: this.cause,
    });
  }

  toJSON(): PlxErrorJson {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(this.details === undefined ? {} : { details: this.details }),
      exitCode: this.exitCode,
    };
  }
}

/** Makes the error the catalog describes for `code`, from that entry's parameters. */
export function plxError<C extends ErrorCode>(code: C, ...[params, options]: RaiseArgs<C>): PlxError {
  const entry = catalog[code] as ErrorEntry<ParamsOf<C>>;
  const hint = typeof entry.hint === "function" ? entry.hint(params as ParamsOf<C>) : entry.hint;
  return new PlxError(code, entry.message(params as ParamsOf<C>), {
    exitCode: entry.exit,
    hint,
    details: entry.details?.(params as ParamsOf<C>),
    cause: options?.cause,
  });
}

export const isPlxError = (error: unknown): error is PlxError => error instanceof PlxError;

/** Whether an error is the run being interrupted (Ctrl-C), which every loop must let through at once. */
export const isInterruption = (error: unknown): boolean => isPlxError(error) && error.code === "INTERRUPTED";
