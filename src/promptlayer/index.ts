export {
  DEFAULT_BASE_URL,
  PromptLayerClient,
  type GetTemplateOptions,
  type PromptLayerClientOptions,
  type PublishOptions,
  type PublishResult,
  type TemplateFilters,
} from "./client.js";
export type { RequestEvent, TransportStats } from "./http.js";
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./retry.js";
export {
  contentHashOf,
  type ExternalId,
  type Folder,
  type FolderEntity,
  type ListedTemplate,
  type Metadata,
  type PromptContent,
  type PublishBody,
  type RawTemplate,
  type ReleaseLabel,
  type SnippetUsage,
} from "./schemas.js";
