// Runs an agent version in the sandbox, deterministically and without a model. VARIABLE nodes give the input of the
// same name, else their configured value; PROMPT_TEMPLATE nodes render their registry template (at the pinned label
// or version) with the values they depend on and output the rendered text; conditional edges are evaluated with the
// spec's operators. Node types that need an outside system fail, saying so, unless a test seeded their value.
import { runningOrder, templateReference } from "../agents/graph.js";
import { isJsonObject } from "../core/template.js";
import { stableStringify } from "../core/canonical.js";
import { renderedText } from "./render.js";
import { ApiError, type Workspace } from "./state.js";
import type {
  AgentRunSettings,
  Json,
  JsonObject,
  NodeResult,
  NodeSeed,
  NodeStatus,
  StoredExecution,
} from "./records.js";

export const DEFAULT_RUN_SETTINGS: AgentRunSettings = { polls: 1, run_ms: 0 };

/** Runs every node of a version once, in dependency order. */
export function runGraph(
  workspace: Workspace,
  agent: string,
  graph: { nodes: JsonObject[]; edges: JsonObject[]; required_input_variables: Record<string, string> },
  inputs: JsonObject,
  seeds: readonly NodeSeed[],
): { order: string[]; results: Record<string, NodeResult> } {
  const order = runningOrder({ nodes: graph.nodes, edges: graph.edges, inputs: graph.required_input_variables });
  const results = new Map<string, NodeResult>();
  const scope = new Map<string, Json>(Object.entries(inputs));
  for (const node of order) {
    const name = String(node.name);
    const result = runNode(workspace, agent, node, graph.edges, { scope, results, inputs, seeds });
    results.set(name, result);
    if (result.status === "SUCCESS") scope.set(name, result.value);
  }
  return { order: order.map((node) => String(node.name)), results: Object.fromEntries(results) };
}

interface RunState {
  scope: Map<string, Json>;
  results: Map<string, NodeResult>;
  inputs: JsonObject;
  seeds: readonly NodeSeed[];
}

function runNode(
  workspace: Workspace,
  agent: string,
  node: JsonObject,
  edges: readonly JsonObject[],
  state: RunState,
): NodeResult {
  const name = String(node.name);
  const output = node.is_output_node === true;
  const done = (status: NodeStatus, value: Json, error: string | null = null): NodeResult => ({
    status,
    value,
    error_message: error,
    raw_error_message: error,
    is_output_node: output,
  });
  const dependencies = Array.isArray(node.dependencies) ? node.dependencies.map(String) : [];
  const blocked = dependencies.find((dependency) => {
    const result = state.results.get(dependency);
    return result !== undefined && result.status !== "SUCCESS";
  });
  if (blocked !== undefined) return done("SKIPPED", null, `"${blocked}" did not succeed`);
  const incoming = edges.filter((edge) => edge.target_node_name === name);
  if (incoming.length > 0 && !incoming.some((edge) => edgePasses(edge, state)))
    return done("SKIPPED", null, "no edge into this node has its conditions met");

  const seed = state.seeds.find((candidate) => candidate.agent === agent && candidate.node === name);
  if (seed) return done(seed.status, seed.value, seed.error_message);

  const configuration = isJsonObject(node.configuration) ? node.configuration : {};
  switch (node.node_type) {
    case "VARIABLE": {
      if (Object.hasOwn(state.inputs, name)) return done("SUCCESS", state.inputs[name]!);
      const configured = configuration.value;
      return done("SUCCESS", isJsonObject(configured) && Object.hasOwn(configured, "value") ? configured.value! : null);
    }
    case "PROMPT_TEMPLATE":
      return renderPromptNode(workspace, configuration, dependencies, state, done);
    default:
      return done(
        "FAILED",
        null,
        `The plx sandbox does not run ${String(node.node_type)} nodes; seed this node's value with POST /__sandbox/agent-seeds.`,
      );
  }
}

function renderPromptNode(
  workspace: Workspace,
  configuration: JsonObject,
  dependencies: readonly string[],
  state: RunState,
  done: (status: NodeStatus, value: Json, error?: string | null) => NodeResult,
): NodeResult {
  const variables: Record<string, Json> = {};
  for (const dependency of dependencies)
    if (state.scope.has(dependency)) variables[dependency] = state.scope.get(dependency)!;
  const mappings = configuration.prompt_template_variable_mappings;
  if (isJsonObject(mappings))
    for (const [variable, source] of Object.entries(mappings))
      if (typeof source === "string" && state.scope.has(source)) variables[variable] = state.scope.get(source)!;

  const inline = configuration.inline_template;
  if (isJsonObject(inline) && isJsonObject(inline.prompt_template))
    return done("SUCCESS", renderedText(inline.prompt_template, variables));
  const reference = templateReference(configuration.template);
  if (!reference)
    return done("FAILED", null, "The node names no prompt template (configuration.template.prompt_name).");
  try {
    const template = workspace.template(reference.name);
    const version = workspace.selectVersion(template, reference);
    const content = workspace.resolveSnippets(version.prompt_template) as JsonObject;
    return done("SUCCESS", renderedText(content, variables));
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    const message = isJsonObject(error.body as Json) ? String((error.body as JsonObject).message) : "not found";
    return done("FAILED", null, `Prompt template "${reference.name}": ${message}`);
  }
}

// ---- Conditional edges ----

function edgePasses(edge: JsonObject, state: RunState): boolean {
  const source = state.results.get(String(edge.source_node_name));
  if (source?.status !== "SUCCESS") return false;
  const conditionals = (Array.isArray(edge.conditionals) ? edge.conditionals : [])
    .filter(isJsonObject)
    .sort((a, b) => Number(a.position ?? 0) - Number(b.position ?? 0));
  if (conditionals.length === 0) return true;
  const holds = (conditional: JsonObject) =>
    compare(
      String(conditional.operator),
      operand(conditional.left_config, state),
      operand(conditional.right_config, state),
    );
  return edge.is_and === false ? conditionals.some(holds) : conditionals.every(holds);
}

/** `{source: name}` reads a node's output or an input variable; `{static_value: v}` is v. */
function operand(config: Json | undefined, state: RunState): Json {
  if (!isJsonObject(config)) return null;
  if (typeof config.source === "string") return state.scope.get(config.source) ?? null;
  return config.static_value ?? null;
}

/** Numbers and numeric text compare as numbers, "true"/"false" as booleans, anything else as its JSON. */
function comparable(value: Json): Json {
  if (typeof value === "string") {
    const trimmed = value.trim();
    if (trimmed !== "" && Number.isFinite(Number(trimmed))) return Number(trimmed);
    if (trimmed === "true" || trimmed === "false") return trimmed === "true";
  }
  return value;
}

const same = (left: Json, right: Json) => stableStringify(comparable(left)) === stableStringify(comparable(right));

function compare(operator: string, left: Json, right: Json): boolean {
  switch (operator) {
    case "=":
      return same(left, right);
    case "!=":
      return !same(left, right);
    case "<":
    case ">":
    case "<=":
    case ">=": {
      const [a, b] = [comparable(left), comparable(right)];
      const order =
        typeof a === "number" && typeof b === "number"
          ? a - b
          : String(a) < String(b)
            ? -1
            : String(a) > String(b)
              ? 1
              : 0;
      return operator === "<" ? order < 0 : operator === ">" ? order > 0 : operator === "<=" ? order <= 0 : order >= 0;
    }
    case "in":
      return contains(right, left);
    case "not_in":
      return !contains(right, left);
    case "is_null":
      return left === null;
    case "is_not_null":
      return left !== null;
    default:
      return false;
  }
}

function contains(container: Json, item: Json): boolean {
  if (Array.isArray(container)) return container.some((candidate) => same(candidate, item));
  if (typeof container === "string") return container.includes(typeof item === "string" ? item : JSON.stringify(item));
  if (isJsonObject(container)) return typeof item === "string" && Object.hasOwn(container, item);
  return false;
}

// ---- Results ----

/** The value of the first output node that succeeded, in running order. */
export function mainOutput(execution: StoredExecution): { found: boolean; value: Json } {
  for (const name of execution.order) {
    const result = execution.results[name]!;
    if (result.is_output_node && result.status === "SUCCESS") return { found: true, value: result.value };
  }
  return { found: false, value: null };
}

/**
 * The node results a read sees. While the run is going, the nodes it has "reached" show their results, the next one
 * RUNNING and the rest QUEUED; how far it has reached grows with each read.
 */
export function visibleResults(execution: StoredExecution): Record<string, NodeResult> {
  if (execution.finished) return execution.results;
  const total = execution.order.length;
  const reached = Math.min(Math.floor((execution.reads / (execution.polls + 1)) * total), total - 1);
  return Object.fromEntries(
    execution.order.map((name, index) => {
      const result = execution.results[name]!;
      if (index < reached) return [name, result];
      const status: NodeStatus = index === reached ? "RUNNING" : "QUEUED";
      return [name, { ...result, status, value: null, error_message: null, raw_error_message: null }];
    }),
  );
}
