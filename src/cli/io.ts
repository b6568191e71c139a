import type { Env } from "../core/env.js";
import picocolors from "picocolors";
import type { Redactor } from "../redact.js";

export type { Env };

export interface OutputStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** The process's streams, handed to the CLI by main so nothing below it touches `process`. */
export interface Io {
  stdout: OutputStream;
  stderr: OutputStream;
  stdinIsTTY: boolean;
  /** The directory plx runs in: where it looks for the project. */
  cwd: string;
}

export type Styles = ReturnType<typeof picocolors.createColors>;

/**
 * Decides colour for one stream. Order: --json never; an explicit --color/--no-color wins;
 * NO_COLOR (non-empty) off; FORCE_COLOR by value (0/false off, 1/2/3/true/"" on); TERM=dumb off;
 * then a terminal, or a CI log (GitHub and GitLab render ANSI), gets colour.
 */
export function colorEnabled(options: {
  stream: OutputStream;
  env: Env;
  flag: boolean | undefined;
  json: boolean;
  inCi: boolean;
}): boolean {
  const { stream, env, flag, json, inCi } = options;
  if (json) return false;
  if (flag !== undefined) return flag;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) {
    if (["", "1", "2", "3", "true"].includes(force)) return true;
    if (["0", "false"].includes(force)) return false;
  }
  if (env.TERM === "dumb") return false;
  return Boolean(stream.isTTY) || inCi;
}

export const createStyles = (enabled: boolean): Styles => picocolors.createColors(enabled);

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

/** Progress and diagnostics: always stderr, always redacted, debug lines only when asked for. */
export function createLogger(stderr: OutputStream, styles: Styles, redactor: Redactor, debugEnabled: boolean): Logger {
  const line = (text: string) => stderr.write(`${redactor.redact(text)}\n`);
  return {
    info: (message) => line(message),
    warn: (message) => line(`${styles.yellow("warning:")} ${message}`),
    debug: (message) => {
      if (debugEnabled) line(styles.dim(`debug: ${message}`));
    },
  };
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const SPIN_EVERY_MS = 80;

/**
 * What a long wait is doing, in words that change as it goes. A terminal gets a spinner and the latest words on one
 * line redrawn in place; a log (CI, a file) gets a line each time the words change, and nothing in between.
 */
export function createActivity(stderr: OutputStream, styles: Styles, label: string, live: boolean): Activity {
  let text: string | undefined;
  let frame = 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  const draw = () => {
    stderr.write(`\r\x1b[2K${styles.cyan(SPINNER[frame++ % SPINNER.length]!)} ${styles.dim(`${label}: ${text}`)}`);
  };
  return {
    update(next) {
      if (next === text) return;
      text = next;
      if (!live) {
        stderr.write(`${label}: ${text}\n`);
        return;
      }
      draw();
      // The spinner turns while nothing else happens; it must never keep the process alive.
      timer ??= setInterval(draw, SPIN_EVERY_MS).unref();
    },
    done() {
      clearInterval(timer);
      if (live && text !== undefined) stderr.write("\r\x1b[2K");
    },
  };
}

export interface Activity {
  /** Shows what is happening now; the same words again change nothing. */
  update(text: string): void;
  /** Clears the spinner's line; in a log, prints nothing more. */
  done(): void;
}

/**
 * Progress for long network work. A terminal gets one line redrawn at most every 100 ms; a log (CI, a file) gets a
 * line at each quarter, so it shows movement without flooding.
 */
export function createProgress(
  stderr: OutputStream,
  styles: Styles,
  label: string,
  live: boolean,
): { update(done: number, total: number): void; done(): void } {
  let lastDraw = 0;
  let lastQuarter = 0;
  let drawn = false;
  return {
    update(done, total) {
      if (total < 2) return;
      if (live) {
        const now = Date.now();
        if (now - lastDraw < 100 && done < total) return;
        lastDraw = now;
        drawn = true;
        stderr.write(`\r\x1b[2K${styles.dim(`${label} ${done}/${total}`)}`);
        return;
      }
      const quarter = Math.floor((done / total) * 4);
      if (quarter > lastQuarter) {
        lastQuarter = quarter;
        stderr.write(`${label} ${done}/${total}\n`);
      }
    },
    done() {
      if (drawn) stderr.write("\r\x1b[2K");
    },
  };
}
