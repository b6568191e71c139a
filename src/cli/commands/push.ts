import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { ciRunUrl } from "../../ci/detect.js";
import { folderLabel } from "../../core/folders.js";
import type { PushItem } from "../../core/push-plan.js";
import { plxError } from "../../errors/index.js";
import { writeFileAtomic } from "../../files/atomic.js";
import { gitHead, hasUncommittedChanges } from "../../files/git.js";
import {
  type GitState,
  type LabelResult,
  type PushPlan,
  type PushReport,
  type PushResult,
  push,
  pushExitCode,
  type SavedPlan,
} from "../../sync/push.js";
import type { CommandModule } from "../command.js";
import type { Context, Prompter } from "../context.js";
import type { Styles } from "../io.js";
import type { CommandOptions } from "../command-options.js";
import { labelTarget, pushMarkdown } from "./markdown.js";

type PushCommandOptions = CommandOptions<"push"> & Partial<Pick<CommandOptions<"publish">, "label" | "yes" | "all">>;

/** `plx push` (no labels) and `plx publish --label L` share everything but the labels. */
function pushOrPublish(kind: "push" | "publish"): CommandModule<PushCommandOptions, PushReport> {
  return {
    async run(options, context) {
      const labels = options.label ?? [];
      if (kind === "publish" && labels.length === 0) throw plxError("PUBLISH.NEEDS_LABEL");
      // Moving labels and deleting templates need consent, asked once the plan shows either will happen: a run that
      // moves nothing needs none, and without a terminal a run that would needs --yes.
      const answering = !options.dryRun && !options.yes;
      const config = await context.config();
      const git = await gitState(context, config.rootDir, config.promptsDir);
      const report = await push(
        {
          client: await context.remote(),
          config,
          git,
          ...(answering ? { confirm: (plan) => consent(context, plan, labels, options.delete) } : {}),
        },
        {
          names: options.names,
          dryRun: options.dryRun,
          force: options.force,
          message: options.message,
          labels,
          all: options.all === true,
          delete: options.delete,
          runUrl: ciRunUrl(context.env),
          ...(options.plan ? { savedPlan: await readPlan(resolve(context.cwd, options.plan)) } : {}),
        },
      );
      if (options.planOut) {
        await writeFileAtomic(resolve(context.cwd, options.planOut), `${JSON.stringify(report.plan, null, 2)}\n`);
      }
      if (context.ci.provider) await reportToCi(context, report, kind);
      return report;
    },
    renderHuman: renderPush,
    exitCodeFor: pushExitCode,
  };
}

/**
 * HEAD and whether the prompts differ from it. In CI, publishing content no commit holds is refused: the deploy job
 * must publish what was reviewed.
 */
async function gitState(context: Context, rootDir: string, promptsDir: string): Promise<GitState | undefined> {
  const head = await gitHead(rootDir);
  if (!head) return undefined;
  const uncommitted = await hasUncommittedChanges(rootDir, promptsDir);
  if (uncommitted && context.ci.provider)
    throw plxError("PUBLISH.UNCOMMITTED_IN_CI", { sha: head.sha.slice(0, 7), dir: promptsDir });
  return { ...head, uncommitted };
}

async function consent(
  context: Context,
  plan: PushPlan,
  labels: readonly string[],
  deleting: boolean,
): Promise<boolean> {
  const moving = plan.labels.filter(
    (move) => move.action === "move" || move.action === "add" || move.action === "copy",
  );
  const deletions = deleting ? plan.items.filter((item) => item.action === "delete") : [];
  if (!context.interactive) {
    const what = [
      moving.length > 0 ? `Moving the release label${labels.length > 1 ? "s" : ""} ${labels.join(", ")}` : "",
      deletions.length > 0 ? "deleting templates in PromptLayer" : "",
    ];
    throw plxError("USAGE.NEEDS_CONFIRMATION", {
      action: what.filter(Boolean).join(" and "),
      alternative: "--dry-run to only show the plan",
    });
  }
  const what = [
    moving.length > 0 ? `moving ${labels.join(", ")} on ${moving.length} template(s)` : undefined,
    deletions.length > 0 ? `deleting ${deletions.length} template(s) in PromptLayer` : undefined,
  ]
    .filter(Boolean)
    .join(" and ");
  return ask(context.prompt, plan, what);
}

function ask(prompt: Prompter, plan: PushPlan, what: string): Promise<boolean> {
  const publishing = plan.items.filter((item) => item.action === "create" || item.action === "update").length;
  return prompt.confirm(`Publish ${publishing} changed template(s), ${what}?`);
}

/** `2 template(s)`, `1 agent(s)`, `1 template(s) and 1 agent(s)`: what the results are about, by kind. */
function things(results: readonly PushResult[]): string {
  const agents = results.filter((result) => result.item.kind === "agent").length;
  const templates = results.length - agents;
  const parts = [templates > 0 ? `${templates} template(s)` : "", agents > 0 ? `${agents} agent(s)` : ""];
  return parts.filter(Boolean).join(" and ") || "0 template(s)";
}

/** In CI: conflicts as annotations, the summary, and outputs naming what was published. */
async function reportToCi(context: Context, report: PushReport, kind: "push" | "publish"): Promise<void> {
  const reporter = await context.reporter();
  const conflicts = report.results.filter(
    (result) =>
      result.result === "conflict" ||
      ((result.result === "created" || result.result === "updated" || result.result === "copied") && result.raced),
  );
  await reporter.annotate(
    conflicts.map((result) => ({
      path: result.item.path,
      line: 1,
      severity: "error" as const,
      code: "conflict",
      message: `${result.item.name}: ${"reason" in result.item ? result.item.reason : "edited in PromptLayer since the last sync"}`,
    })),
  );
  await reporter.summary(pushMarkdown(report, kind));
  const published = report.results.flatMap((result) =>
    result.result === "created" || result.result === "updated" ? [`${result.item.name}@${result.version}`] : [],
  );
  await reporter.outputs({ changed: published.length > 0, published: published.join(",") });
}

async function readPlan(path: string): Promise<SavedPlan> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw plxError("PLAN.UNREADABLE", { file: path, problem: (error as Error).message });
  }
  const plan = parsed as Partial<SavedPlan>;
  if (
    plan.plxPlan !== 2 ||
    !Array.isArray(plan.items) ||
    !Array.isArray(plan.labels) ||
    !Array.isArray(plan.labelMoves)
  )
    throw plxError("PLAN.NOT_A_PLAN", { file: path });
  return plan as SavedPlan;
}

/** What would happen to an item, in the dry run's words. */
function plannedWord(item: PushItem): string {
  switch (item.action) {
    case "create":
      return "would create";
    case "update":
      return "would update";
    case "delete":
      return "would delete";
    default:
      return "would move";
  }
}

/** One line per result worth a line; an unchanged template that stayed put says nothing. */
function resultLine(result: PushResult, styles: Styles, deleting: boolean): string | undefined {
  const { item } = result;
  let word: string;
  switch (result.result) {
    case "created":
    case "updated":
      word = styles.green(
        `${result.result} v${result.version}${result.recovered ? " (confirmed after a lost answer)" : ""}`,
      );
      break;
    case "moved":
      word = styles.green("moved");
      break;
    case "copied":
      word = styles.green(`copied v${result.of} as v${result.version}`);
      break;
    case "unchanged":
      return undefined;
    case "behind":
      word = styles.yellow("behind");
      break;
    case "conflict":
      word = styles.red("conflict");
      break;
    case "invalid":
      word = styles.red("invalid");
      break;
    case "planned":
      word = styles.cyan(item.action === "delete" && !deleting ? "deleted here" : plannedWord(item));
      break;
    case "deleted":
      word = styles.green("deleted");
      break;
    case "kept":
      word = styles.yellow("deleted here");
      break;
    case "skipped":
      word = styles.yellow("skipped");
      break;
    case "failed":
      word = styles.red("failed");
      break;
  }
  const move =
    "moveTo" in item && item.moveTo
      ? styles.dim(` (into ${folderLabel(item.moveTo)} in PromptLayer)`)
      : "previousPath" in item && item.previousPath && result.result !== "created" && result.result !== "updated"
        ? styles.dim(` (was ${item.previousPath})`)
        : "";
  const why =
    result.result === "kept" || (result.result === "planned" && item.action === "delete")
      ? deleting
        ? ""
        : " — kept in PromptLayer; push --delete removes it there, plx pull --force restores the file"
      : result.result === "skipped"
        ? ` — ${result.reason}`
        : result.result === "created" || result.result === "updated" || result.result === "copied"
          ? result.raced
            ? ` — ${result.raced}`
            : ""
          : "reason" in item && item.reason
            ? ` — ${item.reason}`
            : "forced" in item && item.forced
              ? " — forced over a remote edit"
              : "";
  const error = result.result === "failed" ? ` — ${result.error.message}` : "";
  const lines = [`${word} ${item.path}${move}${styles.dim(why)}${error}`];
  if (result.result === "conflict" && result.patch) lines.push(result.patch);
  return lines.join("\n");
}

function labelLine(label: LabelResult, styles: Styles, dryRun: boolean): string | undefined {
  const where = `${label.label} -> ${label.name} ${labelTarget(label)}`;
  const was = label.from === undefined ? "" : styles.dim(` (was v${label.from})`);
  switch (label.status) {
    case "unchanged":
    case "skipped":
      return undefined;
    case "planned":
      return `${styles.cyan(dryRun ? `would ${label.action === "add" || (label.action === "copy" && label.from === undefined) ? "add" : "move"} label` : "label")} ${where}${was}${styles.dim(` — ${label.reason}`)}`;
    case "set":
      return `${styles.green("label")} ${where}${was}`;
    case "conflict":
      return `${styles.red("label left alone")} ${label.label} on ${label.name}: ${label.reason}; plx pull brings it in, --force moves it`;
    case "superseded":
      return `${styles.yellow("label moved on")} ${where}: another publish or label change has since moved it elsewhere`;
    case "pending":
      return `${styles.yellow("pending approval")} ${where}: the label did not move; it is protected and waits for an approval in PromptLayer`;
    case "failed":
      return `${styles.red("label failed")} ${where}: ${label.error}`;
  }
}

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
  const deleting =
    report.plan.items.some((item) => item.action === "delete") && report.results.some((r) => r.result === "deleted");
  for (const result of report.results) {
    const line = resultLine(result, styles, deleting);
    if (line) lines.push(line);
  }
  for (const label of report.labels) {
    const line = labelLine(label, styles, report.dryRun || report.blocked !== undefined);
    if (line) lines.push(line);
  }
  const skippedLabels = report.labels.filter((label) => label.status === "skipped");
  if (skippedLabels.length > 0) {
    const names = [...new Set(skippedLabels.map((label) => label.label))].join(", ");
    lines.push(
      styles.dim(
        `${names} not added to ${skippedLabels.length} template(s) that do not carry it (plx.config.yaml labels or --all adds it)`,
      ),
    );
  }
  const count = (test: (result: PushResult) => boolean) => report.results.filter(test).length;
  const of = (...names: PushResult["result"][]) => count((result) => names.includes(result.result));
  if (report.blocked === "conflict") {
    lines.push(
      styles.red(
        `Refused: ${things(report.results.filter((r) => r.result === "conflict"))} were edited in PromptLayer since this repo last synced; nothing was sent.`,
      ),
      "Run plx pull to bring those edits in (or plx diff to see them), or --force to overwrite them.",
    );
  } else if (report.blocked === "invalid") {
    lines.push(
      styles.red(
        `Refused: ${things(report.results.filter((r) => r.result === "invalid"))} cannot be published as they are; nothing was sent.`,
      ),
    );
  } else if (report.blocked === "declined") {
    lines.push("Nothing was sent.");
  } else if (report.dryRun) {
    const planned = (action: PushItem["action"]) => count((r) => r.result === "planned" && r.item.action === action);
    lines.push(
      `dry run: ${planned("create")} to create, ${planned("update")} to update, ${of("unchanged")} unchanged` +
        (planned("delete") > 0 ? `, ${planned("delete")} deleted here` : ""),
    );
  } else {
    const moved = report.labels.filter((label) => label.status === "set").length;
    const pending = report.labels.filter((label) => label.status === "pending").length;
    const conflicts = report.labels.filter((label) => label.status === "conflict").length;
    lines.push(
      `${of("created", "updated")} published, ${of("unchanged", "moved")} unchanged, ${of("failed")} failed, ${of("skipped")} skipped` +
        (of("copied") > 0 ? `, ${of("copied")} copied to carry labels` : "") +
        (of("behind") > 0 ? `, ${of("behind")} behind` : "") +
        (of("deleted") > 0 ? `, ${of("deleted")} deleted` : "") +
        (of("kept") > 0 ? `, ${of("kept")} deleted here only` : "") +
        (report.labels.length > 0 ? `; labels: ${moved} moved, ${pending} pending, ${conflicts} left alone` : ""),
    );
  }
  return lines.join("\n");
}

export const pushCommand = pushOrPublish("push");
export const publishCommand = pushOrPublish("publish");
