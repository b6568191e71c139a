// The one builder of PromptLayer template payloads for tests: content blocks and prompt templates, the body that
// publishes them, the raw template a read answers, and whole sandbox states for what PromptLayer's API would never let
// a test create (hostile names, folders named "..", megabyte templates, malformed stored payloads).
import type { StoredFolder, StoredTemplate, WorkspaceData } from "../../src/sandbox/state.js";

export const text = (value: string) => ({ type: "text", text: value });

/** A completion template; `format: null` leaves template_format out, as a template stored without one has it. */
export const completion = (value: string, format: string | null = "f-string") => ({
  type: "completion",
  ...(format === null ? {} : { template_format: format }),
  content: [text(value)],
});

export const chat = (...messages: Array<[string, string]>) => ({
  type: "chat",
  messages: messages.map(([role, value]) => ({ role, content: [text(value)] })),
});

export interface PublishExtra {
  folderId?: number;
  metadata?: object;
  labels?: string[];
  tags?: string[];
}

/** The body of POST /rest/prompt-templates, as PromptLayer's UI or SDK sends it. */
export const publishBody = (name: string, promptTemplate: object, extra: PublishExtra = {}) => ({
  prompt_template: { prompt_name: name, tags: extra.tags ?? [], folder_id: extra.folderId ?? null },
  prompt_version: {
    prompt_template: promptTemplate,
    commit_message: `edit ${name}`,
    metadata: extra.metadata ?? { model: { provider: "openai", name: "gpt-4o", parameters: {} } },
  },
  release_labels: extra.labels ?? null,
});

/** What GET /prompt-templates/{identifier} answers, for servers that stand in for PromptLayer. */
export const rawTemplate = (overrides: Record<string, unknown> = {}) => ({
  success: true,
  id: 1,
  prompt_name: "greeting",
  version: 1,
  workspace_id: 7,
  prompt_template: { type: "chat", messages: [] },
  metadata: null,
  commit_message: null,
  tags: [],
  snippets: [],
  ...overrides,
});

export interface TemplateSpec {
  name: string;
  /** Folder id from `folders`. */
  folder?: number;
  /** The stored prompt_template, as is; a completion with `text` when absent. */
  promptTemplate?: unknown;
  text?: string;
  metadata?: unknown;
  tags?: unknown;
  /** More versions after the first, as prompt_templates. */
  later?: unknown[];
}

export interface FolderSpec {
  id: number;
  name: string;
  parent?: number;
}

const AT = new Date(0).toISOString();

/** A sandbox state built by hand, installed with PUT /__sandbox/state. */
export function workspace(templates: readonly TemplateSpec[], folders: readonly FolderSpec[] = []): WorkspaceData {
  // Templates are numbered by position, versions after them: the same names in two states keep their ids, as the
  // same templates with more versions do in PromptLayer.
  let nextId = 1000 + templates.length;
  const stored: StoredTemplate[] = templates.map((spec, position) => {
    const contents = [
      spec.promptTemplate ?? completion(spec.text ?? `I am ${JSON.stringify(spec.name)}`, null),
      ...(spec.later ?? []),
    ];
    return {
      id: 1000 + position,
      name: spec.name,
      tags: (spec.tags ?? []) as string[],
      folder_id: spec.folder ?? null,
      external_ids: [],
      versions: contents.map((promptTemplate, index) => ({
        id: nextId++,
        number: index + 1,
        prompt_template: promptTemplate as StoredTemplate["versions"][number]["prompt_template"],
        metadata: (spec.metadata ?? null) as StoredTemplate["versions"][number]["metadata"],
        commit_message: null,
        extras: {},
        created_at: AT,
      })),
      created_at: AT,
      updated_at: AT,
    };
  });
  const storedFolders: StoredFolder[] = folders.map((folder) => ({
    id: folder.id,
    name: folder.name,
    parent_id: folder.parent ?? null,
    external_ids: [],
    created_at: AT,
    updated_at: AT,
  }));
  return {
    workspace_id: 1,
    next_id: nextId,
    templates: stored,
    labels: [],
    folders: storedFolders,
    protected_labels: [],
  };
}
