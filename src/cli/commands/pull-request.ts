// `plx pull --pr`: the options checked, the service run, its report rendered, and the CI told (outputs, summary).
import { githubRunUrl } from "../../ci/github.js";
import { plxError } from "../../errors/index.js";
import { forgeKindOf } from "../../forge/settings.js";
import type { ProposalReport } from "../../pull-request/service.js";
import type { Context } from "../context.js";
import type { Styles } from "../io.js";
import type { CommandOptions } from "../command-options.js";
import { configTracking } from "./shared.js";

type Options = CommandOptions<"pull">;

export async function runProposal(options: Options, context: Context): Promise<ProposalReport> {
  const refused = [
    options.names.length > 0 && "template names",
    options.force && "--force",
    options.prune && "--prune",
  ].filter(Boolean);
  if (refused.length > 0) {
    throw plxError("USAGE.CONFLICTING_OPTIONS", {
      problem: `${refused.join(", ")} cannot be used with --pr.`,
      hint: "plx pull --pr proposes all of PromptLayer's changes, deletions included, in one pull request.",
    });
  }
  const config = configTracking(await context.config(), options.label);
  const client = await context.remote();
  const retries = typeof options.retries === "number" ? options.retries : undefined;
  const delays = retries === undefined ? undefined : [1_000, 3_000, 9_000, 15_000].slice(0, retries);
  // Loaded here, so a plain `plx pull` does not load git, the forge clients or execa.
  const { proposeChanges } = await import("../../pull-request/service.js");
  const report = await proposeChanges(
    {
      client,
      config,
      env: context.env,
      cwd: context.cwd,
      warn: (message) => context.log.warn(message),
      forgeHttp: { signal: context.signal, ...(delays ? { retryDelaysMs: delays } : {}) },
      ...(delays ? { pushRetryDelaysMs: delays } : {}),
      runUrl: githubRunUrl(context.env) ?? context.env.CI_JOB_URL,
      redact: (text) => context.redactor.redact(text),
    },
    {
      forge: forgeKindOf(options.forge, context.env, context.ci.provider),
      branch: options.branch,
      base: options.base,
      repo: options.repo,
      labels: options.prLabel,
      reviewers: options.reviewer,
      draft: options.draft,
      author: options.author,
      dryRun: options.dryRun,
    },
  );
  const reporter = await context.reporter();
  await reporter.outputs({
    "pr-url": report.url ?? "",
    "pr-number": report.number ?? "",
    changed: report.changed,
  });
  await reporter.summary(summaryMarkdown(report));
  return report;
}

const VERBS: Record<ProposalReport["action"], [string, string]> = {
  opened: ["opened", "would open"],
  updated: ["updated", "would update"],
  unchanged: ["up to date:", "up to date:"],
  closed: ["closed", "would close"],
  none: ["nothing to propose", "nothing to propose"],
};

export function renderProposal(report: ProposalReport, styles: Styles): string {
  const noun = report.forge === "github" ? "pull request" : "merge request";
  const lines: string[] = [];
  for (const template of report.templates) {
    const versions =
      template.from !== undefined && template.to !== undefined
        ? ` v${template.from} → v${template.to}`
        : template.to !== undefined
          ? ` v${template.to}`
          : "";
    const conflict = template.conflict ? styles.yellow(" (conflict: also edited on the base, not published)") : "";
    lines.push(
      `${styles.green(template.changes.join(", ").padEnd(13))} ${template.path}${styles.dim(versions)}${conflict}`,
    );
  }
  for (const item of report.unwritable)
    lines.push(`${styles.yellow("left out".padEnd(13))} ${item.name}: ${item.reason}`);
  const verb = VERBS[report.action][report.dryRun ? 1 : 0];
  const where = report.url ? ` ${report.url}` : report.number !== undefined ? ` #${report.number}` : "";
  if (report.action === "none") {
    lines.push(`PromptLayer and ${report.base} agree: ${verb}.`);
  } else if (report.action === "closed") {
    lines.push(
      `${report.dryRun ? "dry run: " : ""}${verb} the ${noun}${where}: PromptLayer and ${report.base} agree again.`,
    );
  } else {
    const pushed = report.dryRun
      ? ""
      : report.pushed
        ? `; pushed ${report.branch}`
        : `; ${report.branch} already up to date`;
    lines.push(
      `${report.dryRun ? "dry run: " : ""}${verb} the ${noun}${where} (${report.branch} → ${report.base})${pushed}.`,
    );
  }
  if (report.dryRun && report.body) lines.push("", report.body);
  return lines.join("\n");
}

function summaryMarkdown(report: ProposalReport): string {
  const noun = report.forge === "github" ? "pull request" : "merge request";
  const link = report.url ? `[${noun} #${report.number}](${report.url})` : `the ${noun}`;
  const head =
    report.action === "none"
      ? `PromptLayer and \`${report.base}\` agree: nothing to propose.`
      : report.action === "closed"
        ? `Closed ${link}: PromptLayer and \`${report.base}\` agree again.`
        : `${report.action === "opened" ? "Opened" : report.action === "updated" ? "Updated" : "Up to date:"} ${link} with ${report.templates.length} template${report.templates.length === 1 ? "" : "s"} from PromptLayer.`;
  const rows = report.templates.map(
    (template) =>
      `| \`${template.path}\` | ${template.changes.join(", ")} | ${template.from ?? ""} | ${template.to ?? ""} | ${template.conflict ? "⚠️ conflict" : ""} |`,
  );
  return [
    "### plx pull --pr",
    "",
    head,
    ...(rows.length > 0 ? ["", "| file | change | from | to | |", "|---|---|---|---|---|", ...rows] : []),
    "",
  ].join("\n");
}
