// Choosing templates by name on the command line: exact names or globs, against the name or the folder path.
import picomatch from "picomatch";

/** True for everything when no patterns are given. */
export function nameMatcher(patterns: readonly string[]): (name: string, folder: readonly string[]) => boolean {
  if (patterns.length === 0) return () => true;
  const globs = patterns.map((pattern) => picomatch(pattern, { dot: true }));
  return (name, folder) => {
    const path = [...folder, name].join("/");
    return patterns.includes(name) || globs.some((glob) => glob(name) || glob(path));
  };
}
