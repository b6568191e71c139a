// `plx eval-report`: the eval results CI computed, tied to the prompt versions they tested, gated, and uploaded to
// PromptLayer's Tables (one sheet per run, idempotent by operation id) with a scorecard that PromptLayer computes.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import type { ResolvedConfig } from "../config/schema.js";
import { isPlxError, plxError } from "../errors/index.js";
import { promptRef, type EvalCase, type EvalFormat } from "./cases.js";
import { evalInputError, parseResults } from "./parse.js";
import { csv } from "./render.js";
import {
  caseScore,
  evaluateGate,
  promptKey,
  summarise,
  UNKNOWN_PROMPT,
  type GateMiss,
  type PromptSummary,
  type Threshold,
} from "./summary.js";
import { scanPromptFiles } from "../files/local.js";
import { readLockfile } from "../files/lockfile.js";
import type { PromptLayerClient } from "../promptlayer/index.js";
import type { Redactor } from "../redact.js";
import { dashboardOrigin } from "../promptlayer/dashboard.js";

export interface EvalReportOptions {
  files: string[];
  format?: EvalFormat;
  /** `name[@version]`: every case tested this prompt. */
  prompt?: string;
  table?: string;
  upload: boolean;
  thresholds: Threshold[];
  maxFailures?: number;
  gitSha?: string;
  /** The CI run, so a retried job finds its own sheet instead of adding one. */
  runId?: string;
  /** The CI job within the run (a matrix leg in GitLab); separate jobs of one run keep separate sheets. */
  job?: string;
}

export interface EvalReportDeps {
  config: ResolvedConfig;
  redactor: Redactor;
  /** Needed only when uploading. */
  client?: () => Promise<PromptLayerClient>;
  baseUrl: string;
  pollIntervalMs?: number;
}

export interface SheetUpload {
  prompt: string;
  version?: number;
  tableId: string;
  tableTitle: string;
  sheetId: string;
  sheetTitle: string;
  rows: number;
  score?: number;
  verdict?: string;
  trackedScores: number;
  url: string;
}

export interface EvalReport {
  cases: number;
  prompts: PromptSummary[];
  /** Prompt names in the results that match no local file and no template in plx.lock; never uploaded to a table. */
  unknownPrompts: string[];
  /** `name@version`s the results name that PromptLayer does not have (a typo, most likely); not uploaded. */
  missingVersions: string[];
  /**
   * The run's score as the gate measured it: the lowest of the prompts' scores (each prompt is held to the
   * thresholds on its own), from the results themselves, uploaded or not.
   */
  score?: number;
  gate: { passed: boolean; misses: GateMiss[] };
  uploaded: boolean;
  uploads: SheetUpload[];
  /** The cases, redacted, for renderers (JUnit); not part of the JSON document. */
  caseList: EvalCase[];
}

export async function evalReport(deps: EvalReportDeps, options: EvalReportOptions): Promise<EvalReport> {
  const raw: EvalCase[] = [];
  for (const path of options.files) {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      throw evalInputError(
        path,
        undefined,
        `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
        "Check the path the eval run writes its results to.",
      );
    }
    raw.push(...parseResults({ path, text }, options.format));
  }
  const { cases, unknownPrompts, synced } = await attribute(deps.config, raw, options.prompt);
  // Inputs and outputs can hold whatever the model saw or said, keys included: they go through the redactor first.
  const redacted = cases.map((item) => ({
    ...item,
    caseId: deps.redactor.redact(item.caseId),
    input: deps.redactor.redact(item.input),
    output: deps.redactor.redact(item.output),
    ...(item.expected === undefined ? {} : { expected: deps.redactor.redact(item.expected) }),
    ...(item.reason === undefined ? {} : { reason: deps.redactor.redact(item.reason) }),
  }));
  const prompts = summarise(redacted);
  const misses = evaluateGate(prompts, options.thresholds, options.maxFailures);
  const report: EvalReport = {
    cases: redacted.length,
    prompts,
    unknownPrompts,
    missingVersions: [],
    ...(prompts.length > 0 ? { score: Math.min(...prompts.map((summary) => summary.score)) } : {}),
    gate: { passed: misses.length === 0, misses },
    uploaded: false,
    uploads: [],
    caseList: redacted,
  };
  if (!options.upload || !deps.client) return report;

  const client = await deps.client();
  const groups = new Map<string, EvalCase[]>();
  // A prompt plx does not know gets no table of its own: it may be a typo, and PromptLayer would keep the table.
  const uploadable = options.table
    ? redacted
    : redacted.filter((item) => item.prompt === undefined || !unknownPrompts.includes(item.prompt));
  for (const item of uploadable)
    groups.set(promptKey(item.prompt ?? UNKNOWN_PROMPT, item.version), [
      ...(groups.get(promptKey(item.prompt ?? UNKNOWN_PROMPT, item.version)) ?? []),
      item,
    ]);
  // A version the lock does not record is looked up first: a sheet tied to a version PromptLayer lacks helps nobody.
  for (const [key, items] of groups) {
    const { prompt, version } = items[0]!;
    // Cases of a prompt plx does not know go into --table as they are: there is no template to look a version up in.
    if (prompt === undefined || version === undefined || synced.get(prompt) === version) continue;
    if (unknownPrompts.includes(prompt)) continue;
    if (await client.getTemplate(prompt, { version })) continue;
    groups.delete(key);
    report.missingVersions.push(key);
  }
  // Sheets whose rows are stored but whose scorecard or scores are not finished yet, by prompt key.
  const partial = new Map<string, string>();
  for (const [key, group] of groups) {
    try {
      const workspaceId = await client.workspaceId();
      report.uploads.push(
        await uploadGroup(client, deps, options, group, workspaceId, (sheetTitle) => partial.set(key, sheetTitle)),
      );
      partial.delete(key);
    } catch (error) {
      if (!isPlxError(error)) throw error;
      // Say what is stored and what is not, so the job log tells whether a re-run is needed (it is safe: sheets are idempotent).
      const stored = [
        ...report.uploads.map((upload) => `${promptKey(upload.prompt, upload.version)} (sheet "${upload.sheetTitle}")`),
        ...[...partial].map(
          ([prompt, sheetTitle]) =>
            `${prompt} (sheet "${sheetTitle}", rows only: its scorecard or scores were not finished)`,
        ),
      ];
      const pending = [...groups.keys()].filter(
        (name) =>
          !report.uploads.some((upload) => promptKey(upload.prompt, upload.version) === name) && !partial.has(name),
      );
      throw error.withProgress(
        `Uploaded: ${stored.join(", ") || "nothing"}; not uploaded: ${pending.join(", ")}.`,
        "Run the same command again: sheets are keyed by the run, so nothing is duplicated.",
      );
    }
  }
  report.uploaded = true;
  return report;
}

/** Ties each case to a template and version: --prompt, else the results' own label, else the version matching the local file. */
async function attribute(
  config: ResolvedConfig,
  raw: readonly EvalCase[],
  forced: string | undefined,
): Promise<{ cases: EvalCase[]; unknownPrompts: string[]; synced: ReadonlyMap<string, number> }> {
  const lock = await readLockfile(config.rootDir);
  const scan = await scanPromptFiles(config.rootDir, config.promptsDir, { lock });
  const byPath = new Map(scan.templates.map((t) => [t.path, t.name]));
  const known = new Set([...scan.templates.map((t) => t.name), ...Object.keys(lock.templates)]);
  const localHash = new Map(scan.templates.map((t) => [t.name, t.hash]));
  const override = forced === undefined ? undefined : promptRef(forced);
  const unknown = new Set<string>();
  const cases = raw.map((item) => {
    const named = override?.prompt ?? normalisePromptName(item.prompt, byPath);
    if (named === undefined) return item;
    if (!known.has(named)) unknown.add(named);
    const entry = lock.templates[named];
    // What CI just tested is what is in the repo: the synced version, if the file still holds its content.
    const matching = entry && localHash.get(named) === entry.hash ? entry.version : undefined;
    const version = override?.version ?? item.version ?? matching;
    return { ...item, prompt: named, ...(version === undefined ? {} : { version }) };
  });
  const synced = new Map(Object.entries(lock.templates).map(([name, entry]) => [name, entry.version]));
  return { cases, unknownPrompts: [...unknown].sort(), synced };
}

/** promptfoo labels prompts by file (`file://prompts/x.prompt.yaml`) as often as by name. */
function normalisePromptName(label: string | undefined, byPath: ReadonlyMap<string, string>): string | undefined {
  if (label === undefined) return undefined;
  const path = label.replace(/^file:\/\//, "").replace(/^\.\//, "");
  return byPath.get(path) ?? label;
}

async function uploadGroup(
  client: PromptLayerClient,
  deps: EvalReportDeps,
  options: EvalReportOptions,
  cases: EvalCase[],
  workspaceId: number | undefined,
  onRowsStored: (sheetTitle: string) => void,
): Promise<SheetUpload> {
  const { prompt = UNKNOWN_PROMPT, version } = cases[0]!;
  const metrics = [...new Set(cases.flatMap((item) => Object.keys(item.scores)))].sort();
  const header = [
    "case_id",
    "input",
    "expected",
    "output",
    ...metrics,
    "passed",
    "prompt_name",
    "prompt_version",
    "git_sha",
  ];
  const rows = cases.map((item) => [
    item.caseId,
    item.input,
    item.expected ?? "",
    item.output,
    ...metrics.map((m) => (item.scores[m] === undefined ? "" : item.scores[m]!)),
    item.passed ? 1 : 0,
    prompt,
    version ?? "",
    options.gitSha ?? "",
  ]);
  const body = csv([header, ...rows]);
  const sha = options.gitSha?.slice(0, 7);
  const sheetTitle = [
    `${prompt}${version === undefined ? "" : ` v${version}`}`,
    sha,
    options.runId && `run ${options.runId}`,
  ]
    .filter(Boolean)
    .join(" · ");
  // Same run, job, prompt and cases: same operation id, so a retried job gets its first sheet back, while two jobs
  // of one run (or two reports in one job, or a matrix leg per provider) each keep their own. Outside CI, the
  // content decides.
  const cased = [...new Set(cases.map((item) => `${item.caseId}\u0001${item.provider ?? ""}`))].sort();
  const identity = [
    prompt,
    version,
    options.gitSha,
    options.runId ?? body,
    options.job,
    options.table,
    [...options.files].sort().join("\u0001"),
    ...cased,
  ];
  const operationId = createHash("sha256").update(identity.join("\u0000")).digest("hex").slice(0, 32);

  const tableTitle = options.table ?? `plx: ${prompt}`;
  const table = (await client.tables.findTable(tableTitle)) ?? (await client.tables.createTable(tableTitle));
  const imported = await client.tables.importSheet(table.id, {
    title: sheetTitle,
    operationId,
    fileName: "plx-eval-results.csv",
    csv: body,
  });
  const operation = await poll(deps, async () => {
    const current = await client.tables.importOperation(table.id, imported.operation_id);
    return current.status === "completed" || current.status === "failed" ? current : undefined;
  });
  if (operation.status === "failed")
    throw plxError("EVAL.IMPORT_FAILED", { table: table.id, reason: operation.error_message ?? "no reason given" });
  onRowsStored(sheetTitle);

  const columns = new Map(
    (await client.tables.listColumns(table.id, imported.sheet.id)).map((column) => [column.title, column.id]),
  );
  const passThreshold =
    options.thresholds.find((t) => t.metric === "score" && (t.prompt === undefined || t.prompt === prompt))?.min ?? 0.8;
  const step = (title: string, column: string) => ({
    title,
    primitive_type: "COLUMN_AGGREGATE",
    source_column_ids: [columns.get(column)!],
    weight: 1,
    required: false,
    primitive_config: {
      source: columns.get(column)!,
      aggregation_type: "average_value",
      score_mode: "score",
      score_max: 1,
    },
  });
  await client.tables.configureScorecard(table.id, imported.sheet.id, {
    name: `plx: ${sheetTitle}`,
    evaluated_column_ids: [],
    aggregation: {
      method: "weighted_mean",
      required_step_failure_behavior: "fail",
      pass_threshold: passThreshold,
      warn_threshold: Math.max(0, passThreshold - 0.2),
    },
    steps: [...metrics.filter((m) => columns.has(m)).map((m) => step(`${m} (mean)`, m)), step("pass rate", "passed")],
  });
  const calculationId = await client.tables.recalculateScorecard(table.id, imported.sheet.id);
  const calculation = await poll(deps, async () => {
    const current = await client.tables.scorecardCalculation(table.id, imported.sheet.id, calculationId);
    return ["completed", "failed", "cancelled"].includes(current.calculation.status) ? current.calculation : undefined;
  });

  let trackedScores = 0;
  for (const item of cases) {
    if (item.requestId === undefined) continue;
    const score = caseScore(item);
    await client.tables.trackScore(item.requestId, Math.round(Math.min(1, Math.max(0, score)) * 100), "plx-eval");
    trackedScores += 1;
  }
  return {
    prompt,
    ...(version === undefined ? {} : { version }),
    tableId: table.id,
    tableTitle,
    sheetId: imported.sheet.id,
    sheetTitle,
    rows: operation.rows_added ?? cases.length,
    ...(typeof calculation.aggregate_score === "number" ? { score: calculation.aggregate_score } : {}),
    ...(calculation.aggregate_verdict ? { verdict: calculation.aggregate_verdict } : {}),
    trackedScores,
    url: dashboardUrl(deps.baseUrl, workspaceId, table.id),
  };
}

/** Polls until `check` answers, every pollIntervalMs (default 500 ms), for at most ten minutes. */
async function poll<T>(deps: EvalReportDeps, check: () => Promise<T | undefined>): Promise<T> {
  const interval = deps.pollIntervalMs ?? 500;
  for (let waited = 0; waited <= 600_000; waited += interval) {
    const result = await check();
    if (result !== undefined) return result;
    await sleep(interval);
  }
  throw plxError("EVAL.TIMED_OUT", { what: "the import or calculation", minutes: 10 });
}

/** The dashboard for a table, on the host that matches the API the run talked to. */
function dashboardUrl(baseUrl: string, workspaceId: number | undefined, tableId: string): string {
  return `${dashboardOrigin(baseUrl)}/workspace/${workspaceId ?? "_"}/smart-tables/${tableId}`;
}
