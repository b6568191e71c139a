// The `.agent.yaml` file: an AgentDoc laid out for people reviewing a pull request. Nodes are a mapping keyed by
// name, each prompt node's registry reference reads as one line (`prompt: refund-reply@label:prod`), long text is a
// block scalar, and everything plx does not know is kept verbatim. Field names are the API's own.
import { type AgentDoc, isContentKey, isNodeDefault, normalizeAgent } from "../agents/doc.js";
import { isJsonObject, type JsonObject, type JsonValue } from "../core/template.js";
import { locationFromPath, type PlannedPath } from "./paths.js";
import { type FileProblem, positionFinder, readYamlFile } from "./prompt-file.js";
import { toYaml } from "./yaml-lossless.js";

const TOP_KEYS = ["name", "folder", "required_input_variables", "nodes", "edges", "extras"] as const;
/** The API's node fields, in the order the file writes them; `name` is the node's key in `nodes:`. */
const NODE_API_KEYS = ["node_type", "is_output_node", "dependencies", "configuration"] as const;
/** Where a node's own field goes when its name is one the file uses for something else. */
const NODE_OVERFLOW = "node_fields";
/** File-only keys of a node: `prompt` stands for configuration.template. */
const NODE_RESERVED = new Set<string>(["prompt", NODE_OVERFLOW]);

export type Placement = Pick<PlannedPath, "nameInFile" | "folderInFile">;

export function serializeAgentFile(doc: AgentDoc, placement: Placement): string {
  return toYaml(fileLayout(normalizeAgent(doc), placement));
}

/**
 * Why an agent, written as a file, could not be read back (a node without a type, an edge without ends); undefined
 * when it can. PromptLayer refuses such versions, so only a corrupted record could produce one; pull leaves it out.
 */
export function unwritableAgentReason(doc: AgentDoc, placement: Placement): string | undefined {
  const [first] = validateLayout(fileLayout(normalizeAgent(doc), placement));
  return first && (first.at.length > 0 ? `${first.at.join(".")}: ${first.message}` : first.message);
}

// Objects are built from entry lists with Object.fromEntries, never by assignment: a key named `__proto__` is data
// here (a node may be called that), and assigning it would set the object's prototype instead of keeping it.
function fileLayout(doc: AgentDoc, placement: Placement): JsonObject {
  const entries: Array<[string, JsonValue]> = [];
  if (placement.nameInFile) entries.push(["name", doc.name]);
  if (placement.folderInFile) entries.push(["folder", doc.folder]);
  if (Object.keys(doc.inputs).length > 0) entries.push(["required_input_variables", doc.inputs]);
  entries.push(["nodes", Object.fromEntries(doc.nodes.map((node) => [String(node.name), nodeLayout(node)]))]);
  if (doc.edges.length > 0) entries.push(["edges", doc.edges]);
  if (Object.keys(doc.extras).length > 0) entries.push(["extras", doc.extras]);
  return Object.fromEntries(entries);
}

/** A node without its name (its key in `nodes:`), its prompt reference lifted out of the configuration. */
function nodeLayout(node: JsonObject): JsonObject {
  const configuration = isJsonObject(node.configuration) ? node.configuration : undefined;
  const prompt = configuration ? promptReference(configuration.template) : undefined;
  const entries: Array<[string, JsonValue]> = [];
  const overflow: Array<[string, JsonValue]> = [];
  if (Object.hasOwn(node, "node_type")) entries.push(["node_type", node.node_type!]);
  if (prompt !== undefined) entries.push(["prompt", prompt]);
  for (const key of NODE_API_KEYS.slice(1)) {
    if (!Object.hasOwn(node, key)) continue;
    const value =
      key === "configuration" && prompt !== undefined
        ? Object.fromEntries(Object.entries(configuration!).filter(([name]) => name !== "template"))
        : node[key]!;
    // A configuration left empty by lifting the prompt out says nothing.
    if (!isNodeDefault(key, value)) entries.push([key, value]);
  }
  for (const [key, value] of Object.entries(node)) {
    if ((NODE_API_KEYS as readonly string[]).includes(key) || key === "name") continue;
    if (NODE_RESERVED.has(key)) overflow.push([key, value]);
    else entries.push([key, value]);
  }
  if (overflow.length > 0) entries.push([NODE_OVERFLOW, Object.fromEntries(overflow)]);
  return Object.fromEntries(entries);
}

// ---- The one-line prompt reference ----

/** `name`, `name@label:L`, `name@version:N` or `name@version_number:N`: the snippet syntax PromptLayer users know. */
const REFERENCE = /^([^@]+)@(label|version|version_number):(.+)$/s;

/**
 * The one-line form of a `configuration.template`, or undefined when it holds more than a name and one pin (or a name
 * with "@" in it), which the file then keeps as written.
 */
function promptReference(template: JsonValue | undefined): string | undefined {
  if (!isJsonObject(template)) return undefined;
  const { prompt_name: name, ...pins } = template;
  if (typeof name !== "string" || name === "" || name.includes("@")) return undefined;
  const pinned = Object.entries(pins);
  if (pinned.length === 0) return name;
  if (pinned.length > 1) return undefined;
  const [kind, value] = pinned[0]!;
  if (kind === "label" && typeof value === "string" && value !== "") return `${name}@label:${value}`;
  if ((kind === "version" || kind === "version_number") && Number.isSafeInteger(value) && (value as number) >= 0)
    return `${name}@${kind}:${value}`;
  return undefined;
}

function templateOfReference(reference: string): JsonObject | undefined {
  if (reference === "") return undefined;
  const match = REFERENCE.exec(reference);
  if (!match) return reference.includes("@") ? undefined : { prompt_name: reference };
  const [, name, kind, value] = match;
  if (kind === "label") return { prompt_name: name!, label: value! };
  return /^\d+$/.test(value!) && Number.isSafeInteger(Number(value))
    ? { prompt_name: name!, [kind!]: Number(value) }
    : undefined;
}

// ---- Reading ----

/** On success, also the file's own layout (nodes keyed by name, edges in the file's order), for finding positions. */
export type ParsedAgentFile = { ok: true; doc: AgentDoc; layout: JsonObject } | { ok: false; problems: FileProblem[] };

/** Reads a file's text; `path` is repo-relative and decides the name and folder unless the file says otherwise. */
export function parseAgentFile(text: string, path: string, promptsDir: string): ParsedAgentFile {
  const read = readYamlFile(text, path);
  if (!read.ok) return read;
  const { value } = read;
  const issues = validateLayout(value);
  if (issues.length > 0) {
    const locate = positionFinder(text);
    return {
      ok: false,
      problems: issues.map((issue) => ({ path, ...locate(issue.at), message: issue.message, hint: issue.hint })),
    };
  }
  return { ok: true, doc: docFromLayout(value as JsonObject, path, promptsDir), layout: value as JsonObject };
}

function docFromLayout(file: JsonObject, path: string, promptsDir: string): AgentDoc {
  const location = locationFromPath(path, promptsDir);
  const nodes = Object.entries((file.nodes as JsonObject | undefined) ?? {}).map(([name, layout]) =>
    nodeFromLayout(name, layout as JsonObject),
  );
  return normalizeAgent({
    name: typeof file.name === "string" ? file.name : location.name,
    folder: Array.isArray(file.folder) ? (file.folder as string[]) : location.folder,
    inputs: (file.required_input_variables as JsonObject | undefined) ?? {},
    nodes,
    edges: (file.edges as JsonObject[] | undefined) ?? [],
    extras: (file.extras as JsonObject | undefined) ?? {},
  });
}

function nodeFromLayout(name: string, layout: JsonObject): JsonObject {
  const entries: Array<[string, JsonValue]> = [["name", name]];
  for (const [key, value] of Object.entries(layout)) {
    if (key === "prompt" || key === NODE_OVERFLOW) continue;
    if (key === "configuration" && typeof layout.prompt === "string") continue;
    entries.push([key, value]);
  }
  if (typeof layout.prompt === "string") {
    const rest = isJsonObject(layout.configuration) ? Object.entries(layout.configuration) : [];
    entries.push(["configuration", Object.fromEntries([["template", templateOfReference(layout.prompt)!], ...rest])]);
  }
  if (isJsonObject(layout[NODE_OVERFLOW])) entries.push(...Object.entries(layout[NODE_OVERFLOW]));
  return Object.fromEntries(entries);
}

// ---- Validation: the file's shape only; the graph's rules are `plx check`'s (src/agents/graph.ts) ----

interface LayoutIssue {
  at: Array<string | number>;
  message: string;
  hint: string;
}

const isStringList = (value: JsonValue | undefined) =>
  Array.isArray(value) && value.every((item) => typeof item === "string");

function validateLayout(value: JsonValue): LayoutIssue[] {
  if (!isJsonObject(value))
    return [
      {
        at: [],
        message: value === null ? "the file is empty" : "the file must be a mapping with nodes and edges",
        hint: "Start from a file `plx pull` wrote, or see the agent format in the README.",
      },
    ];
  const issues: LayoutIssue[] = [];
  const issue = (at: Array<string | number>, message: string, hint: string) => issues.push({ at, message, hint });
  for (const key of Object.keys(value))
    if (!(TOP_KEYS as readonly string[]).includes(key))
      issue(
        [key],
        `unknown key "${key}"`,
        "An agent file holds name, folder, required_input_variables, nodes, edges and extras; keep other fields under extras.",
      );
  if (value.name !== undefined && (typeof value.name !== "string" || value.name === ""))
    issue(["name"], "name must be a non-empty string", "Remove `name:` to use the file name, or quote the name.");
  if (value.folder !== undefined && !isStringList(value.folder))
    issue(["folder"], "folder must be a list of folder names", "Write it as `folder: [support, billing]`.");
  if (value.extras !== undefined && !isJsonObject(value.extras))
    issue(["extras"], "extras must be a mapping", "Nest its fields under `extras:`.");
  else
    for (const key of Object.keys(value.extras ?? {}))
      if (!isContentKey(key))
        issue(
          ["extras", key],
          `extras cannot hold ${key}: it names the workflow or its version, which plx sets itself`,
          `Remove ${key} from extras; plx takes the name from the file and the folder from its directory.`,
        );
  const inputs = value.required_input_variables;
  if (inputs !== undefined && !(isJsonObject(inputs) && Object.values(inputs).every((t) => typeof t === "string")))
    issue(
      ["required_input_variables"],
      "required_input_variables must map each input variable to its type",
      "For example `required_input_variables: {question: string}`.",
    );
  if (!isJsonObject(value.nodes)) {
    issue(
      ["nodes"],
      "an agent needs a mapping of nodes, keyed by node name",
      "Add `nodes:` with one entry per node, e.g. `answer: {node_type: PROMPT_TEMPLATE, prompt: reply@label:prod}`.",
    );
  } else {
    for (const [name, node] of Object.entries(value.nodes)) validateNode(name, node, issue);
  }
  if (value.edges !== undefined) {
    if (!Array.isArray(value.edges))
      issue(["edges"], "edges must be a list", "Write each edge as `- source_node_name: a` with its target.");
    else
      value.edges.forEach((edge, index) => {
        if (!isJsonObject(edge))
          issue(["edges", index], "each edge must be a mapping", "Give it source_node_name and target_node_name.");
        else
          for (const end of ["source_node_name", "target_node_name"])
            if (typeof edge[end] !== "string")
              issue(["edges", index, end], `the edge needs ${end}`, "Edges connect two nodes by name.");
      });
  }
  return issues;
}

type Report = (at: Array<string | number>, message: string, hint: string) => void;

function validateNode(name: string, node: JsonValue, issue: Report): void {
  const at = ["nodes", name];
  if (name === "") issue(at, "a node name cannot be empty", "Name the node.");
  if (!isJsonObject(node)) {
    issue(at, `node "${name}" must be a mapping`, "Give it at least `node_type:`.");
    return;
  }
  if (typeof node.node_type !== "string" || node.node_type === "")
    issue([...at, "node_type"], `node "${name}" needs a node_type`, "For example `node_type: PROMPT_TEMPLATE`.");
  if (node.is_output_node !== undefined && typeof node.is_output_node !== "boolean")
    issue([...at, "is_output_node"], "is_output_node must be true or false", "Write `is_output_node: true`.");
  if (node.dependencies !== undefined && !isStringList(node.dependencies))
    issue([...at, "dependencies"], "dependencies must be a list of names", "Write them as `dependencies: [a, b]`.");
  if (node.configuration !== undefined && !isJsonObject(node.configuration))
    issue([...at, "configuration"], "configuration must be a mapping", "Nest the node's settings under it.");
  if (node[NODE_OVERFLOW] !== undefined && !isJsonObject(node[NODE_OVERFLOW]))
    issue([...at, NODE_OVERFLOW], `${NODE_OVERFLOW} must be a mapping`, "Nest the fields under it.");
  if (node.prompt !== undefined) {
    if (typeof node.prompt !== "string" || templateOfReference(node.prompt) === undefined)
      issue(
        [...at, "prompt"],
        `prompt must read name, name@label:<label> or name@version_number:<n>, not ${JSON.stringify(node.prompt)}`,
        "For a prompt name holding @, write configuration.template with prompt_name instead.",
      );
    if (isJsonObject(node.configuration) && Object.hasOwn(node.configuration, "template"))
      issue(
        [...at, "prompt"],
        `node "${name}" names its prompt twice, in prompt and in configuration.template`,
        "Keep one of them.",
      );
  }
}
