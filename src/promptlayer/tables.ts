/**
 * PromptLayer's Tables, as plx eval-report uses them: tables found by exact title, sheets imported from CSV (idempotent
 * by operation id), columns, a scorecard and its calculations, and track-score for logged requests. It shares the
 * client's Transport, so one concurrency limit, retry policy and deadline cover every request of a run.
 */
import { apiPath, type RequestSpec, type Transport } from "./http.js";
import type { ReplyReader } from "./replies.js";
import {
  type Calculation,
  type Column,
  calculationSchema,
  columnPageSchema,
  type ImportOperation,
  operationReadSchema,
  recalculateSchema,
  scorecardConfigureSchema,
  type SheetImport,
  sheetImportSchema,
  type Table,
  tableCreateSchema,
  tablePageSchema,
} from "./schemas.js";

const PAGE_SIZE = 100;

export class TablesApi {
  constructor(
    private readonly http: Transport,
    private readonly replies: ReplyReader,
  ) {}

  /** The table whose title is exactly `title` (the list filter is a substring match), if any. */
  async findTable(title: string, folderId?: number): Promise<Table | undefined> {
    for (let cursor: string | undefined; ; ) {
      const page = await this.replies.read(tablePageSchema, {
        method: "GET",
        path: "/api/public/v2/tables",
        query: { name: title, folder_id: folderId, limit: PAGE_SIZE, cursor },
      });
      const found = page.data.find((table) => table.title === title);
      if (found) return found;
      if (!page.has_more || !page.next_cursor) return undefined;
      cursor = page.next_cursor;
    }
  }

  /** Creates a table; a lost answer is settled by looking the title up, never by creating a second one. */
  async createTable(title: string, folderId?: number): Promise<Table> {
    const spec: RequestSpec = {
      method: "POST",
      path: "/api/public/v2/tables",
      body: { title, folder_id: folderId ?? null, create_default_sheet: false },
    };
    const result = await this.http.requestAtMostOnce(spec, {
      action: `creating the table "${title}"`,
      confirm: () => this.findTable(title, folderId),
    });
    return "confirmed" in result ? result.confirmed : this.replies.parse(tableCreateSchema, result, spec).table;
  }

  /**
   * A new sheet imported from a CSV file. The operation id makes it idempotent on the server: sending it again,
   * after a lost answer or from a retried CI job, returns the same sheet instead of adding one.
   */
  async importSheet(
    tableId: string,
    sheet: { title: string; operationId: string; fileName: string; csv: string },
  ): Promise<SheetImport> {
    return this.replies.read(sheetImportSchema, {
      method: "POST",
      path: apiPath`/api/public/v2/tables/${tableId}/sheets`,
      body: {
        title: sheet.title,
        operation_id: sheet.operationId,
        source: {
          type: "file",
          file_name: sheet.fileName,
          file_content_base64: Buffer.from(sheet.csv, "utf8").toString("base64"),
        },
      },
      idempotent: true,
    });
  }

  async importOperation(tableId: string, operationId: string): Promise<ImportOperation> {
    return (
      await this.replies.read(operationReadSchema, {
        method: "GET",
        path: apiPath`/api/public/v2/tables/${tableId}/sheets/operations/${operationId}`,
      })
    ).operation;
  }

  async listColumns(tableId: string, sheetId: string): Promise<Column[]> {
    const columns: Column[] = [];
    for (let cursor: string | undefined; ; ) {
      const page = await this.replies.read(columnPageSchema, {
        method: "GET",
        path: apiPath`/api/public/v2/tables/${tableId}/sheets/${sheetId}/columns`,
        query: { limit: PAGE_SIZE, cursor },
      });
      columns.push(...page.data);
      if (!page.has_more || !page.next_cursor) return columns;
      cursor = page.next_cursor;
    }
  }

  /** Replaces the sheet's scorecard configuration, so sending it twice is the same as once. */
  async configureScorecard(tableId: string, sheetId: string, config: Record<string, unknown>): Promise<void> {
    await this.replies.read(scorecardConfigureSchema, {
      method: "PATCH",
      path: apiPath`/api/public/v2/tables/${tableId}/sheets/${sheetId}/scorecard`,
      body: config,
    });
  }

  /** Queues a calculation; a repeated request only queues another run over the same data. */
  async recalculateScorecard(tableId: string, sheetId: string): Promise<string> {
    const queued = await this.replies.read(recalculateSchema, {
      method: "POST",
      path: apiPath`/api/public/v2/tables/${tableId}/sheets/${sheetId}/scorecard/recalculate`,
      body: {},
      idempotent: true,
    });
    return queued.calculation_id;
  }

  async scorecardCalculation(tableId: string, sheetId: string, calculationId: string): Promise<Calculation> {
    return this.replies.read(calculationSchema, {
      method: "GET",
      path: apiPath`/api/public/v2/tables/${tableId}/sheets/${sheetId}/scorecard/calculations/${calculationId}`,
    });
  }

  /** Records a score (0..100) on a logged request. The same score twice is harmless, so it is retried freely. */
  async trackScore(requestId: number, score: number, name: string): Promise<void> {
    await this.http.request({
      method: "POST",
      path: "/rest/track-score",
      body: { request_id: requestId, score, name },
      idempotent: true,
    });
  }
}
