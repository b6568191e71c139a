import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { ciRunUrl } from "../../ci/detect.js";
import { ExitCode, plxError } from "../../errors/index.js";
import { gitHead } from "../../files/git.js";
import { readMetadata, readParameters, readVariables } from "../../run/inputs.js";
import { runPrompt, type RunReport } from "../../run/service.js";
import type { CommandModule } from "../command.js";
import type { Context } from "../context.js";
import type { Styles } from "../io.js";
import { targetOf } from "../options.js";
import type { CommandOptions } from "../command-options.js";

const command: CommandModule<CommandOptions<"run">, RunReport> = {
  async run(options, context) {
    const target = options.target === undefined ? undefined : targetOf(options.target, options.version);
    if (target?.conflict)
      throw plxError("USAGE.CONFLICTING_OPTIONS", {
        problem: `${target.conflict}; give one.`,
        hint: "Run name@3, or name --version 3.",
      });
    const { name, version } = target ?? {};
    if (options.version !== undefined && name === undefined) {
      throw plxError("USAGE.CONFLICTING_OPTIONS", {
        problem: "--version picks a version of a published template, and no template was named.",
        hint: "Name the template (plx run name --version 3), or leave out --version to run --file.",
      });
    }
    if (name === undefined && options.file === undefined) {
      throw plxError("USAGE.ARGUMENTS", {
        problem: "Name the template to run, or give a prompt file with --file",
        command: "plx run",
      });
    }
    const selectors = [
      options.label && "--label",
      version !== undefined && "@version",
      options.file !== undefined && "--file",
    ];
    if (selectors.filter(Boolean).length > 1) {
      throw plxError("USAGE.CONFLICTING_OPTIONS", {
        problem: `${selectors.filter(Boolean).join(" and ")} each choose what runs; give one.`,
        hint: "Run the latest version (name), a version (name@3), a label's version (--label prod) or a file (--file).",
      });
    }
    if (options.local && (options.label || version !== undefined)) {
      throw plxError("USAGE.CONFLICTING_OPTIONS", {
        problem: "--local runs the prompt file, which has no label or version.",
        hint: "Leave out --local to run a published version, or --label/@version to run the file.",
      });
    }
    const varsFile = options.varsFile === undefined ? undefined : await readVarsFile(options.varsFile, context.cwd);
    const variables = readVariables(options.var, varsFile);
    const parameters = readParameters(options.param);
    const metadata = readMetadata(options.metadata);
    const config = await context.config();
    const streamed = options.stream && !options.json ? streamWriter(context) : undefined;

    const report = await runPrompt(
      {
        ...(name === undefined ? {} : { name }),
        ...(options.label === undefined ? {} : { label: options.label }),
        ...(version === undefined ? {} : { version }),
        ...(options.file === undefined ? {} : { file: options.file }),
        local: options.local,
        variables,
        ...(options.model === undefined ? {} : { model: options.model }),
        parameters,
        tags: options.tag,
        metadata,
        log: options.log !== false,
        stream: options.stream,
      },
      {
        config,
        cwd: context.cwd,
        env: context.env,
        client: () => context.remote(),
        redactor: context.redactor,
        signal: context.signal,
        ...(typeof options.retries === "number" ? { attempts: options.retries + 1 } : {}),
        ...(typeof options.timeout === "number" ? { timeoutMs: options.timeout } : {}),
        ...(streamed ? { onText: streamed.write } : {}),
        onRetry: ({ attempt, delayMs, reason }) =>
          context.log.warn(
            `the model call failed (${reason}); retrying in ${(delayMs / 1000).toFixed(1)} s (attempt ${attempt + 1})`,
          ),
        ...(context.ci.provider ? { ciMetadata: await ciMetadata(context, config.rootDir) } : {}),
      },
    ).finally(() => streamed?.end());

    context.log.debug(
      `POST ${report.url} → ${report.response.finishReason ?? "done"} in ${report.timing.latencyMs} ms (${report.attempts} attempt(s))`,
    );
    for (const warning of report.warnings) context.log.warn(warning);
    context.log.info(context.styles.stderr.dim(summaryLine(report)));
    if (report.log.error) context.log.warn(`the request was not logged: ${report.log.error.message}`);
    if (context.ci.provider && report.log.requestId !== undefined) {
      await (await context.reporter()).outputs({ request_id: report.log.requestId }).catch(() => undefined);
    }
    return report;
  },
  renderHuman: (report: RunReport, _styles: Styles) => (report.streamed ? "" : report.response.text),
  // The answer was printed, but the request log that scores attach to is missing: a remote failure.
  exitCodeFor: (report) => (report.log.error ? ExitCode.Remote : ExitCode.Ok),
};

async function readVarsFile(path: string, cwd: string): Promise<{ path: string; text: string }> {
  try {
    return { path, text: await readFile(resolve(cwd, path), "utf8") };
  } catch (error) {
    throw plxError("RUN.VARS_FILE_INVALID", {
      file: path,
      problem: (error as NodeJS.ErrnoException).code === "ENOENT" ? "it does not exist" : (error as Error).message,
    });
  }
}

/**
 * Streamed text, written as it arrives. The last word is held back until the next space or the end, so a key that a
 * model echoes can never be split across writes and slip past the redactor.
 */
function streamWriter(context: Context): { write: (text: string) => void; end: () => void } {
  let pending = "";
  let last = "";
  return {
    write(text) {
      pending += text;
      const cut = Math.max(pending.lastIndexOf(" "), pending.lastIndexOf("\n"), pending.lastIndexOf("\t"));
      if (cut < 0) return;
      const ready = pending.slice(0, cut + 1);
      pending = pending.slice(cut + 1);
      context.write(ready);
      last = ready;
    },
    end() {
      const rest = pending;
      pending = "";
      if (rest !== "") context.write(rest);
      const written = rest !== "" ? rest : last;
      if (written !== "" && !written.endsWith("\n")) context.write("\n");
    },
  };
}

/** The commit and the CI run, so a request logged from CI leads back to both. */
async function ciMetadata(context: Context, rootDir: string): Promise<Record<string, string>> {
  const git = await gitHead(rootDir);
  const run = ciRunUrl(context.env);
  return { ...(git ? { git_sha: git.sha } : {}), ...(run ? { ci_run_url: run } : {}) };
}

/** `gpt-4o-mini · 812 ms · 25 in / 12 out tokens · request 42` */
function summaryLine(report: RunReport): string {
  const parts = [
    `${report.provider}:${report.model}`,
    report.prompt.version === undefined ? report.prompt.path : `${report.prompt.name} v${report.prompt.version}`,
    `${report.timing.latencyMs} ms`,
    `${report.usage.inputTokens} in / ${report.usage.outputTokens} out tokens`,
    report.attempts > 1 ? `${report.attempts} attempts` : undefined,
    report.log.requestId !== undefined
      ? `request ${report.log.requestId}`
      : report.log.skipped
        ? "not logged"
        : undefined,
  ];
  return parts.filter((part) => part !== undefined).join(" · ");
}

export default command;
