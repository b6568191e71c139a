// Where the prompt `plx run` runs comes from: PromptLayer (latest, a label or a version, snippets expanded by
// PromptLayer), or the working tree (a file, or the file holding a template name), unpublished, its snippets taken
// from prompt files first and from PromptLayer for the rest.
import { isAbsolute, relative, resolve, sep } from "node:path";
import { expandSnippets, snippetRefsIn, snippetText, stringsIn, type SnippetRef } from "../core/snippets.js";
import { isJsonObject, type JsonObject } from "../core/template.js";
import type { ResolvedConfig } from "../config/schema.js";
import { isInterruption, plxError } from "../errors/index.js";
import { scanPromptFiles, type LocalTemplate } from "../files/local.js";
import type { Lockfile } from "../core/lock.js";
import { readLockfile } from "../files/lockfile.js";
import { PROMPT_FILE_SUFFIX } from "../files/paths.js";
import type { PromptLayerClient } from "../promptlayer/index.js";

export interface PromptSource {
  name: string;
  /** "remote": a version PromptLayer holds. "local": a prompt file, as it is in the working tree. */
  origin: "remote" | "local";
  /** PromptLayer's template id and version; for a local file, only when it is exactly the version last synced. */
  id?: number;
  version?: number;
  label?: string;
  /** The prompt file, repo-relative. */
  path?: string;
  /** With snippets expanded, variables not yet filled. */
  promptTemplate: JsonObject;
  metadata: JsonObject;
  /** The template's custom provider, as PromptLayer's SDK reads it: `custom_provider` (client and base URL), else the URL `provider_base_url_name` stands for. */
  customProvider?: { client?: string; baseUrl?: string };
  /** Where each snippet came from; a file's, whether it is still as last synced. */
  snippets: Array<{ reference: string; from: "file" | "promptlayer"; path?: string; synced?: boolean }>;
}

export interface SourceRequest {
  name?: string;
  label?: string;
  version?: number;
  /** A prompt file, as the user gave it (relative to `cwd`). */
  file?: string;
  /** Run the prompt file holding `name` rather than PromptLayer's version. */
  local: boolean;
}

export interface SourceDeps {
  config: ResolvedConfig;
  cwd: string;
  client: () => Promise<PromptLayerClient>;
}

export async function loadPrompt(request: SourceRequest, deps: SourceDeps): Promise<PromptSource> {
  if (request.file !== undefined || request.local) return loadLocal(request, deps);
  return loadRemote(request.name!, request, deps);
}

async function loadRemote(name: string, request: SourceRequest, deps: SourceDeps): Promise<PromptSource> {
  const client = await deps.client();
  const raw = await client.getTemplate(name, {
    ...(request.label === undefined ? {} : { label: request.label }),
    ...(request.version === undefined ? {} : { version: request.version }),
    resolveSnippets: true,
  });
  if (!raw) {
    const selector =
      request.label !== undefined
        ? `label "${request.label}"`
        : request.version !== undefined
          ? `version ${request.version}`
          : undefined;
    throw plxError("RUN.PROMPT_NOT_FOUND", { name, baseUrl: deps.config.baseUrl, ...(selector ? { selector } : {}) });
  }
  const customProvider = customProviderOf(raw);
  return {
    name: raw.prompt_name,
    origin: "remote",
    id: raw.id,
    version: raw.version,
    ...(request.label === undefined ? {} : { label: request.label }),
    promptTemplate: raw.prompt_template as JsonObject,
    metadata: (raw.metadata ?? {}) as JsonObject,
    ...(customProvider ? { customProvider } : {}),
    snippets: (raw.snippets ?? []).map((snippet) => ({ reference: snippet.prompt_name, from: "promptlayer" as const })),
  };
}

async function loadLocal(request: SourceRequest, deps: SourceDeps): Promise<PromptSource> {
  const { config } = deps;
  const [lock, template] = await Promise.all([readLockfile(config.rootDir), findLocal(request, deps)]);
  if (request.name !== undefined && request.file !== undefined && template.name !== request.name) {
    throw plxError("USAGE.CONFLICTING_OPTIONS", {
      problem: `${template.path} holds the template "${template.name}", not "${request.name}".`,
      hint: "Give the file alone with --file, or the name of the template it holds.",
    });
  }
  const { promptTemplate, snippets } = await expandLocalSnippets(template.doc.promptTemplate, lock, deps);
  const synced = lock.templates[template.name];
  // A file exactly as last synced, with snippets as last synced, is that published version, and is logged as it.
  const published =
    synced !== undefined && synced.hash === template.hash && snippets.every((snippet) => snippet.synced !== false);
  const customProvider = customProviderOf(template.doc.extras);
  return {
    name: template.name,
    origin: "local",
    ...(published ? { id: synced.id, version: synced.version } : {}),
    path: template.path,
    promptTemplate,
    metadata: template.doc.metadata,
    ...(customProvider ? { customProvider } : {}),
    snippets,
  };
}

/** `custom_provider: {client, base_url}` wins over `provider_base_url: {url}`, as in the official SDK's run(). */
function customProviderOf(fields: Readonly<Record<string, unknown>>): PromptSource["customProvider"] {
  const custom = fields.custom_provider as JsonObject | undefined;
  const named = fields.provider_base_url as JsonObject | undefined;
  const client = isJsonObject(custom) && typeof custom.client === "string" ? custom.client : undefined;
  const baseUrl =
    isJsonObject(custom) && typeof custom.base_url === "string"
      ? custom.base_url
      : isJsonObject(named) && typeof named.url === "string"
        ? named.url
        : undefined;
  return client || baseUrl ? { ...(client ? { client } : {}), ...(baseUrl ? { baseUrl } : {}) } : undefined;
}

async function findLocal(request: SourceRequest, { config, cwd }: SourceDeps): Promise<LocalTemplate> {
  if (request.file !== undefined) {
    const absolute = resolve(cwd, request.file);
    const repoRelative = relative(config.rootDir, absolute).split(sep).join("/");
    const promptsDir = resolve(config.rootDir, config.promptsDir);
    if (
      !absolute.endsWith(PROMPT_FILE_SUFFIX) ||
      relative(promptsDir, absolute).startsWith("..") ||
      isAbsolute(relative(promptsDir, absolute))
    )
      throw plxError("RUN.FILE_UNREADABLE", {
        file: request.file,
        problem: `it is not a .prompt.yaml file inside the prompts directory (${config.promptsDir})`,
      });
    const scan = await scanPromptFiles(config.rootDir, config.promptsDir, { only: [absolute] });
    const [problem] = scan.problems;
    if (problem)
      throw plxError("RUN.FILE_UNREADABLE", {
        file: repoRelative,
        problem: `line ${problem.line}: ${problem.message}`,
      });
    return scan.templates[0]!;
  }
  const name = request.name!;
  const scan = await scanPromptFiles(config.rootDir, config.promptsDir);
  const found = scan.templates.find((template) => template.name === name);
  if (!found) {
    const problem = scan.problems.find((candidate) => candidate.path.endsWith(`/${name}.prompt.yaml`));
    if (problem)
      throw plxError("RUN.FILE_UNREADABLE", {
        file: problem.path,
        problem: `line ${problem.line}: ${problem.message}`,
      });
    throw plxError("RUN.NO_LOCAL_FILE", { name, promptsDir: config.promptsDir });
  }
  return found;
}

const refKey = (ref: SnippetRef) =>
  `${ref.name}@${ref.pin.kind === "version" ? `v${ref.pin.version}` : ref.pin.kind === "label" ? `l:${ref.pin.label}` : ""}`;

/**
 * Expands a local template's snippets. A reference that follows the latest version is the prompt file of that name
 * when there is one (the working tree is what is being tried); a pinned one (`@version_number:N`, `@label:L`) names
 * a published version, which only PromptLayer holds.
 */
async function expandLocalSnippets(
  promptTemplate: JsonObject,
  lock: Lockfile,
  deps: SourceDeps,
): Promise<{ promptTemplate: JsonObject; snippets: PromptSource["snippets"] }> {
  const texts = new Map<string, string>();
  const snippets: PromptSource["snippets"] = [];
  let files: Map<string, LocalTemplate> | undefined;
  const pending = (text: string) => snippetRefsIn(text).filter((ref) => !texts.has(refKey(ref)));
  let queue = stringsIn(promptTemplate).flatMap(pending);
  while (queue.length > 0) {
    const ref = queue.shift()!;
    if (texts.has(refKey(ref))) continue;
    let text: string | undefined;
    if (ref.pin.kind === "latest") {
      files ??= new Map(
        (await scanPromptFiles(deps.config.rootDir, deps.config.promptsDir)).templates.map((file) => [file.name, file]),
      );
      const file = files.get(ref.name);
      if (file) {
        text = snippetText(file.doc.promptTemplate);
        snippets.push({
          reference: ref.source,
          from: "file",
          path: file.path,
          synced: lock.templates[file.name]?.hash === file.hash,
        });
      }
    }
    text ??= await remoteSnippet(ref, deps);
    texts.set(refKey(ref), text);
    queue = [...queue, ...pending(text)];
  }
  return { promptTemplate: expandSnippets(promptTemplate, (ref) => texts.get(refKey(ref))), snippets };

  async function remoteSnippet(ref: SnippetRef, { client }: SourceDeps): Promise<string> {
    let found: Awaited<ReturnType<PromptLayerClient["getTemplate"]>>;
    try {
      found = await (await client()).getTemplate(ref.name, {
        ...(ref.pin.kind === "version" ? { version: ref.pin.version } : {}),
        ...(ref.pin.kind === "label" ? { label: ref.pin.label } : {}),
        resolveSnippets: true,
      });
    } catch (error) {
      if (isInterruption(error)) throw error;
      const reason = error instanceof Error ? error.message.replace(/\.$/, "") : String(error);
      throw plxError("RUN.SNIPPET_UNRESOLVED", {
        reference: ref.source,
        reason: `no prompt file holds it, and PromptLayer could not be asked (${reason})`,
      });
    }
    if (!found)
      throw plxError("RUN.SNIPPET_UNRESOLVED", {
        reference: ref.source,
        reason: "neither a prompt file nor PromptLayer has it",
      });
    snippets.push({ reference: ref.source, from: "promptlayer" });
    return snippetText(found.prompt_template);
  }
}
