// GitHub Actions workflow commands and environment files. Everything here builds strings or appends to a
// file whose path the caller passes in (from $GITHUB_OUTPUT / $GITHUB_STEP_SUMMARY); nothing reads `process`.
// Formats: docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands, escaping as in
// actions/toolkit packages/core/src/command.ts, heredoc outputs as in packages/core/src/file-command.ts.
import { randomBytes, randomUUID } from "node:crypto";
import { appendFile, stat } from "node:fs/promises";

export type AnnotationLevel = "error" | "warning" | "notice";

export interface AnnotationProperties {
  /** Repository-relative path. */
  file?: string;
  /** 1-based. */
  line?: number;
  endLine?: number;
  /** 1-based. */
  col?: number;
  endColumn?: number;
  title?: string;
}

/** Message text: `%` first, then CR and LF. */
export function escapeData(value: string): string {
  return value.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** Property values: as data, plus `:` and `,`, which would end the value. */
export function escapeProperty(value: string): string {
  return escapeData(value).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

const positive = (n: number | undefined): n is number => n !== undefined && Number.isInteger(n) && n >= 1;

/** One `::error file=…,line=…::message` line (no trailing newline). Empty or invalid properties are left out. */
export function annotation(level: AnnotationLevel, message: string, properties: AnnotationProperties = {}): string {
  const props: string[] = [];
  if (properties.file) props.push(`file=${escapeProperty(properties.file)}`);
  if (positive(properties.line)) {
    props.push(`line=${properties.line}`);
    if (positive(properties.endLine) && properties.endLine >= properties.line)
      props.push(`endLine=${properties.endLine}`);
    if (positive(properties.col)) {
      props.push(`col=${properties.col}`);
      if (positive(properties.endColumn)) props.push(`endColumn=${properties.endColumn}`);
    }
  }
  if (properties.title) props.push(`title=${escapeProperty(properties.title)}`);
  return `::${level}${props.length > 0 ? ` ${props.join(",")}` : ""}::${escapeData(message)}`;
}

/**
 * GitHub keeps at most 10 error and 10 warning annotations per step and 50 per job, and drops the rest silently
 * (actions/toolkit#734). Notices get the same per-step cap here, to be safe.
 */
export const ANNOTATION_LIMITS = { error: 10, warning: 10, notice: 10, total: 50 } as const;

export interface AnnotationLimits {
  error: number;
  warning: number;
  notice: number;
  total: number;
}

export interface PendingAnnotation {
  level: AnnotationLevel;
  message: string;
  properties: AnnotationProperties;
}

/**
 * Hands out annotation lines while GitHub will still show them, and keeps whatever is past the caps so the caller
 * can list it in the step summary instead. One Annotator per step (that is, per plx run).
 */
export class Annotator {
  private readonly counts: Record<AnnotationLevel, number> = { error: 0, warning: 0, notice: 0 };
  private readonly dropped: PendingAnnotation[] = [];

  constructor(private readonly limits: AnnotationLimits = ANNOTATION_LIMITS) {}

  /** The line to print, or undefined when a cap was reached (the annotation is then kept in `overflow`). */
  add(level: AnnotationLevel, message: string, properties: AnnotationProperties = {}): string | undefined {
    if (this.counts[level] >= this.limits[level] || this.emitted >= this.limits.total) {
      this.dropped.push({ level, message, properties });
      return undefined;
    }
    this.counts[level] += 1;
    return annotation(level, message, properties);
  }

  get emitted(): number {
    return this.counts.error + this.counts.warning + this.counts.notice;
  }

  count(level: AnnotationLevel): number {
    return this.counts[level];
  }

  /** Annotations that were not emitted because of the caps, in the order they were added. */
  get overflow(): readonly PendingAnnotation[] {
    return this.dropped;
  }
}

/** Folds the following log lines. Groups do not nest: close one before opening the next. */
export const group = (name: string): string => `::group::${escapeData(name)}`;
export const endGroup = (): string => "::endgroup::";

/** Registers a secret with the runner; print it before the value could ever be printed. */
export const addMask = (value: string): string => `::add-mask::${escapeData(value)}`;

/**
 * Brackets untrusted text (prompt bodies, model output) so any `::command::` inside it is not executed.
 * Print `start`, the text, then `end`.
 */
export function stopCommands(token: string = randomBytes(16).toString("hex")): {
  start: string;
  end: string;
  token: string;
} {
  return { start: `::stop-commands::${token}`, end: `::${token}::`, token };
}

// ---- Environment files ----

/** GitHub allows 1 MiB per step summary; stay a little under it, as the conventions advise. */
export const STEP_SUMMARY_LIMIT_BYTES = 1_000_000;

export const SUMMARY_TRUNCATED_NOTICE =
  "\n\n> **Truncated:** this summary reached GitHub's size limit for one step; the job log has the full report.\n";

/** The longest prefix of `text` that fits in `maxBytes` of UTF-8, never splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  const buffer = Buffer.from(text, "utf8");
  if (buffer.length <= maxBytes) return text;
  let end = Math.max(0, maxBytes);
  while (end > 0 && (buffer[end]! & 0xc0) === 0x80) end -= 1;
  return buffer.subarray(0, end).toString("utf8");
}

export interface SummaryWriteResult {
  /** Bytes appended. */
  bytes: number;
  truncated: boolean;
}

/**
 * Appends Markdown to the step summary file. What the step already wrote counts toward the limit; past it the text
 * is cut at a character boundary and a notice is added, so the upload never fails.
 */
export async function appendStepSummary(
  path: string,
  markdown: string,
  options: { limitBytes?: number } = {},
): Promise<SummaryWriteResult> {
  const limit = options.limitBytes ?? STEP_SUMMARY_LIMIT_BYTES;
  const existing = await stat(path).then(
    (s) => s.size,
    () => 0,
  );
  // A blank line between sections: after an HTML block (`</details>`) Markdown would swallow the next heading.
  const text = (existing > 0 ? "\n" : "") + (markdown.endsWith("\n") ? markdown : `${markdown}\n`);
  const room = limit - existing;
  let out = text;
  let truncated = false;
  if (Buffer.byteLength(text, "utf8") > room) {
    truncated = true;
    const noticeBytes = Buffer.byteLength(SUMMARY_TRUNCATED_NOTICE, "utf8");
    out = room > noticeBytes ? truncateUtf8(text, room - noticeBytes) + SUMMARY_TRUNCATED_NOTICE : "";
  }
  if (out !== "") await appendFile(path, out, "utf8");
  return { bytes: Buffer.byteLength(out, "utf8"), truncated };
}

export type OutputValue = string | number | boolean | null | undefined;

const OUTPUT_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * The text to append to $GITHUB_OUTPUT: `name=value` lines, and `name<<DELIM … DELIM` for values with line breaks,
 * with a random delimiter that the value does not contain. null/undefined values are skipped.
 */
export function formatOutputs(
  record: Readonly<Record<string, OutputValue>>,
  makeDelimiter: () => string = () => `ghadelimiter_${randomUUID()}`,
): string {
  let out = "";
  for (const [name, raw] of Object.entries(record)) {
    if (raw === undefined || raw === null) continue;
    if (!OUTPUT_NAME.test(name)) throw new TypeError(`Invalid GitHub output name: ${JSON.stringify(name)}`);
    const value = String(raw);
    if (!/[\r\n]/.test(value)) {
      out += `${name}=${value}\n`;
      continue;
    }
    let delimiter = makeDelimiter();
    for (let tries = 0; value.includes(delimiter) || name.includes(delimiter); tries += 1) {
      if (tries >= 10) throw new Error("Could not find an output delimiter absent from the value.");
      delimiter = `ghadelimiter_${randomUUID()}`;
    }
    out += `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
  }
  return out;
}

/** Appends step outputs to the $GITHUB_OUTPUT file. */
export async function setOutputs(path: string, record: Readonly<Record<string, OutputValue>>): Promise<void> {
  const text = formatOutputs(record);
  if (text !== "") await appendFile(path, text, "utf8");
}

/** `$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID`, when all three are known. */
export function githubRunUrl(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const server = env.GITHUB_SERVER_URL || "https://github.com";
  if (!env.GITHUB_REPOSITORY || !env.GITHUB_RUN_ID) return undefined;
  return `${server.replace(/\/+$/, "")}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`;
}
