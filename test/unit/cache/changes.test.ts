// Which cached reads an event or a resync touches: exactly the template's own reads for a version, label, rename or
// delete, and every read that expanded a snippet when that snippet changes.
import { describe, expect, it } from "vitest";
import { changeForEvent, planResync, type RegistryListing } from "../../../src/cache/changes.js";
import { type EntryFacts, type Selector, templateKey } from "../../../src/cache/entries.js";

const fact = (
  templateId: number,
  name: string,
  selector: Selector,
  version: number,
  snippets: EntryFacts["snippets"] = [],
): EntryFacts => ({
  key: templateKey({ templateId, selector, view: "resolved" }),
  templateId,
  selector,
  view: "resolved",
  name,
  version,
  snippets,
});

const latest: Selector = { kind: "latest" };
const prod: Selector = { kind: "label", label: "prod" };

// refund (1) imports the snippet tone (2): its latest read follows tone's latest, its prod read tone's prod label.
const refundLatest = fact(1, "refund", latest, 3, [{ name: "tone", label: null, version: 2 }]);
const refundProd = fact(1, "refund", prod, 2, [{ name: "tone", label: "prod", version: 1 }]);
const refundV1 = fact(1, "refund", { kind: "version", version: 1 }, 1);
const toneLatest = fact(2, "tone", latest, 2);
const toneProd = fact(2, "tone", prod, 1);
const otherLatest = fact(3, "other", latest, 5);
const FACTS = [refundLatest, refundProd, refundV1, toneLatest, toneProd, otherLatest];

const event = (eventType: string, details: Record<string, unknown>) => ({ eventType, details });

describe("changeForEvent", () => {
  it.each([
    [
      "a new version refreshes the latest read and the reads that expanded it as latest",
      event("prompt_template_version_created", {
        prompt_template_id: 2,
        prompt_template_name: "tone",
        prompt_template_version_number: 3,
      }),
      { refresh: [toneLatest.key, refundLatest.key], evict: [], warm: [], forgetNames: [] },
    ],
    [
      "a new template's first version is read for the first time",
      event("prompt_template_version_created", {
        prompt_template_id: 9,
        prompt_template_name: "new",
        prompt_template_version_number: 1,
      }),
      {
        refresh: [],
        evict: [],
        warm: [{ templateId: 9, selector: latest, view: "resolved" }],
        forgetNames: [],
      },
    ],
    [
      "a label move refreshes that label's reads and the reads that expanded the snippet at that label",
      event("prompt_template_label_moved", {
        prompt_template_id: 2,
        prompt_template_name: "tone",
        prompt_template_label: "prod",
        prompt_template_version_number: 2,
        old_prompt_template_version_number: 1,
      }),
      { refresh: [toneProd.key, refundProd.key], evict: [], warm: [], forgetNames: [] },
    ],
    [
      "a configured label appearing on a template is read for the first time",
      event("prompt_template_label_created", {
        prompt_template_id: 3,
        prompt_template_name: "other",
        prompt_template_label: "prod",
        prompt_template_version_number: 5,
      }),
      {
        refresh: [],
        evict: [],
        warm: [{ templateId: 3, selector: prod, view: "resolved" }],
        forgetNames: [],
      },
    ],
    [
      "a label the cache does not keep warm is not read",
      event("prompt_template_label_created", {
        prompt_template_id: 3,
        prompt_template_name: "other",
        prompt_template_label: "canary",
        prompt_template_version_number: 5,
      }),
      { refresh: [], evict: [], warm: [], forgetNames: [] },
    ],
    [
      "an approved label change refreshes the label (the event carries no version)",
      event("prompt_template_label_change_approved", {
        prompt_template_id: 1,
        prompt_template_name: "refund",
        prompt_template_label: "prod",
        change_type: "move",
      }),
      { refresh: [refundProd.key], evict: [], warm: [], forgetNames: [] },
    ],
    [
      "a deleted label drops that label's reads",
      event("prompt_template_label_deleted", {
        prompt_template_id: 1,
        prompt_template_name: "refund",
        prompt_template_label: "prod",
        prompt_template_version_number: 2,
      }),
      { refresh: [], evict: [refundProd.key], warm: [], forgetNames: [] },
    ],
    [
      "a rename refreshes every read of the template and of its importers, and forgets the old name",
      event("prompt_template_name_changed", {
        prompt_template_id: 2,
        prompt_template_name: "voice",
        old_prompt_template_name: "tone",
      }),
      {
        refresh: [toneLatest.key, toneProd.key, refundLatest.key, refundProd.key],
        evict: [],
        warm: [],
        forgetNames: ["tone"],
      },
    ],
    [
      "a deleted template's reads are dropped and its name forgotten",
      event("prompt_template_deleted", { prompt_template_id: 3, prompt_template_name: "other" }),
      { refresh: [], evict: [otherLatest.key], warm: [], forgetNames: ["other"] },
    ],
    [
      "a snippet's importer being updated refreshes all of its reads",
      event("prompt_template_updated", {
        prompt_template_id: 1,
        prompt_template_name: "refund",
        prompt_template_version_number: 3,
      }),
      { refresh: [refundLatest.key, refundProd.key, refundV1.key], evict: [], warm: [], forgetNames: [] },
    ],
  ])("%s", (_title, input, expected) => {
    const change = changeForEvent(input, FACTS, ["prod"]);
    expect({ ...change, refresh: [...change.refresh].sort() }).toEqual({
      ...expected,
      refresh: [...expected.refresh].sort(),
      lists: true,
    });
  });

  it.each([
    event("prompt_template_label_change_requested", {
      prompt_template_id: 1,
      prompt_template_label: "prod",
      change_type: "move",
    }),
    event("prompt_template_label_change_denied", { prompt_template_id: 1, prompt_template_label: "prod" }),
    event("agent_run_finished", { agent_name: "a", agent_id: 1, agent_execution_id: 2 }),
    event("prompt_template_version_created", { prompt_template_name: "unknown" }),
  ])("$eventType that moves nothing changes nothing", (input) => {
    expect(changeForEvent(input, FACTS, ["prod"])).toEqual({
      refresh: [],
      evict: [],
      warm: [],
      forgetNames: [],
      lists: false,
    });
  });
});

/** The registry the facts above were read from. */
const listing = (
  overrides: Partial<Record<"refund" | "tone" | "other", number>> = {},
  labels = {},
): RegistryListing => ({
  templates: [
    { id: 1, name: "refund", latestVersion: overrides.refund ?? 3 },
    { id: 2, name: "tone", latestVersion: overrides.tone ?? 2 },
    { id: 3, name: "other", latestVersion: overrides.other ?? 5 },
  ],
  labels: { prod: { 1: 2, 2: 1, ...labels } },
});

const plan = (current: RegistryListing, previous: RegistryListing | undefined = listing(), pending: string[] = []) =>
  planResync({ facts: FACTS, listing: current, previous, labels: ["prod"], pending });

describe("planResync", () => {
  it("changes nothing, lists included, when nothing moved", () => {
    expect(plan(listing())).toEqual({ refresh: [], evict: [], warm: [], forgetNames: [], lists: false });
  });

  it("re-reads a latest read whose version moved, and reads that expanded a snippet that moved", () => {
    expect(plan(listing({ other: 6 })).refresh).toEqual([otherLatest.key]);
    expect(plan(listing({ tone: 3 })).refresh.sort()).toEqual([refundLatest.key, toneLatest.key].sort());
  });

  it("re-reads a label read whose label moved, and drops one whose label is gone", () => {
    const moved = plan(listing({}, { 1: 3 }));
    expect(moved.refresh).toEqual([refundProd.key]);
    const gone = plan({ ...listing(), labels: { prod: { 2: 1 } } });
    expect(gone.evict).toEqual([refundProd.key]);
    expect(gone.refresh).toEqual([]);
  });

  it("re-reads importers when a snippet's label moved", () => {
    expect(plan(listing({}, { 2: 2 })).refresh.sort()).toEqual([refundProd.key, toneProd.key].sort());
  });

  it("drops the reads of a deleted template and forgets its name", () => {
    const current = { ...listing(), templates: listing().templates.filter((t) => t.id !== 3) };
    expect(plan(current)).toMatchObject({ evict: [otherLatest.key], forgetNames: ["other"], refresh: [] });
  });

  it("re-reads a renamed template and forgets the old name, keeping the new one", () => {
    const current = {
      ...listing(),
      templates: listing().templates.map((t) => (t.id === 3 ? { ...t, name: "renamed" } : t)),
    };
    expect(plan(current)).toMatchObject({ refresh: [otherLatest.key], forgetNames: ["other"] });
  });

  it("warms latest and the configured labels of templates it does not hold", () => {
    const current = {
      templates: [
        ...listing().templates,
        { id: 4, name: "fresh", latestVersion: 1 },
        { id: 5, name: "b", latestVersion: 2 },
      ],
      labels: { prod: { 1: 2, 2: 1, 4: 1 } },
    };
    expect(plan(current).warm).toEqual([
      { templateId: 4, selector: latest, view: "resolved" },
      { templateId: 4, selector: prod, view: "resolved" },
      { templateId: 5, selector: latest, view: "resolved" },
    ]);
  });

  it("does not re-read a read pinned to an older snippet version while the snippet stays put", () => {
    const pinned = fact(7, "pinned", latest, 1, [{ name: "tone", label: null, version: 1 }]);
    const current = { ...listing(), templates: [...listing().templates, { id: 7, name: "pinned", latestVersion: 1 }] };
    const facts = [...FACTS, pinned];
    expect(planResync({ facts, listing: current, previous: current, labels: [], pending: [] }).refresh).toEqual([]);
    // Without a previous listing to compare with, the expanded version is all there is to go by.
    expect(planResync({ facts, listing: current, previous: undefined, labels: [], pending: [] }).refresh).toEqual([
      pinned.key,
    ]);
  });

  it("retries reads whose last refresh failed, unless they are dropped", () => {
    const current = { ...listing(), templates: listing().templates.filter((t) => t.id !== 3) };
    const change = plan(current, listing(), [refundV1.key, otherLatest.key]);
    expect(change.refresh).toEqual([refundV1.key]);
    expect(change.evict).toEqual([otherLatest.key]);
  });
});
