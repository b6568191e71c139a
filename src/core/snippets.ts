// Snippet references inside template text: `@@@name@@@`, `@@@name@version_number:N@@@`, `@@@name@label:L@@@`.
// The docs' sample regex misses the pinned forms and matches junk between two adjacent tags; this one does neither.

export type SnippetPin = { kind: "latest" } | { kind: "version"; version: number } | { kind: "label"; label: string };

export interface SnippetRef {
  name: string;
  pin: SnippetPin;
  /** The reference exactly as written, to splice a resolved body in its place. */
  source: string;
}

const SNIPPET_TAG = /@@@([^@]+?)(?:@(version_number|label):([^@]+?))?@@@/g;

export function snippetRefsIn(text: string): SnippetRef[] {
  return [...text.matchAll(SNIPPET_TAG)].map((match) => ({
    name: match[1]!,
    pin: pinOf(match[2], match[3]),
    source: match[0],
  }));
}

/** Replaces every reference with what `resolve` returns for it; an undefined answer leaves the reference as written. */
export function replaceSnippetRefs(text: string, resolve: (ref: SnippetRef) => string | undefined): string {
  return text.replace(
    SNIPPET_TAG,
    (source, name: string, kind?: string, value?: string) =>
      resolve({ name, pin: pinOf(kind, value), source }) ?? source,
  );
}

function pinOf(kind: string | undefined, value: string | undefined): SnippetPin {
  if (kind === "version_number") return { kind: "version", version: Number(value) };
  if (kind === "label") return { kind: "label", label: value! };
  return { kind: "latest" };
}

/** Every string inside a JSON value, so references are found wherever a template keeps text. */
export function stringsIn(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value !== null && typeof value === "object") return Object.values(value).flatMap(stringsIn);
  return [];
}

/** The distinct snippet names a template's content refers to, in first-seen order. */
export function snippetNamesIn(content: unknown): string[] {
  return [...new Set(stringsIn(content).flatMap((text) => snippetRefsIn(text).map((ref) => ref.name)))];
}

/** What a snippet puts where it is referenced: the text of its content blocks, joined. */
export function snippetText(promptTemplate: unknown): string {
  const content = (promptTemplate as { content?: unknown } | null)?.content;
  if (!Array.isArray(content)) return "";
  return content
    .map((block) => (typeof (block as { text?: unknown })?.text === "string" ? (block as { text: string }).text : ""))
    .join("");
}

/**
 * Expands every reference inside a JSON value, recursively (a snippet may reference others), as PromptLayer does
 * when it reads a template with `resolve_snippets`. `textOf` gives a referenced snippet's text, or undefined when it
 * cannot be resolved, which leaves the reference as written; so does a reference back into a snippet being expanded,
 * which ends a cycle.
 */
export function expandSnippets<T>(value: T, textOf: (ref: SnippetRef) => string | undefined): T {
  const expand = (item: unknown, seen: ReadonlySet<string>): unknown => {
    if (typeof item === "string") {
      return replaceSnippetRefs(item, (ref) => {
        if (seen.has(ref.name)) return undefined;
        const text = textOf(ref);
        return text === undefined ? undefined : (expand(text, new Set([...seen, ref.name])) as string);
      });
    }
    if (Array.isArray(item)) return item.map((child) => expand(child, seen));
    if (item !== null && typeof item === "object") {
      return Object.fromEntries(Object.entries(item).map(([key, child]) => [key, expand(child, seen)]));
    }
    return item;
  };
  return expand(value, new Set()) as T;
}
