// Request validation with FastAPI's 422 shape (`{detail: [{loc, msg, type}]}`), as PromptLayer answers bad input.
import { z } from "zod";
import { ApiError, unprocessable } from "./state.js";
import type { Json } from "./records.js";

export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (body === undefined) throw unprocessable(["body"], "Field required");
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const detail: Json[] = result.error.issues.map((issue) => ({
    loc: ["body", ...issue.path.map((part) => (typeof part === "number" ? part : String(part)))],
    msg: issue.message,
    type: issue.code,
  }));
  throw new ApiError(422, { detail });
}

/** A query integer, or undefined when absent; 422 when it is not a whole number in range. */
export function queryInt(query: URLSearchParams, name: string, min = 1): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === "") return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw unprocessable(["query", name], `Input should be an integer of at least ${min}`);
  return value;
}

export function queryBool(query: URLSearchParams, name: string, fallback: boolean): boolean {
  const raw = query.get(name);
  if (raw === null || raw === "") return fallback;
  if (/^(true|1|yes|on)$/i.test(raw)) return true;
  if (/^(false|0|no|off)$/i.test(raw)) return false;
  throw unprocessable(["query", name], "Input should be a valid boolean");
}

const jsonObject = z.record(z.string(), z.unknown());
export const externalIdSchema = z.strictObject({
  source: z.string().min(1).max(128),
  external_id: z.string().min(1).max(512),
});

const ROLES = new Set(["system", "user", "assistant", "function", "tool", "placeholder", "developer"]);
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

// The spec's discriminated unions, checked as PromptLayer's validation would: the template by `type`, each message
// by `role`, each content block by its own `type`. Everything else about a block or message is left loose.
const promptContentSchema = jsonObject.superRefine((content, ctx) => {
  if (content.type !== "chat" && content.type !== "completion") {
    const message =
      content.type === undefined
        ? "Unable to extract tag using discriminator 'type'"
        : "Input tag does not match any of the expected tags: 'chat', 'completion'";
    ctx.addIssue({ code: "custom", path: ["type"], message });
    return;
  }
  const blocks = (list: unknown, path: Array<string | number>) => {
    if (!Array.isArray(list)) return ctx.addIssue({ code: "custom", path, message: "Input should be a valid list" });
    list.forEach((block, index) => {
      if (!isObject(block) || typeof block.type !== "string")
        ctx.addIssue({
          code: "custom",
          path: [...path, index],
          message: "Unable to extract tag using discriminator 'type'",
        });
    });
  };
  if (content.type === "completion") return blocks(content.content, ["content"]);
  if (!Array.isArray(content.messages))
    return void ctx.addIssue({ code: "custom", path: ["messages"], message: "Field required" });
  content.messages.forEach((message, index) => {
    if (!isObject(message) || typeof message.role !== "string" || !ROLES.has(message.role)) {
      ctx.addIssue({
        code: "custom",
        path: ["messages", index, "role"],
        message: "Unable to extract tag using discriminator 'role'",
      });
      return;
    }
    if (message.content !== undefined && message.content !== null)
      blocks(message.content, ["messages", index, "content"]);
  });
});

export const publishSchema = z.looseObject({
  prompt_template: z.looseObject({
    prompt_name: z.string().min(1).max(512),
    tags: z.array(z.string()).nullish(),
    folder_id: z.number().int().positive().nullish(),
    workspace_id: z.number().int().nullish(),
  }),
  prompt_version: z.looseObject({
    prompt_template: promptContentSchema,
    commit_message: z.string().nullish(),
    metadata: jsonObject.nullish(),
  }),
  release_labels: z.array(z.string().min(1)).nullish(),
  external_ids: z.array(externalIdSchema).nullish(),
});
export type PublishBody = z.infer<typeof publishSchema>;

export const getSchema = z
  .looseObject({
    version: z.number().int().positive().nullish(),
    label: z.string().nullish(),
    input_variables: jsonObject.nullish(),
    provider: z.string().nullish(),
    model: z.string().nullish(),
    model_parameter_overrides: jsonObject.nullish(),
    skip_input_variable_rendering: z.boolean().nullish(),
  })
  .nullable();

const indexedOrList = z.union([z.array(z.unknown()), jsonObject]);
export const patchSchema = z.looseObject({
  version: z.number().int().positive().nullish(),
  label: z.string().nullish(),
  messages: indexedOrList.nullish(),
  content: indexedOrList.nullish(),
  tools: indexedOrList.nullish(),
  functions: indexedOrList.nullish(),
  function_call: z.unknown().optional(),
  tool_choice: z.unknown().optional(),
  model_parameters: jsonObject.nullish(),
  response_format: z.unknown().optional(),
  commit_message: z.string().nullish(),
  release_labels: z.array(z.string().min(1)).nullish(),
});
export type PatchBody = z.infer<typeof patchSchema>;

export const labelCreateSchema = z.looseObject({
  prompt_version_number: z.number().int().positive(),
  name: z.string().min(1),
});
export const labelMoveSchema = z.looseObject({ prompt_version_number: z.number().int().positive() });

export const folderCreateSchema = z.looseObject({
  name: z.string().min(1).max(255),
  parent_id: z.number().int().nullish(),
  workspace_id: z.number().int().nullish(),
  external_ids: z.array(externalIdSchema).nullish(),
});
export const folderRenameSchema = z.looseObject({ name: z.string().min(1).max(255) });

const entityRef = z.looseObject({ id: z.number().int(), type: z.string() });
export const moveEntitiesSchema = z.looseObject({
  entities: z.array(entityRef).min(1),
  folder_id: z.number().int().nullish(),
  workspace_id: z.number().int().nullish(),
});
export const deleteEntitiesSchema = z.looseObject({
  entities: z.array(entityRef).min(1),
  cascade: z.boolean().default(false),
  workspace_id: z.number().int().nullish(),
});
