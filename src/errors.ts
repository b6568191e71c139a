/**
 * plx's typed errors. Every failure a user can meet is a PlxError with a permanent code,
 * a message that says what happened and why, a hint that says what to do, and an exit code.
 * Anything else reaching the top-level handler is a bug.
 */

export const ExitCode = {
  Ok: 0,
  /** The command ran and the answer is negative: differences, findings, a failed gate, failed items. */
  Negative: 1,
  /** Usage, configuration or an invalid local file. */
  Usage: 2,
  /** The remote or the network failed, after retries. */
  Remote: 3,
  /** The API key is missing or was rejected. */
  Auth: 4,
  /** The remote changed since the last sync, or a saved plan is stale. */
  Conflict: 5,
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface PlxErrorOptions {
  hint?: string;
  exitCode: ExitCode;
  /** Extra facts for --json consumers (file, line, status…). Must hold nothing secret. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class PlxError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly exitCode: ExitCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, options: PlxErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "PlxError";
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode;
    this.details = options.details;
  }

  toJSON(): { code: string; message: string; hint?: string; details?: Record<string, unknown>; exitCode: number } {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(this.details === undefined ? {} : { details: this.details }),
      exitCode: this.exitCode,
    };
  }
}

export const isPlxError = (error: unknown): error is PlxError => error instanceof PlxError;

// ---- The catalog: every message plx can show lives below, so wording stays consistent. ----

export const usageError = (message: string, hint?: string, details?: Record<string, unknown>) =>
  new PlxError("USAGE.INVALID", message, { exitCode: ExitCode.Usage, hint, details });

export const configError = (message: string, hint?: string, details?: Record<string, unknown>) =>
  new PlxError("CONFIG.INVALID", message, { exitCode: ExitCode.Usage, hint, details });

export const missingApiKey = () =>
  new PlxError("AUTH.MISSING_KEY", "No PromptLayer API key was given.", {
    exitCode: ExitCode.Auth,
    hint: "Set PROMPTLAYER_API_KEY (or PLX_API_KEY) in the environment; in CI, from a secret.",
  });

export const apiKeyRejected = (status: number, serverMessage: string | undefined) =>
  new PlxError(
    "AUTH.REJECTED",
    `PromptLayer rejected the API key (HTTP ${status})${serverMessage ? `: ${serverMessage}` : "."}`,
    {
      exitCode: ExitCode.Auth,
      hint: "Check that PROMPTLAYER_API_KEY holds a current key for this workspace and that --base-url points at the right server.",
      details: { status },
    },
  );

export const remoteError = (
  status: number,
  method: string,
  path: string,
  serverMessage: string | undefined,
  attempts: number,
) =>
  new PlxError(
    "REMOTE.HTTP_ERROR",
    `PromptLayer answered ${method} ${path} with HTTP ${status}${serverMessage ? `: ${serverMessage}` : ""}${
      attempts > 1 ? ` (after ${attempts} attempts)` : ""
    }.`,
    {
      exitCode: ExitCode.Remote,
      hint:
        status >= 500 || status === 429
          ? "PromptLayer is failing or throttling; run the command again in a while."
          : "The request was refused; the message above says why.",
      details: { status, method, path, attempts },
    },
  );

export const networkError = (method: string, path: string, reason: string, attempts: number) =>
  new PlxError(
    "REMOTE.NETWORK",
    `Could not reach PromptLayer for ${method} ${path}: ${reason}${attempts > 1 ? ` (after ${attempts} attempts)` : ""}.`,
    {
      exitCode: ExitCode.Remote,
      hint: "Check the network and --base-url (or PROMPTLAYER_BASE_URL), then run the command again.",
      details: { method, path, attempts, reason },
    },
  );

export const invalidResponse = (method: string, path: string, problem: string) =>
  new PlxError(
    "REMOTE.INVALID_RESPONSE",
    `PromptLayer's answer to ${method} ${path} was not what plx expects: ${problem}.`,
    {
      exitCode: ExitCode.Remote,
      hint: "If --base-url points at a proxy, check that it passes JSON through; otherwise report this to the plx maintainers.",
      details: { method, path },
    },
  );

export const externalIdConflict = (method: string, path: string, serverMessage: string | undefined) =>
  new PlxError(
    "REMOTE.EXTERNAL_ID_CONFLICT",
    `PromptLayer refused ${method} ${path}: an external ID in it is already attached to another entity${serverMessage ? ` (${serverMessage})` : ""}.`,
    {
      exitCode: ExitCode.Conflict,
      hint: "Another template already carries this external ID; detach it there, or rename the file so its ID is new, then run the command again.",
      details: { status: 409, method, path },
    },
  );

/** A write whose answer was lost, and whose effect plx could not confirm or rule out by reading back. */
export const outcomeUnknown = (action: string, reason: string) =>
  new PlxError("REMOTE.OUTCOME_UNKNOWN", `plx could not tell whether ${action} took effect: ${reason}.`, {
    exitCode: ExitCode.Remote,
    hint: "Run the command again: plx reads the remote state first, so it will not repeat a change that was made.",
    details: { action, reason },
  });

export const interrupted = (doneSoFar?: string) =>
  new PlxError("INTERRUPTED", `Interrupted${doneSoFar ? `; ${doneSoFar}` : "."}`, {
    exitCode: ExitCode.Interrupted,
    hint: "Run the command again to finish; plx picks up where it stopped.",
  });

/** Local prompt files that cannot be read; nothing is sent or written while any exists. */
export const linkOutsidePrompts = (directory: string) =>
  new PlxError(
    "FILES.LINK_OUTSIDE",
    `${directory} is a symbolic link that leads outside the prompts directory; plx does not write through it.`,
    {
      exitCode: ExitCode.Usage,
      hint: "Replace the link with a real directory holding the prompt files; nothing was written.",
      details: { file: directory },
    },
  );

export const invalidFiles = (
  problems: ReadonlyArray<{ path: string; line: number; col: number; message: string; hint: string }>,
) =>
  new PlxError(
    "LOCAL.INVALID_FILE",
    `${problems.length === 1 ? "A prompt file is" : `${problems.length} problems in prompt files are`} in the way; nothing was sent or written:\n${problems
      .map((p) => `  ${p.path}:${p.line}:${p.col}: ${p.message}`)
      .join("\n")}`,
    {
      exitCode: ExitCode.Usage,
      hint:
        problems.length === 1
          ? problems[0]!.hint
          : "Fix the files above (`plx check` explains each problem), then run the command again.",
      details: { problems },
    },
  );
