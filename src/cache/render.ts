// Filling in `input_variables` for the SDK's POST read, from a cached template. The template itself goes through
// the renderer plx shares with `plx run`; the provider arguments PromptLayer also returns (`llm_kwargs`) carry the
// same texts in each provider's request shape, and are filled text by text as the official SDK's own cache does.
import type { JsonObject } from "../core/template.js";
import { isLocallyRenderable } from "../core/template-views.js";

export type Variables = Record<string, unknown>;

/** The seam to the renderer: both functions fill variables exactly as PromptLayer does, or throw. */
export interface TemplateRenderer {
  /** A prompt template (chat or completion) with its variables filled in, per message `template_format`. */
  renderTemplate(promptTemplate: JsonObject, variables: Variables): JsonObject;
  /** One text in a template format (`f-string` or `jinja2`). */
  renderText(text: string, format: string, variables: Variables): string;
}

/**
 * The POST view with its variables filled in, or undefined when that must be left to PromptLayer: placeholder
 * messages and tool variables are expanded by PromptLayer itself, and a template the renderer refuses is
 * answered with PromptLayer's own error.
 */
export function renderRunView(
  view: JsonObject,
  variables: Variables,
  renderer: TemplateRenderer,
): JsonObject | undefined {
  const template = view.prompt_template;
  if (!isLocallyRenderable(template)) return undefined;
  try {
    const rendered = renderer.renderTemplate(template as JsonObject, variables);
    const llmKwargs = view.llm_kwargs;
    const kwargs =
      llmKwargs !== null && typeof llmKwargs === "object" && !Array.isArray(llmKwargs)
        ? renderProviderArguments(structuredClone(llmKwargs), formatOf(template as JsonObject), variables, renderer)
        : llmKwargs;
    return { ...view, prompt_template: rendered, llm_kwargs: (kwargs ?? null) as JsonObject | null };
  } catch {
    return undefined;
  }
}

/** The format the provider arguments are filled with: the first message's, as the official SDK does. */
function formatOf(template: JsonObject): string {
  const first = Array.isArray(template.messages) ? (template.messages[0] as JsonObject | undefined) : template;
  return typeof first?.template_format === "string" ? first.template_format : "f-string";
}

type Mutable = Record<string, unknown>;

/** Fills the texts of OpenAI, Anthropic, Google and completion-style arguments in place. */
function renderProviderArguments(kwargs: Mutable, format: string, variables: Variables, renderer: TemplateRenderer) {
  const text = (value: string) => renderer.renderText(value, format, variables);
  const content = (value: unknown): unknown => {
    if (typeof value === "string") return text(value);
    if (Array.isArray(value))
      for (const block of value as Mutable[]) {
        const type = block?.type ?? "text";
        if (typeof block?.text === "string" && (type === "text" || type === "input_text"))
          block.text = text(block.text);
      }
    return value;
  };
  const parts = (holder: unknown) => {
    const list = (holder as Mutable | undefined)?.parts;
    if (Array.isArray(list))
      for (const part of list as Mutable[]) if (typeof part?.text === "string") part.text = text(part.text);
  };
  for (const key of ["messages", "input"])
    if (Array.isArray(kwargs[key]))
      for (const message of kwargs[key] as Mutable[])
        if (message && typeof message === "object" && "content" in message) message.content = content(message.content);
  if ("system" in kwargs) kwargs.system = content(kwargs.system);
  for (const key of ["contents", "history"])
    if (Array.isArray(kwargs[key])) for (const item of kwargs[key]) parts(item);
  const generation = kwargs.generation_config as Mutable | undefined;
  const instruction = "system_instruction" in kwargs ? kwargs.system_instruction : generation?.system_instruction;
  if (Array.isArray(instruction)) parts({ parts: instruction });
  else parts(instruction);
  if (typeof kwargs.prompt === "string") kwargs.prompt = text(kwargs.prompt);
  return kwargs;
}
