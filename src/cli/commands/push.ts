import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { ciRunUrl } from "../../ci/detect.js";
import { folderLabel } from "../../core/folders.js";
import { plxError } from "../../errors/index.js";
import { writeFileAtomic } from "../../files/atomic.js";
import { gitHead } from "../../files/git.js";
import { push, pushExitCode, type PushReport, type PushResult, type SavedPlan } from "../../sync/push.js";
import type { CommandModule } from "../command.js";
import type { Prompter } from "../context.js";
import type { Styles } from "../io.js";
import type { CommandOptions } from "../specs.js";
import { pushMarkdown } from "./markdown.js";

type PushCommandOptions = CommandOptions<"push"> & Partial<Pick<CommandOptions<"publish">, "label" | "yes" | "all">>;

/** `plx push` (no labels) and `plx publish --label L` share everything but the labels. */
function pushOrPublish(kind: "push" | "publish"): CommandModule<PushCommandOptions, PushReport> {
  return {
    async run(options, context) {
      const labels = options.label ?? [];
      if (kind === "publish" && labels.length === 0) throw plxError("PUBLISH.NEEDS_LABEL");
      const asking = labels.length > 0 && !options.dryRun && !options.yes;
      if (asking && !context.interactive) {
        throw plxError("USAGE.NEEDS_CONFIRMATION", {
          action: `Moving the release label${labels.length > 1 ? "s" : ""} ${labels.join(", ")}`,
          alternative: "--dry-run to only show the plan",
        });
      }
      const config = await context.config();
      const report = await push(
        {
          client: await context.remote(),
          config,
          git: await gitHead(config.rootDir),
          signal: context.signal,
          ...(asking ? { confirm: (items) => ask(context.prompt, items, labels) } : {}),
        },
        {
          names: options.names,
          dryRun: options.dryRun === true,
          force: options.force === true,
          message: options.message,
          labels,
          runUrl: ciRunUrl(context.env),
          ...(options.plan ? { savedPlan: await readPlan(resolve(context.cwd, options.plan)) } : {}),
        },
      );
      if (options.planOut)
        await writeFileAtomic(resolve(context.cwd, options.planOut), `${JSON.stringify(report.plan, null, 2)}\n`);
      if (context.ci.provider) {
        const reporter = await context.reporter();
        const conflicts = report.items.filter((item) => item.action === "conflict" || item.raced);
        await reporter.annotate(
          conflicts.map((item) => ({
            path: item.path,
            line: 1,
            severity: "error" as const,
            code: "conflict",
            message: `${item.name}: ${item.reason ?? "edited in PromptLayer since the last sync"}`,
          })),
        );
        await reporter.summary(pushMarkdown(report, kind));
        const published = report.items.filter((item) => item.outcome === "published");
        await reporter.outputs({
          changed: published.length > 0,
          published: published.map((item) => `${item.name}@${item.version}`).join(","),
        });
      }
      return report;
    },
    renderHuman: renderPush,
    exitCodeFor: pushExitCode,
  };
}

async function ask(prompt: Prompter, items: readonly PushResult[], labels: readonly string[]): Promise<boolean> {
  const changing = items.filter((item) => item.action === "create" || item.action === "update").length;
  return prompt.confirm(
    `Publish ${changing} changed template(s) and point ${labels.join(", ")} at the local content of ${items.length} template(s)?`,
  );
}

async function readPlan(path: string): Promise<SavedPlan> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw plxError("PLAN.UNREADABLE", { file: path, problem: (error as Error).message });
  }
  const plan = parsed as Partial<SavedPlan>;
  if (plan.plxPlan !== 1 || !Array.isArray(plan.items) || !Array.isArray(plan.labels))
    throw plxError("PLAN.NOT_A_PLAN", { file: path });
  return plan as SavedPlan;
}

const ACTION_WORDS: Record<string, string> = {
  create: "create",
  update: "update",
  unchanged: "unchanged",
  conflict: "conflict",
  invalid: "invalid",
};

export function renderPush(report: PushReport, styles: Styles): string {
  const lines: string[] = [];
  if (report.blocked === "stale-plan") {
    lines.push(
      styles.red("The saved plan is stale; nothing was sent:"),
      ...(report.stale ?? []).map((line) => `  ${line}`),
      "Make a new plan (--plan-out) and review it again.",
    );
    return lines.join("\n");
  }
  for (const item of report.items) {
    if (item.action === "unchanged" && item.outcome === undefined && !item.remoteAhead) continue;
    const word = item.remoteAhead
      ? styles.yellow("behind")
      : item.outcome === "moved"
        ? styles.green("moved")
        : item.outcome === "planned" && item.action === "unchanged"
          ? styles.cyan("would move")
          : item.outcome === "published"
            ? styles.green(`published v${item.version}${item.recovered ? " (confirmed after a lost answer)" : ""}`)
            : item.outcome === "failed"
              ? styles.red("failed")
              : item.outcome === "skipped"
                ? styles.yellow("skipped")
                : item.action === "conflict"
                  ? styles.red("conflict")
                  : item.action === "invalid"
                    ? styles.red("invalid")
                    : styles.cyan(`would ${ACTION_WORDS[item.action]}`);
    const move = item.moveTo
      ? styles.dim(` (into ${folderLabel(item.moveTo)} in PromptLayer)`)
      : item.previousPath && item.outcome !== "published"
        ? styles.dim(` (was ${item.previousPath})`)
        : "";
    lines.push(
      `${word} ${item.path}${move}${item.reason ? styles.dim(` — ${item.reason}`) : ""}${item.error ? ` — ${item.error.message}` : ""}`,
    );
    if (item.patch) lines.push(item.patch);
  }
  for (const change of report.labels) {
    const where = `${change.label} -> ${change.name} v${change.version}`;
    if (change.status === "unchanged") continue;
    if (change.status === "set")
      lines.push(
        `${styles.green("label")} ${where}${change.from === undefined ? "" : styles.dim(` (was v${change.from})`)}`,
      );
    if (change.status === "superseded")
      lines.push(
        `${styles.yellow("label moved on")} ${where}: another publish or label change has since moved it elsewhere`,
      );
    if (change.status === "pending")
      lines.push(
        `${styles.yellow("pending approval")} ${where}: the label did not move; it is protected and waits for an approval in PromptLayer`,
      );
    if (change.status === "failed") lines.push(`${styles.red("label failed")} ${where}: ${change.error}`);
  }
  const count = (test: (item: PushResult) => boolean) => report.items.filter(test).length;
  if (report.blocked === "conflict") {
    lines.push(
      styles.red(
        `Refused: ${count((i) => i.action === "conflict")} template(s) were edited in PromptLayer since this repo last synced; nothing was sent.`,
      ),
    );
    lines.push("Run plx pull to bring those edits in (or plx diff to see them), or --force to overwrite them.");
  } else if (report.blocked === "invalid") {
    lines.push(
      styles.red(
        `Refused: ${count((i) => i.action === "invalid")} template(s) cannot be published as they are; nothing was sent.`,
      ),
    );
  } else if (report.blocked === "declined") {
    lines.push("Nothing was sent.");
  } else if (report.dryRun) {
    lines.push(
      `dry run: ${count((i) => i.action === "create")} to create, ${count((i) => i.action === "update")} to update, ${count((i) => i.action === "unchanged")} unchanged`,
    );
  } else {
    const labelsSet = report.labels.filter((change) => change.status === "set").length;
    const pending = report.labels.filter((change) => change.status === "pending").length;
    lines.push(
      `${count((i) => i.outcome === "published")} published, ${count((i) => i.action === "unchanged")} unchanged, ${count((i) => i.outcome === "failed")} failed, ${count((i) => i.outcome === "skipped")} skipped` +
        (report.labels.length > 0 ? `; labels: ${labelsSet} moved, ${pending} pending` : ""),
    );
  }
  return lines.join("\n");
}

export const pushCommand = pushOrPublish("push");
export const publishCommand = pushOrPublish("publish");
