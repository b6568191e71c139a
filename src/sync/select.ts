// Choosing templates: exact names or globs from the command line, against the name or the folder path, minus what
// plx.config.yaml says plx never touches.
import picomatch from "picomatch";

export type TemplateMatcher = (name: string, folder: readonly string[]) => boolean;

/** True for everything when no patterns are given. */
export function nameMatcher(patterns: readonly string[]): TemplateMatcher {
  if (patterns.length === 0) return () => true;
  const globs = patterns.map((pattern) => picomatch(pattern, { dot: true }));
  return (name, folder) => {
    const path = [...folder, name].join("/");
    return patterns.includes(name) || globs.some((glob) => glob(name) || glob(path));
  };
}

/** The templates a command works on: those asked for (all when none are named) that are not ignored. */
export function templateScope(names: readonly string[], ignore: readonly string[]): TemplateMatcher {
  const asked = nameMatcher(names);
  if (ignore.length === 0) return asked;
  const ignored = nameMatcher(ignore);
  return (name, folder) => asked(name, folder) && !ignored(name, folder);
}
