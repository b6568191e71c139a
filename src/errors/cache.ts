import { defineErrors, entry, ExitCode } from "./define.js";

/** plx cache serve and plx cache export. */
export const cacheErrors = defineErrors({
  "CACHE.SNAPSHOT_UNREADABLE": entry<{ file: string; problem: string }>({
    exit: ExitCode.Usage,
    message: (p) => `${p.file} is not a plx cache snapshot: ${p.problem}.`,
    hint: "Point --snapshot at a file `plx cache export` or `plx cache serve` wrote, or at a path that does not exist yet.",
    details: (p) => ({ file: p.file }),
  }),
  "CACHE.SNAPSHOT_OTHER_UPSTREAM": entry<{ file: string; snapshot: string; upstream: string }>({
    exit: ExitCode.Usage,
    message: (p) =>
      `${p.file} holds reads from ${p.snapshot}, but this cache serves ${p.upstream}; it will not answer with another registry's prompts.`,
    hint: "Use a snapshot exported from the same --base-url, or delete the file to start from an empty cache.",
    details: (p) => ({ file: p.file }),
  }),
  "CACHE.CLIENT_KEY_TOO_SHORT": entry<{ length: number }>({
    exit: ExitCode.Usage,
    message: (p) => `A client key of ${p.length} characters is too easy to guess; client keys need at least 16.`,
    hint: "Generate keys with e.g. `openssl rand -hex 24` and pass them in PLX_CACHE_CLIENT_KEYS, comma-separated.",
  }),
  "CACHE.STORE_UNREACHABLE": entry<{ store: string; reason: string }>({
    exit: ExitCode.Remote,
    message: (p) => `Could not use the Redis store at ${p.store}: ${p.reason}.`,
    hint: "Check that Redis is running and that --store (PLX_CACHE_STORE) has the right host, port and credentials.",
  }),
  "CACHE.LISTEN_FAILED": entry<{ host: string; port: number; reason: string }>({
    exit: ExitCode.Usage,
    message: (p) => `Could not listen on ${p.host}:${p.port}: ${p.reason}.`,
    hint: "Pick another --port (0 takes any free one), or stop what is using it.",
  }),
  "CACHE.EXPORT_INCOMPLETE": entry<{ failed: number; first: string }>({
    exit: ExitCode.Remote,
    message: (p) => `${p.failed} read(s) from PromptLayer failed (first: ${p.first}); no snapshot was written.`,
    hint: "Run the export again; a snapshot is only written when every read succeeded.",
  }),
});
