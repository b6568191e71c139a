/**
 * The rules an agent's graph must follow, checked without PromptLayer: node names unique, every dependency and edge
 * naming a node or a declared input variable, no cycles, at least one output node. `plx check` reports each issue at
 * its place in the file; the sandbox refuses a version that breaks them, as PromptLayer does.
 */
import { isJsonObject, type JsonObject, type JsonValue } from "../core/template.js";

/** Where an issue is, in the API's terms; each consumer turns it into a file position or a message. */
export type GraphSite =
  | { kind: "agent" }
  | { kind: "inputs"; input?: string }
  | { kind: "node"; node: string; index: number; path: Array<string | number> }
  | { kind: "edge"; index: number; path: Array<string | number> };

export interface GraphIssue {
  site: GraphSite;
  severity: "error" | "warning";
  code: string;
  message: string;
  hint: string;
}

export interface AgentGraph {
  nodes: readonly JsonObject[];
  edges: readonly JsonObject[];
  inputs: JsonObject;
}

/** Node types whose configuration names a registry prompt under `template`. */
export const PROMPT_NODE_TYPE = "PROMPT_TEMPLATE";

export interface PromptReference {
  name: string;
  label?: string;
  version?: number;
}

/**
 * A prompt node's registry reference, from `configuration.template`: `prompt_name` (evaluation columns spell it
 * `name`), pinned by `label`, `version` or `version_number`. Undefined when there is none.
 */
export function templateReference(template: JsonValue | undefined): PromptReference | undefined {
  if (!isJsonObject(template)) return undefined;
  const name = template.prompt_name ?? template.name;
  if (typeof name !== "string" || name === "") return undefined;
  const version = template.version ?? template.version_number;
  return {
    name,
    ...(typeof template.label === "string" ? { label: template.label } : {}),
    ...(typeof version === "number" ? { version } : {}),
  };
}

export function checkGraph(graph: AgentGraph): GraphIssue[] {
  const issues: GraphIssue[] = [];
  const names = new Set<string>();
  graph.nodes.forEach((node, index) => {
    const name = node.name;
    const site = (path: Array<string | number>): GraphSite => ({ kind: "node", node: String(name), index, path });
    if (typeof name !== "string" || name === "") {
      issues.push(issue(site(["name"]), "node-name", "a node has no name", "Give every node a unique `name`."));
      return;
    }
    if (names.has(name))
      issues.push(
        issue(site([]), "node-duplicate", `two nodes are named "${name}"`, "Node names are unique within an agent."),
      );
    names.add(name);
    if (typeof node.node_type !== "string" || node.node_type === "")
      issues.push(
        issue(
          site(["node_type"]),
          "node-type",
          `node "${name}" has no node_type`,
          "Set node_type, e.g. PROMPT_TEMPLATE or VARIABLE.",
        ),
      );
  });

  const inputs = new Set(Object.keys(graph.inputs));
  const known = (name: string) => names.has(name) || inputs.has(name);
  const used = new Set<string>();
  const reference = (name: JsonValue | undefined, site: GraphSite, what: string) => {
    if (typeof name !== "string") return;
    used.add(name);
    if (!known(name))
      issues.push(
        issue(
          site,
          "unknown-reference",
          `${what} "${name}", which is neither a node nor a declared input variable`,
          `Fix the name, add a node called "${name}", or declare it under required_input_variables.`,
        ),
      );
  };

  graph.nodes.forEach((node, index) => {
    if (typeof node.name !== "string" || node.name === "") return;
    const name = node.name;
    const site = (path: Array<string | number>): GraphSite => ({ kind: "node", node: name, index, path });
    if (Array.isArray(node.dependencies)) {
      node.dependencies.forEach((dependency, at) => {
        reference(dependency, site(["dependencies", at]), `node "${name}" depends on`);
      });
    } else if (node.dependencies !== undefined && node.dependencies !== null) {
      issues.push(
        issue(
          site(["dependencies"]),
          "dependencies",
          `node "${name}": dependencies must be a list of names`,
          "List the nodes and input variables it needs, e.g. `dependencies: [question]`.",
        ),
      );
    }
    const mappings = isJsonObject(node.configuration) ? node.configuration.prompt_template_variable_mappings : null;
    if (isJsonObject(mappings))
      for (const [variable, source] of Object.entries(mappings))
        reference(
          source,
          site(["configuration", "prompt_template_variable_mappings", variable]),
          `node "${name}" fills {${variable}} from`,
        );
  });

  graph.edges.forEach((edge, index) => {
    const site = (path: Array<string | number>): GraphSite => ({ kind: "edge", index, path });
    for (const end of ["source_node_name", "target_node_name"] as const) {
      const name = edge[end];
      if (typeof name === "string" && names.has(name)) continue;
      issues.push(
        issue(
          site([end]),
          "edge-node",
          typeof name === "string" ? `an edge names the node "${name}", which does not exist` : `an edge has no ${end}`,
          "Edges connect nodes of this agent by name.",
        ),
      );
    }
    if (!Array.isArray(edge.conditionals) || edge.conditionals.length === 0)
      issues.push(
        issue(
          site(["conditionals"]),
          "edge-conditions",
          "an edge needs at least one condition",
          "A node that simply runs after another lists it under dependencies; an edge is for conditions.",
        ),
      );
    if (Array.isArray(edge.conditionals))
      edge.conditionals.forEach((conditional, at) => {
        if (!isJsonObject(conditional)) return;
        for (const side of ["left_config", "right_config"] as const) {
          const config = conditional[side];
          if (isJsonObject(config))
            reference(config.source, site(["conditionals", at, side, "source"]), "an edge condition compares");
        }
      });
  });

  const cycle = findCycle(graph, names);
  if (cycle) {
    const first = graph.nodes.findIndex((node) => node.name === cycle[0]);
    issues.push(
      issue(
        { kind: "node", node: cycle[0]!, index: first, path: [] },
        "cycle",
        `nodes form a cycle: ${cycle.join(" -> ")}`,
        "An agent runs each node once, after what it depends on; break the cycle.",
      ),
    );
  }

  if (!graph.nodes.some((node) => node.is_output_node === true))
    issues.push(
      issue(
        { kind: "agent" },
        "no-output-node",
        "no node is an output node",
        "Mark the node whose value the agent returns with `is_output_node: true`.",
      ),
    );

  for (const input of inputs) {
    if (used.has(input) || names.has(input)) continue;
    issues.push({
      site: { kind: "inputs", input },
      severity: "warning",
      code: "input-unused",
      message: `the input variable "${input}" is declared but no node uses it`,
      hint: `Add "${input}" to the dependencies of the nodes that read it, or remove it.`,
    });
  }
  return issues;
}

function issue(site: GraphSite, code: string, message: string, hint: string): GraphIssue {
  return { site, severity: "error", code, message, hint };
}

/** Node names that a node must run after: the nodes among its dependencies, and the sources of edges into it. */
export function predecessors(graph: AgentGraph, names: ReadonlySet<string>): Map<string, string[]> {
  const before = new Map<string, string[]>();
  const add = (node: string, predecessor: string) => before.set(node, [...(before.get(node) ?? []), predecessor]);
  for (const node of graph.nodes) {
    if (typeof node.name !== "string") continue;
    if (!before.has(node.name)) before.set(node.name, []);
    if (Array.isArray(node.dependencies))
      for (const dependency of node.dependencies)
        if (typeof dependency === "string" && names.has(dependency)) add(node.name, dependency);
  }
  for (const edge of graph.edges) {
    const { source_node_name: source, target_node_name: target } = edge;
    if (typeof source === "string" && typeof target === "string" && names.has(source) && names.has(target))
      add(target, source);
  }
  return before;
}

/** One cycle, as the names along it with the first repeated at the end; undefined when there is none. */
function findCycle(graph: AgentGraph, names: ReadonlySet<string>): string[] | undefined {
  const before = predecessors(graph, names);
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === "done") return undefined;
    if (state.get(name) === "visiting") return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, "visiting");
    stack.push(name);
    for (const predecessor of before.get(name) ?? []) {
      const found = visit(predecessor);
      if (found) return found;
    }
    stack.pop();
    state.set(name, "done");
    return undefined;
  };
  for (const name of before.keys()) {
    const found = visit(name);
    // Walked against the arrows; reversed, it reads in running order.
    if (found) return found.reverse();
  }
  return undefined;
}

/** Nodes in an order that runs each after its predecessors; the graph must have no cycle. */
export function runningOrder(graph: AgentGraph): JsonObject[] {
  const names = new Set(graph.nodes.flatMap((node) => (typeof node.name === "string" ? [node.name] : [])));
  const before = predecessors(graph, names);
  const byName = new Map(graph.nodes.map((node) => [String(node.name), node]));
  const placed = new Set<string>();
  const order: JsonObject[] = [];
  const place = (name: string) => {
    if (placed.has(name)) return;
    placed.add(name);
    for (const predecessor of before.get(name) ?? []) place(predecessor);
    order.push(byName.get(name)!);
  };
  for (const node of graph.nodes) if (typeof node.name === "string") place(node.name);
  return order;
}
