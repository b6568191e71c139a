// Which cached reads a change in PromptLayer touches: from a verified webhook event, or from comparing a registry
// listing with what the cache holds (the resync). Pure: facts in, a change to apply out.
import { type EntryFacts, LATEST, type Selector, sameSelector, selectorKey, type TemplateAddress } from "./entries.js";

/** A webhook event whose signature, age and novelty were already checked: its type and PromptLayer's `details`. */
export interface WebhookEvent {
  eventType: string;
  details: Record<string, unknown>;
}

export interface CacheChange {
  /** Cached reads (by key) to read again from PromptLayer. */
  refresh: string[];
  /** Cached reads to drop: their template, or their label, is gone. */
  evict: string[];
  /** Reads the cache keeps warm but does not hold yet: a new template, or a label that appeared. */
  warm: TemplateAddress[];
  /** Names that no longer lead to the template they did (renamed or deleted). */
  forgetNames: string[];
  /** Whether list answers may have changed. */
  lists: boolean;
}

export const NO_CHANGE: CacheChange = { refresh: [], evict: [], warm: [], forgetNames: [], lists: false };

/** The selectors the cache keeps warm for every template: latest and each configured label. */
const warmSelectors = (labels: readonly string[]): Selector[] => [
  LATEST,
  ...labels.map((label): Selector => ({ kind: "label", label })),
];

/**
 * What one event changes. A version, label, rename or delete event touches exactly that template's reads (for a
 * label, only that label's); a snippet's new version, a snippet label move, rename or delete also touches every
 * cached read that expanded that snippet, so a resolved read never serves an old snippet. PromptLayer also sends
 * `prompt_template_updated` for each template importing a changed snippet; that refreshes the template's reads.
 */
export function changeForEvent(
  event: WebhookEvent,
  facts: readonly EntryFacts[],
  labels: readonly string[],
): CacheChange {
  const details = event.details;
  const id = typeof details.prompt_template_id === "number" ? details.prompt_template_id : undefined;
  const name = typeof details.prompt_template_name === "string" ? details.prompt_template_name : undefined;
  const label = typeof details.prompt_template_label === "string" ? details.prompt_template_label : undefined;
  const oldName = typeof details.old_prompt_template_name === "string" ? details.old_prompt_template_name : undefined;
  // Events name the template by id; a read cached before the id was known is found by name.
  const templateId = id ?? facts.find((fact) => fact.name === name)?.templateId;
  if (templateId === undefined) return NO_CHANGE;
  const own = facts.filter((fact) => fact.templateId === templateId);
  const at = (selector: Selector) => own.filter((fact) => sameSelector(fact.selector, selector));
  const importers = (snippet: string | undefined, pinned?: string | null) =>
    facts.filter((fact) =>
      fact.snippets.some((use) => use.name === snippet && (pinned === undefined || use.label === pinned)),
    );
  const keys = (list: readonly EntryFacts[]) => list.map((fact) => fact.key);
  const refreshOrWarm = (selector: Selector, warm: boolean): Pick<CacheChange, "refresh" | "warm"> => {
    const held = at(selector);
    if (held.length > 0) return { refresh: keys(held), warm: [] };
    return { refresh: [], warm: warm ? [{ templateId, selector, view: "resolved" }] : [] };
  };

  switch (event.eventType) {
    case "prompt_template_version_created": {
      const latest = refreshOrWarm(LATEST, true);
      return change({ ...latest, refresh: [...latest.refresh, ...keys(importers(name, null))], lists: true });
    }
    case "prompt_template_updated": {
      const latest = refreshOrWarm(LATEST, true);
      return change({ refresh: [...keys(own), ...latest.refresh], warm: latest.warm, lists: true });
    }
    case "prompt_template_label_created":
    case "prompt_template_label_moved":
    case "prompt_template_label_change_approved": {
      if (label === undefined) return NO_CHANGE;
      const labelled = refreshOrWarm({ kind: "label", label }, labels.includes(label));
      return change({ ...labelled, refresh: [...labelled.refresh, ...keys(importers(name, label))], lists: true });
    }
    case "prompt_template_label_deleted":
      if (label === undefined) return NO_CHANGE;
      return change({
        evict: keys(at({ kind: "label", label })),
        refresh: keys(importers(name, label)),
        lists: true,
      });
    case "prompt_template_name_changed": {
      const previous = oldName ?? own[0]?.name;
      return change({
        refresh: [...keys(own), ...keys(importers(previous)), ...keys(importers(name))],
        forgetNames: previous === undefined || previous === name ? [] : [previous],
        lists: true,
      });
    }
    case "prompt_template_deleted": {
      const known = name ?? own[0]?.name;
      return change({
        evict: keys(own),
        refresh: keys(importers(known)),
        forgetNames: known === undefined ? [] : [known],
        lists: true,
      });
    }
    default:
      // Change requests and denials move nothing; other events are not about templates.
      return NO_CHANGE;
  }
}

/** The registry as one resync saw it. */
export interface RegistryListing {
  /** Every prompt and snippet: id, name, latest version. */
  templates: Array<{ id: number; name: string; latestVersion: number }>;
  /** For each label listed: template id → the version it points at. */
  labels: Record<string, Record<number, number>>;
}

/** Labels a resync must list: the configured ones, those of cached reads, and those cached reads' snippets follow. */
export function labelsToList(facts: readonly EntryFacts[], labels: readonly string[]): string[] {
  const all = new Set(labels);
  for (const fact of facts) {
    if (fact.selector.kind === "label") all.add(fact.selector.label);
    for (const use of fact.snippets) if (use.label !== null) all.add(use.label);
  }
  return [...all].sort();
}

/**
 * What a resync changes: reads whose version moved or whose template was renamed are read again, reads of deleted
 * templates and removed labels are dropped, and warm selectors missing from the cache are read. A cached read that
 * expanded a snippet is read again when that snippet moved since the previous listing (when there is none, when
 * the snippet version it expanded is not the one it follows now). `pending` are reads whose last refresh failed;
 * they are tried again.
 */
export function planResync(input: {
  facts: readonly EntryFacts[];
  listing: RegistryListing;
  previous: RegistryListing | undefined;
  labels: readonly string[];
  pending: readonly string[];
}): CacheChange {
  const { facts, listing, previous, labels } = input;
  const byId = new Map(listing.templates.map((template) => [template.id, template]));
  const byName = new Map(listing.templates.map((template) => [template.name, template]));
  const before = previous && new Map(previous.templates.map((template) => [template.name, template]));
  const refresh = new Set(input.pending);
  const evict = new Set<string>();
  const forgetNames = new Set<string>();

  /** Whether the snippet a read expanded has moved (or gone) since that read, as far as the listings tell. */
  const snippetMoved = (use: EntryFacts["snippets"][number]): boolean => {
    const now = byName.get(use.name);
    if (!now) return true;
    const current = use.label === null ? now.latestVersion : listing.labels[use.label]?.[now.id];
    if (current === undefined) return true;
    if (!before || !previous) return use.version !== undefined && use.version !== current;
    const then = before.get(use.name);
    const was = use.label === null ? then?.latestVersion : then && previous.labels[use.label]?.[then.id];
    return then?.id !== now.id || was !== current;
  };

  for (const fact of facts) {
    const template = byId.get(fact.templateId);
    if (!template) {
      evict.add(fact.key);
      forgetNames.add(fact.name);
      continue;
    }
    if (template.name !== fact.name) {
      refresh.add(fact.key);
      forgetNames.add(fact.name);
      continue;
    }
    const { selector } = fact;
    if (selector.kind === "latest" && fact.version !== template.latestVersion) refresh.add(fact.key);
    if (selector.kind === "label") {
      const labelled = listing.labels[selector.label];
      const version = labelled?.[fact.templateId];
      if (labelled && version === undefined) evict.add(fact.key);
      else if (version !== undefined && version !== fact.version) refresh.add(fact.key);
    }
    if (fact.snippets.some(snippetMoved)) refresh.add(fact.key);
  }

  const held = new Set(facts.map((fact) => `${fact.templateId}/${selectorKey(fact.selector)}`));
  const warm: TemplateAddress[] = [];
  for (const template of listing.templates) {
    for (const selector of warmSelectors(labels)) {
      if (held.has(`${template.id}/${selectorKey(selector)}`)) continue;
      if (selector.kind === "label" && listing.labels[selector.label]?.[template.id] === undefined) continue;
      warm.push({ templateId: template.id, selector, view: "resolved" });
    }
  }
  for (const key of evict) refresh.delete(key);
  for (const template of listing.templates) forgetNames.delete(template.name);
  const moved = refresh.size + evict.size + warm.length > 0 || !sameListing(listing, previous);
  return { refresh: [...refresh], evict: [...evict], warm, forgetNames: [...forgetNames], lists: moved };
}

function change(partial: Partial<CacheChange>): CacheChange {
  const evict = [...new Set(partial.evict ?? [])];
  return {
    refresh: [...new Set(partial.refresh ?? [])].filter((key) => !evict.includes(key)),
    evict,
    warm: partial.warm ?? [],
    forgetNames: partial.forgetNames ?? [],
    lists: partial.lists ?? false,
  };
}

function sameListing(a: RegistryListing, b: RegistryListing | undefined): boolean {
  return b !== undefined && JSON.stringify(a) === JSON.stringify(b);
}
