// Where cached reads are shared between instances. Every instance answers from its own memory; with a shared store
// (Redis) each change is also written there and announced, so every instance picks it up and a new one starts warm.
import type { RegistryListing } from "./changes.js";
import type { CacheEntry } from "./entries.js";

export interface SharedStore {
  /** Where it is, for logs, credentials left out. */
  readonly description: string;
  /** Everything other instances stored: the reads and the last registry listing. */
  load(): Promise<{ entries: CacheEntry[]; registry: RegistryListing | undefined }>;
  /** Stores a read and tells the other instances. */
  put(key: string, entry: CacheEntry): Promise<void>;
  /** Drops a read and tells the other instances. */
  remove(key: string): Promise<void>;
  saveRegistry(listing: RegistryListing): Promise<void>;
  /**
   * Hears the changes other instances announce: `changed` with the read now stored (undefined: dropped), and
   * `reloaded` with every read after a lost connection came back, since announcements made meanwhile were missed.
   */
  subscribe(listener: StoreListener): Promise<void>;
  close(): Promise<void>;
}

export interface StoreListener {
  changed(key: string, entry: CacheEntry | undefined): void;
  reloaded(entries: CacheEntry[]): void;
}

/** A `redis://` or `rediss://` URL, or what is wrong with the value. */
export function redisUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "expected a redis:// or rediss:// URL";
  }
  return url.protocol === "redis:" || url.protocol === "rediss:" ? undefined : "expected a redis:// or rediss:// URL";
}
