import { compareWithRemote, type Comparison } from "../../sync/compare.js";
import type { CommandModule } from "../command.js";
import type { CommandOptions } from "../command-options.js";
import { comparisonExitCode, renderComparison, warnUnreadable } from "./render-comparison.js";
import { comparisonMarkdown } from "./markdown.js";
import { configTracking } from "./shared.js";
import type { Context } from "../context.js";

export type DiffReport = Comparison & { view: "patch" | "stat" | "name-only"; exitOnChange: boolean };

const command: CommandModule<CommandOptions<"diff">, DiffReport> = {
  async run(options, context) {
    const config = configTracking(await context.config(), options.label);
    const progress = context.progress("reading changed templates");
    try {
      const comparison = await compareWithRemote(
        { client: await context.remote(), config, onProgress: progress.update },
        options.names,
      );
      await reportToCi(context, comparison, options.comment);
      if (options.nameOnly) warnUnreadable(comparison, context.log.warn);
      return {
        ...comparison,
        view: options.nameOnly ? "name-only" : options.stat ? "stat" : "patch",
        exitOnChange: options.exitCode,
      };
    } finally {
      progress.done();
    }
  },
  renderHuman: (report, styles) => renderComparison(report, styles, report.view),
  exitCodeFor: comparisonExitCode,
};

/** In CI: the summary and outputs always, the sticky pull-request comment when asked. */
async function reportToCi(context: Context, comparison: Comparison, comment: boolean): Promise<void> {
  if (!context.ci.provider && !comment) return;
  const reporter = await context.reporter();
  const markdown = comparisonMarkdown(comparison);
  await reporter.summary(markdown);
  await reporter.outputs({ changed: comparison.changes.length > 0, "changed-count": comparison.changes.length });
  if (comment) await reporter.comment("diff", markdown);
}

export default command;
