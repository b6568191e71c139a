// The shape of an entry in plx's error catalog. Kept apart from the catalog itself so that each area's entries can
// be written in their own file without importing every other area.

export const ExitCode = {
  Ok: 0,
  /** The command ran and the answer is negative: differences, findings, a failed gate, failed items. */
  Negative: 1,
  /** Usage, configuration, an invalid local file, or a request PromptLayer refused because of what was sent. */
  Usage: 2,
  /** The remote or the network failed, after retries. */
  Remote: 3,
  /** An API key or token is missing or was rejected. */
  Auth: 4,
  /** The remote changed since the last sync, or a saved plan is stale. */
  Conflict: 5,
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * One kind of failure: the exit code, a message that says what happened and why, a hint that says what to do, and
 * facts for `--json` consumers. Each is a function of the entry's parameters, so the wording lives here only.
 */
export interface ErrorEntry<P> {
  exit: ExitCode;
  message: (params: P) => string;
  hint?: string | ((params: P) => string);
  /** Extra facts for --json consumers (file, line, status…). Must hold nothing secret. */
  details?: (params: P) => Record<string, unknown>;
}

// biome-ignore lint/suspicious/noExplicitAny: each entry declares its own parameter type; `any` lets them share one record type.
export type ErrorEntries = Record<string, ErrorEntry<any>>;

/** Declares an area's entries, keeping each entry's own parameter type. */
export const defineErrors = <const T extends ErrorEntries>(entries: T): T => entries;

/** One entry, its parameters declared once for the message, the hint and the details alike. */
export const entry = <P = undefined>(spec: ErrorEntry<P>): ErrorEntry<P> => spec;
