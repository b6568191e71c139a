// The sandbox's workspace: templates with numbered versions, release labels, nested folders and external IDs,
// with the rules the real registry enforces. Pure data and operations; HTTP lives in routes.ts.
import { expandSnippets, snippetRefsIn, snippetText, stringsIn, type SnippetRef } from "../core/snippets.js";
import { fillServerDefaults } from "./defaults.js";
import type {
  ExternalIdRef,
  Json,
  JsonObject,
  StoredWorkflow,
  TablesData,
  TrackingData,
  WorkflowsData,
} from "./records.js";

export interface StoredVersion {
  id: number;
  number: number;
  prompt_template: JsonObject;
  metadata: JsonObject | null;
  commit_message: string | null;
  /** Version-level fields beyond the spec's three (provider_base_url_name and the like), kept as sent. */
  extras: JsonObject;
  created_at: string;
}

export interface StoredTemplate {
  id: number;
  name: string;
  tags: string[];
  folder_id: number | null;
  external_ids: ExternalIdRef[];
  versions: StoredVersion[];
  created_at: string;
  updated_at: string;
}

export interface StoredLabel {
  id: number;
  name: string;
  template_id: number;
  version_number: number;
  created_at: string;
}

export interface StoredFolder {
  id: number;
  name: string;
  parent_id: number | null;
  external_ids: ExternalIdRef[];
  created_at: string;
  updated_at: string;
}

/** A change to a protected label, waiting for an admin (`POST /__sandbox/label-changes/{id}/approve` or `/deny`). */
export interface StoredLabelChange {
  id: number;
  template_id: number;
  label: string;
  /** `move` points the label at `version_number`; `delete` removes it. */
  change_type: "move" | "delete";
  version_number: number;
  status: "pending" | "approved" | "denied";
  created_at: string;
}

export interface WorkspaceData {
  workspace_id: number;
  next_id: number;
  templates: StoredTemplate[];
  labels: StoredLabel[];
  folders: StoredFolder[];
  /** Labels that need an approval to change: the API accepts the change and leaves the label where it was. */
  protected_labels: string[];
  /** Requested changes to protected labels, created on first use. */
  label_changes?: StoredLabelChange[];
  /** Tables, sheets and scores (eval-report), created on first use. */
  tables?: TablesData;
  /** Request logs and groups (the SDK's logging and tracking), created on first use. */
  tracking?: TrackingData;
  /** Agents (PromptLayer's workflows), their labels and runs, created on first use. */
  workflows?: WorkflowsData;
}

export function emptyWorkspace(): WorkspaceData {
  return { workspace_id: 1, next_id: 1, templates: [], labels: [], folders: [], protected_labels: [] };
}

/** An answer other than success: a status and the body to send, or no body at all. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Json | undefined,
  ) {
    super(`HTTP ${status}`);
  }
}

export const notFound = (message = "Not Found") => new ApiError(404, { success: false, message });
export const badRequest = (message: string) => new ApiError(400, { success: false, message });
export const conflict = (message: string) => new ApiError(409, { success: false, message });
export const unprocessable = (loc: Array<string | number>, msg: string) =>
  new ApiError(422, { detail: [{ loc, msg, type: "value_error" }] });

export interface PublishInput {
  prompt_name: string;
  tags?: string[] | null;
  folder_id?: number | null;
  prompt_template: JsonObject;
  metadata: JsonObject | null;
  commit_message: string | null;
  extras: JsonObject;
  release_labels: string[] | null;
  external_ids: ExternalIdRef[];
}

/** What happened, so the server can send the matching webhooks. */
export type WorkspaceEvent =
  | { type: "version_created"; template: StoredTemplate; version: number }
  | { type: "webhook"; event_type: string; details: Record<string, Json> }
  /** A snippet this template imports (following its latest version) got a new version. */
  | { type: "updated"; template: StoredTemplate; version: number }
  | { type: "name_changed"; template: StoredTemplate; from: string }
  | { type: "deleted"; template: StoredTemplate }
  | { type: "label_created" | "label_deleted"; template: StoredTemplate; label: string; version: number }
  | { type: "label_moved"; template: StoredTemplate; label: string; version: number; from: number }
  | {
      type: "label_change_requested" | "label_change_approved" | "label_change_denied";
      template: StoredTemplate;
      change: StoredLabelChange;
    };

export interface VersionSelector {
  version?: number;
  label?: string;
}

export class Workspace {
  readonly events: WorkspaceEvent[] = [];

  constructor(
    public data: WorkspaceData,
    readonly now: () => Date = () => new Date(),
  ) {}

  // ---- Templates ----

  /** By numeric id or by exact name, as the `{identifier}` path parameter works. */
  findTemplate(identifier: string | number): StoredTemplate | undefined {
    const asId =
      typeof identifier === "number" ? identifier : /^\d+$/.test(identifier) ? Number(identifier) : undefined;
    return (
      this.data.templates.find((t) => t.id === asId) ?? this.data.templates.find((t) => t.name === String(identifier))
    );
  }

  template(identifier: string | number): StoredTemplate {
    const found = this.findTemplate(identifier);
    if (!found) throw notFound("Prompt template not found");
    return found;
  }

  selectVersion(template: StoredTemplate, { version, label }: VersionSelector): StoredVersion {
    if (version !== undefined && label !== undefined) throw badRequest("Specify either version or label, not both");
    if (label !== undefined) {
      const stored = this.data.labels.find((l) => l.template_id === template.id && l.name === label);
      if (!stored) throw notFound(`Label '${label}' not found for this prompt template`);
      return template.versions.find((v) => v.number === stored.version_number)!;
    }
    if (version !== undefined) {
      const found = template.versions.find((v) => v.number === version);
      if (!found) throw notFound(`Version ${version} not found`);
      return found;
    }
    return template.versions.at(-1)!;
  }

  isSnippet(template: StoredTemplate): boolean {
    return template.versions.at(-1)?.prompt_template.type === "completion";
  }

  labelsOf(template: StoredTemplate): StoredLabel[] {
    return this.data.labels.filter((l) => l.template_id === template.id);
  }

  publish(
    input: PublishInput,
    target?: StoredTemplate,
  ): { template: StoredTemplate; version: StoredVersion; labels: string[] } {
    if (input.commit_message !== null && input.commit_message.length > 72) {
      throw unprocessable(["body", "prompt_version", "commit_message"], "String should have at most 72 characters");
    }
    const existing = target ?? this.findTemplate(input.prompt_name);
    if (!target && existing && String(existing.id) === input.prompt_name && existing.name !== input.prompt_name) {
      throw unprocessable(["body", "prompt_template", "prompt_name"], "A prompt name may not be another template's id");
    }
    for (const ref of input.external_ids) {
      const owner = this.externalIdOwner(ref);
      if (owner && owner !== existing) throw conflict("External ID is already attached to another entity");
    }
    if (input.folder_id != null && !this.data.folders.some((f) => f.id === input.folder_id))
      throw notFound("Folder not found");
    this.assertSnippetsExist(input.prompt_template, existing);

    const at = this.now().toISOString();
    const template: StoredTemplate = existing ?? {
      id: this.nextId(),
      name: input.prompt_name,
      tags: [],
      folder_id: input.folder_id ?? null,
      external_ids: [],
      versions: [],
      created_at: at,
      updated_at: at,
    };
    if (!existing) this.data.templates.push(template);
    if (input.tags != null) template.tags = [...input.tags];
    const version: StoredVersion = {
      id: this.nextId(),
      number: (template.versions.at(-1)?.number ?? 0) + 1,
      prompt_template: fillServerDefaults(input.prompt_template),
      metadata: input.metadata,
      commit_message: input.commit_message,
      extras: input.extras,
      created_at: at,
    };
    template.versions.push(version);
    template.updated_at = at;
    for (const ref of input.external_ids) this.attachExternalId(template, ref);
    this.events.push({ type: "version_created", template, version: version.number });
    this.notifyImporters(template);
    for (const label of input.release_labels ?? []) this.setLabel(template, label, version.number);
    return { template, version, labels: input.release_labels ?? [] };
  }

  /**
   * PromptLayer fires `prompt_template_updated` for every template that imports a snippet which got a new version:
   * here, every template whose latest version follows the snippet's latest, through snippets of snippets too.
   */
  private notifyImporters(snippet: StoredTemplate): void {
    if (!this.isSnippet(snippet)) return;
    const notified = new Set<StoredTemplate>([snippet]);
    const queue = [snippet];
    for (let changed = queue.shift(); changed; changed = queue.shift()) {
      for (const template of this.data.templates) {
        if (notified.has(template)) continue;
        const latest = template.versions.at(-1)!;
        const follows = stringsIn(latest.prompt_template).some((text) =>
          snippetRefsIn(text).some((ref) => ref.name === changed.name && ref.pin.kind === "latest"),
        );
        if (!follows) continue;
        notified.add(template);
        this.events.push({ type: "updated", template, version: latest.number });
        if (this.isSnippet(template)) queue.push(template);
      }
    }
  }

  /** What the UI's rename does: same id and versions, a new name. */
  renameTemplate(template: StoredTemplate, name: string): StoredTemplate {
    if (name.trim() === "") throw badRequest("A prompt template name cannot be empty");
    const clash = this.findTemplate(name);
    if (clash && clash !== template) throw badRequest(`A prompt template named '${name}' already exists`);
    const from = template.name;
    if (from === name) return template;
    template.name = name;
    template.updated_at = this.now().toISOString();
    this.events.push({ type: "name_changed", template, from });
    return template;
  }

  private assertSnippetsExist(promptTemplate: JsonObject, self: StoredTemplate | undefined): void {
    for (const text of stringsIn(promptTemplate)) {
      for (const ref of snippetRefsIn(text)) {
        const snippet = this.findTemplate(ref.name);
        const usable =
          snippet !== undefined &&
          snippet !== self &&
          this.isSnippet(snippet) &&
          this.pinnedVersion(snippet, ref) !== undefined;
        if (!usable)
          throw unprocessable(
            ["body", "prompt_version", "prompt_template"],
            `Snippet '${ref.source}' does not exist or is not a completion template`,
          );
      }
    }
  }

  private pinnedVersion(snippet: StoredTemplate, ref: SnippetRef): StoredVersion | undefined {
    const { pin } = ref;
    if (pin.kind === "version") return snippet.versions.find((v) => v.number === pin.version);
    if (pin.kind === "label") {
      const label = this.labelsOf(snippet).find((l) => l.name === pin.label);
      return label && snippet.versions.find((v) => v.number === label.version_number);
    }
    return snippet.versions.at(-1);
  }

  /** The `snippets` list of a raw read: every reference, with the version it resolves to. */
  snippetRefs(version: StoredVersion): Json[] {
    return stringsIn(version.prompt_template).flatMap((text) =>
      snippetRefsIn(text).flatMap((ref) => {
        const snippet = this.findTemplate(ref.name);
        const resolved = snippet && this.pinnedVersion(snippet, ref);
        if (!resolved) return [];
        return [
          { prompt_name: ref.name, version: resolved.number, label: ref.pin.kind === "label" ? ref.pin.label : null },
        ];
      }),
    );
  }

  /** Expands `@@@…@@@` references recursively, as reads do unless `resolve_snippets=false`. */
  resolveSnippets(value: Json): Json {
    return expandSnippets(value, (ref) => {
      const snippet = this.findTemplate(ref.name);
      const version = snippet && this.pinnedVersion(snippet, ref);
      return version ? snippetText(version.prompt_template) : undefined;
    });
  }

  snippetUsage(snippet: StoredTemplate, versionNumber: number | undefined) {
    const usedBy = (version: StoredVersion) =>
      stringsIn(version.prompt_template).some((text) =>
        snippetRefsIn(text).some(
          (ref) =>
            ref.name === snippet.name &&
            (versionNumber === undefined || this.pinnedVersion(snippet, ref)?.number === versionNumber),
        ),
      );
    const snippetUsage = this.data.templates
      .filter((t) => t !== snippet)
      .map((t) => ({
        prompt_registry_id: t.id,
        prompt_name: t.name,
        version_numbers: t.versions.filter(usedBy).map((v) => v.number),
      }))
      .filter((usage) => usage.version_numbers.length > 0);
    const labelUsage = this.data.labels.flatMap((label) => {
      const template = this.data.templates.find((t) => t.id === label.template_id)!;
      const version = template.versions.find((v) => v.number === label.version_number)!;
      return template !== snippet && usedBy(version)
        ? [{ prompt_registry_id: template.id, prompt_name: template.name, label_name: label.name }]
        : [];
    });
    return { snippetUsage, labelUsage };
  }

  // ---- Labels ----

  /** Creates the label on `versionNumber` or moves it there. A protected label stays put (its change awaits approval). */
  setLabel(template: StoredTemplate, name: string, versionNumber: number): StoredLabel {
    if (!template.versions.some((v) => v.number === versionNumber))
      throw notFound(`Version ${versionNumber} not found`);
    const existing = this.labelsOf(template).find((l) => l.name === name);
    if (existing) return this.moveLabel(existing, versionNumber);
    return this.setLabelUnchecked(template, name, versionNumber);
  }

  private setLabelUnchecked(template: StoredTemplate, name: string, versionNumber: number): StoredLabel {
    const label: StoredLabel = {
      id: this.nextId(),
      name,
      template_id: template.id,
      version_number: versionNumber,
      created_at: this.now().toISOString(),
    };
    this.data.labels.push(label);
    this.events.push({ type: "label_created", template, label: name, version: versionNumber });
    return label;
  }

  label(labelId: number): StoredLabel {
    const found = this.data.labels.find((l) => l.id === labelId);
    if (!found) throw notFound("Release label not found");
    return found;
  }

  moveLabel(label: StoredLabel, versionNumber: number): StoredLabel {
    const template = this.template(label.template_id);
    if (!template.versions.some((v) => v.number === versionNumber))
      throw notFound(`Version ${versionNumber} not found`);
    if (label.version_number === versionNumber) return label;
    if (this.isProtected(label)) {
      this.requestLabelChange(template, label, "move", versionNumber);
      return label;
    }
    return this.pointLabel(template, label, versionNumber);
  }

  deleteLabel(label: StoredLabel): void {
    const template = this.template(label.template_id);
    if (this.isProtected(label)) {
      this.requestLabelChange(template, label, "delete", label.version_number);
      return;
    }
    this.removeLabel(template, label);
  }

  // ---- Protected labels ----

  private isProtected(label: StoredLabel): boolean {
    return this.data.protected_labels.includes(label.name);
  }

  labelChanges(): StoredLabelChange[] {
    return (this.data.label_changes ??= []);
  }

  labelChange(id: number): StoredLabelChange {
    const found = this.labelChanges().find((change) => change.id === id);
    if (!found) throw notFound("Label change request not found");
    return found;
  }

  /** An admin's decision. Approval carries the change out (a move fires `label_moved`); either way the request closes. */
  resolveLabelChange(change: StoredLabelChange, decision: "approved" | "denied"): StoredLabelChange {
    if (change.status !== "pending") throw badRequest(`This label change was already ${change.status}`);
    const template = this.template(change.template_id);
    change.status = decision;
    this.events.push({
      type: decision === "approved" ? "label_change_approved" : "label_change_denied",
      template,
      change,
    });
    if (decision === "denied") return change;
    const label = this.labelsOf(template).find((candidate) => candidate.name === change.label);
    if (change.change_type === "delete") {
      if (label) this.removeLabel(template, label);
    } else if (label) {
      if (!template.versions.some((v) => v.number === change.version_number))
        throw notFound(`Version ${change.version_number} not found`);
      if (label.version_number !== change.version_number) this.pointLabel(template, label, change.version_number);
    } else {
      this.setLabelUnchecked(template, change.label, change.version_number);
    }
    return change;
  }

  private requestLabelChange(
    template: StoredTemplate,
    label: StoredLabel,
    changeType: StoredLabelChange["change_type"],
    versionNumber: number,
  ): void {
    const change: StoredLabelChange = {
      id: this.nextId(),
      template_id: template.id,
      label: label.name,
      change_type: changeType,
      version_number: versionNumber,
      status: "pending",
      created_at: this.now().toISOString(),
    };
    this.labelChanges().push(change);
    this.events.push({ type: "label_change_requested", template, change });
  }

  private pointLabel(template: StoredTemplate, label: StoredLabel, versionNumber: number): StoredLabel {
    const from = label.version_number;
    label.version_number = versionNumber;
    this.events.push({ type: "label_moved", template, label: label.name, version: versionNumber, from });
    return label;
  }

  private removeLabel(template: StoredTemplate, label: StoredLabel): void {
    this.data.labels = this.data.labels.filter((l) => l !== label);
    this.events.push({ type: "label_deleted", template, label: label.name, version: label.version_number });
  }

  versionIdOf(label: StoredLabel): number {
    return this.template(label.template_id).versions.find((v) => v.number === label.version_number)!.id;
  }

  // ---- External IDs ----

  /** A mapping is unique in the workspace, whatever kind of entity holds it. */
  externalIdOwner(ref: ExternalIdRef): StoredTemplate | StoredFolder | StoredWorkflow | undefined {
    const same = (other: ExternalIdRef) => other.source === ref.source && other.external_id === ref.external_id;
    return (
      this.data.templates.find((t) => t.external_ids.some(same)) ??
      this.data.folders.find((f) => f.external_ids.some(same)) ??
      this.data.workflows?.workflows.find((w) => w.external_ids.some(same))
    );
  }

  /** Idempotent for the same entity; 409 when another entity holds the mapping. */
  attachExternalId(entity: StoredTemplate | StoredFolder | StoredWorkflow, ref: ExternalIdRef): void {
    const owner = this.externalIdOwner(ref);
    if (owner === entity) return;
    if (owner) throw conflict("External ID is already attached to another entity");
    entity.external_ids.push({ source: ref.source, external_id: ref.external_id });
  }

  detachExternalId(entity: StoredTemplate | StoredFolder | StoredWorkflow, ref: ExternalIdRef): void {
    const before = entity.external_ids.length;
    entity.external_ids = entity.external_ids.filter(
      (other) => !(other.source === ref.source && other.external_id === ref.external_id),
    );
    if (entity.external_ids.length === before) throw notFound("External ID not found");
  }

  // ---- Folders ----

  folder(folderId: number): StoredFolder {
    const found = this.data.folders.find((f) => f.id === folderId);
    if (!found) throw new ApiError(404, { success: false, message: "Folder not found" });
    return found;
  }

  folderPath(folderId: number | null): StoredFolder[] {
    const path: StoredFolder[] = [];
    for (let id = folderId; id !== null; ) {
      const folder = this.folder(id);
      path.unshift(folder);
      id = folder.parent_id;
    }
    return path;
  }

  resolveFolder(names: string[]): StoredFolder | undefined {
    let parent: number | null = null;
    let found: StoredFolder | undefined;
    for (const name of names) {
      found = this.data.folders.find((f) => f.parent_id === parent && f.name === name);
      if (!found) return undefined;
      parent = found.id;
    }
    return found;
  }

  createFolder(name: string, parentId: number | null, externalIds: ExternalIdRef[]): StoredFolder {
    if (parentId !== null && !this.data.folders.some((f) => f.id === parentId)) {
      throw new ApiError(404, { success: false, message: "Parent folder not found" });
    }
    if (this.data.folders.some((f) => f.parent_id === parentId && f.name === name)) {
      throw badRequest(`A folder named '${name}' already exists in this location`);
    }
    for (const ref of externalIds)
      if (this.externalIdOwner(ref)) throw conflict("External ID is already attached to another entity");
    const at = this.now().toISOString();
    const folder: StoredFolder = {
      id: this.nextId(),
      name,
      parent_id: parentId,
      external_ids: [],
      created_at: at,
      updated_at: at,
    };
    this.data.folders.push(folder);
    for (const ref of externalIds) this.attachExternalId(folder, ref);
    return folder;
  }

  renameFolder(folder: StoredFolder, name: string): StoredFolder {
    if (this.data.folders.some((f) => f !== folder && f.parent_id === folder.parent_id && f.name === name)) {
      throw badRequest(`A folder named '${name}' already exists in this location`);
    }
    folder.name = name;
    folder.updated_at = this.now().toISOString();
    return folder;
  }

  moveEntities(entities: Array<{ id: number; type: string }>, folderId: number | null): number {
    if (folderId !== null) this.folder(folderId);
    let moved = 0;
    for (const { id, type } of entities) {
      if (type === "FOLDER") {
        const folder = this.folder(id);
        if (folderId !== null && this.folderPath(folderId).includes(folder))
          throw badRequest("A folder cannot move into itself");
        folder.parent_id = folderId;
      } else if (type === "WORKFLOW") {
        this.workflow(id).folder_id = folderId;
      } else {
        this.template(id).folder_id = folderId;
      }
      moved += 1;
    }
    return moved;
  }

  deleteEntities(entities: Array<{ id: number; type: string }>, cascade: boolean): number {
    let deleted = 0;
    for (const { id, type } of entities) {
      if (type === "WORKFLOW") {
        this.removeWorkflow(this.workflow(id));
        deleted += 1;
        continue;
      }
      if (type !== "FOLDER") {
        this.removeTemplate(this.template(id));
        deleted += 1;
        continue;
      }
      const folder = this.folder(id);
      const inside = (candidate: number | null) => candidate !== null && this.folderPath(candidate).includes(folder);
      const templates = this.data.templates.filter((t) => inside(t.folder_id));
      const folders = this.data.folders.filter((f) => f !== folder && inside(f.id));
      const workflows = (this.data.workflows?.workflows ?? []).filter((w) => inside(w.folder_id));
      if (!cascade && (templates.length > 0 || folders.length > 0 || workflows.length > 0))
        throw badRequest("Folder is not empty; pass cascade=true to delete its contents");
      for (const template of templates) this.removeTemplate(template);
      for (const workflow of workflows) this.removeWorkflow(workflow);
      this.data.folders = this.data.folders.filter((f) => f !== folder && !folders.includes(f));
      deleted += 1;
    }
    return deleted;
  }

  private removeTemplate(template: StoredTemplate): void {
    this.data.templates = this.data.templates.filter((t) => t !== template);
    this.data.labels = this.data.labels.filter((l) => l.template_id !== template.id);
    this.events.push({ type: "deleted", template });
  }

  private workflow(id: number): StoredWorkflow {
    const found = this.data.workflows?.workflows.find((w) => w.id === id);
    if (!found) throw notFound("Workflow not found");
    return found;
  }

  private removeWorkflow(workflow: StoredWorkflow): void {
    const data = this.data.workflows!;
    data.workflows = data.workflows.filter((w) => w !== workflow);
    data.labels = data.labels.filter((l) => l.workflow_id !== workflow.id);
  }

  private nextId(): number {
    return this.data.next_id++;
  }
}
