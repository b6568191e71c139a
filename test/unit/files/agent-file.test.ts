// The `.agent.yaml` format: a golden file, its guarantees as properties (lossless, byte-stable, unknown fields kept,
// secrets never written, reversible paths shared with prompt files) and its refusals, each at file:line:col.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AgentDoc,
  agentContentHash,
  agentFromRaw,
  canonicalAgent,
  normalizeAgent,
  workflowContentOf,
} from "../../../src/agents/doc.js";
import { stableStringify } from "../../../src/core/canonical.js";
import type { JsonObject, JsonValue } from "../../../src/core/template.js";
import {
  type Placement,
  parseAgentFile,
  serializeAgentFile,
  unwritableAgentReason,
} from "../../../src/files/agent-file.js";
import {
  AGENT_FILE_SUFFIX,
  type FileSuffix,
  locationFromPath,
  PROMPT_FILE_SUFFIX,
  planFilePaths,
} from "../../../src/files/paths.js";
import {
  expectNoFileSystemClash,
  folderArb,
  jsonObject,
  keyArb,
  nameArb,
  nastyString,
  object,
} from "../../support/json-arbitraries.js";

const PROMPTS_DIR = "prompts";
const FIXTURES = new URL("../../../fixtures/agents/", import.meta.url);
const HERE: Placement = { nameInFile: false, folderInFile: false };

function expectOk(result: ReturnType<typeof parseAgentFile>): AgentDoc {
  if (!result.ok) throw new Error(`expected the file to parse, got ${JSON.stringify(result.problems, null, 2)}`);
  return result.doc;
}

/** Equality as JSON: `toEqual` would compare a `constructor` key's value as the object's constructor. */
function expectSameDoc(actual: AgentDoc, expected: AgentDoc): void {
  const json = (doc: AgentDoc) => stableStringify(doc as unknown as JsonValue);
  if (json(actual) !== json(expected)) expect(actual).toEqual(expected);
  expect(json(actual)).toBe(json(expected));
}

const raw = () => JSON.parse(readFileSync(new URL("support-triage.raw.json", FIXTURES), "utf8")) as JsonObject;
const golden = () => readFileSync(new URL("support-triage.agent.yaml", FIXTURES), "utf8");
const PATH = "prompts/support/support-triage.agent.yaml";

describe("agent files: the golden file", () => {
  it("writes a pulled workflow as the reviewed layout, byte for byte", () => {
    expect(serializeAgentFile(agentFromRaw(raw(), "support-triage", ["support"]), HERE)).toBe(golden());
  });

  it("reads the golden file back to the same document, name and folder from its path", () => {
    const doc = expectOk(parseAgentFile(golden(), PATH, PROMPTS_DIR));
    expectSameDoc(doc, agentFromRaw(raw(), "support-triage", ["support"]));
    expect(doc).toMatchObject({ name: "support-triage", folder: ["support"] });
  });

  it("leaves out server ids, identity fields and the API's defaults, and keeps unknown node fields", () => {
    const text = golden();
    for (const absent of ["5b0e4c1a", "workflow_version_id", "e-1", "912", "commit_message", "release_labels"])
      expect(text).not.toContain(absent);
    expect(text).not.toContain("dependencies: []");
    expect(text).not.toContain("is_output_node: false");
    expect(text).toContain('      "y": 96');
  });

  it("never writes a secret, and a push would not send one either", () => {
    const doc = agentFromRaw(raw(), "support-triage", ["support"]);
    expect(golden()).not.toContain("sk-live");
    expect(golden()).not.toContain("Authorization");
    expect(JSON.stringify(workflowContentOf(doc))).not.toContain("sk-live");
  });

  it("names each prompt node's reference on one line, with its label or version", () => {
    expect(golden()).toContain("    prompt: refund-reply@label:prod\n");
    expect(golden()).toContain("    prompt: intent-classifier@version_number:3\n");
    const doc = expectOk(parseAgentFile(golden(), PATH, PROMPTS_DIR));
    const config = (name: string) => doc.nodes.find((node) => node.name === name)!.configuration as JsonObject;
    expect(config("reply")).toEqual({
      template: { prompt_name: "refund-reply", label: "prod" },
      prompt_template_variable_mappings: { tier: "customer_tier" },
    });
    expect(config("classify")).toEqual({ template: { prompt_name: "intent-classifier", version_number: 3 } });
  });

  it("writes code as a block scalar", () => {
    expect(golden()).toContain("      code: |\n        text = data['question'].strip()\n");
  });

  it("gives PromptLayer every node complete, as the spec requires, whatever the file left out", () => {
    const content = workflowContentOf(expectOk(parseAgentFile(golden(), PATH, PROMPTS_DIR)));
    const normalise = content.nodes.find((node) => node.name === "normalise")!;
    expect(normalise).toMatchObject({ node_type: "CODE_EXECUTION", dependencies: [], is_output_node: false });
    expect(content.required_input_variables).toEqual({ question: "string", customer_tier: "string" });
  });

  it("hashes content alone: a rename, a move, node order and edge order change nothing", () => {
    const doc = agentFromRaw(raw(), "support-triage", ["support"]);
    const reordered = raw();
    (reordered.nodes as JsonValue[]).reverse();
    (reordered.edges as JsonValue[]).reverse();
    expect(agentContentHash(agentFromRaw(reordered, "renamed", ["elsewhere"]))).toBe(agentContentHash(doc));
    const edited = raw();
    ((edited.nodes as JsonObject[])[1]!.configuration as JsonObject).template = { prompt_name: "intent-classifier" };
    expect(agentContentHash(agentFromRaw(edited, "support-triage", ["support"]))).not.toBe(agentContentHash(doc));
  });
});

describe("agent files: prompt references", () => {
  const withTemplate = (template: JsonValue) =>
    normalizeAgent({
      name: "a",
      folder: [],
      inputs: {},
      nodes: [{ name: "n", node_type: "PROMPT_TEMPLATE", is_output_node: true, configuration: { template } }],
      edges: [],
      extras: {},
    });

  it.each([
    [{ prompt_name: "reply" }, "prompt: reply\n"],
    [{ prompt_name: "reply", label: "prod" }, "prompt: reply@label:prod\n"],
    [{ prompt_name: "reply", version: 4 }, "prompt: reply@version:4\n"],
    [{ prompt_name: "reply", version_number: 4 }, "prompt: reply@version_number:4\n"],
    [{ prompt_name: "Weekly digest", label: "a@b c" }, "prompt: Weekly digest@label:a@b c\n"],
  ])("writes %j as one line", (template, line) => {
    const text = serializeAgentFile(withTemplate(template), HERE);
    expect(text).toContain(`    ${line}`);
    expectSameDoc(expectOk(parseAgentFile(text, "prompts/a.agent.yaml", PROMPTS_DIR)), withTemplate(template));
  });

  it.each([
    [{ prompt_name: "a@b", label: "prod" }],
    [{ prompt_name: "reply", label: "prod", version: 2 }],
    [{ prompt_name: "reply", label: "" }],
    [{ prompt_name: "reply", version: -1 }],
    [{ prompt_name: "reply", version: 1.5 }],
    [{ prompt_name: "reply", provider: "openai" }],
    [{ name: "reply" }],
  ])("keeps %j as written when one line cannot say it", (template) => {
    const text = serializeAgentFile(withTemplate(template), HERE);
    expect(text).not.toContain("prompt:");
    expect(text).toContain("      template:");
    expectSameDoc(expectOk(parseAgentFile(text, "prompts/a.agent.yaml", PROMPTS_DIR)), withTemplate(template));
  });

  it("keeps a node's own field called prompt apart from the reference", () => {
    const doc = normalizeAgent({
      name: "a",
      folder: [],
      inputs: {},
      nodes: [
        {
          name: "n",
          node_type: "PROMPT_TEMPLATE",
          is_output_node: true,
          configuration: { template: { prompt_name: "reply" } },
          prompt: "free text",
          node_fields: [1],
        },
      ],
      edges: [],
      extras: {},
    });
    const text = serializeAgentFile(doc, HERE);
    expect(text).toContain("    prompt: reply\n");
    expect(text).toContain("    node_fields:\n      prompt: free text\n      node_fields: [1]\n");
    expectSameDoc(expectOk(parseAgentFile(text, "prompts/a.agent.yaml", PROMPTS_DIR)), doc);
  });
});

describe("agent files: refusals, each where it is", () => {
  function problem(text: string) {
    const result = parseAgentFile(text, "prompts/broken.agent.yaml", PROMPTS_DIR);
    if (result.ok) throw new Error(`expected ${JSON.stringify(text)} to be refused`);
    return result.problems[0]!;
  }

  it.each([
    ["", 1, 1, "the file is empty"],
    ["- a\n", 1, 1, "must be a mapping"],
    ["edges: []\n", 1, 1, "needs a mapping of nodes"],
    ["nodes:\n  a:\n    node_type: 3\n", 3, 16, "needs a node_type"],
    ["nodes:\n  a:\n    node_type: X\n    is_output_node: yes\n", 4, 21, "true or false"],
    ["nodes:\n  a:\n    node_type: X\n    dependencies: b\n", 4, 19, "list of names"],
    ['nodes:\n  a:\n    node_type: X\n    prompt: "x@label:"\n', 4, 13, "prompt must read"],
    ["nodes:\n  a:\n    node_type: X\n    prompt: [x]\n", 4, 13, "prompt must read"],
    [
      "nodes:\n  a:\n    node_type: X\n    prompt: x\n    configuration:\n      template: {}\n",
      4,
      13,
      "names its prompt twice",
    ],
    ["nodes:\n  a:\n    node_type: X\n  a:\n    node_type: Y\n", 4, 3, 'duplicate key "a"'],
    ["nodes: {}\nedges:\n  - source_node_name: a\n", 3, 5, "target_node_name"],
    ["nodes: {}\nnode: {}\n", 2, 7, 'unknown key "node"'],
    ["nodes: {}\nrequired_input_variables:\n  q: 3\n", 3, 3, "to its type"],
    ["nodes: {}\nextras:\n  workflow_id: 7\n", 3, 16, "extras cannot hold workflow_id"],
  ])("%j: line %i col %i", (text, line, col, message) => {
    const found = problem(text);
    expect(found).toMatchObject({ path: "prompts/broken.agent.yaml", line, col });
    expect(found.message).toContain(message);
    expect(found.hint).not.toBe("");
  });

  it("says why a pulled agent could not be written, rather than write an unreadable file", () => {
    const broken = normalizeAgent({
      name: "a",
      folder: [],
      inputs: {},
      nodes: [{ name: "n", is_output_node: true }],
      edges: [],
      extras: {},
    });
    expect(unwritableAgentReason(broken, HERE)).toBe('nodes.n.node_type: node "n" needs a node_type');
    expect(unwritableAgentReason(agentFromRaw(raw(), "t", []), HERE)).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

/** Node names: any non-empty text, and names that are special to JavaScript objects, YAML or the layout itself. */
const nodeName = fc.oneof(
  { weight: 4, arbitrary: nastyString.filter((name) => name !== "") },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "__proto__",
      "constructor",
      "1",
      "01",
      "-1",
      "a: b",
      "prompt",
      "node_fields",
      "x".repeat(1001),
    ),
  },
);
const NODE_KEYS = ["name", "node_type", "is_output_node", "dependencies", "configuration"];
const EDGE_KEYS = ["source_node_name", "target_node_name", "is_and", "conditionals"];

const templateArb: fc.Arbitrary<JsonValue> = fc.oneof(
  object({ prompt_name: nastyString }),
  object({ prompt_name: nastyString, label: nastyString }),
  object({ prompt_name: nastyString, version: fc.nat() }),
  object({ prompt_name: nastyString, version_number: fc.integer() }),
  jsonObject,
);
const configurationArb: fc.Arbitrary<JsonObject> = fc.oneof(
  object({ template: templateArb }, {}, { unknownKeys: jsonObject }),
  jsonObject,
);

const nodeArb = (name: string): fc.Arbitrary<JsonObject> =>
  object(
    {
      name: fc.constant(name),
      node_type: fc.oneof(
        fc.constantFrom("PROMPT_TEMPLATE", "VARIABLE", "ENDPOINT"),
        nastyString.filter((t) => t !== ""),
      ),
    },
    {
      is_output_node: fc.boolean(),
      dependencies: fc.array(nodeName, { maxLength: 3 }),
      configuration: configurationArb,
    },
    {
      unknownKeys: fc.dictionary(fc.oneof(keyArb, fc.constantFrom("prompt", "node_fields")), jsonObject, {
        maxKeys: 2,
        noNullPrototype: true,
      }),
      reserved: NODE_KEYS,
    },
  );

const edgeArb = (names: readonly string[]): fc.Arbitrary<JsonObject> => {
  const end = names.length > 0 ? fc.constantFrom(...names) : nodeName;
  return object(
    {
      source_node_name: end,
      target_node_name: end,
      is_and: fc.boolean(),
      conditionals: fc.array(
        object({
          position: fc.nat(),
          operator: fc.constantFrom("=", "!=", "<", "in", "is_null"),
          left_config: jsonObject,
          right_config: jsonObject,
        }),
        { maxLength: 2 },
      ),
    },
    {},
    { unknownKeys: jsonObject, reserved: EDGE_KEYS },
  );
};

const agentArb: fc.Arbitrary<AgentDoc> = fc
  .uniqueArray(nodeName, { maxLength: 4 })
  .chain((names) =>
    fc.record(
      {
        name: nameArb,
        folder: folderArb,
        inputs: fc.dictionary(keyArb, nastyString, { maxKeys: 3, noNullPrototype: true }),
        nodes: (names.length === 0 ? fc.constant([]) : fc.tuple(...names.map(nodeArb))) as fc.Arbitrary<JsonObject[]>,
        edges: fc.array(edgeArb(names), { maxLength: 3 }),
        extras: jsonObject,
      },
      { noNullPrototype: true },
    ),
  )
  .map((doc) => normalizeAgent({ ...doc, folder: [...doc.folder] }));

function placed(doc: AgentDoc) {
  const [placement] = planFilePaths([{ name: doc.name, folder: doc.folder, suffix: AGENT_FILE_SUFFIX }], PROMPTS_DIR);
  return placement!;
}

/** PLX_PROPERTY_RUNS=20000 runs a longer search; the default keeps the unit suite quick. */
const RUNS = Math.max(500, Number(process.env.PLX_PROPERTY_RUNS ?? 500));
const PROPERTY_TIMEOUT = 180_000 * (RUNS / 500);

describe("agent files: properties", () => {
  it(
    "parse(serialize(doc)) deep-equals doc, unknown fields, name and folder included",
    () => {
      fc.assert(
        fc.property(agentArb, (doc) => {
          const placement = placed(doc);
          expectSameDoc(expectOk(parseAgentFile(serializeAgentFile(doc, placement), placement.path, PROMPTS_DIR)), doc);
        }),
        { numRuns: RUNS },
      );
    },
    PROPERTY_TIMEOUT,
  );

  it(
    "writing what was read gives the same bytes, and the same content hash",
    () => {
      fc.assert(
        fc.property(agentArb, (doc) => {
          const placement = placed(doc);
          const text = serializeAgentFile(doc, placement);
          const back = expectOk(parseAgentFile(text, placement.path, PROMPTS_DIR));
          expect(serializeAgentFile(back, placement)).toBe(text);
          expect(agentContentHash(back)).toBe(agentContentHash(doc));
        }),
        { numRuns: RUNS },
      );
    },
    PROPERTY_TIMEOUT,
  );

  it(
    "a doc read from PromptLayer, written and read back, has the canonical content PromptLayer's copy has",
    () => {
      fc.assert(
        fc.property(agentArb, fc.uuid(), (doc, id) => {
          const content = workflowContentOf(doc);
          const fromServer = {
            ...content,
            nodes: content.nodes.map((node) => ({ ...node, id, workflow_version_id: 9 })),
            edges: content.edges.map((edge) => ({ ...edge, id })),
            workflow_id: 1,
            version: 3,
          };
          const pulled = agentFromRaw(fromServer, doc.name, doc.folder);
          expect(stableStringify(canonicalAgent(pulled))).toBe(stableStringify(canonicalAgent(doc)));
        }),
        { numRuns: RUNS },
      );
    },
    PROPERTY_TIMEOUT,
  );

  it(
    "never writes a secret, wherever in a node it sits",
    () => {
      const SECRET = "sk-proj-property-test-secret-0001";
      fc.assert(
        fc.property(agentArb, fc.constantFrom("api_key", "Authorization", "password", "X-Api-Key"), (doc, key) => {
          const [first, ...rest] = doc.nodes;
          if (!first) return;
          const leaky = { ...first, configuration: { headers: { [key]: SECRET } }, [key]: SECRET };
          const text = serializeAgentFile({ ...doc, nodes: [leaky, ...rest], extras: { [key]: SECRET } }, placed(doc));
          expect(text).not.toContain(SECRET);
        }),
        { numRuns: RUNS },
      );
    },
    PROPERTY_TIMEOUT,
  );

  it(
    "prompt and agent paths are unique, clash nowhere and read back to their name and folder",
    () => {
      const entries = fc.array(
        fc.record({
          name: nameArb,
          folder: folderArb,
          suffix: fc.constantFrom<FileSuffix>(PROMPT_FILE_SUFFIX, AGENT_FILE_SUFFIX),
        }),
        { maxLength: 5 },
      );
      fc.assert(
        fc.property(entries, (files) => {
          const unique = files.filter(
            (file, index) =>
              files.findIndex((other) => other.name === file.name && other.suffix === file.suffix) === index,
          );
          const planned = planFilePaths(unique, PROMPTS_DIR);
          const paths = planned.map((placement) => placement.path);
          expect(new Set(paths.map((path) => path.toLowerCase())).size).toBe(paths.length);
          expectNoFileSystemClash(paths);
          planned.forEach((placement, index) => {
            const { name, folder, suffix } = unique[index]!;
            expect(placement.path.endsWith(suffix)).toBe(true);
            const location = locationFromPath(placement.path, PROMPTS_DIR);
            if (!placement.nameInFile) expect(location.name).toBe(name);
            if (!placement.folderInFile) expect(location.folder).toEqual(folder);
            for (const segment of placement.path.split("/")) expect(segment === ".." || segment === ".").toBe(false);
          });
        }),
        { numRuns: RUNS },
      );
    },
    PROPERTY_TIMEOUT,
  );
});
