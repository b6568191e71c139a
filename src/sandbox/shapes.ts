// How the sandbox's registry answers are shaped: the bodies PromptLayer returns for a published version, a raw
// template read, a listing row, a label and a folder.
import type { Json, JsonObject } from "./records.js";
import type { StoredFolder, StoredLabel, StoredTemplate, StoredVersion, Workspace } from "./state.js";

// A version's extra fields come first, so none of them can stand in for a field the response declares.
export function published(template: StoredTemplate, version: StoredVersion, labels: string[] | null): JsonObject {
  return {
    ...version.extras,
    id: template.id,
    prompt_name: template.name,
    prompt_version_id: version.id,
    version_number: version.number,
    tags: template.tags,
    release_labels: labels,
    prompt_template: version.prompt_template,
    metadata: version.metadata,
    commit_message: version.commit_message,
    external_ids: template.external_ids as unknown as Json,
  };
}

export function rawRead(
  workspace: Workspace,
  template: StoredTemplate,
  version: StoredVersion,
  resolve: boolean,
): JsonObject {
  return {
    ...version.extras,
    success: true,
    id: template.id,
    prompt_name: template.name,
    version: version.number,
    workspace_id: workspace.data.workspace_id,
    prompt_template: resolve
      ? (workspace.resolveSnippets(version.prompt_template) as JsonObject)
      : version.prompt_template,
    metadata: version.metadata,
    commit_message: version.commit_message,
    tags: template.tags,
    created_at: version.created_at,
    snippets: workspace.snippetRefs(version),
  };
}

export function listItem(workspace: Workspace, template: StoredTemplate, version: StoredVersion): JsonObject {
  return {
    id: template.id,
    prompt_name: template.name,
    prompt_template: version.prompt_template,
    metadata: version.metadata,
    commit_message: version.commit_message,
    llm_kwargs: null,
    version: version.number,
    external_ids: template.external_ids as unknown as Json,
    is_snippet: workspace.isSnippet(template),
  };
}

export function labelBody(workspace: Workspace, label: StoredLabel): JsonObject {
  return {
    id: label.id,
    name: label.name,
    prompt_id: label.template_id,
    prompt_version_id: workspace.versionIdOf(label),
    created_at: label.created_at,
  };
}

export function folderBody(workspace: Workspace, folder: StoredFolder): JsonObject {
  const ancestors = workspace.folderPath(folder.parent_id);
  return {
    id: folder.id,
    name: folder.name,
    created_at: folder.created_at,
    updated_at: folder.updated_at,
    path: ancestors.length === 0 ? null : ancestors.map((a) => ({ id: a.id, name: a.name })),
    workspace_id: workspace.data.workspace_id,
    parent_id: folder.parent_id,
    external_ids: folder.external_ids as unknown as Json,
  };
}
