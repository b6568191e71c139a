/**
 * The first folder name PromptLayer cannot address, if any: folders are resolved by dot-separated paths, so a name
 * with a dot (or an empty one) names no folder reliably.
 */
export function unusableFolderName(path: readonly string[]): string | undefined {
  return path.find((name) => name.trim() === "" || name.includes("."));
}

export const sameFolder = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((name, index) => name === b[index]);

/** A folder path as people read it; the workspace root has no name of its own. */
export const folderLabel = (path: readonly string[]): string => path.join("/") || "the top level";
