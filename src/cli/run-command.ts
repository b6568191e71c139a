import { detectCi } from "../ci/detect.js";
import type { ConfigFlags } from "../config/load.js";
import { ExitCode, isPlxError, type PlxError, plxError } from "../errors/index.js";
import { Redactor } from "../redact.js";
import { PLX_VERSION } from "../version.js";
import type { Context } from "./context.js";
import {
  colorEnabled,
  createActivity,
  createLogger,
  createProgress,
  createStyles,
  type Env,
  type Io,
  type Logger,
} from "./io.js";
import { envBoolean } from "./options.js";
import { type Invocation, parseInvocation, type RawInvocation } from "./program.js";
import { clackPrompter } from "./prompt.js";
import { commandSpecs } from "./specs.js";

export const JSON_SCHEMA_VERSION = 2;
/** Beyond a command's --wait, time for the requests that start and finish what it waits for. */
const WAIT_DEADLINE_MARGIN_S = 60;

interface RunRequest {
  raw: RawInvocation;
  env: Env;
  io: Io;
  signal: AbortSignal;
}

/** The settings the renderer needs before the options are known to parse: what argv and the environment say. */
function outputSettings(flags: Record<string, unknown>, env: Env) {
  const fromEnv = (name: string) => (env[name] === undefined ? undefined : envBoolean(env[name]!));
  return {
    json: flags.json === true || (flags.json === undefined && fromEnv("PLX_JSON") === true),
    debug: flags.debug === true || fromEnv("PLX_DEBUG") === true,
    color: typeof flags.color === "boolean" ? flags.color : undefined,
  };
}

/** Builds the context, parses the options, runs one command, renders its report or error; returns the exit code. */
export async function runCommand(request: RunRequest): Promise<number> {
  const { raw, env, io, signal } = request;
  const name = raw.spec.name;
  const settings = outputSettings(raw.flags, env);
  const output = createOutput(io, env, settings);
  const { redactor, writeOut } = output;

  let invocation: Invocation;
  try {
    invocation = parseInvocation(raw, env);
  } catch (error) {
    if (!isPlxError(error)) throw error;
    return reportPlxError(error, { name, json: settings.json, writeOut, output });
  }
  const { options } = invocation;
  for (const secret of [options.apiKey, options.webhookSecret]) if (typeof secret === "string") redactor.add(secret);

  let remote: ReturnType<Context["remote"]> | undefined;
  const context: Context = {
    cwd: io.cwd,
    env,
    log: output.log,
    emit: writeOut,
    write: (text) => {
      if (text !== "") io.stdout.write(redactor.redact(text));
    },
    progress: (label) =>
      createProgress(io.stderr, output.styles.stderr, label, Boolean(io.stderr.isTTY) && !output.inCi),
    activity: (label) =>
      createActivity(
        { write: (text) => io.stderr.write(redactor.redact(text)) },
        output.styles.stderr,
        label,
        Boolean(io.stderr.isTTY) && !output.inCi,
      ),
    signal,
    ci: output.ci,
    interactive: io.stdinIsTTY && Boolean(io.stdout.isTTY) && !output.inCi && !settings.json && options.input !== false,
    prompt: clackPrompter(io.stderr),
    redactor,
    styles: output.styles,
    config: once(async () => {
      const { loadConfig } = await import("../config/load.js");
      return loadConfig(io.cwd, options as ConfigFlags, env);
    }),
    reporter: once(async () => {
      const { createCiReporter } = await import("../ci/report.js");
      // No ::add-mask:: for the API key: the command itself would print the key, and plx's redactor already keeps it
      // out of everything plx writes; keys from `secrets.*` are masked by GitHub.
      return createCiReporter({
        provider: output.ci.provider,
        env,
        stream: io.stderr,
        warn: output.log.warn,
        debug: output.log.debug,
        redactor,
        cwd: io.cwd,
        signal,
      });
    }),
    remote: () =>
      (remote ??= (async () => {
        const { createRemote } = await import("./remote.js");
        return createRemote({
          config: await context.config(),
          env,
          timeoutMs: options.timeout as number | undefined,
          // A command that waits for something (agent run --wait) needs its requests' deadline to outlast the wait.
          deadlineSeconds:
            (options.deadline as number | undefined) ??
            (typeof options.wait === "number" ? Math.ceil(options.wait / 1000) + WAIT_DEADLINE_MARGIN_S : undefined),
          attempts: typeof options.retries === "number" ? options.retries + 1 : undefined,
          redactor,
          log: output.log,
          debug: settings.debug || output.ci.debug,
          signal,
        });
      })()),
  };

  try {
    const module = await raw.spec.load();
    const report = await module.run(options, context);
    const exitCode = module.exitCodeFor?.(report) ?? ExitCode.Ok;
    if (settings.json) {
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
      writeOut(await foldForCi(module.renderHuman(report, output.styles.stdout), name, output.ci.provider));
    }
    return exitCode;
  } catch (error) {
    if (isPlxError(error)) {
      await annotateFileProblems(error, context);
      return reportPlxError(error, { name, json: settings.json, writeOut, output });
    }
    return reportBug(error, { name, json: settings.json, debug: settings.debug, writeOut, output });
  } finally {
    // Pooled keep-alive connections would otherwise hold the process open for seconds.
    if (remote) await remote.then((client) => client.close()).catch(() => undefined);
  }
}

interface Output {
  ci: ReturnType<typeof detectCi>;
  inCi: boolean;
  redactor: Redactor;
  styles: Context["styles"];
  log: Logger;
  writeOut: (text: string) => void;
}

/** Styles, logger and stdout writer for one run, every byte of them passing the redactor. */
function createOutput(io: Io, env: Env, settings: ReturnType<typeof outputSettings>): Output {
  const ci = detectCi(env);
  const redactor = new Redactor();
  for (const secret of [
    env.PLX_API_KEY,
    env.PROMPTLAYER_API_KEY,
    env.GITHUB_TOKEN,
    env.GH_TOKEN,
    env.PLX_GITHUB_TOKEN,
    env.PLX_GITLAB_TOKEN,
    env.CI_JOB_TOKEN,
    env.PLX_WEBHOOK_SECRET,
    env.PLX_WEBHOOK_SECRET_PREVIOUS,
  ]) {
    redactor.add(secret);
  }
  const inCi = ci.provider !== undefined;
  const colorFor = (stream: Io["stdout"], json: boolean) =>
    createStyles(colorEnabled({ stream, env, flag: settings.color, json, inCi }));
  const styles = { stdout: colorFor(io.stdout, settings.json), stderr: colorFor(io.stderr, false) };
  const log = createLogger(io.stderr, styles.stderr, redactor, settings.debug || ci.debug);
  const writeOut = (text: string) => {
    if (text !== "") io.stdout.write(redactor.redact(text.endsWith("\n") ? text : `${text}\n`));
  };
  return { ci, inCi, redactor, styles, log, writeOut };
}

/** Commander's own complaints (an unknown flag, a missing argument), in plx's words and format. */
export function reportArgumentError(request: { argv: readonly string[]; env: Env; io: Io; message: string }): number {
  const { argv, env, io } = request;
  // The command the user meant, as far as it exists: its help is the one to read.
  const known = new Set(commandSpecs.map((spec) => spec.name));
  const words = argv.filter((word) => !word.startsWith("-"));
  const named = [words.slice(0, 2).join(" "), words[0] ?? ""].find((candidate) => known.has(candidate));
  const group = ["label", "agent", "webhook"].includes(words[0] ?? "") ? `plx ${words[0]}` : "plx";
  const command = named ? `plx ${named}` : group;
  const settings = outputSettings({ json: argv.includes("--json") }, env);
  const output = createOutput(io, env, settings);
  const problem = request.message.replace(/^error:\s*/, "").trim();
  const error = plxError("USAGE.ARGUMENTS", { problem: problem.charAt(0).toUpperCase() + problem.slice(1), command });
  return reportPlxError(error, { name: named ?? "plx", json: settings.json, writeOut: output.writeOut, output });
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
  output: Output;
}

function reportPlxError(error: PlxError, { name, json, writeOut, output }: ReportTarget): number {
  if (json) {
    writeOut(
      JSON.stringify(
        output.redactor.redactValue({
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
    const styles = output.styles.stderr;
    output.log.info(`${styles.red(styles.bold("error"))} ${error.message}`);
    if (error.hint) output.log.info(`${styles.dim("hint:")} ${error.hint}`);
  }
  return error.exitCode;
}

/** Anything that is not a PlxError is a bug in plx: say so, and show the stack only with --debug. */
function reportBug(error: unknown, { debug, ...target }: ReportTarget & { debug: boolean }): number {
  const bug = plxError("INTERNAL", {
    message: error instanceof Error ? error.message : String(error),
    version: PLX_VERSION,
  });
  if (target.json) {
    reportPlxError(bug, target);
  } else {
    target.output.log.info(`${target.output.styles.stderr.red("unexpected error")} ${bug.message}`);
    target.output.log.info(bug.hint!);
  }
  if (debug && error instanceof Error && error.stack) target.output.log.info(error.stack);
  return bug.exitCode;
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
