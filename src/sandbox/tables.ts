// PromptLayer's Tables API in the sandbox, the part eval-report uses: tables, sheets imported from CSV files
// (idempotent by operation id), columns, scorecards with column-aggregate steps, calculations, and track-score.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { ApiError, type Workspace } from "./state.js";
import { parseBody, queryInt } from "./validate.js";
import type {
  ApiRequest,
  ApiResponse,
  CalculationRecord,
  ColumnRecord,
  Json,
  JsonObject,
  OperationRecord,
  SheetRecord,
  TableRecord,
  TablesData,
} from "./records.js";
import type { RouteParams as Params, RouteTable } from "./router.js";

const now = () => new Date().toISOString();
const notFound = (what: string) => new ApiError(404, { success: false, message: `${what} not found` });

function data(workspace: Workspace): TablesData {
  workspace.data.tables ??= { tables: [], operations: [], scores: [] };
  return workspace.data.tables as TablesData;
}

function table(workspace: Workspace, id: string | undefined): TableRecord {
  const found = data(workspace).tables.find((candidate) => candidate.id === id);
  if (!found) throw notFound("Table");
  return found;
}

function sheet(workspace: Workspace, params: Params): SheetRecord {
  const found = table(workspace, params.table_id).sheets.find((candidate) => candidate.id === params.sheet_id);
  if (!found) throw notFound("Sheet");
  return found;
}

const tableBody = (workspace: Workspace, record: TableRecord): JsonObject => ({
  id: record.id,
  workspace_id: workspace.data.workspace_id,
  title: record.title,
  folder_id: record.folder_id,
  sheet_count: record.sheets.length,
  created_at: record.created_at,
  updated_at: record.updated_at,
  sheet_row_counts: Object.fromEntries(record.sheets.map((s) => [s.id, s.rows.length])),
});

const sheetBody = (workspace: Workspace, record: SheetRecord): JsonObject => ({
  id: record.id,
  table_id: record.table_id,
  workspace_id: workspace.data.workspace_id,
  title: record.title,
  index: record.index,
  row_count: record.rows.length,
  version_count: record.version_count,
  created_at: record.created_at,
  updated_at: record.updated_at,
});

const columnBody = (workspace: Workspace, sheetId: string, column: ColumnRecord, position: number): JsonObject => ({
  id: column.id,
  sheet_id: sheetId,
  workspace_id: workspace.data.workspace_id,
  title: column.title,
  type: column.type,
  config: {},
  position_rank: position + 1,
  is_output_column: false,
});

/** Cursor pages over a list: the cursor is the index of the next item, as an opaque string. */
function page<T>(
  items: readonly T[],
  query: URLSearchParams,
): { data: T[]; next_cursor: string | null; has_more: boolean } {
  const limit = Math.min(queryInt(query, "limit") ?? 50, 100);
  const start = Number(query.get("cursor") ?? 0) || 0;
  const slice = items.slice(start, start + limit);
  const more = start + limit < items.length;
  return { data: slice, next_cursor: more ? String(start + limit) : null, has_more: more };
}

// ---- Tables ----

const createTableSchema = z.looseObject({
  title: z.string().nullish(),
  folder_id: z.number().int().nullish(),
  create_default_sheet: z.boolean().default(true),
});

function createTable(workspace: Workspace, { body }: ApiRequest): ApiResponse {
  const input = parseBody(createTableSchema, body ?? {});
  if (input.folder_id != null) workspace.folder(input.folder_id);
  const at = now();
  const record: TableRecord = {
    id: randomUUID(),
    title: input.title ?? `Untitled Table ${data(workspace).tables.length + 1}`,
    folder_id: input.folder_id ?? null,
    sheets: [],
    created_at: at,
    updated_at: at,
  };
  data(workspace).tables.push(record);
  const response: JsonObject = { success: true, message: "Table created", table: tableBody(workspace, record) };
  if (input.create_default_sheet)
    response.default_sheet = sheetBody(workspace, addSheet(record, "Sheet 1", blankColumns(), [{}]));
  return { status: 201, body: response };
}

function listTables(workspace: Workspace, { query }: ApiRequest): ApiResponse {
  const name = query.get("name")?.toLowerCase();
  const folderId = queryInt(query, "folder_id", 0);
  const matching = data(workspace).tables.filter(
    (record) =>
      (name === undefined || record.title.toLowerCase().includes(name)) &&
      (folderId === undefined || record.folder_id === folderId),
  );
  const result = page(matching, query);
  return { status: 200, body: { ...result, data: result.data.map((record) => tableBody(workspace, record)) } };
}

function getTable(workspace: Workspace, _request: ApiRequest, params: Params): ApiResponse {
  return { status: 200, body: { success: true, table: tableBody(workspace, table(workspace, params.table_id)) } };
}

// ---- Sheets ----

const blankColumns = (): ColumnRecord[] => [{ id: randomUUID(), title: "Column A", type: "TEXT" }];

function addSheet(
  record: TableRecord,
  title: string,
  columns: ColumnRecord[],
  rows: Array<Record<string, Json>>,
): SheetRecord {
  const at = now();
  const created: SheetRecord = {
    id: randomUUID(),
    table_id: record.id,
    title,
    index: record.sheets.length,
    columns,
    rows,
    version_count: 1,
    scorecard: null,
    calculations: [],
    created_at: at,
    updated_at: at,
  };
  record.sheets.push(created);
  record.updated_at = at;
  return created;
}

const createSheetSchema = z.looseObject({
  title: z.string().nullish(),
  index: z.number().int().nullish(),
  operation_id: z.string().min(1).nullish(),
  source: z
    .looseObject({ type: z.literal("file"), file_name: z.string().min(1), file_content_base64: z.string() })
    .nullish(),
});

function createSheet(workspace: Workspace, { body }: ApiRequest, params: Params): ApiResponse {
  const record = table(workspace, params.table_id);
  const input = parseBody(createSheetSchema, body ?? {});
  if (!input.source) {
    if (input.operation_id)
      throw new ApiError(400, { success: false, message: "operation_id is only allowed with a source" });
    return {
      status: 201,
      body: {
        success: true,
        sheet: sheetBody(
          workspace,
          addSheet(record, input.title ?? `Sheet ${record.sheets.length + 1}`, blankColumns(), [{}]),
        ),
      },
    };
  }
  const { file_name: fileName, file_content_base64: content } = input.source;
  // The same operation id again is the same import: a retried request gets the first one's answer.
  const previous = input.operation_id
    ? data(workspace).operations.find((op) => op.table_id === record.id && op.operation_id === input.operation_id)
    : undefined;
  if (previous) return { status: 202, body: importAnswer(workspace, previous, "Import already started") };
  if (!/\.(csv|json)$/i.test(fileName))
    throw new ApiError(400, { success: false, message: "file_name must end in .csv or .json" });
  const decoded = Buffer.from(content, "base64").toString("utf8");
  const table_ = /\.json$/i.test(fileName) ? jsonTable(decoded) : parseCsv(decoded);
  if (!table_) throw new ApiError(400, { success: false, message: "The file could not be parsed" });
  const [header, ...lines] = table_;
  const columns = header!.map((title) => ({ id: randomUUID(), title, type: "TEXT" }));
  const rows = lines.map((line) => Object.fromEntries(columns.map((column, i) => [column.id, line[i] ?? ""])));
  const created = addSheet(record, input.title ?? fileName, columns, rows);
  const operation: OperationRecord = {
    operation_id: input.operation_id ?? randomUUID(),
    table_id: record.id,
    sheet_id: created.id,
    file_name: fileName,
    rows_added: rows.length,
    polls: 0,
    created_at: now(),
  };
  data(workspace).operations.push(operation);
  return { status: 202, body: importAnswer(workspace, operation, "Import started") };
}

function importAnswer(workspace: Workspace, operation: OperationRecord, message: string): JsonObject {
  const record = table(workspace, operation.table_id).sheets.find((s) => s.id === operation.sheet_id)!;
  return {
    success: true,
    message,
    operation_id: operation.operation_id,
    operation: operationBody(operation, "pending"),
    sheet: sheetBody(workspace, record),
  };
}

function operationBody(operation: OperationRecord, status: string): JsonObject {
  const done = status === "completed";
  return {
    operation_id: operation.operation_id,
    source: "file",
    status,
    progress: done ? 1 : 0,
    message: null,
    rows_added: done ? operation.rows_added : null,
    row_count: done ? operation.rows_added : null,
    file_name: operation.file_name,
    error_message: null,
    created_at: operation.created_at,
    updated_at: operation.created_at,
  };
}

function getOperation(workspace: Workspace, _request: ApiRequest, params: Params): ApiResponse {
  const operation = data(workspace).operations.find(
    (op) => op.table_id === params.table_id && op.operation_id === params.operation_id,
  );
  if (!operation) throw notFound("Import operation");
  operation.polls += 1;
  return {
    status: 200,
    body: { success: true, operation: operationBody(operation, operation.polls > 1 ? "completed" : "running") },
  };
}

function getSheet(workspace: Workspace, _request: ApiRequest, params: Params): ApiResponse {
  return { status: 200, body: { success: true, sheet: sheetBody(workspace, sheet(workspace, params)) } };
}

function listColumns(workspace: Workspace, { query }: ApiRequest, params: Params): ApiResponse {
  const record = sheet(workspace, params);
  const result = page(
    record.columns.map((column, i) => columnBody(workspace, record.id, column, i)),
    query,
  );
  return { status: 200, body: result };
}

// ---- Scorecard ----

const stepSchema = z.looseObject({
  title: z.string(),
  primitive_type: z.string(),
  source_column_ids: z.array(z.string()).optional(),
  weight: z.number().optional(),
  thresholds: z.record(z.string(), z.number()).optional(),
  primitive_config: z.record(z.string(), z.unknown()).optional(),
});
const scorecardSchema = z.strictObject({
  name: z.string(),
  evaluated_column_ids: z.array(z.string()).default([]),
  steps: z.array(stepSchema).default([]),
  aggregation: z.looseObject({
    method: z.string().optional(),
    pass_threshold: z.number().optional(),
    warn_threshold: z.number().optional(),
  }),
  display_config: z.record(z.string(), z.unknown()).nullish(),
  baseline_config: z.record(z.string(), z.unknown()).nullish(),
});

function configureScorecard(workspace: Workspace, { body }: ApiRequest, params: Params): ApiResponse {
  const record = sheet(workspace, params);
  const input = parseBody(scorecardSchema, body);
  for (const step of input.steps) {
    for (const column of step.source_column_ids ?? [])
      if (!record.columns.some((c) => c.id === column))
        throw new ApiError(400, { success: false, message: `Unknown column ${column}` });
  }
  const at = now();
  const aggregation = {
    method: "weighted_mean",
    required_step_failure_behavior: "fail",
    pass_threshold: 0.8,
    warn_threshold: 0.6,
    ...input.aggregation,
  };
  record.scorecard = {
    id: (record.scorecard?.id as string | undefined) ?? randomUUID(),
    workspace_id: workspace.data.workspace_id,
    smart_table_id: record.table_id,
    sheet_id: record.id,
    name: input.name,
    evaluated_column_ids: input.evaluated_column_ids,
    aggregation,
    display_config: (input.display_config ?? null) as Json,
    baseline_config: (input.baseline_config ?? null) as Json,
    status: "stale",
    stale_state: { is_stale: true, reasons: ["configuration_changed"] },
    latest_calculation_id: null,
    config_hash: null,
    steps: input.steps.map((step) => ({ id: randomUUID(), ...step })) as Json,
    created_at: (record.scorecard?.created_at as string | undefined) ?? at,
    updated_at: at,
  };
  record.version_count += 1;
  return { status: 200, body: { success: true, scorecard: record.scorecard, version: record.version_count } };
}

function recalculate(workspace: Workspace, _request: ApiRequest, params: Params): ApiResponse {
  const record = sheet(workspace, params);
  if (!record.scorecard)
    throw new ApiError(400, { success: false, message: "The sheet has no scorecard; configure one first" });
  const calculation: CalculationRecord = {
    id: randomUUID(),
    scorecard_id: record.scorecard.id as string,
    status: "queued",
    aggregate_score: null,
    aggregate_verdict: null,
    criterion_summaries: {},
    created_at: now(),
  };
  record.calculations.push(calculation);
  record.scorecard.latest_calculation_id = calculation.id;
  return {
    status: 202,
    body: { success: true, calculation_id: calculation.id, status: "queued", version: record.version_count },
  };
}

/** A calculation runs across two reads (running, then completed): the weighted mean of each step's column aggregate, 0..1. */
function getCalculation(workspace: Workspace, _request: ApiRequest, params: Params): ApiResponse {
  const record = sheet(workspace, params);
  const calculation = record.calculations.find((c) => c.id === params.calculation_id);
  if (!calculation) throw notFound("Calculation");
  if (calculation.status === "queued") calculation.status = "running";
  else if (calculation.status === "running") {
    computeCalculation(record, calculation);
    calculation.status = "completed";
  }
  const body: JsonObject = {
    success: true,
    calculation: {
      id: calculation.id,
      scorecard_id: calculation.scorecard_id,
      workspace_id: workspace.data.workspace_id,
      sheet_id: record.id,
      sheet_revision: String(record.version_count),
      status: calculation.status,
      aggregate_score: calculation.aggregate_score,
      aggregate_verdict: calculation.aggregate_verdict,
      criterion_summaries: calculation.criterion_summaries,
      drift_summary: null,
      config_hash: null,
      started_at: calculation.created_at,
      completed_at: calculation.status === "completed" ? now() : null,
      error_summary: null,
    },
    criterion_summaries: calculation.criterion_summaries,
    drift_summary: null,
  };
  return { status: 200, body };
}

function computeCalculation(record: SheetRecord, calculation: CalculationRecord): void {
  const scorecard = record.scorecard!;
  const steps = scorecard.steps as Array<{
    id: string;
    title: string;
    weight?: number;
    source_column_ids?: string[];
    primitive_config?: { aggregation_type?: string; score_max?: number };
  }>;
  let weighted = 0;
  let weights = 0;
  for (const step of steps) {
    const column = step.source_column_ids?.[0];
    const values = record.rows.map((row) => Number(row[column ?? ""])).filter((value) => Number.isFinite(value));
    const kind = step.primitive_config?.aggregation_type ?? "average_value";
    const raw =
      values.length === 0
        ? 0
        : kind === "min_value"
          ? Math.min(...values)
          : kind === "max_value"
            ? Math.max(...values)
            : values.reduce((a, b) => a + b, 0) / values.length;
    const score = Math.min(1, Math.max(0, raw / (step.primitive_config?.score_max ?? 1)));
    calculation.criterion_summaries[step.id] = { title: step.title, score, rows: values.length };
    weighted += score * (step.weight ?? 1);
    weights += step.weight ?? 1;
  }
  const aggregation = scorecard.aggregation as { pass_threshold: number; warn_threshold: number };
  calculation.aggregate_score = weights === 0 ? 0 : weighted / weights;
  calculation.aggregate_verdict =
    calculation.aggregate_score >= aggregation.pass_threshold
      ? "pass"
      : calculation.aggregate_score >= aggregation.warn_threshold
        ? "warn"
        : "fail";
  scorecard.status = "completed";
  scorecard.stale_state = { is_stale: false, reasons: [] };
}

// ---- track-score ----

const trackScoreSchema = z.looseObject({
  request_id: z.number().int().positive(),
  score: z.number().int().min(0).max(100),
  name: z.string().optional(),
});

function trackScore(workspace: Workspace, { body }: ApiRequest): ApiResponse {
  const input = parseBody(trackScoreSchema, body);
  data(workspace).scores.push({ request_id: input.request_id, score: input.score, name: input.name ?? "default" });
  return { status: 200, body: { success: true, message: "Score tracked" } };
}

// ---- File parsing ----

/** RFC 4180 CSV: quoted fields with doubled quotes, commas and newlines inside quotes, CRLF or LF rows. */
export function parseCsv(text: string): string[][] | undefined {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"' && field === "") quoted = true;
    else if (char === ",") {
      row.push(field);
      field = "";
    } else if (char === "\n" || char === "\r") {
      if (char === "\r" && text[i + 1] === "\n") i += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += char;
  }
  if (quoted) return undefined;
  if (field !== "" || row.length > 0) rows.push([...row, field]);
  return rows.length === 0 ? undefined : rows;
}

function jsonTable(text: string): string[][] | undefined {
  try {
    const items = JSON.parse(text) as unknown;
    if (!Array.isArray(items) || items.length === 0) return undefined;
    const header = [...new Set(items.flatMap((item) => (item && typeof item === "object" ? Object.keys(item) : [])))];
    return [
      header,
      ...items.map((item) =>
        header.map((key) => {
          const value = (item as Record<string, unknown>)[key];
          return typeof value === "string" ? value : JSON.stringify(value ?? "");
        }),
      ),
    ];
  } catch {
    return undefined;
  }
}

const TABLES = "api/public/v2/tables";
const SHEET = `${TABLES}/:table_id/sheets/:sheet_id`;
export const TABLE_ROUTES: RouteTable = [
  ["POST", TABLES, createTable],
  ["GET", TABLES, listTables],
  ["GET", `${TABLES}/:table_id`, getTable],
  ["POST", `${TABLES}/:table_id/sheets`, createSheet],
  ["GET", `${TABLES}/:table_id/sheets/operations/:operation_id`, getOperation],
  ["GET", SHEET, getSheet],
  ["GET", `${SHEET}/columns`, listColumns],
  ["PATCH", `${SHEET}/scorecard`, configureScorecard],
  ["POST", `${SHEET}/scorecard/recalculate`, recalculate],
  ["GET", `${SHEET}/scorecard/calculations/:calculation_id`, getCalculation],
  ["POST", "rest/track-score", trackScore],
];
