import { resolve } from "node:path";
import { writeCodeQualityReport } from "../../ci/gitlab.js";
import { ExitCode } from "../../errors/index.js";
import { check, type CheckReport } from "../../sync/check.js";
import type { CommandModule } from "../command.js";
import type { CommandOptions } from "../command-options.js";

const command: CommandModule<CommandOptions<"check">, CheckReport> = {
  async run(options, context) {
    const config = await context.config();
    // Only --remote talks to PromptLayer: the offline check needs no key and sends nothing.
    const progress = options.remote ? context.progress("comparing with PromptLayer") : undefined;
    let report: CheckReport;
    try {
      const remote = progress && { client: await context.remote(), onProgress: progress.update };
      report = await check(config, options.files, remote ? { remote } : {});
    } finally {
      progress?.done();
    }
    if (options.codequality) await writeCodeQualityReport(resolve(context.cwd, options.codequality), report.findings);
    if (context.ci.provider) await (await context.reporter()).annotate(report.findings);
    return report;
  },
  renderHuman(report, styles) {
    const lines = report.findings.map((finding) => {
      const label = finding.severity === "error" ? styles.red("error") : styles.yellow("warning");
      return `${finding.path}:${finding.line}:${finding.col}: ${label} ${finding.message} ${styles.dim(`[${finding.code}]`)}\n  ${styles.dim(`hint: ${finding.hint}`)}`;
    });
    const remote = report.remote
      ? `; ${report.remote.compared} template(s) and agent(s) compared with PromptLayer: ${report.remote.conflicts} conflict(s)`
      : "";
    lines.push(`${report.checked} file(s) checked: ${report.errors} error(s), ${report.warnings} warning(s)${remote}`);
    return lines.join("\n");
  },
  // Warnings alone never fail a hook.
  exitCodeFor: (report) => (report.errors > 0 ? ExitCode.Negative : ExitCode.Ok),
};

export default command;
