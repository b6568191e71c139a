// `plx webhook serve`: the web-standard receiver (src/webhook) on a node:http server, with the action chosen by flags
// and the secrets, tokens and key taken from the environment. Serves until SIGTERM or Ctrl-C, then drains.
import { once } from "node:events";
import { plxError } from "../../errors/index.js";
import { githubSettings, gitlabSettings, GITLAB_TRIGGER_TOKEN_VARIABLES } from "../../forge/settings.js";
import { githubDispatchAction, gitlabTriggerAction, type SyncAction } from "../../webhook/actions.js";
import { describeEvent } from "../../webhook/envelope.js";
import { execAction } from "../../webhook/exec-action.js";
import { DEFAULT_TOLERANCE_MS } from "../../webhook/freshness.js";
import { createWebhookHandler, type DeliveryOutcome, type DeliveryRecord } from "../../webhook/handler.js";
import { createLoopGuard } from "../../webhook/loop-guard.js";
import { serveHandler } from "../../webhook/node-server.js";
import {
  createSyncPipeline,
  DEFAULT_DEBOUNCE_MS,
  type PipelineLog,
  type PipelineStats,
  type SyncPipeline,
} from "../../webhook/pipeline.js";
import type { CommandModule } from "../command.js";
import type { Context } from "../context.js";
import type { CommandOptions } from "../command-options.js";

type Options = CommandOptions<"webhook serve">;

export interface WebhookServeReport extends PipelineStats {
  url: string;
  deliveries: Record<DeliveryOutcome, number>;
}

const DEFAULT_PORT = 8080;

const command: CommandModule<Options, WebhookServeReport> = {
  async run(options, context) {
    const secrets = webhookSecrets(options.secret, context);
    const log = logger(context, options.json);
    const pipeline = await actionPipelineFor(options, context, log);

    const deliveries: Record<DeliveryOutcome, number> = { accepted: 0, duplicate: 0, ignored: 0, rejected: 0 };
    const handler = createWebhookHandler({
      secrets,
      toleranceMs: options.tolerance === undefined ? DEFAULT_TOLERANCE_MS : options.tolerance * 1000,
      pipeline,
      onDelivery: (record) => {
        deliveries[record.outcome] += 1;
        log.delivery(record);
      },
    });

    const host = options.host ?? "127.0.0.1";
    const port = options.port ?? DEFAULT_PORT;
    const server = await serveHandler(handler, {
      host,
      port,
      onError: (error) => log.warn(`webhook handler failed: ${error.message}`),
    }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE") throw plxError("WEBHOOK.PORT_IN_USE", { host, port });
      throw plxError("WEBHOOK.LISTEN_FAILED", { host, port, reason: error.message });
    });
    context.emit(`listening on ${server.url}`);
    if (options.loopGuard === false)
      log.warn("loop guard off: every event starts a sync, the ones plx's own publishes cause too");
    if (!context.signal.aborted) await once(context.signal, "abort");
    // No new deliveries; what was acknowledged is acted on before the process ends, without the long retries.
    log.warn("stopping: no new deliveries; finishing what was acknowledged");
    await server.close();
    await pipeline.shutdown();
    return { url: server.url, deliveries, ...pipeline.stats() };
  },
  renderHuman: () => "",
};

/** The secret the flag or PLX_WEBHOOK_SECRET gives, and during a rotation the previous one, registered as secrets. */
export function webhookSecrets(secret: string | undefined, context: Context): string[] {
  if (!secret?.trim()) throw plxError("WEBHOOK.SECRET_MISSING");
  const secrets = [secret, context.env.PLX_WEBHOOK_SECRET_PREVIOUS]
    .map((value) => value?.trim())
    .filter((value): value is string => Boolean(value));
  for (const value of secrets) context.redactor.add(value);
  return secrets;
}

/** The flags' action behind the debounce and the loop guard; `cache serve` takes the same flags. */
export async function actionPipelineFor(
  options: Pick<Options, "dispatch" | "exec" | "repo" | "ref" | "debounce" | "loopGuard">,
  context: Context,
  log: WebhookLog,
): Promise<SyncPipeline> {
  const action = actionFor(options, context, log.output);
  const loopGuard = options.loopGuard === false ? undefined : await loopGuardFor(context, log.warn);
  return createSyncPipeline({
    action,
    debounceMs: options.debounce ?? DEFAULT_DEBOUNCE_MS,
    ...(loopGuard ? { loopGuard } : {}),
    log: log.pipeline,
  });
}

function actionFor(
  options: Pick<Options, "dispatch" | "exec" | "repo" | "ref">,
  context: Context,
  output: (line: string) => void,
): SyncAction {
  if (options.dispatch && options.exec) {
    throw plxError("USAGE.CONFLICTING_OPTIONS", {
      problem: "--dispatch and --exec cannot be used together.",
      hint: "Choose one action: --dispatch github|gitlab, or --exec '<command>'.",
    });
  }
  if (options.exec) {
    return execAction({
      command: options.exec,
      cwd: context.cwd,
      env: context.env,
      onOutput: output,
    });
  }
  if (options.dispatch === "github") {
    const settings = githubSettings(context.env, options.repo);
    context.redactor.add(settings.token);
    return githubDispatchAction({ apiUrl: settings.apiUrl, repository: settings.repository, token: settings.token });
  }
  if (options.dispatch === "gitlab") {
    const settings = gitlabSettings(context.env, options.repo, GITLAB_TRIGGER_TOKEN_VARIABLES);
    context.redactor.add(settings.token);
    return gitlabTriggerAction({
      apiUrl: settings.apiUrl,
      projectId: settings.repository,
      token: settings.token,
      ref: options.ref?.trim() || "main",
    });
  }
  throw plxError("WEBHOOK.NO_ACTION");
}

async function loopGuardFor(context: Context, warn: (message: string) => void) {
  const apiKey = [context.env.PLX_API_KEY, context.env.PROMPTLAYER_API_KEY]
    .map((value) => value?.trim())
    .find((value) => value);
  if (!apiKey) throw plxError("WEBHOOK.LOOP_GUARD_NEEDS_KEY");
  const config = await context.config();
  return createLoopGuard({
    baseUrl: config.baseUrl,
    apiKey,
    onUnreadable: (event, reason) =>
      warn(`loop guard could not read ${describeEvent(event)} (${reason}); acting on it`),
  });
}

export type WebhookLog = ReturnType<typeof logger>;

/** One line per delivery and per action: words for people, one JSON object per line with --json. */
export function logger(context: Context, json: boolean) {
  const write = (entry: Record<string, unknown>, text: string) =>
    context.log.info(json ? JSON.stringify({ time: new Date().toISOString(), ...entry }) : text);
  return {
    warn(message: string) {
      if (json) write({ type: "warning", message }, message);
      else context.log.warn(message);
    },
    /** What the --exec command prints. */
    output(line: string) {
      write({ type: "exec", line }, `exec: ${line}`);
    },
    delivery(record: DeliveryRecord) {
      const event = record.event;
      const what = event ? describeEvent(event) : record.method;
      const who = event?.user?.name ?? event?.user?.email;
      const text = `${record.status} ${record.outcome} ${what}${who ? ` by ${who}` : ""}${record.reason && record.outcome !== "accepted" ? ` (${record.reason})` : ""}`;
      write(
        {
          type: "delivery",
          status: record.status,
          outcome: record.outcome,
          ...(event
            ? {
                event_type: event.eventType,
                template: event.template?.name,
                version: event.version,
                label: event.label,
              }
            : {}),
          ...(record.reason ? { reason: record.reason } : {}),
        },
        text,
      );
    },
    pipeline(entry: PipelineLog) {
      write({ type: entry.kind, ...entry }, pipelineText(entry));
    },
  };
}

function pipelineText(entry: PipelineLog): string {
  switch (entry.kind) {
    case "echo":
      return `skipped (plx published these from git): ${entry.events.join(", ")}`;
    case "unreadable":
      return `could not check ${entry.event}: ${entry.reason}`;
    case "action": {
      if (entry.outcome === "done")
        return `started the sync via ${entry.action}: ${entry.templates.join(", ") || "(no template named)"} (${entry.events} event${entry.events === 1 ? "" : "s"})`;
      if (entry.outcome === "retrying")
        return `${entry.action} failed (${entry.reason}); retry ${entry.attempt} in ${Math.round(entry.delayMs / 1000)} s`;
      return `gave up on ${entry.action} after ${entry.attempt} attempt${entry.attempt === 1 ? "" : "s"}: ${entry.reason}`;
    }
  }
}

export default command;
