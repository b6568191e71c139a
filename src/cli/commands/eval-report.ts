import { resolve } from "node:path";
import { ExitCode, plxError } from "../../errors/index.js";
import { junitReport } from "../../evals/render.js";
import { parseThreshold, promptKey } from "../../evals/summary.js";
import { writeFileAtomic } from "../../files/atomic.js";
import { gitHead } from "../../files/git.js";
import { evalReport, type EvalReport } from "../../evals/report.js";
import type { CommandModule } from "../command.js";
import type { CommandOptions } from "../command-options.js";
import type { Context } from "../context.js";
import type { Styles } from "../io.js";
import { evalMarkdown } from "./markdown.js";

const command: CommandModule<CommandOptions<"eval-report">, Omit<EvalReport, "caseList">> = {
  async run(options, context) {
    if (options.files.length === 0) throw plxError("EVAL.NO_FILES");
    const config = await context.config();
    const git = await gitHead(config.rootDir);
    const { caseList, ...report } = await evalReport(
      {
        config,
        redactor: context.redactor,
        baseUrl: config.baseUrl,
        ...(options.upload === false ? {} : { client: () => context.remote() }),
      },
      {
        files: options.files.map((file) => resolve(context.cwd, file)),
        ...(options.format ? { format: options.format } : {}),
        ...(options.prompt ? { prompt: options.prompt } : {}),
        ...(options.table ? { table: options.table } : {}),
        upload: options.upload !== false,
        thresholds: options.failUnder.map(parseThreshold),
        ...(options.maxFailures === undefined ? {} : { maxFailures: options.maxFailures }),
        ...(git ? { gitSha: git.sha } : {}),
        ...runId(context),
      },
    );
    if (options.junit) await writeFileAtomic(resolve(context.cwd, options.junit), junitReport(caseList));
    if (report.unknownPrompts.length > 0) {
      const names = report.unknownPrompts.map((name) => `"${name}"`).join(", ");
      context.log.warn(
        `the results name ${names}, which match${report.unknownPrompts.length === 1 ? "es" : ""} no prompt file and no template in plx.lock; ${options.table ? "their cases go into --table" : "their cases are not uploaded"}`,
      );
    }
    if (report.missingVersions.length > 0) {
      context.log.warn(
        `the results name ${report.missingVersions.join(", ")}, which PromptLayer does not have; their cases are not uploaded`,
      );
    }
    if (context.ci.provider || options.comment) {
      const reporter = await context.reporter();
      const markdown = evalMarkdown(report);
      await reporter.summary(markdown);
      await reporter.outputs({
        score: report.score === undefined ? "" : report.score.toFixed(3),
        passed: report.gate.passed,
      });
      if (options.comment) await reporter.comment("eval-report", markdown);
    }
    return report;
  },
  renderHuman: renderEvalReport,
  exitCodeFor: (report) => (report.gate.passed ? ExitCode.Ok : ExitCode.Negative),
};

function runId(context: Context): { runId?: string; job?: string } {
  const { env } = context;
  // A re-run of the same run (a new GitHub attempt, a retried GitLab job) keeps its sheet: no attempt number, no job id.
  const id = env.GITHUB_RUN_ID ?? env.CI_PIPELINE_ID;
  const job = env.GITHUB_JOB ?? env.CI_JOB_NAME;
  return { ...(id ? { runId: id } : {}), ...(job ? { job } : {}) };
}

function renderEvalReport(report: Omit<EvalReport, "caseList">, styles: Styles): string {
  const header = ["prompt", "cases", "passed", "failed", "pass rate", "score", "metrics"];
  const rows = report.prompts.map((summary) => [
    promptKey(summary.prompt, summary.version),
    String(summary.cases),
    String(summary.passed),
    String(summary.failed),
    `${Math.round(summary.passRate * 100)}%`,
    summary.score.toFixed(3),
    Object.entries(summary.metrics)
      .map(([name, value]) => `${name} ${value.toFixed(3)}`)
      .join(", "),
  ]);
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => row[column]!.length)));
  const line = (row: string[]) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join("  ")
      .trimEnd();
  const lines = [styles.bold(line(header)), ...rows.map(line)];
  for (const upload of report.uploads) {
    const verdict =
      upload.verdict === "pass" ? styles.green(upload.verdict) : upload.verdict ? styles.yellow(upload.verdict) : "";
    lines.push(
      `uploaded ${upload.rows} case(s) to "${upload.tableTitle}" / "${upload.sheetTitle}"${upload.score === undefined ? "" : `: score ${upload.score.toFixed(3)} ${verdict}`}`,
      styles.dim(`  ${upload.url}`),
    );
  }
  if (!report.uploaded) lines.push(styles.dim("Not uploaded (--no-upload)."));
  if (report.gate.misses.length > 0)
    lines.push(styles.red("Gate failed:"), ...report.gate.misses.map((miss) => `  ${miss.message}`));
  else lines.push(styles.green(`Gate passed (${report.cases} case(s)).`));
  return lines.join("\n");
}

export default command;
