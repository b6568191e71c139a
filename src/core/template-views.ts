// PromptLayer answers reads of one template version in two shapes: the raw read (GET /prompt-templates/{id}) and
// the rendering view the SDK's `templates.get` asks for (POST /prompt-templates/{id}). The second is the first
// without its registry bookkeeping; the sandbox and the cache both derive it here, so the two cannot drift apart.

type JsonObject = { [key: string]: unknown };

/** Fields only the raw read carries: the registry's bookkeeping, not part of the rendering view. */
const RAW_READ_ONLY = new Set(["success", "workspace_id", "tags", "created_at", "snippets"]);

/**
 * The POST view (`GetPromptTemplateResponse`: id, prompt_name, prompt_template, metadata, commit_message,
 * llm_kwargs, version) of a raw read with snippets resolved. Version-level extras a read carries (a custom
 * provider, a provider base URL) stay: the SDK's `run()` reads them from this view.
 */
export function runViewOf<T extends JsonObject>(raw: T): T {
  const view: JsonObject = {};
  for (const [key, value] of Object.entries(raw)) if (!RAW_READ_ONLY.has(key)) view[key] = value;
  view.metadata ??= null;
  view.commit_message ??= null;
  view.llm_kwargs ??= null;
  return view as T;
}

/**
 * Whether a template's variables can be filled in outside PromptLayer: placeholder messages (a list of messages
 * passed as a variable) and tool variables are expanded by PromptLayer itself, as the official SDK's cache also
 * assumes.
 */
export function isLocallyRenderable(promptTemplate: unknown): boolean {
  if (promptTemplate === null || typeof promptTemplate !== "object") return false;
  const { type, messages, tools } = promptTemplate as { type?: unknown; messages?: unknown; tools?: unknown };
  if (type === "chat" && Array.isArray(messages) && messages.some((m) => (m as JsonObject)?.role === "placeholder"))
    return false;
  return !(Array.isArray(tools) && tools.some((tool) => (tool as JsonObject)?.type === "variable"));
}
