// The loop guard. PromptLayer cannot be told to skip the webhook a CI publish causes, so the receiver recognises plx's
// own publishes by content: a version whose content hashes to the `metadata.plx.content_hash` plx stamped into it came
// from git, and proposing it back to git would only echo what was just merged. Reads use the web-standard fetch, so the
// serverless handler can run the guard where Node's HTTP client does not exist.
import { contentHash } from "../core/canonical.js";
import { type RawLike, templateFromRaw } from "../core/template.js";

import type { WebhookEvent } from "./envelope.js";

export interface LoopGuardOptions {
  /** PromptLayer's API, e.g. https://api.promptlayer.com. */
  baseUrl: string;
  apiKey: string;
  fetch?: typeof fetch;
  /** Per request. Default 10 s. */
  timeoutMs?: number;
  /** Told when an event's template could not be read (the event then counts as a real change). */
  onUnreadable?: (event: WebhookEvent, reason: string) => void;
}

export interface LoopGuard {
  /**
   * The events that only echo a publish plx made from git. An event whose template cannot be read is never one: when
   * in doubt the sync runs, and finds nothing to propose if there is nothing.
   */
  echoes(events: readonly WebhookEvent[]): Promise<Set<WebhookEvent>>;
}

const LABEL_EVENTS = new Set([
  "prompt_template_label_created",
  "prompt_template_label_moved",
  "prompt_template_label_change_approved",
]);

/** One version as GET /prompt-templates/{id} answers it: the fields the guard reads. */
export interface RawVersion {
  prompt_name: string;
  version: number;
  prompt_template: Record<string, unknown>;
  metadata?: Record<string, unknown> | null;
  tags?: string[];
  snippets?: Array<{ prompt_name: string; version?: number | null }>;
  [key: string]: unknown;
}

/**
 * Checked by hand, as the envelope is: the serverless bundle carries neither plx's HTTP client nor zod. A read that
 * is not this shape throws, and the event then counts as a real change.
 */
function rawVersionOf(body: unknown): RawVersion {
  const raw = body as RawVersion | null;
  const ok =
    raw !== null &&
    typeof raw === "object" &&
    typeof raw.prompt_name === "string" &&
    typeof raw.version === "number" &&
    raw.prompt_template !== null &&
    typeof raw.prompt_template === "object";
  if (!ok) throw new Error("the answer is not a prompt template version");
  return raw;
}

/** Whether plx published this version from a prompt file: its content is what the stamp plx wrote says it is. */
export function isPublishedByPlx(raw: RawVersion): boolean {
  // metadata.plx.content_hash, as push writes it (promptlayer/schemas.ts reads it the same way, with zod).
  const stamped = (raw.metadata as { plx?: { content_hash?: unknown } } | null | undefined)?.plx?.content_hash;
  return typeof stamped === "string" && stamped === contentHash(templateFromRaw(raw as unknown as RawLike, []));
}

export function createLoopGuard(options: LoopGuardOptions): LoopGuard {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const fetchImpl = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;

  async function getJson(path: string): Promise<unknown> {
    const response = await fetchImpl(`${baseUrl}${path}`, {
      headers: { "X-API-KEY": options.apiKey, "Cache-Control": "no-cache", Accept: "application/json" },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`GET ${path.split("?")[0]} answered HTTP ${response.status}`);
    }
    return response.json();
  }

  return {
    async echoes(events) {
      // One batch reads each template version once, however many events name it.
      const reads = new Map<string, Promise<RawVersion>>();
      const read = (id: number, version?: number) => {
        const key = `${id}@${version ?? "latest"}`;
        let pending = reads.get(key);
        if (!pending) {
          const query = `resolve_snippets=false${version === undefined ? "" : `&version=${version}`}`;
          pending = getJson(`/prompt-templates/${id}?${query}`).then(rawVersionOf);
          reads.set(key, pending);
        }
        return pending;
      };
      const labelled = async (id: number, label: string) => {
        const body = (await getJson(`/prompt-templates/${id}/labels`)) as {
          release_labels?: Array<{ release_label?: unknown; prompt_version_number?: unknown }>;
        };
        const found = body.release_labels?.find((entry) => entry.release_label === label)?.prompt_version_number;
        return typeof found === "number" ? found : undefined;
      };

      const isEcho = async (event: WebhookEvent): Promise<boolean> => {
        const id = event.template?.id;
        if (id === undefined) return false;
        if (event.eventType === "prompt_template_version_created") {
          return event.version !== undefined && isPublishedByPlx(await read(id, event.version));
        }
        if (LABEL_EVENTS.has(event.eventType)) {
          // A label a publish carried sits on the newest version, which plx made; a label moved back to an older one
          // is someone's decision (a rollback) and is proposed.
          const version = event.version ?? (event.label === undefined ? undefined : await labelled(id, event.label));
          if (version === undefined) return false;
          const latest = await read(id);
          return latest.version === version && isPublishedByPlx(latest);
        }
        if (event.eventType === "prompt_template_updated") {
          // A snippet changed; when every snippet this version imports is at a version plx published, the change
          // came from git too.
          const own = await read(id, event.version);
          const imports = own.snippets ?? [];
          if (imports.length === 0) return false;
          const checks = await Promise.all(
            imports.map(async (ref) => {
              const snippet = rawVersionOf(
                await getJson(
                  `/prompt-templates/${encodeURIComponent(ref.prompt_name)}?resolve_snippets=false${
                    typeof ref.version === "number" ? `&version=${ref.version}` : ""
                  }`,
                ),
              );
              return isPublishedByPlx(snippet);
            }),
          );
          return checks.every(Boolean);
        }
        return false;
      };

      const found = new Set<WebhookEvent>();
      await Promise.all(
        events.map(async (event) => {
          const echo = await isEcho(event).catch((error: unknown) => {
            options.onUnreadable?.(event, error instanceof Error ? error.message : String(error));
            return false;
          });
          if (echo) found.add(event);
        }),
      );
      return found;
    },
  };
}
