import { detectCi } from "../ci/detect.js";
import { ExitCode, isPlxError, type PlxError, plxError } from "../errors/index.js";
import { Redactor } from "../redact.js";
import { PLX_VERSION } from "../version.js";
import type { CommandModule } from "./command.js";
import type { Context } from "./context.js";
import { colorEnabled, createLogger, createProgress, createStyles, type Env, type Io } from "./io.js";
import type { CommandLoader } from "./program.js";
import type { ConfigFlags } from "../config/load.js";

export const JSON_SCHEMA_VERSION = 1;

interface RunRequest {
  name: string;
  load: CommandLoader;
  options: Record<string, unknown>;
  env: Env;
  io: Io;
  signal: AbortSignal;
}

/** Builds the context, runs one command, renders its report or error, and returns the exit code. */
export async function runCommand(request: RunRequest): Promise<number> {
  const { name, options, env, io, signal } = request;
  const json = options.json === true;
  const debug = options.debug === true;
  const ci = detectCi(env);
  const redactor = new Redactor();
  for (const secret of [
    env.PLX_API_KEY,
    env.PROMPTLAYER_API_KEY,
    env.GITHUB_TOKEN,
    env.GH_TOKEN,
    env.PLX_GITLAB_TOKEN,
    env.CI_JOB_TOKEN,
  ]) {
    redactor.add(secret);
  }
  if (typeof options.apiKey === "string") redactor.add(options.apiKey);
  if (typeof options.webhookSecret === "string") redactor.add(options.webhookSecret);

  const colorFlag = typeof options.color === "boolean" ? options.color : undefined;
  const inCi = ci.provider !== undefined;
  const stdoutStyles = createStyles(colorEnabled({ stream: io.stdout, env, flag: colorFlag, json, inCi }));
  const stderrStyles = createStyles(colorEnabled({ stream: io.stderr, env, flag: colorFlag, json: false, inCi }));
  const log = createLogger(io.stderr, stderrStyles, redactor, debug || ci.debug);
  const writeOut = (text: string) => {
    if (text !== "") io.stdout.write(redactor.redact(text.endsWith("\n") ? text : `${text}\n`));
  };

  let remote: ReturnType<Context["remote"]> | undefined;
  const context: Context = {
    cwd: process.cwd(),
    env,
    log,
    emit: writeOut,
    progress: (label) => createProgress(io.stderr, stderrStyles, label, Boolean(io.stderr.isTTY) && !inCi),
    signal,
    ci,
    interactive: io.stdinIsTTY && Boolean(io.stdout.isTTY) && !inCi && !json && options.input !== false,
    redactor,
    styles: { stdout: stdoutStyles, stderr: stderrStyles },
    config: once(async () => {
      const { loadConfig } = await import("../config/load.js");
      return loadConfig(process.cwd(), options as ConfigFlags, env);
    }),
    reporter: once(async () => {
      const { createCiReporter } = await import("../ci/report.js");
      // No ::add-mask:: for the API key: the command itself would print the key, and plx's redactor already keeps it
      // out of everything plx writes; keys from `secrets.*` are masked by GitHub.
      return createCiReporter({
        provider: ci.provider,
        env,
        stream: io.stderr,
        warn: log.warn,
        debug: log.debug,
        redactor,
        cwd: process.cwd(),
        signal,
      });
    }),
    remote: () =>
      (remote ??= (async () => {
        const { createRemote } = await import("./remote.js");
        const timeoutMs = typeof options.timeout === "number" ? options.timeout : undefined;
        const attempts = typeof options.retries === "number" ? options.retries + 1 : undefined;
        return createRemote({
          config: await context.config(),
          env,
          timeoutMs,
          attempts,
          redactor,
          log,
          debug: debug || ci.debug,
          signal,
        });
      })()),
  };

  try {
    const module = (await request.load()).default as CommandModule<unknown, unknown>;
    const report = await module.run(options, context);
    const exitCode = module.exitCodeFor?.(report) ?? ExitCode.Ok;
    if (json) {
      writeOut(
        JSON.stringify(
          redactor.redactValue({
            schemaVersion: JSON_SCHEMA_VERSION,
            command: name,
            ok: exitCode === ExitCode.Ok,
            exitCode,
            ...(report as object),
          }),
          null,
          2,
        ),
      );
    } else {
      writeOut(await foldForCi(module.renderHuman(report, stdoutStyles), name, ci.provider));
    }
    return exitCode;
  } catch (error) {
    if (isPlxError(error)) {
      await annotateFileProblems(error, context);
      return reportPlxError(error, { name, json, writeOut, context });
    }
    return reportBug(error, { name, json, debug, writeOut, context });
  } finally {
    // Pooled keep-alive connections would otherwise hold the process open for seconds.
    if (remote) await remote.then((client) => client.close()).catch(() => undefined);
  }
}

/** Memoises an async factory so a run builds its config and client once. */
function once<T>(factory: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => (value ??= factory());
}

/** In CI, invalid files behind an error also become annotations on their file and line. */
async function annotateFileProblems(error: PlxError, context: Context): Promise<void> {
  const problems = error.details?.problems;
  if (!context.ci.provider || !Array.isArray(problems)) return;
  const findings = (problems as Array<{ path: string; line: number; col: number; message: string }>).map((problem) => ({
    ...problem,
    severity: "error" as const,
    code: error.code,
  }));
  // Annotating is a courtesy: a failure here must not hide the error being reported.
  await (await context.reporter()).annotate(findings).catch(() => undefined);
}

interface ReportTarget {
  name: string;
  json: boolean;
  writeOut: (text: string) => void;
  context: Context;
}

function reportPlxError(error: PlxError, { name, json, writeOut, context }: ReportTarget): number {
  if (json) {
    writeOut(
      JSON.stringify(
        context.redactor.redactValue({
          schemaVersion: JSON_SCHEMA_VERSION,
          command: name,
          ok: false,
          exitCode: error.exitCode,
          error: error.toJSON(),
        }),
        null,
        2,
      ),
    );
  } else {
    const styles = context.styles.stderr;
    context.log.info(`${styles.red(styles.bold("error"))} ${error.message}`);
    if (error.hint) context.log.info(`${styles.dim("hint:")} ${error.hint}`);
  }
  return error.exitCode;
}

/** Anything that is not a PlxError is a bug in plx: say so, and show the stack only with --debug. */
function reportBug(
  error: unknown,
  { name, json, debug, writeOut, context }: ReportTarget & { debug: boolean },
): number {
  const bug = plxError("INTERNAL", {
    message: error instanceof Error ? error.message : String(error),
    version: PLX_VERSION,
  });
  if (json) {
    writeOut(
      JSON.stringify(
        context.redactor.redactValue({
          schemaVersion: JSON_SCHEMA_VERSION,
          command: name,
          ok: false,
          exitCode: bug.exitCode,
          error: bug.toJSON(),
        }),
        null,
        2,
      ),
    );
  } else {
    context.log.info(`${context.styles.stderr.red("unexpected error")} ${bug.message}`);
    context.log.info(bug.hint!);
  }
  if (debug && error instanceof Error && error.stack) context.log.info(error.stack);
  return ExitCode.Negative;
}

/** Lines of output beyond which a CI log folds them away, keeping the job log readable. */
const FOLD_AFTER_LINES = 15;

/**
 * Long results fold into a collapsible group in CI logs (a ::group:: on GitHub, a collapsed section on GitLab);
 * the last line, the summary, stays visible below it.
 */
async function foldForCi(text: string, command: string, provider: string | undefined): Promise<string> {
  const lines = text.split("\n");
  if (lines.length <= FOLD_AFTER_LINES || (provider !== "github" && provider !== "gitlab")) return text;
  const details = lines.slice(0, -1).join("\n");
  const summary = lines.at(-1)!;
  if (provider === "github") {
    const { group, endGroup } = await import("../ci/github.js");
    return [group(`plx ${command}: details`), details, endGroup(), summary].join("\n");
  }
  const { sectionStart, sectionEnd } = await import("../ci/gitlab.js");
  const name = `plx_${command.replace(/[^a-z0-9_]/gi, "_")}`;
  return [sectionStart(name, `plx ${command}: details`, { collapsed: true }), details, sectionEnd(name), summary].join(
    "\n",
  );
}
