// Reading the prompts directory: every `.prompt.yaml` file under it, parsed, hashed and checked for the problems
// that must stop a sync before anything is sent or written (bad YAML, binary or huge files, symlinks leading out,
// two files claiming one template).
import { lstat, readFile, realpath } from "node:fs/promises";
import { isAbsolute, join, relative, sep } from "node:path";
import fastGlob from "fast-glob";
import { contentHash } from "../core/canonical.js";
import type { TemplateDoc } from "../core/template.js";
import { isPromptFile, PROMPT_FILE_SUFFIX } from "./paths.js";
import { parsePromptFile, type FileProblem } from "./prompt-file.js";

export interface LocalTemplate {
  /** Repo-relative, forward slashes. */
  path: string;
  doc: TemplateDoc;
  hash: string;
  text: string;
}

export interface LocalScan {
  templates: LocalTemplate[];
  problems: FileProblem[];
}

/** Larger than any real prompt by far; refusing it early keeps a stray dump from being parsed and sent. */
export const MAX_PROMPT_FILE_BYTES = 1024 * 1024;

const toPosix = (path: string) => path.split(sep).join("/");

/**
 * Scans `<rootDir>/<promptsDir>`. With `only`, reads just those repo-relative paths (as a pre-commit hook passes them);
 * paths that are not prompt files are ignored.
 */
export async function scanPromptFiles(rootDir: string, promptsDir: string, only?: readonly string[]): Promise<LocalScan> {
  const base = join(rootDir, promptsDir);
  const paths = only
    ? only.map((path) => toPosix(isAbsolute(path) ? relative(rootDir, path) : path)).filter((path) => isPromptFile(path) && isInside(path, promptsDir))
    : (await fastGlob(`**/*${PROMPT_FILE_SUFFIX}`, { cwd: base, dot: false, followSymbolicLinks: false, onlyFiles: false })).map((path) => `${promptsDir}/${path}`);
  paths.sort();
  const realBase = await realpath(base).catch(() => base);
  const results = await Promise.all(paths.map((path) => readOne(rootDir, realBase, path, promptsDir)));

  const templates: LocalTemplate[] = [];
  const problems: FileProblem[] = [];
  for (const result of results) {
    if ("problems" in result) problems.push(...result.problems);
    else templates.push(result.template);
  }
  problems.push(...duplicateNames(templates));
  return { templates, problems };
}

function isInside(path: string, directory: string): boolean {
  const rel = relative(directory, path);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
}

async function readOne(rootDir: string, realBase: string, path: string, promptsDir: string): Promise<{ template: LocalTemplate } | { problems: FileProblem[] }> {
  const fail = (message: string, hint: string) => ({ problems: [{ path, line: 1, col: 1, message, hint }] });
  const absolute = join(rootDir, path);
  const info = await lstat(absolute).catch(() => undefined);
  if (!info) return fail("the file does not exist", "Pass paths of existing prompt files, relative to the repository root.");
  if (info.isSymbolicLink()) {
    const target = await realpath(absolute).catch(() => undefined);
    if (!target || !isInside(target, realBase)) return fail("the file is a symbolic link that leads outside the prompts directory", "Replace the link with the file itself; plx never reads outside the prompts directory.");
  } else if (!info.isFile()) {
    return fail("not a regular file", "Rename it so it does not end in .prompt.yaml.");
  }
  const bytes = await readFile(absolute);
  if (bytes.length > MAX_PROMPT_FILE_BYTES) return fail(`the file is ${bytes.length} bytes, over the ${MAX_PROMPT_FILE_BYTES}-byte limit for a prompt`, "A prompt file holds one template; move large data elsewhere.");
  if (bytes.length === 0) return fail("the file is empty", "Delete it, or run `plx pull` to write the template again.");
  if (bytes.includes(0)) return fail("the file is binary, not YAML text", "Prompt files are UTF-8 YAML; check what was saved under this name.");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return fail("the file is not valid UTF-8", "Save it as UTF-8.");
  }
  const parsed = parsePromptFile(text, path, promptsDir);
  if (!parsed.ok) return { problems: parsed.problems };
  return { template: { path, doc: parsed.doc, hash: contentHash(parsed.doc), text } };
}

/** Names are unique per workspace, so two files naming one template cannot both be synced. */
function duplicateNames(templates: readonly LocalTemplate[]): FileProblem[] {
  const byName = new Map<string, LocalTemplate[]>();
  for (const template of templates) byName.set(template.doc.name, [...(byName.get(template.doc.name) ?? []), template]);
  return [...byName.values()]
    .filter((claims) => claims.length > 1)
    .flatMap((claims) =>
      claims.map((claim) => ({
        path: claim.path,
        line: 1,
        col: 1,
        message: `template name "${claim.doc.name}" is also claimed by ${claims.filter((other) => other !== claim).map((other) => other.path).join(", ")}`,
        hint: "Template names are unique per workspace: rename one file, or give it a different `name:`.",
      })),
    );
}
