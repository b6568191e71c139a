// The shared store over Redis (the official node-redis client, loaded only when --store is given): reads in one
// hash, changes announced on a channel.
import { randomUUID } from "node:crypto";
import { createClient } from "@redis/client";
import { plxError } from "../errors/index.js";
import type { RegistryListing } from "./changes.js";
import type { CacheEntry } from "./entries.js";
import type { SharedStore } from "./store.js";

const CONNECT_TIMEOUT_MS = 5_000;

type Client = ReturnType<typeof createClient>;

export interface RedisStoreOptions {
  url: string;
  /**
   * Prefix of every key and of the channel. Instances share reads only under the same namespace, so two caches in
   * front of different workspaces can use one Redis without seeing each other's prompts.
   */
  namespace: string;
  /** The URL without credentials, for messages. */
  description: string;
  log: (line: string) => void;
}

export async function connectRedisStore(options: RedisStoreOptions): Promise<SharedStore> {
  const instance = randomUUID();
  const entriesKey = `${options.namespace}:entries`;
  const registryKey = `${options.namespace}:registry`;
  const channel = `${options.namespace}:changes`;
  const client = await connect(options, "commands");
  let subscriber: Client | undefined;

  const parse = (text: string | null | undefined): CacheEntry | undefined => {
    if (typeof text !== "string") return undefined;
    try {
      const entry = JSON.parse(text) as CacheEntry;
      return entry && (entry.kind === "template" || entry.kind === "list") ? entry : undefined;
    } catch {
      return undefined;
    }
  };
  const loadEntries = async () => Object.values(await client.hGetAll(entriesKey)).flatMap((text) => parse(text) ?? []);
  const announce = (key: string) => client.publish(channel, JSON.stringify({ origin: instance, key }));

  return {
    description: options.description,

    async load() {
      const [entries, registry] = await Promise.all([loadEntries(), client.get(registryKey)]);
      return { entries, registry: registry ? (JSON.parse(registry) as RegistryListing) : undefined };
    },

    async put(key, entry) {
      await client.hSet(entriesKey, key, JSON.stringify(entry));
      await announce(key);
    },

    async remove(key) {
      await client.hDel(entriesKey, key);
      await announce(key);
    },

    async saveRegistry(listing) {
      await client.set(registryKey, JSON.stringify(listing));
    },

    async subscribe(listener) {
      subscriber = await connect(options, "subscriber");
      subscriber.on("ready", () => {
        loadEntries().then(listener.reloaded, (error: Error) =>
          options.log(`could not reload the cache from ${options.description}: ${error.message}`),
        );
      });
      await subscriber.subscribe(channel, (message) => {
        let change: { origin?: unknown; key?: unknown };
        try {
          change = JSON.parse(message) as typeof change;
        } catch {
          return;
        }
        if (change.origin === instance || typeof change.key !== "string") return;
        const key = change.key;
        client.hGet(entriesKey, key).then(
          (text) => listener.changed(key, parse(text)),
          (error: Error) => options.log(`could not read ${key} from ${options.description}: ${error.message}`),
        );
      });
    },

    async close() {
      await Promise.all([client, subscriber].map((each) => each?.close().catch(() => undefined)));
    },
  };
}

/** A connected client, or CACHE.STORE_UNREACHABLE once the first connection fails or takes too long. */
async function connect(options: RedisStoreOptions, role: string): Promise<Client> {
  let connected = false;
  const client = createClient({
    url: options.url,
    socket: {
      connectTimeout: CONNECT_TIMEOUT_MS,
      // A first connection that fails is reported at once; a lost one is retried, backing off to 5 s.
      reconnectStrategy: (retries, cause) => (connected ? Math.min(100 * 2 ** retries, 5_000) : cause),
    },
  });
  // node-redis reconnects by itself; until then commands wait or fail, and the cache answers from memory.
  client.on("error", (error: Error) => {
    if (connected) options.log(`${options.description} (${role}): ${error.message}`);
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no connection within ${CONNECT_TIMEOUT_MS / 1000} s`)),
          CONNECT_TIMEOUT_MS,
        );
      }),
    ]);
  } catch (error) {
    client.destroy();
    throw plxError("CACHE.STORE_UNREACHABLE", {
      store: options.description,
      reason: error instanceof Error ? error.message : String(error),
    });
  } finally {
    clearTimeout(timer);
  }
  connected = true;
  return client as Client;
}
