// Reading the prompts directory: every `.prompt.yaml` file under it, hashed, parsed when needed and checked for the
// problems that must stop a sync before anything is sent or written (bad YAML, binary or huge files, symlinks
// leading out, two files claiming one template).
import { createHash } from "node:crypto";
import { lstatSync, readFileSync, realpathSync, type Stats } from "node:fs";
import { isAbsolute, join, posix, relative, sep } from "node:path";
import { contentHash } from "../core/canonical.js";
import type { Lockfile } from "../core/lock.js";
import { snippetNamesIn } from "../core/snippets.js";
import type { TemplateDoc } from "../core/template.js";
import type { FileStamp, StatCache } from "./stat-cache.js";
import { findBySuffix } from "./walk.js";
import { isInside, realPromptsDir } from "./containment.js";
import { type FileSuffix, locationFromPath, PROMPT_FILE_SUFFIX } from "./paths.js";
import { parsePromptFile, type FileProblem } from "./prompt-file.js";

export interface LocalTemplate {
  /** Repo-relative, forward slashes. */
  path: string;
  name: string;
  folder: string[];
  /** contentHash of the canonical content. */
  readonly hash: string;
  /** sha256 of the file's bytes. */
  fileHash: string;
  readonly snippets: string[];
  /** The file's text; a file known unchanged from the cache is read only when this is first asked for. */
  readonly text: string;
  /** The parsed template; a file byte-identical to the last sync is parsed only when this is first read. */
  readonly doc: TemplateDoc;
}

export interface LocalScan {
  templates: LocalTemplate[];
  problems: FileProblem[];
}

export interface ScanOptions {
  /** Repo-relative paths to read instead of the whole directory (as a pre-commit hook passes them); others are ignored. */
  only?: readonly string[];
  /** The lock: files it records byte for byte are known without parsing. */
  lock?: Lockfile;
  /** What earlier runs learnt: files it vouches for are known without even being read. Updated by the scan. */
  cache?: StatCache;
}

/**
 * Far larger than any real prompt, yet above the multi-megabyte templates PromptLayer does hold, so every file pull
 * writes can be read back; refusing beyond it keeps a stray dump from being parsed and sent.
 */
export const MAX_PROMPT_FILE_BYTES = 32 * 1024 * 1024;

const toPosix = (path: string) => path.split(sep).join("/");

/**
 * Scans `<rootDir>/<promptsDir>`. Files are read synchronously, one after another: for a thousand small files that is
 * several times faster than a thousand concurrent reads through libuv's small thread pool.
 */
export async function scanPromptFiles(
  rootDir: string,
  promptsDir: string,
  options: ScanOptions = {},
): Promise<LocalScan> {
  const paths = await filesOfKind(rootDir, promptsDir, PROMPT_FILE_SUFFIX, options.only);
  const realBase = realPromptsDir(rootDir, promptsDir);
  const known = knownFiles(options.lock);

  const templates: LocalTemplate[] = [];
  const problems: FileProblem[] = [];
  for (const path of paths) {
    const result = readOne(rootDir, realBase, path, promptsDir, known.get(path), options.cache);
    if ("problems" in result) problems.push(...result.problems);
    else templates.push(result.template);
  }
  problems.push(...duplicateNames(templates));
  return { templates, problems };
}

/**
 * Repo-relative paths, sorted, of the files with this suffix under the prompts directory; or of those among `only`
 * (repo-relative or absolute paths, as a pre-commit hook passes them) that have it and lie inside the directory.
 */
export async function filesOfKind(
  rootDir: string,
  promptsDir: string,
  suffix: FileSuffix,
  only?: readonly string[],
): Promise<string[]> {
  const paths = only
    ? only
        .map((path) => toPosix(isAbsolute(path) ? relative(rootDir, path) : path))
        .filter((path) => path.endsWith(suffix) && path.length > suffix.length && isInside(path, promptsDir))
    : findBySuffix(join(rootDir, promptsDir), suffix).map((path) => posix.join(promptsDir, path));
  return paths.sort();
}

interface KnownFile {
  name: string;
  hash: string;
  file: string;
  snippets: string[];
}

function knownFiles(lock: Lockfile | undefined): Map<string, KnownFile> {
  const known = new Map<string, KnownFile>();
  for (const [name, entry] of Object.entries(lock?.templates ?? {})) {
    if (entry.file) known.set(entry.path, { name, hash: entry.hash, file: entry.file, snippets: entry.snippets });
  }
  return known;
}

type ReadResult = { template: LocalTemplate } | { problems: FileProblem[] };

function readOne(
  rootDir: string,
  realBase: string,
  path: string,
  promptsDir: string,
  known: KnownFile | undefined,
  cache: StatCache | undefined,
): ReadResult {
  const absolute = join(rootDir, path);
  if (known && cache) {
    // The cache vouches for the bytes, and they are the ones the last sync left: nothing to read.
    const stamp = regularFileStamp(absolute);
    if (stamp && cache.fileHash(path, stamp) === known.file) {
      return { template: trustedTemplate(path, promptsDir, () => readFileSync(absolute, "utf8"), known.file, known) };
    }
  }
  const read = readFileBytes(rootDir, realBase, path);
  if ("problems" in read) return read;
  const { bytes, fileHash } = read;
  if (read.stamp) cache?.remember(path, read.stamp, fileHash);
  if (known && known.file === fileHash) {
    const text = bytes.toString("utf8");
    return { template: trustedTemplate(path, promptsDir, () => text, fileHash, known) };
  }
  const decoded = decodeText(path, bytes);
  if ("problems" in decoded) return decoded;
  const parsed = parsePromptFile(decoded.text, path, promptsDir);
  if (!parsed.ok) return { problems: parsed.problems };
  return { template: parsedTemplate(path, parsed.doc, fileHash, decoded.text) };
}

type Problems = { problems: FileProblem[] };
const problemAt = (path: string, message: string, hint: string): Problems => ({
  problems: [{ path, line: 1, col: 1, message, hint }],
});

/**
 * A file's bytes and their sha256, once it is known to be a regular file (or a link that stays inside the prompts
 * directory), not empty and within the size limit.
 */
export function readFileBytes(
  rootDir: string,
  realBase: string,
  path: string,
): { bytes: Buffer; fileHash: string; stamp?: FileStamp } | Problems {
  const fail = (message: string, hint: string) => problemAt(path, message, hint);
  const absolute = join(rootDir, path);
  let info: ReturnType<typeof lstatSync>;
  try {
    info = lstatSync(absolute);
  } catch {
    return fail("the file does not exist", "Pass paths of existing prompt files, relative to the repository root.");
  }
  if (info.isSymbolicLink()) {
    let target: string | undefined;
    try {
      target = realpathSync(absolute);
    } catch {
      target = undefined;
    }
    if (!target || !isInside(target, realBase))
      return fail(
        "the file is a symbolic link that leads outside the prompts directory",
        "Replace the link with the file itself; plx never reads outside the prompts directory.",
      );
  } else if (!info.isFile()) {
    return fail("not a regular file", "Rename it so it does not end in .prompt.yaml or .agent.yaml.");
  }
  if (info.size > MAX_PROMPT_FILE_BYTES)
    return fail(
      `the file is ${info.size} bytes, over the ${MAX_PROMPT_FILE_BYTES}-byte limit for a prompt`,
      "A prompt file holds one template; move large data elsewhere.",
    );
  const bytes = readFileSync(absolute);
  if (bytes.length > MAX_PROMPT_FILE_BYTES)
    return fail(
      `the file is ${bytes.length} bytes, over the ${MAX_PROMPT_FILE_BYTES}-byte limit for a prompt`,
      "A prompt file holds one template; move large data elsewhere.",
    );
  if (bytes.length === 0) return fail("the file is empty", "Delete it, or run `plx pull` to write the template again.");
  // A link's own times say nothing about its target's: only regular files are vouched for by their stamp.
  const stamp = info.isFile() ? stampOf(info) : undefined;
  return { bytes, fileHash: createHash("sha256").update(bytes).digest("hex"), ...(stamp ? { stamp } : {}) };
}

const stampOf = (info: Stats): FileStamp => ({
  size: info.size,
  mtimeMs: info.mtimeMs,
  ctimeMs: info.ctimeMs,
  ino: info.ino,
});

/** The stamp of a regular file (not a link, not missing). */
function regularFileStamp(absolute: string): FileStamp | undefined {
  try {
    const info = lstatSync(absolute);
    return info.isFile() ? stampOf(info) : undefined;
  } catch {
    return undefined;
  }
}

/** The bytes as text, when they are UTF-8 and not binary. */
export function decodeText(path: string, bytes: Buffer): { text: string } | Problems {
  if (bytes.includes(0))
    return problemAt(
      path,
      "the file is binary, not YAML text",
      "Prompt files are UTF-8 YAML; check what was saved under this name.",
    );
  try {
    return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes) };
  } catch {
    return problemAt(path, "the file is not valid UTF-8", "Save it as UTF-8.");
  }
}

/** A file that was parsed. Its content hash and snippet names are worked out on first use: `plx check` needs neither. */
function parsedTemplate(path: string, doc: TemplateDoc, fileHash: string, text: string): LocalTemplate {
  let hash: string | undefined;
  let snippets: string[] | undefined;
  return {
    path,
    name: doc.name,
    folder: doc.folder,
    get hash() {
      return (hash ??= contentHash(doc));
    },
    fileHash,
    get snippets() {
      return (snippets ??= snippetNamesIn(doc.promptTemplate));
    },
    text,
    doc,
  };
}

/** A file exactly as the last sync left it: what it holds is in the lock, and it is parsed only if someone asks. */
function trustedTemplate(
  path: string,
  promptsDir: string,
  readText: () => string,
  fileHash: string,
  known: KnownFile,
): LocalTemplate {
  let doc: TemplateDoc | undefined;
  let text: string | undefined;
  return {
    path,
    name: known.name,
    folder: locationFromPath(path, promptsDir).folder,
    hash: known.hash,
    fileHash,
    snippets: known.snippets,
    get text() {
      return (text ??= readText());
    },
    get doc() {
      if (doc) return doc;
      const parsed = parsePromptFile(this.text, path, promptsDir);
      // The lock recorded these very bytes after reading or writing them, so they parsed then and parse now.
      if (!parsed.ok) throw new Error(`${path} no longer parses although it is unchanged since the last sync`);
      doc = parsed.doc;
      return doc;
    },
  };
}

/** Names are unique per workspace, so two files naming one template cannot both be synced. */
function duplicateNames(templates: readonly LocalTemplate[]): FileProblem[] {
  const byName = new Map<string, LocalTemplate[]>();
  for (const template of templates) byName.set(template.name, [...(byName.get(template.name) ?? []), template]);
  return [...byName.values()]
    .filter((claims) => claims.length > 1)
    .flatMap((claims) =>
      claims.map((claim) => ({
        path: claim.path,
        line: 1,
        col: 1,
        message: `template name "${claim.name}" is also claimed by ${claims
          .filter((other) => other !== claim)
          .map((other) => other.path)
          .join(", ")}`,
        hint: "Template names are unique per workspace: rename one file, or give it a different `name:`.",
      })),
    );
}
