import { pull, type PullItem, type PullReport } from "../../sync/pull.js";
import { ExitCode } from "../../errors/index.js";
import type { ProposalReport } from "../../pull-request/service.js";
import type { CommandModule } from "../command.js";
import type { CommandOptions } from "../command-options.js";
import type { Styles } from "../io.js";
import { renderProposal, runProposal } from "./pull-request.js";
import { configTracking } from "./shared.js";

const command: CommandModule<CommandOptions<"pull">, PullReport | ProposalReport> = {
  async run(options, context) {
    if (options.pr) return runProposal(options, context);
    const config = configTracking(await context.config(), options.label);
    const client = await context.remote();
    const progress = context.progress("reading templates");
    let report: PullReport;
    try {
      report = await pull(
        {
          client,
          config,
          onProgress: progress.update,
          ...(context.interactive
            ? {
                confirmRemovals: (paths) =>
                  context.prompt.confirm(
                    `--prune removes ${paths.length} prompt files (${paths.slice(0, 3).join(", ")}…). Go on?`,
                  ),
              }
            : {}),
        },
        { names: options.names, dryRun: options.dryRun, force: options.force, prune: options.prune, yes: options.yes },
      );
    } finally {
      progress.done();
    }
    if (report.missingLabel !== undefined) {
      context.log.warn(
        `no template in PromptLayer carries the label "${report.missingLabel}"; check its spelling (labels are case-sensitive)`,
      );
    }
    return report;
  },
  renderHuman: (report, styles) => ("proposal" in report ? renderProposal(report, styles) : renderPull(report, styles)),
  // Skipped templates hold edits plx would not overwrite: a negative result a script should notice. A file deleted
  // here is a change waiting for push, not a problem with the pull.
  exitCodeFor: (report) =>
    !("proposal" in report) && report.items.some((item) => item.action === "skip" && item.reason !== "local-deleted")
      ? ExitCode.Negative
      : ExitCode.Ok,
};

const VERBS: Record<PullItem["action"], string> = {
  create: "created",
  update: "updated",
  unchanged: "unchanged",
  skip: "skipped",
  remove: "removed",
  gone: "gone remotely",
};

const REASONS: Record<NonNullable<PullItem["reason"]>, string> = {
  "local-changed": "edited locally since the last sync; push it, or pull --force to discard the edit",
  conflict: "changed both here and in PromptLayer; see plx diff, then pull --force or push --force",
  "local-deleted":
    "deleted locally since the last sync; push --delete removes it from PromptLayer, pull --force restores it",
  "remote-invalid":
    "PromptLayer's stored version would not be a valid file, so it was not written; fix it in PromptLayer",
};

export function renderPull(report: PullReport, styles: Styles): string {
  const lines: string[] = [];
  const prefix = report.dryRun ? "would be " : "";
  for (const item of report.items) {
    if (item.action === "unchanged") continue;
    const colour =
      item.action === "skip" || item.action === "gone"
        ? styles.yellow
        : item.action === "remove"
          ? styles.red
          : styles.green;
    const version = item.version === undefined ? "" : styles.dim(` v${item.version}`);
    const moved = item.previousPath ? styles.dim(` (moved from ${item.previousPath})`) : "";
    const detail = item.detail ? ` (${item.detail})` : "";
    const reason = item.reason
      ? styles.dim(` — ${REASONS[item.reason]}${detail}`)
      : item.action === "gone"
        ? styles.dim(" — pull --prune removes the file")
        : "";
    lines.push(
      `${colour(`${prefix}${VERBS[item.action]}`.padEnd(report.dryRun ? 22 : 13))} ${item.path}${version}${moved}${reason}`,
    );
  }
  const { counts } = report;
  const summary = [
    `${counts.create} created`,
    `${counts.update} updated`,
    `${counts.unchanged} unchanged`,
    `${counts.skip} skipped`,
  ];
  if (counts.remove > 0) summary.push(`${counts.remove} removed`);
  if (counts.gone > 0) summary.push(`${counts.gone} gone remotely`);
  lines.push(`${report.dryRun ? "dry run: " : ""}${summary.join(", ")}`);
  return lines.join("\n");
}

export default command;
