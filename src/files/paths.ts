// Where a template's file lives: `<promptsDir>/<folder>/<name>.prompt.yaml`, and an agent's (a PromptLayer
// workflow) `<promptsDir>/<folder>/<name>.agent.yaml`. The mapping is reversible: a name or folder that is unsafe as
// a path segment (traversal, separators, control characters, Windows device names, names that differ only by case)
// gets a safe segment plus a short hash, and the exact name is then kept inside the file.
import { createHash } from "node:crypto";
import { posix } from "node:path";

export const PROMPT_FILE_SUFFIX = ".prompt.yaml";
export const AGENT_FILE_SUFFIX = ".agent.yaml";
/** Every kind of file plx keeps in the prompts directory. */
const FILE_SUFFIXES = [PROMPT_FILE_SUFFIX, AGENT_FILE_SUFFIX] as const;
export type FileSuffix = (typeof FILE_SUFFIXES)[number];

export interface TemplateLocation {
  name: string;
  folder: string[];
}

export interface PlannedPath {
  /** Repo-relative, forward slashes. */
  path: string;
  /** The file must say `name:` because its file name does not. */
  nameInFile: boolean;
  /** The file must say `folder:` because its directory does not. */
  folderInFile: boolean;
}

const MAX_SEGMENT_LENGTH = 120;
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;
// Characters no file system in use takes literally, or that a shell or Windows treats specially.
const UNSAFE_CHARACTER = /[\u0000-\u001f\u007f<>:"/\\|?*]/u;

export function isSafeSegment(segment: string): boolean {
  return (
    segment.length > 0 &&
    segment.length <= MAX_SEGMENT_LENGTH &&
    !UNSAFE_CHARACTER.test(segment) &&
    !segment.startsWith(".") &&
    !/[ .]$/.test(segment) &&
    !/^ /.test(segment) &&
    !WINDOWS_DEVICE.test(segment) &&
    segment.normalize("NFC") === segment
  );
}

/** A readable stand-in for an unsafe segment, made unique by a hash of the original. */
function safeSegment(segment: string): string {
  const readable = segment
    .normalize("NFC")
    .replace(new RegExp(UNSAFE_CHARACTER.source, "gu"), "_")
    .replace(/^[ .]+|[ .]+$/g, "")
    .slice(0, 60);
  const hash = createHash("sha256").update(segment).digest("hex").slice(0, 8);
  const base = readable === "" || WINDOWS_DEVICE.test(readable) ? `_${readable}` : readable;
  return `${base}~${hash}`;
}

/**
 * Paths for a whole set of templates at once, since whether a name needs disambiguating depends on the others:
 * two names that differ only by case would share a file on macOS and Windows, so both get a hashed file name.
 */
export function planPaths(templates: readonly TemplateLocation[], promptsDir: string): Map<string, PlannedPath> {
  const planned = planFilePaths(
    templates.map((template) => ({ ...template, suffix: PROMPT_FILE_SUFFIX })),
    promptsDir,
  );
  return new Map(templates.map((template, index) => [template.name, planned[index]!]));
}

/**
 * Paths for prompts and agents together, in the order given. They share one tree, so a folder spelled two ways
 * must be caught across both kinds; a prompt and an agent may share a name, since their suffixes differ.
 */
export function planFilePaths(
  files: ReadonlyArray<TemplateLocation & { suffix: FileSuffix }>,
  promptsDir: string,
): PlannedPath[] {
  const clashingDirs = directoryCaseClashes(files.map((file) => file.folder));
  const first = files.map((entry) => {
    // A folder spelled two ways (Foo and foo) would be one directory on macOS and Windows; one named like a prompt
    // or agent file would collide with that file. Such folders get hashed segments and are written inside the file.
    const folderSafe = entry.folder.every(isSafeFolderSegment) && !clashingDirs.has(dirKey(entry.folder));
    const directory = folderSafe ? [...entry.folder] : entry.folder.map(safeSegment);
    const nameSafe = isSafeSegment(entry.name) && isSafeSegment(`${entry.name}${entry.suffix}`);
    const file = nameSafe ? entry.name : safeSegment(entry.name);
    return { entry, directory, file, nameInFile: !nameSafe, folderInFile: !folderSafe };
  });
  const claims = new Map<string, number>();
  const key = (planned: (typeof first)[number]) =>
    fold([...planned.directory, `${planned.file}${planned.entry.suffix}`].join("/"));
  for (const planned of first) claims.set(key(planned), (claims.get(key(planned)) ?? 0) + 1);

  return first.map((planned) => {
    const clashes = claims.get(key(planned))! > 1 && !planned.nameInFile;
    const file = clashes ? safeSegment(planned.entry.name) : planned.file;
    return {
      path: posix.join(promptsDir, ...planned.directory, `${file}${planned.entry.suffix}`),
      nameInFile: planned.nameInFile || clashes,
      folderInFile: planned.folderInFile,
    };
  });
}

/** Case-insensitive the way case-insensitive file systems are, including ſ/s and ı/i. */
const fold = (text: string) => text.normalize("NFC").toUpperCase().toLowerCase();
const dirKey = (folder: readonly string[]) => folder.join("/");

function isSafeFolderSegment(segment: string): boolean {
  return isSafeSegment(segment) && !FILE_SUFFIXES.some((suffix) => fold(segment).endsWith(suffix));
}

/** Folder paths any of whose prefixes is spelled differently elsewhere, ignoring case. */
function directoryCaseClashes(folders: ReadonlyArray<readonly string[]>): Set<string> {
  const spellings = new Map<string, Set<string>>();
  for (const folder of folders) {
    for (let depth = 1; depth <= folder.length; depth++) {
      const prefix = dirKey(folder.slice(0, depth));
      const folded = fold(prefix);
      spellings.set(folded, (spellings.get(folded) ?? new Set()).add(prefix));
    }
  }
  const clashing = new Set<string>();
  for (const folder of folders) {
    for (let depth = 1; depth <= folder.length; depth++) {
      if (spellings.get(fold(dirKey(folder.slice(0, depth))))!.size > 1) clashing.add(dirKey(folder));
    }
  }
  return clashing;
}

/**
 * How a template's file must read at a path the user chose instead of the planned one: its name inside when the
 * file name does not say it, its folder taken from the directory the user put it in.
 */
export function placementAt(path: string, name: string, promptsDir: string): PlannedPath {
  return { path, nameInFile: locationFromPath(path, promptsDir).name !== name, folderInFile: false };
}

const DOT_SEGMENT = /(^|\/)\.\.?(\/|$)/;

/** The name and folder a file's path implies, before any `name:` or `folder:` inside it overrides them. */
export function locationFromPath(path: string, promptsDir: string): TemplateLocation {
  // Paths under the prompts directory are stripped of it directly: posix.relative resolves both against the working
  // directory, which adds up over thousands of files.
  const prefix = promptsDir === "." ? "" : `${promptsDir}/`;
  const relative =
    path.startsWith(prefix) && !DOT_SEGMENT.test(path) ? path.slice(prefix.length) : posix.relative(promptsDir, path);
  const segments = relative.split("/");
  const file = segments.pop()!;
  const suffix = FILE_SUFFIXES.find((candidate) => file.endsWith(candidate)) ?? PROMPT_FILE_SUFFIX;
  return { name: file.slice(0, -suffix.length), folder: segments };
}
