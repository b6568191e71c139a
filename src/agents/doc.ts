/**
 * The in-memory model of one agent version (a PromptLayer workflow): what plx keeps in git. It is built from the
 * API's read of a version (GET /workflows/{id}) and keeps every field it does not know, at every depth, so a pull
 * followed by a push loses nothing but the server's own ids and the secrets plx never writes.
 */
import { createHash } from "node:crypto";
import { compareCodePoints, stableStringify } from "../core/canonical.js";
import { isJsonObject, isSecret, type JsonObject, type JsonValue, jsonOf, stripSecrets } from "../core/template.js";
import { PROMPT_NODE_TYPE, templateReference } from "./graph.js";

export interface AgentDoc {
  /** The workflow's name, unique per workspace among workflows. */
  name: string;
  /** Folder names from the root; [] is the root. */
  folder: string[];
  /** `required_input_variables`: each input variable's name and type. */
  inputs: JsonObject;
  /** Nodes as the API holds them (`name`, `node_type`, `configuration`, `dependencies`, `is_output_node` and any
   * field plx does not know), without server ids, sorted by name. */
  nodes: JsonObject[];
  /** Conditional edges as the API holds them, without server ids, sorted by source, target and content. */
  edges: JsonObject[];
  /** Version-level fields beyond nodes, edges and inputs that plx does not know, kept verbatim. */
  extras: JsonObject;
}

/** Fields of a workflow read that name the workflow, the version or the read itself rather than its content. */
const NON_CONTENT_KEYS = new Set([
  "success",
  "message",
  "warning",
  "id",
  "name",
  "workflow",
  "workflow_id",
  "workflow_name",
  "workflow_version_id",
  "version",
  "version_number",
  "base_version",
  "latest_version_number",
  "commit_message",
  "release_labels",
  "external_ids",
  "folder_id",
  "workspace_id",
  "user_id",
  "is_deleted",
  "created_at",
  "updated_at",
  "nodes",
  "edges",
  "required_input_variables",
]);

/** Ids the server gives nodes and edges: they change with every version, so they are not content. */
const NODE_SERVER_KEYS = ["id", "workflow_version_id"];
const EDGE_SERVER_KEYS = ["id", "workflow_version_id"];

/** Node fields in the order files and bodies list them; anything else follows in its own order. */
const NODE_KEY_ORDER = ["name", "node_type", "is_output_node", "dependencies", "configuration"];
const EDGE_KEY_ORDER = ["source_node_name", "target_node_name", "is_and", "conditionals"];

/** A workflow version as PromptLayer answers it; only what is read by name is typed. */
export interface RawWorkflowVersion {
  nodes?: unknown;
  edges?: unknown;
  required_input_variables?: unknown;
  readonly [key: string]: unknown;
}

/** Whether a version-level field is content (kept in `extras`), rather than the workflow's or the read's identity. */
export const isContentKey = (key: string) => !NON_CONTENT_KEYS.has(key);

export function agentFromRaw(raw: RawWorkflowVersion, name: string, folder: readonly string[]): AgentDoc {
  const extras = Object.entries(raw).filter(([key, value]) => value !== undefined && isContentKey(key));
  const inputs = raw.required_input_variables == null ? {} : jsonOf(raw.required_input_variables, "inputs");
  return normalizeAgent({
    name,
    folder: [...folder],
    inputs: isJsonObject(inputs) ? inputs : {},
    nodes: listOfObjects(raw.nodes, "nodes").map((node) => without(node, NODE_SERVER_KEYS)),
    edges: listOfObjects(raw.edges, "edges").map((edge) => without(edge, EDGE_SERVER_KEYS)),
    extras: Object.fromEntries(extras.map(([key, value]) => [key, jsonOf(value, key)])),
  });
}

/**
 * The one shape every AgentDoc has, whatever it was built from: nodes sorted by name and edges by source, target and
 * content, known fields first in a fixed order, node fields left at the API's defaults (no dependencies, not an
 * output node, an empty configuration) dropped, and no secrets. Sorting is safe: neither list's order means anything
 * to PromptLayer, which links nodes and edges by name.
 */
export function normalizeAgent(doc: AgentDoc): AgentDoc {
  const nodes = doc.nodes.map((node) => ordered(withoutDefaults(stripSecrets(node)), NODE_KEY_ORDER));
  const edges = doc.edges.map((edge) => ordered(stripSecrets(edge), EDGE_KEY_ORDER));
  return {
    name: doc.name,
    folder: [...doc.folder],
    inputs: stripSecrets(doc.inputs),
    nodes: nodes.sort((a, b) => compareCodePoints(nodeName(a), nodeName(b)) || byContent(a, b)),
    edges: edges.sort(
      (a, b) =>
        compareCodePoints(String(a.source_node_name), String(b.source_node_name)) ||
        compareCodePoints(String(a.target_node_name), String(b.target_node_name)) ||
        byContent(a, b),
    ),
    // An identity field in extras would redirect a push (workflow_id names which workflow gets the version).
    extras: stripSecrets(Object.fromEntries(Object.entries(doc.extras).filter(([key]) => isContentKey(key)))),
  };
}

export const nodeName = (node: JsonObject): string => (typeof node.name === "string" ? node.name : "");

/** The prompts an agent's nodes refer to, by name, sorted and each once: what must exist before it is published. */
export function promptNamesIn(doc: Pick<AgentDoc, "nodes">): string[] {
  const names = doc.nodes.flatMap((node) => {
    if (node.node_type !== PROMPT_NODE_TYPE || !isJsonObject(node.configuration)) return [];
    const reference = templateReference(node.configuration.template);
    return reference ? [reference.name] : [];
  });
  return [...new Set(names)].sort(compareCodePoints);
}

/**
 * The canonical form: what `diff` compares and the content hash covers. It is the normalized document without its
 * name and folder (a rename or a move is not a content change) and without version-level extras the server echoes
 * as null, so a hand-written file and a pulled one compare equal.
 */
export function canonicalAgent(doc: AgentDoc): JsonObject {
  const normal = normalizeAgent(doc);
  return {
    required_input_variables: normal.inputs,
    nodes: normal.nodes,
    edges: normal.edges,
    extras: Object.fromEntries(Object.entries(normal.extras).filter(([, value]) => value !== null)),
  };
}

function withoutDefaults(node: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(node).filter(([key, value]) => !isNodeDefault(key, value)));
}

/** Whether a node field holds what the API assumes when it is absent. */
export function isNodeDefault(key: string, value: JsonValue): boolean {
  if (key === "dependencies") return value === null || (Array.isArray(value) && value.length === 0);
  if (key === "is_output_node") return value === false || value === null;
  if (key === "configuration") return value === null || (isJsonObject(value) && Object.keys(value).length === 0);
  return false;
}

export function agentContentHash(doc: AgentDoc): string {
  return `sha256:${createHash("sha256")
    .update(stableStringify(canonicalAgent(doc)))
    .digest("hex")}`;
}

/**
 * What POST /rest/workflows needs for a version's content: every node complete, as the spec requires, and the
 * version-level fields PromptLayer gave that plx does not know, so a round trip through git keeps them.
 */
export function workflowContentOf(doc: AgentDoc): JsonObject & {
  nodes: JsonObject[];
  edges: JsonObject[];
  required_input_variables: JsonObject;
} {
  const nodes = doc.nodes.map((node) => ({
    ...structuredClone(node),
    configuration: isJsonObject(node.configuration) ? structuredClone(node.configuration) : {},
    dependencies: Array.isArray(node.dependencies) ? [...node.dependencies] : [],
    is_output_node: node.is_output_node === true,
  }));
  return {
    ...structuredClone(normalizeAgent(doc).extras),
    nodes: nodes.map((node) => ordered(node, NODE_KEY_ORDER)),
    edges: structuredClone(doc.edges),
    required_input_variables: structuredClone(doc.inputs),
  };
}

/**
 * A new version's content with the secrets of the version it replaces put back. Agent files never hold secrets (an
 * endpoint node's Authorization header, an api_key), so a version made from a file alone would drop them in
 * PromptLayer. A secret comes back where the same node (by name), or the version itself, still has the object that held
 * it and does not set that field itself; a node or object the file removed takes its secrets with it.
 */
export function withSecretsFrom<Content extends ReturnType<typeof workflowContentOf>>(
  content: Content,
  replaced: RawWorkflowVersion | undefined,
): Content {
  if (!replaced) return content;
  const previousNodes = new Map(listOfObjects(replaced.nodes, "nodes").map((node) => [nodeName(node), node]));
  const { nodes: _nodes, edges: _edges, ...rest } = content;
  const restored = restoreSecrets(rest, jsonOf(without(replaced as JsonObject, ["nodes", "edges"]), "version"));
  return {
    ...(restored as JsonObject),
    nodes: content.nodes.map((node) => {
      const previous = previousNodes.get(nodeName(node));
      return previous ? (restoreSecrets(node, previous) as JsonObject) : node;
    }),
    edges: content.edges,
  } as Content;
}

function restoreSecrets(current: JsonValue, previous: JsonValue): JsonValue {
  if (Array.isArray(current) && Array.isArray(previous) && current.length === previous.length)
    return current.map((item, index) => restoreSecrets(item, previous[index]!));
  if (!isJsonObject(current) || !isJsonObject(previous)) return current;
  const entries: Array<[string, JsonValue]> = Object.entries(current).map(([key, value]) => [
    key,
    Object.hasOwn(previous, key) ? restoreSecrets(value, previous[key]!) : value,
  ]);
  for (const [key, value] of Object.entries(previous))
    if (!Object.hasOwn(current, key) && isSecret(key, value)) entries.push([key, structuredClone(value)]);
  return Object.fromEntries(entries);
}

function ordered(object: JsonObject, order: readonly string[]): JsonObject {
  const known = order
    .filter((key) => Object.hasOwn(object, key))
    .map((key): [string, JsonValue] => [key, object[key]!]);
  const rest = Object.entries(object).filter(([key]) => !order.includes(key));
  // fromEntries defines `__proto__` and friends as plain keys, so unknown keys of any name survive.
  return Object.fromEntries([...known, ...rest]);
}

function without(object: JsonObject, keys: readonly string[]): JsonObject {
  return Object.fromEntries(Object.entries(object).filter(([key]) => !keys.includes(key)));
}

const byContent = (a: JsonObject, b: JsonObject) => compareCodePoints(stableStringify(a), stableStringify(b));

function listOfObjects(value: unknown, where: string): JsonObject[] {
  if (value === null || value === undefined) return [];
  const list = jsonOf(value, where);
  return Array.isArray(list) ? list.filter(isJsonObject) : [];
}
