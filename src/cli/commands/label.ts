import { ExitCode, plxError } from "../../errors/index.js";
import {
  applyPromotion,
  type LabelChange,
  type LabelRemoval,
  type LabelRow,
  listLabelRows,
  planPromotion,
  removeLabel,
  setLabel,
} from "../../sync/labels.js";
import type { CommandModule } from "../command.js";
import type { Context } from "../context.js";
import type { Styles } from "../io.js";
import { nameAtVersion } from "../options.js";
import type { CommandOptions } from "../command-options.js";

export type LabelReport =
  | { action: "ls"; labels: LabelRow[] }
  | { action: "set" | "promote"; dryRun: boolean; changes: LabelChange[]; declined?: boolean }
  | ({ action: "rm" } & LabelRemoval)
  | { action: "rm"; name: string; label: string; status: "declined" };

const resolved = async (context: Context) => ({ client: await context.remote(), config: await context.config() });

/** Asks, or fails naming --yes where nobody can be asked. */
async function confirmed(context: Context, yes: boolean, action: string, question: string): Promise<boolean> {
  if (yes) return true;
  if (!context.interactive) throw plxError("USAGE.NEEDS_CONFIRMATION", { action });
  return context.prompt.confirm(question);
}

export const labelList: CommandModule<CommandOptions<"label ls">, LabelReport> = {
  async run(options, context) {
    return { action: "ls", labels: await listLabelRows(await resolved(context), options.names) };
  },
  renderHuman: renderLabel,
};

export const labelSet: CommandModule<CommandOptions<"label set">, LabelReport> = {
  async run(options, context) {
    const { name, version } = nameAtVersion(options.target);
    return {
      action: "set",
      dryRun: false,
      changes: [await setLabel(await resolved(context), options.label, name, version, options.agent)],
    };
  },
  renderHuman: renderLabel,
  exitCodeFor: changesExitCode,
};

export const labelRemove: CommandModule<CommandOptions<"label rm">, LabelReport> = {
  async run(options, context) {
    const { label, name } = options;
    const asked = `Removing the label ${label} from ${name}`;
    if (!(await confirmed(context, options.yes, asked, `Remove the release label ${label} from ${name}?`))) {
      return { action: "rm", name, label, status: "declined" };
    }
    return { action: "rm", ...(await removeLabel(await resolved(context), label, name, options.agent)) };
  },
  renderHuman: renderLabel,
  // Like a label that did not move: the removal waits for an approval, which a script should notice.
  exitCodeFor: (report) => (report.action === "rm" && report.status === "pending" ? ExitCode.Negative : ExitCode.Ok),
};

export const labelPromote: CommandModule<CommandOptions<"label promote">, LabelReport> = {
  async run(options, context) {
    const { client, config } = await resolved(context);
    const plan = await planPromotion({ client, config }, options.from, options.to, options.names);
    const moving = plan.changes.filter((change) => change.status === "planned");
    for (const change of moving.filter((planned) => planned.from !== undefined && planned.from > planned.version)) {
      context.log.warn(
        `${change.label} on ${change.name} moves back from v${change.from} to v${change.version}, an older version`,
      );
    }
    if (options.dryRun || moving.length === 0)
      return { action: "promote", dryRun: options.dryRun, changes: plan.changes };
    const question = `Point ${options.to} at the version ${options.from} points at, on ${moving.length} template(s)?`;
    if (!(await confirmed(context, options.yes, `Promoting ${options.from} to ${options.to}`, question))) {
      return { action: "promote", dryRun: false, changes: plan.changes, declined: true };
    }
    return { action: "promote", dryRun: false, changes: await applyPromotion(client, config, plan) };
  },
  renderHuman: renderLabel,
  exitCodeFor: changesExitCode,
};

function changesExitCode(report: LabelReport): ExitCode {
  if (report.action !== "set" && report.action !== "promote") return ExitCode.Ok;
  if (report.declined) return ExitCode.Negative;
  if (report.changes.some((change) => change.status === "failed")) return ExitCode.Remote;
  // An agent's label left alone: moving it would have hidden a later version made in PromptLayer.
  if (report.changes.some((change) => change.status === "conflict")) return ExitCode.Conflict;
  // A protected label waiting for approval: the change was asked for and did not happen yet.
  return report.changes.some((change) => change.status === "pending") ? ExitCode.Negative : ExitCode.Ok;
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
        const kind = row.kind === "agent" ? styles.dim(" (agent)") : "";
        return `${row.name.padEnd(width)}  ${row.label.padEnd(12)} v${String(row.version).padEnd(4)} ${match}${kind}`;
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
  if (report.changes.length === 0) return "No templates or agents carry that label.";
  const lines = report.changes.map((change) => {
    const copy =
      change.copyOf !== undefined
        ? styles.dim(` (a new version identical to v${change.copyOf})`)
        : change.kind === "agent" && change.status === "planned"
          ? styles.dim(" (by a new version identical to it)")
          : "";
    const where = `${change.label} -> ${change.name} v${change.version}${copy}${change.from !== undefined && change.from !== change.version ? styles.dim(` (was v${change.from})`) : ""}`;
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
      case "conflict":
        return `${styles.red("left alone")} ${change.label} on ${change.name}: ${change.error}`;
      default:
        return `${styles.red("failed")} ${where}: ${change.error}`;
    }
  });
  if (report.declined) lines.push("Nothing was moved.");
  return lines.join("\n");
}
