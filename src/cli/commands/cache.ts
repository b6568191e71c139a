import { once } from "node:events";
import { relative, resolve } from "node:path";
import { type CacheConnection, type CacheReceiverOptions, exportSnapshot, serveCache } from "../../cache/index.js";
import { plxError } from "../../errors/index.js";
import { DEFAULT_TOLERANCE_MS } from "../../webhook/freshness.js";
import type { CommandModule } from "../command.js";
import type { Context } from "../context.js";
import { apiKeyFrom } from "../remote.js";
import type { CommandOptions } from "../command-options.js";

const DEFAULT_RESYNC_MS = 5 * 60_000;
const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_EXPORT_DEADLINE_S = 600;
const MIN_CLIENT_KEY_LENGTH = 16;

export interface CacheServeReport {
  url: string;
}

/** Serves until Ctrl-C or SIGTERM (requests in flight finish, the snapshot is written); SIGHUP resyncs at once. */
export const cacheServe: CommandModule<CommandOptions<"cache serve">, CacheServeReport> = {
  async run(options, context) {
    const clientKeys = splitList(options.clientKeys);
    for (const key of clientKeys) {
      if (key.length < MIN_CLIENT_KEY_LENGTH) throw plxError("CACHE.CLIENT_KEY_TOO_SHORT", { length: key.length });
      context.redactor.add(key);
    }
    const connection = await connectionFor(options, context);
    const webhook = await webhookFor(options, context);
    const running = await serveCache({
      ...connection,
      port: options.port ?? 0,
      host: options.host ?? "127.0.0.1",
      snapshotFile: options.snapshot === undefined ? undefined : resolve(context.cwd, options.snapshot),
      storeUrl: options.store,
      resyncMs: options.resync ?? DEFAULT_RESYNC_MS,
      clientKeys,
      webhook,
      // Built per request only when it will be shown: this is the hot path.
      debug: options.debug || context.ci.debug ? (line) => context.log.debug(line) : undefined,
    });
    context.emit(`listening on ${running.url}`);
    const resyncNow = () => {
      context.log.info("SIGHUP: resyncing with PromptLayer");
      void running.cache.resync();
    };
    process.on("SIGHUP", resyncNow);
    try {
      if (!context.signal.aborted) await once(context.signal, "abort");
    } finally {
      process.off("SIGHUP", resyncNow);
      await running.close();
    }
    return { url: running.url };
  },
  renderHuman: () => "",
};

/**
 * With a webhook secret, POST /webhook takes PromptLayer's deliveries, verified as `webhook serve` verifies them;
 * `--dispatch`/`--exec` also start that command's action, so one service keeps both the cache and a repository fresh.
 */
async function webhookFor(
  options: CommandOptions<"cache serve">,
  context: Context,
): Promise<CacheReceiverOptions | undefined> {
  const wantsAction = Boolean(options.dispatch || options.exec);
  const idle = [
    options.debounce === undefined ? "" : "--debounce",
    options.repo === undefined ? "" : "--repo",
    options.ref === undefined ? "" : "--ref",
    options.loopGuard === false ? "--no-loop-guard" : "",
  ].filter(Boolean);
  // A warning, not an error: their PLX_WEBHOOK_* twins may be set for a `webhook serve` on the same machine.
  if (!wantsAction && idle.length > 0)
    context.log.warn(`${idle.join(", ")} only shape --dispatch and --exec actions; without one they do nothing here`);
  if (!options.webhookSecret?.trim()) {
    if (!wantsAction) return undefined;
    throw plxError("USAGE.CONFLICTING_OPTIONS", {
      problem: "--dispatch and --exec act on PromptLayer's webhooks, and this cache has no secret to verify them with.",
      hint: "Set PLX_WEBHOOK_SECRET to the secret in PromptLayer's Settings > Webhooks, or drop the action.",
    });
  }
  // Loaded only here: the forge and exec actions are no part of a cache without webhooks.
  const { actionPipelineFor, logger, webhookSecrets } = await import("./webhook.js");
  const secrets = webhookSecrets(options.webhookSecret, context);
  const log = logger(context, false);
  return {
    secrets,
    toleranceMs: options.webhookTolerance === undefined ? DEFAULT_TOLERANCE_MS : options.webhookTolerance * 1000,
    ...(wantsAction ? { actions: await actionPipelineFor(options, context, log) } : {}),
    onDelivery: log.delivery,
  };
}

export interface CacheExportReport {
  file: string;
  labels: string[];
  templates: number;
  entries: number;
}

export const cacheExport: CommandModule<CommandOptions<"cache export">, CacheExportReport> = {
  async run(options, context) {
    const connection = await connectionFor(options, context);
    const file = resolve(context.cwd, options.output ?? "prompts.snapshot.json");
    const deadlineMs = (options.deadline ?? DEFAULT_EXPORT_DEADLINE_S) * 1000;
    const result = await exportSnapshot({ ...connection, deadlineMs, file });
    return {
      file: relative(context.cwd, result.file) || result.file,
      labels: [...connection.labels],
      templates: result.templates,
      entries: result.entries,
    };
  },
  renderHuman: (report, styles) =>
    `${styles.green("wrote")} ${report.file}: ${report.entries} read(s) of ${report.templates} template(s) (latest${report.labels.map((label) => `, ${label}`).join("")})`,
};

/** What both commands need to reach PromptLayer: the key from the environment only, the rest from config. */
async function connectionFor(
  options: { labels: string[]; timeout?: number; retries?: number },
  context: Context,
): Promise<CacheConnection> {
  const apiKey = apiKeyFrom(context.env);
  if (!apiKey) throw plxError("AUTH.MISSING_KEY");
  const config = await context.config();
  return {
    baseUrl: config.baseUrl,
    apiKey,
    redactor: context.redactor,
    concurrency: config.concurrency,
    timeoutMs: options.timeout ?? DEFAULT_TIMEOUT_MS,
    attempts: options.retries === undefined ? undefined : options.retries + 1,
    labels: splitList(options.labels),
    log: (line) => context.log.info(line),
  };
}

/** Values of a repeatable flag whose twin is comma-separated, where a flag's value may hold commas too. */
const splitList = (values: readonly string[]) =>
  [...new Set(values.flatMap((value) => value.split(",")).map((part) => part.trim()))].filter((part) => part !== "");
