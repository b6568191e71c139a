// "Did you mean …?": the known name a misspelt one was most likely meant to be.

/** The candidate closest to `word`, when one is close enough to be a likely misspelling; undefined otherwise. */
export function closestName(word: string, candidates: Iterable<string>): string | undefined {
  const normal = normalize(word);
  // One edit in a short word, two in a longer one (`tag` → `tags`, `temprature` → `temperature`); a name of one or
  // two letters is one edit from too many others to guess.
  const limit = normal.length <= 2 ? 0 : normal.length <= 4 ? 1 : 2;
  let best: { name: string; distance: number } | undefined;
  for (const candidate of candidates) {
    if (candidate === word) return undefined;
    const distance = editDistance(normal, normalize(candidate));
    if (distance <= limit && (!best || distance < best.distance)) best = { name: candidate, distance };
  }
  return best?.name;
}

/** Case, and `-` against `_`, are the cheapest slips: `Max-Tokens` is one step from nothing. */
const normalize = (name: string) => name.toLowerCase().replace(/-/g, "_");

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours cost one each. */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}
