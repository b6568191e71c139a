// Sandbox states built by hand, for what PromptLayer's API would never let a test create: hostile names, folders
// named "..", megabyte templates, malformed stored payloads. Installed with PUT /__sandbox/state.
import type { StoredFolder, StoredTemplate, WorkspaceData } from "../../src/sandbox/state.js";

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

export function workspace(templates: readonly TemplateSpec[], folders: readonly FolderSpec[] = []): WorkspaceData {
  // Templates are numbered by position, versions after them: the same names in two states keep their ids, as the
  // same templates with more versions do in PromptLayer.
  let nextId = 1000 + templates.length;
  const stored: StoredTemplate[] = templates.map((spec, position) => {
    const contents = [
      spec.promptTemplate ?? {
        type: "completion",
        content: [{ type: "text", text: spec.text ?? `I am ${JSON.stringify(spec.name)}` }],
      },
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

export async function installState(sandboxUrl: string, state: WorkspaceData): Promise<void> {
  const response = await fetch(`${sandboxUrl}/__sandbox/state`, { method: "PUT", body: JSON.stringify(state) });
  if (response.status !== 204)
    throw new Error(`PUT /__sandbox/state answered ${response.status}: ${await response.text()}`);
}
