// The lines git leaves in a file when a merge could not combine two edits: `<<<<<<< ours`, `||||||| base` (diff3),
// `=======` and `>>>>>>> theirs`, each at the start of a line. Found before the file is parsed, so the user reads
// "a merge left conflict markers" with their lines instead of a YAML or JSON syntax error somewhere inside them.

/** One conflict: the 1-based lines of its markers, from the opening `<<<<<<<` (or a stray closing one). */
export interface ConflictRegion {
  /** The first marker's line. */
  start: number;
  /** The closing `>>>>>>>`'s line; undefined when the file ends first. */
  end?: number;
}

const OPEN = /^<{7}(?: |$)/;
const MIDDLE = /^(?:\|{7}(?: |$)|={7}$)/;
const CLOSE = /^>{7}(?: |$)/;

export function conflictRegions(text: string): ConflictRegion[] {
  const regions: ConflictRegion[] = [];
  let open: ConflictRegion | undefined;
  text.split("\n").forEach((raw, index) => {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    const number = index + 1;
    const opening = OPEN.test(line);
    const closing = CLOSE.test(line);
    if (!opening && !closing && !MIDDLE.test(line)) return;
    // A marker with no opening line before it (deleted by hand) is still a conflict left half-resolved: no such line
    // is valid at the start of a line in a prompt file or in plx.lock.
    if (opening || !open) {
      open = { start: number };
      regions.push(open);
    }
    if (closing) {
      open.end = number;
      open = undefined;
    }
  });
  return regions;
}

/** "lines 4–12", or "line 4 onwards" for a conflict the file ends inside. */
export function describeRegion(region: ConflictRegion): string {
  if (region.end === undefined) return `from line ${region.start} to the end of the file`;
  return region.end === region.start ? `line ${region.start}` : `lines ${region.start}–${region.end}`;
}
