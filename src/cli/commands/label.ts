import { confirm, isCancel } from "@clack/prompts";
import { ExitCode, plxError } from "../../errors/index.js";
import {
  listLabelRows,
  promoteLabel,
  removeLabel,
  setLabel,
  type LabelChange,
  type LabelRemoval,
  type LabelRow,
} from "../../sync/labels.js";
import type { CommandModule } from "../command.js";
import type { Styles } from "../io.js";

export interface LabelCommandOptions {
  action: "ls" | "set" | "rm" | "promote";
  args: string[];
  names: string[];
  dryRun?: boolean;
  yes?: boolean;
}

export type LabelReport =
  | { action: "ls"; labels: LabelRow[] }
  | { action: "set" | "promote"; dryRun: boolean; changes: LabelChange[] }
  | ({ action: "rm" } & LabelRemoval)
  | { action: "rm"; name: string; label: string; status: "declined" };

const command: CommandModule<LabelCommandOptions, LabelReport> = {
  async run(options, context) {
    const resolved = { client: await context.remote(), config: await context.config() };
    const [first, second] = options.args;
    switch (options.action) {
      case "ls":
        return { action: "ls", labels: await listLabelRows(resolved, options.names) };
      case "set": {
        const { name, version } = nameAndVersion(second!);
        return { action: "set", dryRun: false, changes: [await setLabel(resolved, first!, name, version)] };
      }
      case "promote":
        return {
          action: "promote",
          dryRun: options.dryRun === true,
          changes: await promoteLabel(resolved, first!, second!, options.names, options.dryRun === true),
        };
      case "rm": {
        if (!options.yes) {
          if (!context.interactive)
            throw plxError("USAGE.NEEDS_CONFIRMATION", { action: `Removing the label ${first} from ${second}` });
          const answer = await confirm({
            message: `Remove the release label ${first} from ${second}?`,
            output: process.stderr,
          });
          if (isCancel(answer) || answer !== true)
            return { action: "rm", name: second!, label: first!, status: "declined" };
        }
        return { action: "rm", ...(await removeLabel(resolved, first!, second!)) };
      }
    }
  },
  renderHuman: renderLabel,
  exitCodeFor(report) {
    if (report.action === "ls") return ExitCode.Ok;
    // Like a label that did not move: the removal waits for an approval, which a script should notice.
    if (report.action === "rm") return report.status === "pending" ? ExitCode.Negative : ExitCode.Ok;
    if (report.changes.some((change) => change.status === "failed")) return ExitCode.Remote;
    return report.changes.some((change) => change.status === "pending") ? ExitCode.Negative : ExitCode.Ok;
  },
};

/** `name@7` names version 7; a bare name means the version matching the local file. */
function nameAndVersion(spec: string): { name: string; version?: number } {
  const match = /^(.*)@(\d+)$/.exec(spec);
  if (!match) return { name: spec };
  const version = Number(match[2]);
  if (version < 1) throw plxError("LABEL.VERSION_INVALID", { spec, version });
  return { name: match[1]!, version };
}

function renderLabel(report: LabelReport, styles: Styles): string {
  if (report.action === "ls") {
    if (report.labels.length === 0) return "No release labels.";
    const width = Math.max(...report.labels.map((row) => row.name.length));
    return report.labels
      .map((row) => {
        const match =
          row.matchesLocal === undefined
            ? styles.dim("no local file")
            : row.matchesLocal
              ? styles.green("matches local")
              : styles.yellow("differs from local");
        return `${row.name.padEnd(width)}  ${row.label.padEnd(12)} v${String(row.version).padEnd(4)} ${match}`;
      })
      .join("\n");
  }
  if (report.action === "rm") {
    switch (report.status) {
      case "declined":
        return "Nothing was removed.";
      case "absent":
        return `${report.name} has no label ${report.label}; nothing to remove`;
      case "pending":
        return `${styles.yellow("pending approval")} ${report.label} on ${report.name} (v${report.version}): the label is protected and stays until the removal is approved in PromptLayer`;
      default:
        return `removed ${report.label} from ${report.name}${report.version ? ` (was v${report.version})` : ""}`;
    }
  }
  if (report.changes.length === 0) return "No templates carry that label.";
  return report.changes
    .map((change) => {
      const where = `${change.label} -> ${change.name} v${change.version}${change.from !== undefined && change.from !== change.version ? styles.dim(` (was v${change.from})`) : ""}`;
      switch (change.status) {
        case "set":
          return `${styles.green("set")} ${where}`;
        case "planned":
          return `${styles.cyan("would set")} ${where}`;
        case "unchanged":
          return `${styles.dim("unchanged")} ${where}`;
        case "superseded":
          return `${styles.yellow("moved on")} ${where}: another publish or label change has since moved it elsewhere`;
        case "pending":
          return `${styles.yellow("pending approval")} ${where}: the label is protected and did not move yet`;
        default:
          return `${styles.red("failed")} ${where}: ${change.error}`;
      }
    })
    .join("\n");
}

export default command;
