// The whole receiver in one call, as a serverless function wants it: verification, filtering, the loop guard and the
// action, from plain options.
import { githubDispatchAction, gitlabTriggerAction, type SyncAction } from "./actions.js";
import { createWebhookHandler, type DeliveryRecord, type WebhookHandler } from "./handler.js";
import { createLoopGuard } from "./loop-guard.js";
import { createSyncPipeline, type PipelineLog } from "./pipeline.js";

export interface PromptLayerWebhookOptions {
  /** The webhook secret, and during a rotation the previous one too. */
  secrets: readonly string[];
  /** What starts the sync: a repository_dispatch, a pipeline trigger, or an action of your own. */
  dispatch:
    | { github: { repository: string; token: string; apiUrl?: string } }
    | { gitlab: { projectId: string; token: string; ref: string; apiUrl?: string } }
    | { action: SyncAction };
  /** For the loop guard, which reads the versions events name. Without it every event starts a sync. */
  promptLayer?: { apiKey: string; baseUrl?: string };
  /**
   * Coalescing window. Default 0: a serverless instance may not outlive a longer wait, and the sync workflow's
   * `concurrency` group collapses bursts anyway.
   */
  debounceMs?: number;
  toleranceMs?: number;
  /** One line per delivery and per action, for the host's log. */
  log?: (entry: DeliveryRecord | PipelineLog) => void;
}

export function createPromptLayerWebhookHandler(options: PromptLayerWebhookOptions): WebhookHandler {
  const action: SyncAction =
    "action" in options.dispatch
      ? options.dispatch.action
      : "github" in options.dispatch
        ? githubDispatchAction({ apiUrl: "https://api.github.com", ...options.dispatch.github })
        : gitlabTriggerAction({ apiUrl: "https://gitlab.com/api/v4", ...options.dispatch.gitlab });
  const log = options.log;
  const pipeline = createSyncPipeline({
    action,
    debounceMs: options.debounceMs ?? 0,
    ...(options.promptLayer
      ? {
          loopGuard: createLoopGuard({
            baseUrl: options.promptLayer.baseUrl ?? "https://api.promptlayer.com",
            apiKey: options.promptLayer.apiKey,
            onUnreadable: (event, reason) =>
              log?.({ kind: "unreadable", event: event.template?.name ?? event.eventType, reason }),
          }),
        }
      : {}),
    ...(log ? { log } : {}),
  });
  return createWebhookHandler({
    secrets: options.secrets,
    toleranceMs: options.toleranceMs,
    pipeline,
    ...(log ? { onDelivery: log } : {}),
  });
}
