// The prompt cache: PromptLayer's template reads held in memory (and, with a shared store, in Redis), kept fresh by
// webhook events and a periodic resync, answered in PromptLayer's own shapes. HTTP lives in server.ts; this module
// decides what is cached, what a read is answered with, and what a change in PromptLayer refreshes.
import type { JsonObject } from "../core/template.js";
import { isInterruption, isPlxError, plxError } from "../errors/index.js";
import { apiPath, type Transport } from "../promptlayer/http.js";
import type { PromptLayerClient } from "../promptlayer/index.js";
import {
  type CacheChange,
  changeForEvent,
  labelsToList,
  NO_CHANGE,
  planResync,
  type RegistryListing,
  type WebhookEvent,
} from "./changes.js";
import {
  type CacheEntry,
  type EntryFacts,
  entryKey,
  factsOf,
  listKey,
  type Selector,
  type TemplateAddress,
  type TemplateEntry,
  templateKey,
  type View,
} from "./entries.js";
import { CacheMetrics, type ServeResult } from "./metrics.js";
import { type BlueprintOptions, promptBlueprint } from "../render/index.js";
import { readSnapshot, writeSnapshot } from "./snapshot.js";
import type { SharedStore } from "./store.js";
import type { Upstream } from "./upstream.js";

/** A read the cache can answer, parsed from an HTTP request by the server. */
export type CacheRead =
  | { kind: "get"; identifier: string; selector: Selector; view: View; revalidate: boolean }
  | {
      kind: "run";
      identifier: string;
      selector: Selector;
      /** Variables to fill, another provider or model: empty, the template is answered as stored. */
      options: BlueprintOptions;
      revalidate: boolean;
    }
  | { kind: "list"; query: string; revalidate: boolean };

/** The answer to a read, or `forward` when only PromptLayer can answer it (the server passes the request through). */
export type CacheAnswer = { status: number; body: Buffer; cache: ServeResult; ageSeconds: number } | { forward: true };

export interface PromptCacheOptions {
  /** PromptLayer's API root: recorded in snapshots, so one for another registry is refused. */
  upstreamUrl: string;
  /** Reads sent once on a client's behalf. */
  upstream: Upstream;
  /** Retrying reads for refreshes. */
  transport: Transport;
  /** Registry listings for the resync. */
  client: PromptLayerClient;
  /** Release labels kept warm for every template, beside latest. */
  labels: readonly string[];
  snapshotFile?: string;
  store?: SharedStore;
  /** Between periodic resyncs; 0 turns them off (one still runs at start). */
  resyncMs: number;
  now?: () => number;
  log: (line: string) => void;
}

interface Held {
  entry: CacheEntry;
  /** When PromptLayer last confirmed it: read, or found unchanged by a resync. */
  confirmedAt: number;
  /** Serialised answers, built on first use. */
  answers: Map<string, Buffer>;
}

export interface SyncSummary {
  ok: boolean;
  refreshed: number;
  evicted: number;
  warmed: number;
  failed: string[];
  /** Why the registry could not be listed, when it could not. */
  error?: unknown;
}

/** When a resync fails, the next try comes this soon (or at the resync interval, if shorter). */
const RETRY_SYNC_MS = 30_000;
/** List answers are keyed by query; beyond this many, the oldest are dropped. */
const MAX_LIST_ENTRIES = 200;

export class PromptCache {
  readonly metrics = new CacheMetrics();
  private readonly held = new Map<string, Held>();
  private readonly byTemplate = new Map<number, Set<string>>();
  private readonly nameToId = new Map<string, number>();
  /** List answers held, oldest first. */
  private readonly listKeys = new Set<string>();
  /** Reads whose last refresh failed: answered as stale, tried again by the next resync. */
  private readonly pending = new Set<string>();
  private readonly reading = new Map<string, { again: boolean; done: Promise<boolean> }>();
  private readonly fetching = new Map<string, ReturnType<PromptCache["fetchTemplate"]>>();
  private readonly now: () => number;
  private registry: RegistryListing | undefined;
  private snapshotWorkspace: number | undefined;
  private workspaceId: number | undefined;
  private readyState = false;
  private lastSyncAt: number | undefined;
  private syncFailing = false;
  private syncing: Promise<SyncSummary> | undefined;
  private syncQueued: Promise<SyncSummary> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private batching = 0;
  private snapshotDirty = false;
  private snapshotWriting: Promise<void> | undefined;

  constructor(private readonly options: PromptCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  get ready(): boolean {
    return this.readyState;
  }

  get size(): number {
    return this.held.size;
  }

  /** Loads the snapshot and the shared store (serving starts at once), then syncs in the background. */
  async start(): Promise<void> {
    const { snapshotFile, store } = this.options;
    if (snapshotFile) {
      const snapshot = await readSnapshot(snapshotFile);
      if (snapshot) {
        if (snapshot.upstream !== this.options.upstreamUrl)
          throw plxError("CACHE.SNAPSHOT_OTHER_UPSTREAM", {
            file: snapshotFile,
            snapshot: snapshot.upstream,
            upstream: this.options.upstreamUrl,
          });
        for (const entry of snapshot.entries) this.hold(entry);
        this.registry = snapshot.registry;
        this.snapshotWorkspace = snapshot.workspaceId;
        this.readyState = true;
        this.options.log(`loaded ${snapshot.entries.length} cached read(s) from ${snapshotFile}`);
      }
    }
    if (store) {
      const shared = await store.load();
      for (const entry of shared.entries) this.hold(entry);
      this.registry = shared.registry ?? this.registry;
      if (shared.entries.length > 0) {
        this.readyState = true;
        this.options.log(`loaded ${shared.entries.length} cached read(s) from ${store.description}`);
      }
      await store.subscribe({
        changed: (key, entry) => {
          if (entry) this.hold(entry);
          else this.drop(key);
          this.scheduleSnapshot();
        },
        reloaded: (entries) => {
          for (const key of [...this.held.keys()]) this.drop(key);
          for (const entry of entries) this.hold(entry);
          this.scheduleSnapshot();
        },
      });
    }
    void this.resync().finally(() => this.scheduleResync());
  }

  // ---- Reads ----

  async read(request: CacheRead): Promise<CacheAnswer> {
    if (request.kind === "list") return this.readList(request);
    const templateId = this.templateIdOf(request.identifier);
    const view: View = request.kind === "get" ? request.view : "resolved";
    const key = templateId === undefined ? undefined : templateKey({ templateId, selector: request.selector, view });
    const held = key === undefined || request.revalidate ? undefined : this.held.get(key);
    if (held) return this.answer(request, held, this.isStale(key!) ? "stale" : "hit");

    const fetched = await this.fetchOnce(request.identifier, request.selector, view);
    if (!fetched.held) {
      // PromptLayer could not be reached: a cached read is better than none, and says it is stale.
      const fallback = key === undefined ? undefined : this.held.get(key);
      if (fallback && fetched.status >= 500) return this.answer(request, fallback, "stale");
      return { status: fetched.status, body: jsonBytes(fetched.body ?? null), cache: "miss", ageSeconds: 0 };
    }
    return this.answer(request, fetched.held, "miss");
  }

  private async readList(request: Extract<CacheRead, { kind: "list" }>): Promise<CacheAnswer> {
    const key = listKey(request.query);
    const held = request.revalidate ? undefined : this.held.get(key);
    if (held) return this.answer(request, held, this.isStale(key) ? "stale" : "hit");
    const answer = await this.options.upstream.readJson(
      "GET",
      `/prompt-templates${request.query ? `?${request.query}` : ""}`,
    );
    if (answer.status === 200 && isObject(answer.body)) {
      const stored = this.store({ kind: "list", query: request.query, body: answer.body, fetchedAt: this.now() });
      this.scheduleSnapshot();
      return this.answer(request, stored, "miss");
    }
    const fallback = this.held.get(key);
    if (fallback && answer.status >= 500) return this.answer(request, fallback, "stale");
    return { status: answer.status, body: jsonBytes(answer.body ?? null), cache: "miss", ageSeconds: 0 };
  }

  private answer(request: CacheRead, held: Held, cache: ServeResult): CacheAnswer {
    const body = this.answerBody(request, held);
    this.metrics.served[cache] += 1;
    const ageSeconds = Math.max(0, Math.floor((this.now() - held.confirmedAt) / 1000));
    return { status: 200, body, cache, ageSeconds };
  }

  /** The answer's JSON: the read as held, or for the POST form, what PromptLayer makes of it. */
  private answerBody(request: CacheRead, held: Held): Buffer {
    const body = held.entry.body;
    if (request.kind !== "run") return serialized(held, request.kind, () => body);
    if (Object.keys(request.options).length === 0) return serialized(held, "run", () => runView(body, {}));
    return jsonBytes(runView(body, request.options));
  }

  /** Misses for the same read arriving together share one request to PromptLayer. */
  private fetchOnce(identifier: string, selector: Selector, view: View) {
    const key = `${identifier}\n${JSON.stringify(selector)}\n${view}`;
    let fetching = this.fetching.get(key);
    if (!fetching) {
      fetching = this.fetchTemplate(identifier, selector, view).finally(() => this.fetching.delete(key));
      this.fetching.set(key, fetching);
    }
    return fetching;
  }

  /** A read PromptLayer answers on a client's behalf, sent once. */
  private async fetchTemplate(identifier: string, selector: Selector, view: View) {
    const query = new URLSearchParams(viewQuery(selector, view));
    const answer = await this.options.upstream.readJson("GET", `${apiPath`/prompt-templates/${identifier}`}?${query}`);
    const body = answer.body;
    if (answer.status !== 200 || !isObject(body) || typeof body.id !== "number") return { ...answer, held: undefined };
    const held = this.store({ kind: "template", templateId: body.id, selector, view, body, fetchedAt: this.now() });
    this.scheduleSnapshot();
    return { ...answer, held };
  }

  private templateIdOf(identifier: string): number | undefined {
    if (/^\d+$/.test(identifier) && this.byTemplate.has(Number(identifier))) return Number(identifier);
    return this.nameToId.get(identifier);
  }

  private isStale(key: string): boolean {
    return this.syncFailing || this.pending.has(key);
  }

  // ---- Changes ----

  /** Applies verified webhook events: refreshes or drops exactly the reads they touch. */
  async applyEvents(events: readonly WebhookEvent[]): Promise<SyncSummary> {
    const facts = this.facts();
    const change = events
      .map((event) => changeForEvent(event, facts, this.options.labels))
      .reduce(mergeChanges, NO_CHANGE);
    return this.apply(change);
  }

  /**
   * One resync: a registry listing (every template's latest version, and each label's versions), then reads of
   * what moved. Asked for while one runs, another runs after it (that one may have listed before the change that
   * prompted the request); calls made meanwhile share it.
   */
  resync(): Promise<SyncSummary> {
    if (this.syncing) {
      this.syncQueued ??= this.syncing.then(() => {
        this.syncQueued = undefined;
        return this.resync();
      });
      return this.syncQueued;
    }
    this.syncing = this.runResync().finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  private async runResync(): Promise<SyncSummary> {
    if (this.closed) return { ok: false, refreshed: 0, evicted: 0, warmed: 0, failed: [] };
    const started = this.now();
    let listing: RegistryListing;
    try {
      listing = await this.listRegistry();
    } catch (error) {
      if (isInterruption(error) || this.closed) return { ok: false, refreshed: 0, evicted: 0, warmed: 0, failed: [] };
      this.syncFailing = true;
      this.metrics.syncFailures += 1;
      this.options.log(`sync with PromptLayer failed; serving cached reads as stale: ${describe(error)}`);
      return { ok: false, refreshed: 0, evicted: 0, warmed: 0, failed: ["registry listing"], error };
    }
    if (
      this.workspaceId !== undefined &&
      this.snapshotWorkspace !== undefined &&
      this.workspaceId !== this.snapshotWorkspace
    ) {
      this.options.log(
        `the cached reads belong to workspace ${this.snapshotWorkspace}, the API key to ${this.workspaceId}: dropping them`,
      );
      for (const key of [...this.held.keys()]) this.discard(key);
      this.registry = undefined;
    }
    this.snapshotWorkspace = this.workspaceId;
    const change = planResync({
      facts: this.facts(),
      listing,
      previous: this.registry,
      labels: this.options.labels,
      pending: [...this.pending],
    });
    const summary = await this.apply(change, listing);
    const touched = new Set([...change.refresh, ...change.evict]);
    for (const [key, held] of this.held) if (!touched.has(key) && !this.pending.has(key)) held.confirmedAt = started;
    this.registry = listing;
    await this.options.store?.saveRegistry(listing).catch((error: Error) => this.storeFailed(error));
    this.syncFailing = false;
    this.lastSyncAt = this.now();
    this.readyState = true;
    this.metrics.syncs += 1;
    if (summary.refreshed + summary.evicted + summary.warmed > 0 || summary.failed.length > 0)
      this.options.log(
        `synced with PromptLayer: ${summary.refreshed} refreshed, ${summary.warmed} added, ${summary.evicted} dropped${summary.failed.length ? `, ${summary.failed.length} failed` : ""}`,
      );
    return summary;
  }

  private async listRegistry(): Promise<RegistryListing> {
    const { client } = this.options;
    const entities = await client.listEntities(["PROMPT", "SNIPPET"]);
    this.workspaceId = await client.workspaceId();
    const labels = labelsToList(this.facts(), this.options.labels);
    const labelled = await Promise.all(
      labels.map(async (label) => {
        const items = await client.allTemplates({ label });
        const versions: Record<number, number> = {};
        for (const item of items.sort((a, b) => a.id - b.id))
          if (item.version !== undefined) versions[item.id] = item.version;
        return [label, versions] as const;
      }),
    );
    return {
      templates: entities
        .flatMap((entity) => {
          const latestVersion = entity.metadata?.latest_version_number;
          return typeof latestVersion === "number" ? [{ id: entity.id, name: entity.name, latestVersion }] : [];
        })
        .sort((a, b) => a.id - b.id),
      labels: Object.fromEntries(labelled),
    };
  }

  private async apply(change: CacheChange, listing?: RegistryListing): Promise<SyncSummary> {
    this.batching += 1;
    try {
      for (const key of change.evict) this.discard(key);
      for (const name of change.forgetNames) {
        const id = this.nameToId.get(name);
        const stillNamed = listing?.templates.some((template) => template.name === name && template.id === id);
        if (!stillNamed) this.nameToId.delete(name);
      }
      if (listing) for (const template of listing.templates) this.nameToId.set(template.name, template.id);
      const addresses = [
        ...change.refresh.flatMap((key) => {
          const held = this.held.get(key)?.entry;
          return held?.kind === "template" ? [addressOf(held)] : [];
        }),
        ...change.warm,
      ];
      const lists = [...this.held.values()].flatMap(({ entry }) =>
        entry.kind === "list" && (change.lists || change.refresh.includes(listKey(entry.query))) ? [entry.query] : [],
      );
      const results = await Promise.all([
        ...addresses.map(async (address) => ({ key: templateKey(address), ok: await this.refresh(address) })),
        ...lists.map(async (query) => ({ key: listKey(query), ok: await this.refreshList(query) })),
      ]);
      const failed = results.filter((result) => !result.ok).map((result) => result.key);
      return {
        ok: failed.length === 0,
        refreshed: change.refresh.length,
        evicted: change.evict.length,
        warmed: change.warm.length,
        failed,
      };
    } finally {
      this.batching -= 1;
      this.scheduleSnapshot();
    }
  }

  /**
   * Reads one template read again. A refresh asked for while one is running runs again after it, so the read
   * that ends up stored was sent after the last request for it.
   */
  private refresh(address: TemplateAddress): Promise<boolean> {
    const key = templateKey(address);
    const running = this.reading.get(key);
    if (running) {
      running.again = true;
      return running.done;
    }
    const job = { again: false, done: Promise.resolve(true) };
    job.done = (async () => {
      let ok = true;
      do {
        job.again = false;
        ok = await this.refreshOnce(address);
      } while (job.again && !this.closed);
      return ok;
    })().finally(() => this.reading.delete(key));
    this.reading.set(key, job);
    return job.done;
  }

  private async refreshOnce(address: TemplateAddress): Promise<boolean> {
    const key = templateKey(address);
    try {
      const reply = await this.options.transport.request({
        method: "GET",
        path: apiPath`/prompt-templates/${address.templateId}`,
        query: viewQuery(address.selector, address.view),
        expect: [404],
      });
      if (reply.status === 404) {
        this.discard(key);
        return true;
      }
      if (reply.status !== 200 || !isObject(reply.body))
        throw new Error(`PromptLayer answered HTTP ${reply.status}${reply.message ? `: ${reply.message}` : ""}`);
      this.store({ ...address, kind: "template", body: reply.body, fetchedAt: this.now() });
      return true;
    } catch (error) {
      if (this.closed || isInterruption(error)) return false;
      this.pending.add(key);
      this.metrics.refreshFailures += 1;
      this.options.log(
        `could not refresh ${describeAddress(address)}; serving the cached read as stale: ${describe(error)}`,
      );
      return false;
    }
  }

  private async refreshList(query: string): Promise<boolean> {
    const key = listKey(query);
    try {
      const reply = await this.options.transport.request({
        method: "GET",
        path: `/prompt-templates${query ? `?${query}` : ""}`,
      });
      if (!isObject(reply.body)) throw new Error("the answer is not a JSON object");
      this.store({ kind: "list", query, body: reply.body, fetchedAt: this.now() });
      return true;
    } catch (error) {
      if (this.closed || isInterruption(error)) return false;
      this.pending.add(key);
      this.metrics.refreshFailures += 1;
      this.options.log(`could not refresh the listing ${query || "(no filter)"}: ${describe(error)}`);
      return false;
    }
  }

  // ---- Holding entries ----

  private facts(): EntryFacts[] {
    const facts: EntryFacts[] = [];
    for (const { entry } of this.held.values()) if (entry.kind === "template") facts.push(factsOf(entry));
    return facts;
  }

  /** Stores a read fetched here: in memory, in the shared store (announced), and in the next snapshot. */
  private store(entry: CacheEntry): Held {
    const held = this.hold(entry);
    const key = entryKey(entry);
    this.pending.delete(key);
    this.options.store?.put(key, entry).catch((error: Error) => this.storeFailed(error));
    return held;
  }

  /** Drops a read here and in the shared store. */
  private discard(key: string): void {
    this.drop(key);
    this.pending.delete(key);
    this.options.store?.remove(key).catch((error: Error) => this.storeFailed(error));
  }

  /** Holds a read in memory only (from a snapshot, or announced by another instance). */
  private hold(entry: CacheEntry): Held {
    const key = entryKey(entry);
    const held: Held = { entry, confirmedAt: entry.fetchedAt, answers: new Map() };
    this.held.delete(key);
    this.held.set(key, held);
    this.snapshotDirty = true;
    if (entry.kind === "list") {
      this.listKeys.delete(key);
      this.listKeys.add(key);
      for (const oldest of this.listKeys) {
        if (this.listKeys.size <= MAX_LIST_ENTRIES) break;
        this.drop(oldest);
      }
      return held;
    }
    let keys = this.byTemplate.get(entry.templateId);
    if (!keys) this.byTemplate.set(entry.templateId, (keys = new Set()));
    keys.add(key);
    if (typeof entry.body.prompt_name === "string") this.nameToId.set(entry.body.prompt_name, entry.templateId);
    return held;
  }

  private drop(key: string): void {
    const held = this.held.get(key);
    if (!held) return;
    this.held.delete(key);
    this.listKeys.delete(key);
    this.snapshotDirty = true;
    if (held.entry.kind !== "template") return;
    const { templateId } = held.entry;
    const keys = this.byTemplate.get(templateId);
    keys?.delete(key);
    if (keys && keys.size > 0) return;
    this.byTemplate.delete(templateId);
    for (const [name, id] of this.nameToId) if (id === templateId) this.nameToId.delete(name);
  }

  private storeFailed(error: Error): void {
    this.options.log(`${this.options.store?.description ?? "the shared store"}: ${error.message}`);
  }

  // ---- Snapshot ----

  private scheduleSnapshot(): void {
    if (!this.options.snapshotFile || !this.snapshotDirty || this.batching > 0) return;
    this.snapshotWriting ??= (async () => {
      while (this.snapshotDirty) {
        this.snapshotDirty = false;
        await writeSnapshot(this.options.snapshotFile!, this.snapshot(), new Date(this.now())).catch((error: Error) =>
          this.options.log(`could not write the snapshot ${this.options.snapshotFile}: ${error.message}`),
        );
      }
    })().finally(() => {
      this.snapshotWriting = undefined;
    });
  }

  /** Everything held, as a snapshot file records it. */
  snapshot() {
    return {
      upstream: this.options.upstreamUrl,
      workspaceId: this.snapshotWorkspace ?? this.workspaceId,
      labels: [...this.options.labels],
      registry: this.registry,
      entries: [...this.held.values()].map((held) => held.entry),
    };
  }

  /** Resolves once the snapshot on disk holds every change made so far. */
  async flushSnapshot(): Promise<void> {
    while (this.snapshotWriting) await this.snapshotWriting;
  }

  // ---- Lifecycle ----

  /**
   * Every instance syncs on its own clock. With a shared store that costs each one its listings only: what one
   * instance reads again reaches the others through the store, so they find nothing left to read.
   */
  private scheduleResync(): void {
    const { resyncMs } = this.options;
    if (this.closed || resyncMs <= 0) return;
    const delay = this.syncFailing ? Math.min(resyncMs, RETRY_SYNC_MS) : resyncMs;
    this.timer = setTimeout(() => void this.resync().finally(() => this.scheduleResync()), delay);
    this.timer.unref();
  }

  status() {
    return {
      ready: this.readyState,
      entries: this.held.size,
      lastSyncAgeSeconds: this.lastSyncAt === undefined ? undefined : (this.now() - this.lastSyncAt) / 1000,
      syncFailing: this.syncFailing,
    };
  }

  renderMetrics(): string {
    const { ready, entries, lastSyncAgeSeconds } = this.status();
    return this.metrics.render({ ready, entries, lastSyncAgeSeconds });
  }

  /** Stops the timer, waits for running work and the snapshot, and closes the shared store. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.syncQueued?.catch(() => undefined);
    await this.syncing?.catch(() => undefined);
    await Promise.all([...this.reading.values()].map((job) => job.done.catch(() => false)));
    this.scheduleSnapshot();
    await this.flushSnapshot();
    await this.options.store?.close();
  }
}

const addressOf = (entry: TemplateEntry): TemplateAddress => ({
  templateId: entry.templateId,
  selector: entry.selector,
  view: entry.view,
});

/** The query of a template read: the version it selects and the form of the read. */
function viewQuery(selector: Selector, view: View): Record<string, string> {
  return {
    ...(selector.kind === "version" ? { version: String(selector.version) } : {}),
    ...(selector.kind === "label" ? { label: selector.label } : {}),
    resolve_snippets: String(view === "resolved"),
  };
}

/**
 * The POST form's answer from a raw read (snippets expanded), made as the sandbox makes it. A custom provider and
 * provider base URL the read carries stay: the SDK's `run()` sends the model call where they say.
 */
function runView(raw: JsonObject, options: BlueprintOptions): JsonObject {
  const { response } = promptBlueprint(
    {
      id: raw.id as number,
      prompt_name: raw.prompt_name as string,
      version: raw.version as number,
      prompt_template: raw.prompt_template as JsonObject,
      metadata: (raw.metadata as JsonObject | null | undefined) ?? null,
      commit_message: (raw.commit_message as string | null | undefined) ?? null,
    },
    options,
  );
  const carried = Object.fromEntries(
    ["custom_provider", "provider_base_url"].flatMap((key) => (raw[key] === undefined ? [] : [[key, raw[key]]])),
  );
  return { ...response, ...carried };
}

function serialized(held: Held, form: string, build: () => unknown): Buffer {
  let bytes = held.answers.get(form);
  if (bytes === undefined) held.answers.set(form, (bytes = jsonBytes(build())));
  return bytes;
}

const jsonBytes = (value: unknown) => Buffer.from(JSON.stringify(value));

function mergeChanges(a: CacheChange, b: CacheChange): CacheChange {
  const evict = [...new Set([...a.evict, ...b.evict])];
  return {
    refresh: [...new Set([...a.refresh, ...b.refresh])].filter((key) => !evict.includes(key)),
    evict,
    warm: [...a.warm, ...b.warm],
    forgetNames: [...new Set([...a.forgetNames, ...b.forgetNames])],
    lists: a.lists || b.lists,
  };
}

const isObject = (value: unknown): value is JsonObject =>
  value !== null && typeof value === "object" && !Array.isArray(value);

function describeAddress({ templateId, selector, view }: TemplateAddress): string {
  const which =
    selector.kind === "latest"
      ? "latest"
      : selector.kind === "version"
        ? `version ${selector.version}`
        : `label ${selector.label}`;
  return `template ${templateId} (${which}${view === "unresolved" ? ", unresolved" : ""})`;
}

function describe(error: unknown): string {
  if (isPlxError(error)) return error.message;
  return error instanceof Error ? error.message : String(error);
}
