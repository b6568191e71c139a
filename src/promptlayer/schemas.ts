/**
 * zod schemas for every PromptLayer answer plx reads, after the official OpenAPI spec. All objects are loose:
 * a field a newer server adds is kept, not stripped, so what plx writes back is what it read. Only the fields
 * plx relies on are required, so an answer missing one is reported instead of failing later.
 */
import { z } from "zod";

const id = z.number().int();
const versionNumber = z.number().int();

export const externalIdSchema = z.looseObject({ source: z.string(), external_id: z.string() });

/** Chat or completion content. Only `type` is checked: the file format validates the rest, and content plx does not know must survive a round trip. */
export const promptContentSchema = z.looseObject({ type: z.string() });

export const metadataSchema = z.looseObject({
  model: z.looseObject({ provider: z.string(), name: z.string() }).nullish(),
});

/** GET /prompt-templates/{identifier}: one version of a template, as stored. */
export const rawTemplateSchema = z.looseObject({
  id,
  prompt_name: z.string(),
  version: versionNumber,
  workspace_id: id,
  prompt_template: promptContentSchema,
  metadata: metadataSchema.nullish(),
  commit_message: z.string().nullish(),
  tags: z.array(z.string()).optional(),
  snippets: z
    .array(z.looseObject({ prompt_name: z.string(), version: versionNumber.nullish(), label: z.string().nullish() }))
    .optional(),
});

/** An item of GET /prompt-templates: the latest (or labelled) version; no tags, folder or timestamps. */
export const listedTemplateSchema = z.looseObject({
  id,
  prompt_name: z.string(),
  version: versionNumber.optional(),
  prompt_template: promptContentSchema,
  metadata: metadataSchema.nullish(),
  commit_message: z.string().nullish(),
  external_ids: z.array(externalIdSchema),
  is_snippet: z.boolean().optional(),
});

export const templatePageSchema = z.looseObject({
  items: z.array(listedTemplateSchema),
  has_next: z.boolean(),
  page: z.number().int().optional(),
  pages: z.number().int().optional(),
  total: z.number().int().optional(),
});

/** An entry of GET /prompt-templates/{identifier}/labels; also what label create and move resolve to. */
export const releaseLabelSchema = z.looseObject({
  release_label: z.string(),
  release_label_id: id,
  prompt_version_id: id,
  prompt_version_number: versionNumber,
});

export const releaseLabelsSchema = z.looseObject({ release_labels: z.array(releaseLabelSchema) });

/** The answer to label create (POST /prompts/{id}/label) and move (PATCH /prompt-labels/{id}). */
export const labelChangeSchema = z.looseObject({ id, name: z.string(), prompt_id: id, prompt_version_id: id });

/** POST /rest/prompt-templates and PUT /prompt-templates/by-external-id/…: the version just created. */
export const publishResponseSchema = z.looseObject({
  id,
  prompt_name: z.string(),
  prompt_version_id: id,
  version_number: versionNumber,
  tags: z.array(z.string()).optional(),
  release_labels: z.array(z.string()).nullish(),
  prompt_template: promptContentSchema,
  metadata: metadataSchema.nullish(),
  commit_message: z.string().nullish(),
  external_ids: z.array(externalIdSchema).optional(),
});

export const externalIdListSchema = z.looseObject({ external_ids: z.array(externalIdSchema) });
export const externalIdAttachSchema = z.looseObject({ external_id: externalIdSchema });

export const folderSchema = z.looseObject({
  id,
  name: z.string(),
  parent_id: id.nullish(),
  workspace_id: id.optional(),
});
export const folderCreateSchema = z.looseObject({ folder: folderSchema });
export const folderIdSchema = z.looseObject({ id });

/** An entry of GET /api/public/v2/folders/entities; `path` holds folder names from the root. */
export const folderEntitySchema = z.looseObject({
  id,
  name: z.string(),
  // Not an enum: a new entity type must not break listing.
  type: z.string(),
  folder_id: id.nullish(),
  path: z.array(z.string()),
  metadata: z.looseObject({ type: z.string().nullish(), latest_version_number: versionNumber.nullish() }).nullish(),
  external_ids: z.array(externalIdSchema).optional(),
});
export const folderEntitiesSchema = z.looseObject({ entities: z.array(folderEntitySchema) });

export const snippetUsageSchema = z.looseObject({
  snippet_usage: z.array(
    z.looseObject({ prompt_registry_id: id, prompt_name: z.string(), version_numbers: z.array(versionNumber) }),
  ),
  label_usage: z.array(z.looseObject({ prompt_registry_id: id, prompt_name: z.string(), label_name: z.string() })),
});

export type ExternalId = z.infer<typeof externalIdSchema>;
export type PromptContent = z.infer<typeof promptContentSchema>;
export type Metadata = z.infer<typeof metadataSchema>;
export type RawTemplate = z.infer<typeof rawTemplateSchema>;
export type ListedTemplate = z.infer<typeof listedTemplateSchema>;
export type ReleaseLabel = z.infer<typeof releaseLabelSchema>;
export type PublishResponse = z.infer<typeof publishResponseSchema>;
export type Folder = z.infer<typeof folderSchema>;
export type FolderEntity = z.infer<typeof folderEntitySchema>;
export type SnippetUsage = z.infer<typeof snippetUsageSchema>;

/** The body of a publish (CreatePromptTemplate). Version-level extras the spec omits (provider_base_url_name…) go in `prompt_version`. */
export interface PublishBody {
  prompt_template: { prompt_name: string; tags?: string[]; folder_id?: number | null; workspace_id?: number | null };
  prompt_version: {
    prompt_template: PromptContent;
    commit_message?: string | null;
    metadata?: Metadata | null;
    [extra: string]: unknown;
  };
  release_labels?: string[] | null;
  external_ids?: Array<{ source: string; external_id: string }> | null;
}

const plxStampSchema = z.looseObject({ plx: z.looseObject({ content_hash: z.string() }) });

/** The content hash plx stamps into every version it publishes, at `metadata.plx.content_hash`. */
export function contentHashOf(metadata: unknown): string | undefined {
  return plxStampSchema.safeParse(metadata).data?.plx.content_hash;
}

// ---- Tables (eval-report) ----

export const tableSchema = z.looseObject({
  id: z.string(),
  title: z.string(),
  workspace_id: id.optional(),
  folder_id: id.nullish(),
});
export const tablePageSchema = z.looseObject({
  data: z.array(tableSchema),
  next_cursor: z.string().nullish(),
  has_more: z.boolean().optional(),
});
export const tableCreateSchema = z.looseObject({ table: tableSchema });
export const sheetSchema = z.looseObject({
  id: z.string(),
  title: z.string().optional(),
  row_count: z.number().int().optional(),
});
export const importOperationSchema = z.looseObject({
  status: z.string(),
  rows_added: z.number().int().nullish(),
  error_message: z.string().nullish(),
});
export const sheetImportSchema = z.looseObject({
  operation_id: z.string(),
  operation: importOperationSchema,
  sheet: sheetSchema,
});
export const operationReadSchema = z.looseObject({ operation: importOperationSchema });
export const columnSchema = z.looseObject({ id: z.string(), title: z.string() });
export const columnPageSchema = z.looseObject({
  data: z.array(columnSchema),
  next_cursor: z.string().nullish(),
  has_more: z.boolean().optional(),
});
export const scorecardConfigureSchema = z.looseObject({
  scorecard: z.looseObject({ id: z.string().optional() }),
  version: z.number().int(),
});
export const recalculateSchema = z.looseObject({ calculation_id: z.string(), status: z.string() });
export const calculationSchema = z.looseObject({
  calculation: z.looseObject({
    status: z.string(),
    aggregate_score: z.number().nullish(),
    aggregate_verdict: z.string().nullish(),
  }),
  criterion_summaries: z.record(z.string(), z.unknown()).nullish(),
});

export type Table = z.infer<typeof tableSchema>;
export type SheetImport = z.infer<typeof sheetImportSchema>;
export type ImportOperation = z.infer<typeof importOperationSchema>;
export type Column = z.infer<typeof columnSchema>;
export type Calculation = z.infer<typeof calculationSchema>;
