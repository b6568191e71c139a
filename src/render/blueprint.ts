// What PromptLayer answers `POST /prompt-templates/{identifier}` with (the SDK's `templates.get`, and `run()`'s first
// step): the version with its variables filled, and `llm_kwargs`, the request for the template's provider. The
// sandbox answers with it, and a cache of raw reads can too.
import { isJsonObject, type JsonObject, type JsonValue } from "../core/template.js";
import { FORMATS, parametersFor, providerFor } from "../providers/index.js";
import { renderPromptTemplate, type RenderResult } from "./template.js";

/** A version as GET /prompt-templates/{identifier} returns it, snippets already expanded. */
export interface RawVersion {
  id: number;
  prompt_name: string;
  version: number;
  prompt_template: JsonObject;
  metadata: JsonObject | null;
  commit_message: string | null;
}

export interface BlueprintOptions {
  /** The body's `input_variables`; the template is returned unfilled without them. */
  inputVariables?: Readonly<Record<string, unknown>>;
  /** The body's `provider` and `model`, which pick the llm_kwargs' provider and model. */
  provider?: string;
  model?: string;
  /** The body's `model_parameter_overrides`, merged over the template's parameters. */
  parameterOverrides?: JsonObject;
}

export interface Blueprint {
  response: JsonObject;
  /** What rendering found (missing variables, texts left unfilled); undefined when nothing was rendered. */
  render?: RenderResult;
}

/** A `POST /prompt-templates/{identifier}` body, as far as the answer depends on it. */
export interface BlueprintRequest {
  input_variables?: Readonly<Record<string, unknown>> | null;
  skip_input_variable_rendering?: boolean | null;
  provider?: string | null;
  model?: string | null;
  model_parameter_overrides?: JsonObject | null;
}

/** What a POST body asks of the answer: variables filled (unless it says to skip that), another provider or model. */
export function blueprintOptionsFrom(body: BlueprintRequest): BlueprintOptions {
  return {
    ...(body.input_variables && !body.skip_input_variable_rendering ? { inputVariables: body.input_variables } : {}),
    ...(body.provider ? { provider: body.provider } : {}),
    ...(body.model ? { model: body.model } : {}),
    ...(body.model_parameter_overrides ? { parameterOverrides: body.model_parameter_overrides } : {}),
  };
}

export function promptBlueprint(raw: RawVersion, options: BlueprintOptions = {}): Blueprint {
  const render = options.inputVariables ? renderPromptTemplate(raw.prompt_template, options.inputVariables) : undefined;
  const promptTemplate = render?.promptTemplate ?? raw.prompt_template;
  return {
    response: {
      id: raw.id,
      prompt_name: raw.prompt_name,
      prompt_template: promptTemplate,
      metadata: raw.metadata,
      commit_message: raw.commit_message,
      llm_kwargs: llmKwargs(promptTemplate, raw.metadata, options),
      version: raw.version,
    },
    ...(render ? { render } : {}),
  };
}

/** The provider request for the template's model; null when the template names no model plx can write one for. */
function llmKwargs(promptTemplate: JsonObject, metadata: JsonObject | null, options: BlueprintOptions): JsonValue {
  const model = isJsonObject(metadata?.model) ? metadata.model : undefined;
  const name = options.model ?? (typeof model?.name === "string" ? model.name : undefined);
  const named = options.provider ?? (typeof model?.provider === "string" ? model.provider : undefined);
  if (!name) return null;
  const provider = providerFor(named, name);
  if (!provider) return null;
  const from = providerFor(
    typeof model?.provider === "string" ? model.provider : undefined,
    typeof model?.name === "string" ? model.name : "",
  );
  const parameters = {
    ...parametersFor(isJsonObject(model?.parameters) ? model.parameters : {}, from, provider, []),
    ...options.parameterOverrides,
  };
  return FORMATS[provider].request(promptTemplate, { provider, name, parameters }, false, []).body;
}
