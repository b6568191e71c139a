// The cache's counters, and their rendering in Prometheus' text exposition format (version 0.0.4).

export type ServeResult = "hit" | "miss" | "stale";

export class CacheMetrics {
  readonly served: Record<ServeResult, number> = { hit: 0, miss: 0, stale: 0 };
  forwarded = 0;
  refreshFailures = 0;
  syncs = 0;
  syncFailures = 0;
  /** Webhook deliveries by what became of them (accepted, duplicate, bad signature…). */
  readonly deliveries = new Map<string, number>();

  delivery(outcome: string): void {
    this.deliveries.set(outcome, (this.deliveries.get(outcome) ?? 0) + 1);
  }

  /** The exposition; `state` is what the cache holds at the moment of the scrape. */
  render(state: { entries: number; ready: boolean; lastSyncAgeSeconds: number | undefined }): string {
    const lines: string[] = [];
    const metric = (name: string, type: "counter" | "gauge", help: string, samples: Array<[string, number]>) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) lines.push(`${name}${labels} ${formatValue(value)}`);
    };
    metric("plx_cache_hits_total", "counter", "Reads answered from the cache.", [["", this.served.hit]]);
    metric("plx_cache_misses_total", "counter", "Reads the cache had to ask PromptLayer for.", [
      ["", this.served.miss],
    ]);
    metric(
      "plx_cache_stale_total",
      "counter",
      "Reads answered from the cache while PromptLayer could not confirm them.",
      [["", this.served.stale]],
    );
    metric("plx_cache_forwarded_total", "counter", "Requests passed through to PromptLayer.", [["", this.forwarded]]);
    metric("plx_cache_entries", "gauge", "Reads the cache holds.", [["", state.entries]]);
    metric("plx_cache_ready", "gauge", "1 once a snapshot was loaded or a first sync finished.", [
      ["", state.ready ? 1 : 0],
    ]);
    metric("plx_cache_last_sync_age_seconds", "gauge", "Seconds since the last successful sync with PromptLayer.", [
      ["", state.lastSyncAgeSeconds ?? Number.NaN],
    ]);
    metric("plx_cache_syncs_total", "counter", "Successful syncs with PromptLayer.", [["", this.syncs]]);
    metric("plx_cache_sync_failures_total", "counter", "Syncs that could not finish.", [["", this.syncFailures]]);
    metric("plx_cache_refresh_failures_total", "counter", "Reads that could not be refreshed.", [
      ["", this.refreshFailures],
    ]);
    metric(
      "plx_cache_webhook_deliveries_total",
      "counter",
      "Webhook deliveries by outcome.",
      [...this.deliveries]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([outcome, count]) => [`{outcome="${escapeLabel(outcome)}"}`, count]),
    );
    return `${lines.join("\n")}\n`;
  }
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  return Number.isInteger(value) ? String(value) : value.toFixed(3);
}

const escapeLabel = (value: string) => value.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
