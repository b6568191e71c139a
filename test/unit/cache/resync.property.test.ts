// The resync plan, checked against a model: whatever the cache held and however the registry moved, applying the
// plan leaves exactly the registry's state for latest and the warm labels, and reads nothing that was already right.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planResync, type RegistryListing } from "../../../src/cache/changes.js";
import { type EntryFacts, type Selector, selectorKey, templateKey } from "../../../src/cache/entries.js";

const LABELS = ["prod", "staging"];

interface Template {
  id: number;
  name: string;
  latest: number;
  prod: number | undefined;
  staging: number | undefined;
}

const registryArbitrary: fc.Arbitrary<Template[]> = fc
  .array(
    fc.record({
      latest: fc.integer({ min: 1, max: 6 }),
      prod: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
      staging: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
    }),
    { maxLength: 8 },
  )
  .map((rows) => rows.map((row, index) => ({ id: index + 1, name: `t${index + 1}`, ...row })));

const truth = (template: Template, selector: Selector): number | undefined =>
  selector.kind === "latest"
    ? template.latest
    : selector.kind === "label"
      ? template[selector.label as "prod"]
      : undefined;

const listingOf = (templates: Template[]): RegistryListing => ({
  templates: templates.map((t) => ({ id: t.id, name: t.name, latestVersion: t.latest })),
  labels: Object.fromEntries(
    LABELS.map((label) => [
      label,
      Object.fromEntries(
        templates.flatMap((t) => (t[label as "prod"] === undefined ? [] : [[t.id, t[label as "prod"]!]])),
      ),
    ]),
  ),
});

/** What the cache held: reads of some templates (some since deleted: ids above the registry's), some outdated. */
const cacheArbitrary = fc.array(
  fc.record({
    id: fc.integer({ min: 1, max: 10 }),
    selector: fc.constantFrom<Selector>(
      { kind: "latest" },
      { kind: "label", label: "prod" },
      { kind: "label", label: "staging" },
    ),
    version: fc.integer({ min: 1, max: 6 }),
  }),
  { maxLength: 20 },
);

describe("planResync against a model of the registry", () => {
  it("leaves the cache equal to the registry, reading only what was wrong", () => {
    fc.assert(
      fc.property(registryArbitrary, cacheArbitrary, (templates, cached) => {
        const byId = new Map(templates.map((t) => [t.id, t]));
        const facts = new Map<string, EntryFacts>();
        for (const { id, selector, version } of cached) {
          const key = templateKey({ templateId: id, selector, view: "resolved" });
          facts.set(key, { key, templateId: id, selector, view: "resolved", name: `t${id}`, version, snippets: [] });
        }
        const listing = listingOf(templates);
        const change = planResync({
          facts: [...facts.values()],
          listing,
          previous: listing,
          labels: LABELS,
          pending: [],
        });

        // Apply it as the cache does: drop, re-read (a read of a selector that no longer resolves is dropped), warm.
        const after = new Map(facts);
        for (const key of change.evict) after.delete(key);
        for (const key of change.refresh) {
          const fact = after.get(key)!;
          const version = truth(byId.get(fact.templateId)!, fact.selector);
          if (version === undefined) after.delete(key);
          else after.set(key, { ...fact, version });
        }
        for (const address of change.warm) {
          const key = templateKey(address);
          expect(after.has(key)).toBe(false);
          const version = truth(byId.get(address.templateId)!, address.selector);
          after.set(key, { ...address, key, name: "", version, snippets: [] });
        }

        const expected = new Map<string, number>();
        for (const template of templates)
          for (const selector of [
            { kind: "latest" },
            ...LABELS.map((label) => ({ kind: "label", label })),
          ] as Selector[]) {
            const version = truth(template, selector);
            if (version !== undefined) expected.set(`${template.id}/${selectorKey(selector)}`, version);
          }
        const actual = new Map(
          [...after.values()].map((fact) => [`${fact.templateId}/${selectorKey(fact.selector)}`, fact.version]),
        );
        expect(actual).toEqual(expected);
        // Minimal: nothing already right was read again.
        for (const key of change.refresh) {
          const fact = facts.get(key)!;
          expect(fact.version).not.toBe(truth(byId.get(fact.templateId)!, fact.selector));
        }
      }),
    );
  });
});
