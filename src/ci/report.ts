// The one object commands use to talk to the CI they run in. It picks GitHub or GitLab behaviour from the
// provider, takes env, paths, streams and fetch from the caller (never from `process`), redacts everything it
// sends anywhere, and never fails a command because a CI nicety (summary, output, comment) could not be written.
import type { Env } from "../core/env.js";
import { appendFile } from "node:fs/promises";
import { isAbsolute, relative, resolve } from "node:path";
import { isPlxError } from "../errors/index.js";
import type { CiProvider } from "./detect.js";
import { type CommentResult, type FetchLike, upsertStickyComment } from "./comments.js";
import { type CiFinding, findingsMarkdown } from "./findings.js";
import {
  Annotator,
  type AnnotationLevel,
  type AnnotationProperties,
  type OutputValue,
  addMask,
  appendStepSummary,
  endGroup,
  group,
  setOutputs,
  stopCommands,
} from "./github.js";
import { formatDotenv, sectionEnd, sectionStart, writeCodeQualityReport } from "./gitlab.js";

export type { Env };

export interface CiReporterOptions {
  provider: CiProvider | undefined;
  env: Env;
  /**
   * Where workflow commands (`::error`, `::group::`) and GitLab section markers go. The Actions runner reads commands
   * from stderr as well as stdout, so pass stderr and keep stdout for results and --json.
   */
  stream: { write(chunk: string): unknown };
  /** Warnings for the person reading the log (the CLI's Logger.warn). */
  warn?: (message: string) => void;
  debug?: (message: string) => void;
  /** Masks secrets in everything the reporter writes or sends (the run's Redactor). */
  redactor?: { redact(text: string): string };
  /** Working directory, to turn cwd-relative finding paths into repo-relative ones. */
  cwd?: string;
  /** Repository root; defaults to $GITHUB_WORKSPACE or $CI_PROJECT_DIR. */
  repoRoot?: string;
  /** Overrides $GITHUB_STEP_SUMMARY / $GITHUB_OUTPUT. */
  summaryPath?: string;
  outputPath?: string;
  /**
   * GitLab: annotate() (re)writes this Code Quality report with every finding so far. Defaults to
   * $PLX_CODE_QUALITY_REPORT (relative to `cwd`), which the `plx init` GitLab template sets.
   */
  codeQualityPath?: string;
  /** GitLab: outputs() appends `PLX_<NAME>=value` lines here, for `artifacts:reports:dotenv`. Defaults to $PLX_DOTENV_REPORT. */
  dotenvPath?: string;
  fetch?: FetchLike;
  readFile?: (path: string) => Promise<string>;
  signal?: AbortSignal;
  now?: () => number;
}

export interface AnnotateResult {
  /** Findings shown as annotations (GitHub) or written to the Code Quality report (GitLab). */
  emitted: number;
  /** Findings GitHub would have dropped; they were listed in the step summary instead. */
  overflow: CiFinding[];
}

export interface CiReporter {
  readonly provider: CiProvider | undefined;
  /** GitHub: `::error`/`::warning` lines up to the caps, the rest into the summary. GitLab: the Code Quality report. */
  annotate(findings: readonly CiFinding[]): Promise<AnnotateResult>;
  /** GitHub: appends Markdown to the step summary. Elsewhere a no-op. True when something was written. */
  summary(markdown: string): Promise<boolean>;
  /** GitHub: step outputs. GitLab: the dotenv report when `dotenvPath` is set. True when something was written. */
  outputs(record: Readonly<Record<string, OutputValue>>): Promise<boolean>;
  /**
   * The sticky PR/MR comment for `kind`. Never throws for HTTP or network trouble: on a fallback it warns and (on
   * GitHub) writes the Markdown to the step summary; on a skip it warns once per distinct reason.
   */
  comment(kind: string, markdown: string, options?: { key?: string }): Promise<CommentResult>;
  /** Runs `fn` inside a collapsible log group (GitHub) or section (GitLab), closed even when `fn` throws. */
  section<T>(name: string, fn: () => T | Promise<T>, options?: { header?: string; collapsed?: boolean }): Promise<T>;
  /** GitHub: `::add-mask::` for a secret that did not come from `secrets.*`. */
  mask(value: string | undefined): void;
  /** A warning: on GitHub a `::warning` annotation (the logger once the cap is reached), elsewhere the logger. */
  warning(message: string, properties?: AnnotationProperties): void;
  /**
   * Text plx does not control (prompt bodies, model output) made safe to print: on GitHub it is wrapped in
   * `::stop-commands::<random>` … `::<random>::` so no `::command::` inside it runs. Elsewhere unchanged.
   */
  untrusted(text: string): string;
}

export function createCiReporter(options: CiReporterOptions): CiReporter {
  const { provider, env, stream } = options;
  const redact = (text: string) => (options.redactor ? options.redactor.redact(text) : text);
  const line = (text: string) => stream.write(`${text}\n`);
  const warn = options.warn ?? (() => {});
  const debug = options.debug ?? (() => {});
  const now = options.now ?? Date.now;
  const annotator = new Annotator();
  const warnedOnce = new Set<string>();
  const codeQualityFindings: CiFinding[] = [];
  let groupOpen = false;

  const repoRoot =
    options.repoRoot ??
    (provider === "github" ? env.GITHUB_WORKSPACE : provider === "gitlab" ? env.CI_PROJECT_DIR : undefined);
  const summaryPath = options.summaryPath ?? (provider === "github" ? env.GITHUB_STEP_SUMMARY : undefined);
  const outputPath = options.outputPath ?? (provider === "github" ? env.GITHUB_OUTPUT : undefined);
  const fromCwd = (path: string | undefined) =>
    path && options.cwd && !isAbsolute(path) ? resolve(options.cwd, path) : path || undefined;
  const codeQualityPath = fromCwd(
    options.codeQualityPath ?? (provider === "gitlab" ? env.PLX_CODE_QUALITY_REPORT : undefined),
  );
  const dotenvPath = fromCwd(options.dotenvPath ?? (provider === "gitlab" ? env.PLX_DOTENV_REPORT : undefined));

  /** Repo-relative, forward slashes; a path outside the repository is left as given. */
  const repoPath = (path: string): string => {
    const slashed = (p: string) => p.replace(/\\/g, "/");
    if (!repoRoot) return slashed(path);
    const absolute = isAbsolute(path) ? path : options.cwd ? resolve(options.cwd, path) : undefined;
    if (absolute === undefined) return slashed(path);
    const rel = relative(repoRoot, absolute);
    return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? slashed(path) : slashed(rel);
  };

  // On GitHub the annotation line shows in the log as the warning itself; the logger is used when it cannot be emitted.
  const warning = (message: string, properties: AnnotationProperties = {}) => {
    const text = redact(message);
    const annotationLine =
      provider === "github" ? annotator.add("warning", text, { title: "plx", ...properties }) : undefined;
    if (annotationLine !== undefined) line(annotationLine);
    else warn(text);
  };

  const warnOnce = (message: string) => {
    if (warnedOnce.has(message)) return;
    warnedOnce.add(message);
    warning(message);
  };

  // What this run already put in the summary: a comment that falls back to the summary does not repeat it.
  const summarised = new Set<string>();
  const summary = async (markdown: string): Promise<boolean> => {
    if (provider !== "github" || !summaryPath) return false;
    const text = redact(markdown);
    if (summarised.has(text)) return false;
    summarised.add(text);
    try {
      const result = await appendStepSummary(summaryPath, text);
      if (result.truncated) debug("the step summary reached its size limit and was truncated");
      return result.bytes > 0;
    } catch (error) {
      warn(redact(`could not write the step summary: ${(error as Error).message}`));
      return false;
    }
  };

  const reporter: CiReporter = {
    provider,
    warning,
    summary,

    async annotate(findings) {
      const normalized = findings.map((f) => ({ ...f, path: repoPath(f.path), message: redact(f.message) }));
      if (provider === "github") {
        const overflow: CiFinding[] = [];
        let emitted = 0;
        for (const finding of normalized) {
          const level: AnnotationLevel = finding.severity;
          const annotationLine = annotator.add(level, finding.message, {
            file: finding.path,
            line: finding.line,
            col: finding.col,
            endLine: finding.endLine,
            endColumn: finding.endColumn,
            title: `plx ${finding.code}`,
          });
          if (annotationLine === undefined) overflow.push(finding);
          else {
            emitted += 1;
            line(annotationLine);
          }
        }
        if (overflow.length > 0) {
          await summary(
            findingsMarkdown(
              overflow,
              `### plx: ${overflow.length} more finding${overflow.length === 1 ? "" : "s"}\n\nGitHub shows at most 10 errors and 10 warnings per step as annotations; these are the rest.`,
            ),
          );
        }
        return { emitted, overflow };
      }
      if (provider === "gitlab" && codeQualityPath) {
        codeQualityFindings.push(...normalized);
        try {
          await writeCodeQualityReport(codeQualityPath, codeQualityFindings);
          return { emitted: normalized.length, overflow: [] };
        } catch (error) {
          warn(redact(`could not write the Code Quality report: ${(error as Error).message}`));
        }
      }
      return { emitted: 0, overflow: [] };
    },

    async outputs(record) {
      const clean: Record<string, OutputValue> = {};
      for (const [name, value] of Object.entries(record))
        clean[name] = typeof value === "string" ? redact(value) : value;
      try {
        if (provider === "github" && outputPath) {
          await setOutputs(outputPath, clean);
          return true;
        }
        if (provider === "gitlab" && dotenvPath) {
          const { text, skipped } = formatDotenv(clean);
          if (skipped.length > 0)
            debug(`left out of the dotenv report (GitLab cannot carry these values): ${skipped.join(", ")}`);
          if (text !== "") await appendFile(dotenvPath, text, "utf8");
          return text !== "";
        }
      } catch (error) {
        warn(redact(`could not write the step outputs: ${(error as Error).message}`));
      }
      return false;
    },

    async comment(kind, markdown, commentOptions = {}) {
      const body = redact(markdown);
      let result: CommentResult;
      try {
        result = await upsertStickyComment(provider, {
          env,
          kind,
          key: commentOptions.key,
          markdown: body,
          fetch: options.fetch,
          readFile: options.readFile,
          signal: options.signal,
        });
      } catch (error) {
        if (!isPlxError(error)) throw error;
        result = {
          status: "fallback",
          provider: provider === "gitlab" ? "gitlab" : "github",
          reason: error.message,
          httpStatus: typeof error.details?.status === "number" ? error.details.status : undefined,
        };
      }
      if (result.status === "fallback") {
        const where = result.provider === "github" ? "pull request" : "merge request";
        const instead = result.provider === "github" && summaryPath ? " The report is in the job summary instead." : "";
        warning(`plx could not comment on the ${where}: ${result.reason}${instead}`);
        await summary(body);
      } else if (result.status === "skipped") {
        if (result.warning) warnOnce(result.warning);
        else debug(`comment skipped: ${result.reason}`);
      } else {
        debug(`${result.status} the ${kind} comment${result.url ? `: ${result.url}` : ""}`);
      }
      return result;
    },

    async section(name, fn, sectionOptions = {}) {
      const header = redact(sectionOptions.header ?? name);
      if (provider === "github" && !groupOpen) {
        groupOpen = true;
        line(group(header));
        try {
          return await fn();
        } finally {
          line(endGroup());
          groupOpen = false;
        }
      }
      if (provider === "gitlab") {
        line(sectionStart(name, header, { collapsed: sectionOptions.collapsed, now: now() }));
        try {
          return await fn();
        } finally {
          line(sectionEnd(name, { now: now() }));
        }
      }
      return fn();
    },

    untrusted(text) {
      if (provider !== "github" || !/::/.test(text)) return text;
      const { start, end } = stopCommands();
      return `${start}\n${text}${text.endsWith("\n") ? "" : "\n"}${end}\n`;
    },

    mask(value) {
      if (provider !== "github" || value === undefined || value.trim() === "") return;
      line(addMask(value));
    },
  };
  return reporter;
}
