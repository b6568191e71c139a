// What the cache holds: PromptLayer's answers to reads, each under a key that says which template, which version
// of it (latest, a number, a release label) and which form of the read. Pure data; no I/O.
import type { JsonObject } from "../core/template.js";

export type Selector = { kind: "latest" } | { kind: "version"; version: number } | { kind: "label"; label: string };

/**
 * The form of a template read. `resolved` is GET /prompt-templates/{id} with snippets expanded and the provider
 * arguments included (`llm_kwargs`): it answers that GET and the SDK's POST form alike. `unresolved` keeps the
 * `@@@snippet@@@` references (`resolve_snippets=false`), as tools that sync the registry read it.
 */
export type View = "resolved" | "unresolved";

export interface TemplateAddress {
  templateId: number;
  selector: Selector;
  view: View;
}

export interface TemplateEntry extends TemplateAddress {
  kind: "template";
  /** PromptLayer's answer, as it sent it. */
  body: JsonObject;
  /** When it was read from PromptLayer (epoch ms). */
  fetchedAt: number;
}

/** A page of GET /prompt-templates, under its normalised query string. */
export interface ListEntry {
  kind: "list";
  query: string;
  body: JsonObject;
  fetchedAt: number;
}

export type CacheEntry = TemplateEntry | ListEntry;

export const LATEST: Selector = { kind: "latest" };

export function selectorKey(selector: Selector): string {
  switch (selector.kind) {
    case "latest":
      return "latest";
    case "version":
      return `version:${selector.version}`;
    case "label":
      return `label:${encodeURIComponent(selector.label)}`;
  }
}

export const templateKey = (address: TemplateAddress): string =>
  `template/${address.templateId}/${selectorKey(address.selector)}/${address.view}`;

export const listKey = (query: string): string => `list/${query}`;

export const entryKey = (entry: CacheEntry): string =>
  entry.kind === "list" ? listKey(entry.query) : templateKey(entry);

export const sameSelector = (a: Selector, b: Selector): boolean => selectorKey(a) === selectorKey(b);

/** A snippet a cached read expanded: its name and the release label it was pinned to, if any. */
export interface SnippetUse {
  name: string;
  label: string | null;
  /** The snippet version the read expanded. */
  version: number | undefined;
}

/** What the invalidation rules need to know about one cached template read. */
export interface EntryFacts extends TemplateAddress {
  key: string;
  name: string;
  /** The template version this read holds. */
  version: number | undefined;
  snippets: SnippetUse[];
}

export function factsOf(entry: TemplateEntry): EntryFacts {
  const { body } = entry;
  const snippets = Array.isArray(body.snippets) ? body.snippets : [];
  return {
    key: templateKey(entry),
    templateId: entry.templateId,
    selector: entry.selector,
    view: entry.view,
    name: typeof body.prompt_name === "string" ? body.prompt_name : "",
    version: typeof body.version === "number" ? body.version : undefined,
    snippets: snippets.flatMap((use) => {
      if (use === null || typeof use !== "object" || Array.isArray(use) || typeof use.prompt_name !== "string")
        return [];
      return [
        {
          name: use.prompt_name,
          label: typeof use.label === "string" ? use.label : null,
          version: typeof use.version === "number" ? use.version : undefined,
        },
      ];
    }),
  };
}
