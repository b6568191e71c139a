// `plx/webhook`: PromptLayer's webhooks received the way `plx webhook serve` receives them, for serverless hosts and
// for servers of your own. Web-standard Request/Response and fetch throughout; HMAC and hashing use node:crypto
// (Cloudflare Workers: enable the nodejs_compat flag).
//
//   import { createPromptLayerWebhookHandler } from "plx/webhook";
//   const handle = createPromptLayerWebhookHandler({
//     secrets: [env.PLX_WEBHOOK_SECRET],
//     dispatch: { github: { repository: "acme/prompts", token: env.PLX_GITHUB_TOKEN } },
//     promptLayer: { apiKey: env.PROMPTLAYER_API_KEY },
//   });
//   export default { fetch: (request, env, ctx) => handle(request, { waitUntil: (p) => ctx.waitUntil(p) }) };
export { parseJsonPreservingNumbers, type JsonValue, pythonJsonDumps, RawNumber } from "../core/pyjson.js";
export {
  ActionError,
  DISPATCH_EVENT_TYPE,
  dispatchPayload,
  envelopeOf,
  githubDispatchAction,
  gitlabTriggerAction,
  summarizeBatch,
  triggerVariables,
  type SyncAction,
  type SyncBatch,
} from "./actions.js";
export { Debouncer, type DebouncerOptions, realTimers, type Timers } from "./debounce.js";
export {
  changesRepository,
  describeEvent,
  type EnvelopeResult,
  parseEnvelope,
  REPOSITORY_EVENTS,
  type RepositoryEventType,
  type WebhookEvent,
} from "./envelope.js";
export {
  DEFAULT_TOLERANCE_MS,
  DuplicateFilter,
  type DuplicateFilterOptions,
  deliveryKey,
  type Freshness,
  freshness,
  parseWebhookTimestamp,
} from "./freshness.js";
export {
  createWebhookHandler,
  type DeliveryOutcome,
  type DeliveryRecord,
  type InvocationContext,
  type WebhookHandler,
  type WebhookHandlerOptions,
} from "./handler.js";
export { createLoopGuard, isPublishedByPlx, type LoopGuard, type LoopGuardOptions } from "./loop-guard.js";
export {
  createSyncPipeline,
  DEFAULT_DEBOUNCE_MS,
  type PipelineLog,
  type PipelineStats,
  type SyncPipeline,
  type SyncPipelineOptions,
} from "./pipeline.js";
export {
  createDeliveryReader,
  type Delivery,
  type DeliveryReader,
  type DeliveryReaderOptions,
  HEALTH_PATH,
  MAX_BODY_BYTES,
} from "./receive.js";
export { SIGNATURE_HEADER, signatureMatches, signWebhookPayload, verifyWebhookSignature } from "./signature.js";
export { createPromptLayerWebhookHandler, type PromptLayerWebhookOptions } from "./serverless.js";
