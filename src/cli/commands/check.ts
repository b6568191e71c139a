import { check, type CheckReport } from "../../sync/check.js";
import { ExitCode } from "../../errors.js";
import type { CommandModule } from "../command.js";

export interface CheckCommandOptions {
  files: string[];
}

const command: CommandModule<CheckCommandOptions, CheckReport> = {
  async run(options, context) {
    return check(await context.config(), options.files);
  },
  renderHuman(report, styles) {
    const lines = report.findings.map((finding) => {
      const label = finding.severity === "error" ? styles.red("error") : styles.yellow("warning");
      return `${finding.path}:${finding.line}:${finding.col}: ${label} ${finding.message} ${styles.dim(`[${finding.code}]`)}\n  ${styles.dim(`hint: ${finding.hint}`)}`;
    });
    lines.push(`${report.checked} file(s) checked: ${report.errors} error(s), ${report.warnings} warning(s)`);
    return lines.join("\n");
  },
  // Warnings alone never fail a hook.
  exitCodeFor: (report) => (report.errors > 0 ? ExitCode.Negative : ExitCode.Ok),
};

export default command;
