// Rendering PromptLayer templates exactly as PromptLayer does, for `plx run`, the sandbox and caches.
export { promptBlueprint, type Blueprint, type BlueprintOptions, type RawVersion } from "./blueprint.js";
export {
  analyzePromptTemplate,
  renderPromptTemplate,
  type Location,
  type MissingVariable,
  type RenderFailure,
  type RenderResult,
  type TemplateAnalysis,
  type TemplateFormat,
  type VariableKind,
  type VariableUse,
} from "./template.js";
