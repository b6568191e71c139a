// `plx check` for agent files: the file's shape, the graph's rules (src/agents/graph.ts) and, offline, whether each
// prompt a node refers to exists as a prompt file or in plx.lock. Every finding carries file:line:col.
import type { ResolvedConfig } from "../config/schema.js";
import { labelNameProblem } from "../core/label-names.js";
import { isJsonObject, type JsonObject } from "../core/template.js";
import { parseAgentFile } from "../files/agent-file.js";
import { realPromptsDir } from "../files/containment.js";
import { decodeText, filesOfKind, readFileBytes } from "../files/local.js";
import { AGENT_FILE_SUFFIX, PROMPT_FILE_SUFFIX } from "../files/paths.js";
import { positionFinder } from "../files/prompt-file.js";
import type { Finding } from "../core/findings.js";
import { type AgentDoc, nodeName } from "./doc.js";
import { checkGraph, type GraphSite, PROMPT_NODE_TYPE, templateReference } from "./graph.js";

export interface AgentCheck {
  /** Agent files looked at. */
  checked: number;
  /** Names of the agents whose files parsed. */
  names: string[];
  findings: Finding[];
}

/**
 * Checks the agent files among `only` (repo-relative or absolute paths), or every agent file when it is undefined.
 * `prompts` holds the prompt names that exist locally or in plx.lock.
 */
export async function checkAgentFiles(
  config: ResolvedConfig,
  only: readonly string[] | undefined,
  prompts: ReadonlySet<string>,
): Promise<AgentCheck> {
  const paths = await filesOfKind(config.rootDir, config.promptsDir, AGENT_FILE_SUFFIX, only);
  const realBase = realPromptsDir(config.rootDir, config.promptsDir);
  const findings: Finding[] = [];
  const claims = new Map<string, string[]>();
  for (const path of paths) {
    const invalid = (problems: Array<Omit<Finding, "severity" | "code">>) =>
      findings.push(...problems.map((problem) => ({ ...problem, severity: "error" as const, code: "invalid-file" })));
    const read = readFileBytes(config.rootDir, realBase, path);
    if ("problems" in read) {
      invalid(read.problems);
      continue;
    }
    const decoded = decodeText(path, read.bytes);
    if ("problems" in decoded) {
      invalid(decoded.problems);
      continue;
    }
    const parsed = parseAgentFile(decoded.text, path, config.promptsDir);
    if (!parsed.ok) {
      invalid(parsed.problems);
      continue;
    }
    claims.set(parsed.doc.name, [...(claims.get(parsed.doc.name) ?? []), path]);
    findings.push(...graphFindings(path, decoded.text, parsed.doc, parsed.layout, prompts));
  }
  for (const [name, claimants] of claims) {
    if (claimants.length < 2) continue;
    for (const path of claimants)
      findings.push({
        path,
        line: 1,
        col: 1,
        severity: "error",
        code: "agent-duplicate",
        message: `agent name "${name}" is also claimed by ${claimants.filter((other) => other !== path).join(", ")}`,
        hint: "Agent names are unique per workspace: rename one file, or give it a different `name:`.",
      });
  }
  return { checked: paths.length, names: [...claims.keys()], findings };
}

function graphFindings(
  path: string,
  text: string,
  doc: AgentDoc,
  layout: JsonObject,
  prompts: ReadonlySet<string>,
): Finding[] {
  const fileNodes = isJsonObject(layout.nodes) ? layout.nodes : {};
  // The file's own order for edges, so an edge's finding points at the edge the user wrote.
  const edges = Array.isArray(layout.edges) ? layout.edges.filter(isJsonObject) : [];
  const { nodes, inputs } = doc;
  let locate: ReturnType<typeof positionFinder> | undefined;
  const at = (where: Array<string | number>) => (locate ??= positionFinder(text))(where);
  const findings: Finding[] = checkGraph({ nodes, edges, inputs }).map((issue) => ({
    path,
    ...at(filePath(issue.site, fileNodes)),
    severity: issue.severity,
    code: issue.code,
    message: issue.message,
    hint: issue.hint,
  }));
  for (const node of nodes) {
    const configuration = isJsonObject(node.configuration) ? node.configuration : {};
    const reference = node.node_type === PROMPT_NODE_TYPE ? templateReference(configuration.template) : undefined;
    if (!reference) continue;
    const site: GraphSite = { kind: "node", node: nodeName(node), index: 0, path: ["configuration", "template"] };
    const labelProblem = reference.label === undefined ? undefined : labelNameProblem(reference.label);
    if (labelProblem)
      findings.push({
        path,
        ...at(filePath(site, fileNodes)),
        severity: "error",
        code: "label-invalid",
        message: `node "${nodeName(node)}" pins a label PromptLayer cannot have: ${labelProblem}`,
        hint: `Write the label as PromptLayer names it, e.g. prompt: ${reference.name}@label:prod.`,
      });
    if (prompts.has(reference.name)) continue;
    findings.push({
      path,
      ...at(filePath(site, fileNodes)),
      severity: "error",
      code: "prompt-missing",
      message: `node "${nodeName(node)}" refers to the prompt "${reference.name}", which matches no prompt file and no template in plx.lock`,
      hint: `Create ${reference.name}${PROMPT_FILE_SUFFIX}, run \`plx pull\` if it exists in PromptLayer, or fix the name (names are case-sensitive).`,
    });
  }
  return findings;
}

/** Where an issue is in the file: nodes are keyed by name, and `prompt` stands for configuration.template. */
function filePath(site: GraphSite, fileNodes: JsonObject): Array<string | number> {
  switch (site.kind) {
    case "agent":
      return ["nodes"];
    case "inputs":
      return site.input === undefined ? ["required_input_variables"] : ["required_input_variables", site.input];
    case "edge":
      return ["edges", site.index, ...site.path];
    case "node": {
      const node = fileNodes[site.node];
      const lifted = isJsonObject(node) && typeof node.prompt === "string";
      if (lifted && site.path[0] === "configuration" && site.path[1] === "template")
        return ["nodes", site.node, "prompt"];
      return ["nodes", site.node, ...(site.path[0] === "name" ? [] : site.path)];
    }
  }
}
