import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { type AgentRunResult, type NodeOutcome, runAgent } from "../../agents/run.js";
import { isJsonObject, type JsonValue } from "../../core/template.js";
import { ExitCode, plxError } from "../../errors/index.js";
import type { CommandModule } from "../command.js";
import type { Context } from "../context.js";
import type { Styles } from "../io.js";
import { targetOf } from "../options.js";
import type { CommandOptions } from "../command-options.js";
import { markdownCell } from "../../ci/findings.js";
import { fenced } from "./markdown.js";

export interface AgentRunReport extends AgentRunResult {
  /** Whether every node was asked for (--all-outputs), which the human rendering shows. */
  allOutputs: boolean;
}

/** Renderings that print text the agent produced, made safe for the CI log they land in (see CiReporter.untrusted). */
const guards = new WeakMap<AgentRunReport, (text: string) => string>();

export const agentRun: CommandModule<CommandOptions<"agent run">, AgentRunReport> = {
  async run(options, context) {
    const target = targetOf(options.target, options.version);
    if (target.conflict)
      throw plxError("USAGE.CONFLICTING_OPTIONS", {
        problem: `${target.conflict}; give one.`,
        hint: "Run name@3, or name --version 3.",
      });
    const { name, version } = target;
    if (version !== undefined && options.label !== undefined)
      throw plxError("USAGE.CONFLICTING_OPTIONS", {
        problem: `${options.target} names a version and --label names another; a run takes one.`,
        hint: `Run ${name}@${version}, or ${name} --label ${options.label}.`,
      });
    const inputs = { ...(await inputsFile(options.inputsFile, context.cwd)), ...pairs(options.inputVar) };
    const client = await context.remote();
    const activity = context.activity(`agent ${name}`);
    let result: AgentRunResult;
    try {
      result = await runAgent(
        client.workflows,
        {
          name,
          ...(options.label === undefined ? {} : { label: options.label }),
          ...(version === undefined ? {} : { version }),
          inputs,
          metadata: pairs(options.metadata),
          waitMs: options.wait,
        },
        {
          signal: context.signal,
          onProgress: ({ executionId, nodes }) => activity.update(progressText(executionId, nodes)),
        },
      );
    } finally {
      activity.done();
    }
    if (result.warning) context.log.warn(`PromptLayer: ${result.warning}`);
    const report: AgentRunReport = { ...result, allOutputs: options.allOutputs };
    await reportToCi(report, context);
    return report;
  },
  renderHuman(report, styles) {
    const text = renderAgentRun(report, styles);
    return (guards.get(report) ?? ((plain: string) => plain))(text);
  },
  exitCodeFor: (report) => (report.status === "succeeded" ? ExitCode.Ok : ExitCode.Negative),
};

async function inputsFile(file: string | undefined, cwd: string): Promise<Record<string, unknown>> {
  if (file === undefined) return {};
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw plxError("AGENT.INPUTS_FILE", { file, problem: (error as NodeJS.ErrnoException).code ?? "unreadable" });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw plxError("AGENT.INPUTS_FILE", { file, problem: `it is not JSON (${(error as Error).message})` });
  }
  if (!isJsonObject(parsed as JsonValue))
    throw plxError("AGENT.INPUTS_FILE", { file, problem: "it holds JSON, but not an object of input variables" });
  return parsed as Record<string, unknown>;
}

/** `--input-var a=1 --input-var b=x=y` as {a: "1", b: "x=y"}; a later one wins. */
function pairs(values: readonly string[]): Record<string, string> {
  // fromEntries defines `__proto__` as a plain key, so a variable of any name is passed on as given.
  return Object.fromEntries(
    values.map((value) => {
      const at = value.indexOf("=");
      return [value.slice(0, at).trim(), value.slice(at + 1)];
    }),
  );
}

const FINAL = new Set(["SUCCESS", "FAILED", "SKIPPED"]);

function progressText(executionId: number, nodes: readonly NodeOutcome[]): string {
  if (nodes.length === 0) return `running (execution ${executionId})`;
  const done = nodes.filter((node) => FINAL.has(node.status)).length;
  const running = nodes.filter((node) => node.status === "RUNNING").map((node) => node.name);
  const failed = nodes.filter((node) => node.status === "FAILED").map((node) => node.name);
  return [
    `${done}/${nodes.length} nodes done`,
    ...(running.length > 0 ? [`running ${running.join(", ")}`] : []),
    ...(failed.length > 0 ? [`failed ${failed.join(", ")}`] : []),
  ].join("; ");
}

/** A node's value as text: strings as they are, anything else as JSON. */
export function valueText(value: unknown): string {
  if (typeof value === "string") return value;
  return JSON.stringify(value, null, 2) ?? "null";
}

function renderAgentRun(report: AgentRunReport, styles: Styles): string {
  const lines: string[] = [];
  if (report.allOutputs) {
    const width = Math.max(...report.nodes.map((node) => node.status.length), 0);
    for (const node of report.nodes) {
      const status = node.status === "SUCCESS" ? styles.green : node.status === "FAILED" ? styles.red : styles.dim;
      lines.push(
        `${status(node.status.padEnd(width))}  ${styles.bold(node.name)}${node.isOutputNode ? " (output)" : ""}`,
      );
      const detail = node.status === "FAILED" ? (node.error ?? "") : node.value === null ? "" : valueText(node.value);
      if (detail !== "") lines.push(...detail.split("\n").map((line) => `  ${line}`));
    }
    if (lines.length > 0) lines.push("");
  }
  const where = `agent ${report.agent} (execution ${report.executionId})`;
  if (report.status === "timed-out") {
    lines.push(
      styles.yellow(`${where} is still running after ${seconds(report.elapsedMs)}.`),
      `Look it up later with its execution id ${report.executionId}, or wait longer with --wait.`,
    );
    return lines.join("\n");
  }
  if (report.status === "failed") {
    lines.push(styles.red(`${where} failed:`));
    for (const node of report.failed) lines.push(`  node ${node.name} failed: ${node.error ?? "(no error message)"}`);
    if (report.failed.length === 0) lines.push("  no output node ran: the conditions on the way to each were not met");
    return lines.join("\n");
  }
  // Success prints the output alone, so `$(plx agent run …)` captures exactly it.
  if (!report.allOutputs) return valueText(report.output);
  lines.push(valueText(report.output));
  return lines.join("\n");
}

const seconds = (ms: number) => (ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`);

const STATUS_TITLES: Record<AgentRunReport["status"], string> = {
  succeeded: "succeeded",
  failed: "failed",
  "timed-out": "still running when plx stopped waiting",
};

function agentRunMarkdown(report: AgentRunReport): string {
  const pin =
    report.label !== undefined ? ` (label ${report.label})` : report.version !== undefined ? ` v${report.version}` : "";
  const lines = [
    `### plx agent run: \`${markdownCell(report.agent)}\`${markdownCell(pin)} ${STATUS_TITLES[report.status]}`,
    "",
    `Execution ${report.executionId}, ${seconds(report.elapsedMs)}.`,
  ];
  if (report.output !== undefined) lines.push("", fenced(valueText(report.output), ""));
  if (report.nodes.length > 0)
    lines.push(
      "",
      "| node | status | error |",
      "| --- | --- | --- |",
      ...report.nodes.map(
        (node) =>
          `| \`${markdownCell(node.name)}\`${node.isOutputNode ? " (output)" : ""} | ${node.status} | ${markdownCell(node.error ?? "")} |`,
      ),
    );
  return lines.join("\n");
}

/** In GitHub Actions: the run in the step summary, and its output, status and execution id as step outputs. */
async function reportToCi(report: AgentRunReport, context: Context): Promise<void> {
  if (context.ci.provider !== "github") return;
  const reporter = await context.reporter();
  guards.set(report, (text) => reporter.untrusted(text));
  await reporter.summary(agentRunMarkdown(report));
  await reporter.outputs({
    status: report.status,
    execution_id: report.executionId,
    output: report.output === undefined ? undefined : valueText(report.output),
  });
}
