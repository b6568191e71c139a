// `plx check` catches offline what PromptLayer would refuse, and what it would render other than meant: one table of
// bad files, each with every finding it must produce (code, severity, file:line:col, message), and nothing else.
import { cp, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { commitAll, edit, newRepo, plx, sandboxPerTest } from "../support/in-process.js";
import { completion } from "../support/registry.js";

/** The lines of a file, each ended by a newline. */
const lines = (...text: string[]) => text.map((line) => `${line}\n`).join("");

type Expected = [code: string, severity: "error" | "warning", line: number, col: number, message: string];

interface Finding {
  path: string;
  line: number;
  col: number;
  severity: string;
  code: string;
  message: string;
  hint: string;
}

/** File name (under prompts/) → its text → every finding `plx check` must report for it, in file order. */
const TABLE: Array<[file: string, text: string, findings: Expected[]]> = [
  [
    "role.prompt.yaml",
    "type: chat\nmessages:\n  - role: usr\n    content: Hi\n",
    [["role-unknown", "error", 3, 11, '"usr" is not a role PromptLayer knows; did you mean user?']],
  ],
  [
    "block-type.prompt.yaml",
    lines(
      "type: chat",
      "messages:",
      "  - role: user",
      "    content:",
      "      - type: txt",
      "        text: Hi",
      "      - type: hologram",
      "        data: x",
    ),
    [
      [
        "block-type-unknown",
        "warning",
        5,
        15,
        `"txt" is not a content block type in PromptLayer's API spec; did you mean text?`,
      ],
      ["block-type-unknown", "warning", 7, 15, `"hologram" is not a content block type in PromptLayer's API spec`],
    ],
  ],
  [
    "types.prompt.yaml",
    [
      "type: chat",
      "model:",
      "  provider: openai",
      "  name: gpt-4o",
      "  base_model: 7",
      "messages:",
      "  - role: tool",
      "    tool_call_id: 42",
      "    content: Done {a}",
      "  - role: user",
      "    name: [a]",
      "    content:",
      "      - type: image_url",
      "        image_url: {url: https://x.example/y.png, detail: 3}",
      "tools:",
      "  - type: function",
      '    function: {name: lookup, strict: "yes"}',
      "tool_choice: {type: function, function: {}}",
      "input_variables: [a, 2]",
      "extras:",
      "  provider_id: 0",
      "",
    ].join("\n"),
    [
      ["field-type", "error", 5, 15, "model.base_model must be a string or null, not a whole number (7)"],
      ["field-type", "error", 8, 19, "messages[0].tool_call_id must be a string, not a whole number (42)"],
      ["field-type", "error", 11, 11, "messages[1].name must be a string or null, not a list"],
      [
        "field-type",
        "error",
        14,
        59,
        "messages[1].content[0].image_url.detail must be a string or null, not a whole number (3)",
      ],
      ["field-type", "error", 17, 38, 'tools[0].function.strict must be true or false, not a string ("yes")'],
      ["field-missing", "error", 18, 41, "tool_choice.function needs name"],
      ["field-type", "error", 19, 22, "input_variables[1] must be a string, not a whole number (2)"],
      ["field-value", "error", 21, 16, "extras.provider_id must be greater than 0"],
    ],
  ],
  [
    "required.prompt.yaml",
    lines(
      "type: chat",
      "messages:",
      "  - role: tool",
      "    content: Done",
      "  - role: function",
      "    content: '{}'",
      "  - role: user",
      "    content:",
      "      - type: text",
      "        txt: Hi",
    ),
    [
      ["field-missing", "error", 3, 5, "messages[0] needs tool_call_id (required in a tool message)"],
      ["field-missing", "error", 5, 5, "messages[1] needs name (required in a function message)"],
      ["field-missing", "error", 9, 9, "messages[2].content[0] needs text"],
      [
        "key-unknown",
        "warning",
        10,
        9,
        "messages[2].content[0].txt is not a field PromptLayer knows here; did you mean text?",
      ],
    ],
  ],
  [
    // What PromptLayer accepts beyond the spec's discriminators (docs digest §2.5, §12), and untyped function tools.
    "tools-beyond-the-spec.prompt.yaml",
    lines(
      "type: chat",
      "messages:",
      "  - role: user",
      "    content: Hi",
      "tools:",
      "  - type: registry",
      "    tool_registry_id: 12",
      "    label: prod",
      "  - type: variable",
      "    name: extra_tools",
      "  - function: {name: legacy}",
      "  - type: websearch",
      "    id: ws",
    ),
    [
      [
        "tool-type-unknown",
        "warning",
        12,
        11,
        `"websearch" is not a tool type in PromptLayer's API spec; did you mean web_search?`,
      ],
    ],
  ],
  [
    "fstring.prompt.yaml",
    "type: completion\ncontent: |\n  Total: {total\n",
    [["fstring-syntax", "error", 3, 10, "f-string text does not parse: expected '}' before end of string"]],
  ],
  [
    "fstring-closing.prompt.yaml",
    "type: chat\nmessages:\n  - role: user\n    content: 'Reply with JSON: {\"ok\": true}}'\n",
    [["fstring-syntax", "error", 4, 44, "f-string text does not parse: Single '}' encountered in format string"]],
  ],
  [
    "jinja.prompt.yaml",
    "type: completion\ntemplate_format: jinja2\ncontent: |-\n  {% for item in items %}\n  - {{ item }}\n",
    [["jinja-syntax", "error", 4, 3, "jinja2 text does not parse: unexpected end of file"]],
  ],
  [
    "not-a-name.prompt.yaml",
    "type: completion\ncontent: 'Hello { name }'\n",
    [["variable-not-a-name", "warning", 2, 17, "{ name } is not a variable name; PromptLayer renders it empty"]],
  ],
  [
    "variables.prompt.yaml",
    "type: completion\ninput_variables: [name, stale]\ncontent: |-\n  Hi {name},\n  your order {order} shipped.\n",
    [
      ["variable-unused", "warning", 2, 25, "input_variables lists stale, which no text uses"],
      ["variable-undeclared", "warning", 5, 14, "{order} is used in the text but not listed in input_variables"],
    ],
  ],
  [
    "snippet-label.prompt.yaml",
    "type: completion\ncontent: 'Be @@@tone@label:pro d@@@ and brief.'\n",
    [
      [
        "label-invalid",
        "error",
        2,
        10,
        "@@@tone@label:pro d@@@ pins a label PromptLayer cannot have: a label name cannot contain whitespace",
      ],
    ],
  ],
  [
    "top-level.prompt.yaml",
    lines(
      "type: chat",
      "tag: [support]",
      "temperature: 0.2",
      "template_format: jinja2",
      "messages:",
      "  - role: user",
      "    content: Hi",
    ),
    [
      ["top-level-key-unknown", "error", 2, 1, "unknown key tag; did you mean tags?"],
      ["top-level-key-unknown", "error", 3, 1, "unknown key temperature (a model parameter?)"],
      // PromptLayer holds a chat template's own template_format, and pull writes it there: a warning.
      [
        "top-level-key-unknown",
        "warning",
        4,
        1,
        "template_format is a field of completion templates, not of this chat template",
      ],
    ],
  ],
  [
    "enum.prompt.yaml",
    "type: completion\ntemplate_format: jinja\ncontent: Hi\n",
    [["field-value", "error", 2, 18, 'template_format must be f-string or jinja2, not "jinja"; did you mean jinja2?']],
  ],
  [
    "model.prompt.yaml",
    [
      "type: completion",
      "model:",
      "  provider: anthropic",
      "  name: claude-sonnet-4-5",
      "  paramters: {}",
      "  parameters:",
      "    temprature: 0.2",
      "    max_token: 100",
      "    custom_knob: true",
      "content: Hi",
      "",
    ].join("\n"),
    [
      [
        "key-unknown",
        "warning",
        5,
        3,
        "model.paramters is not a field PromptLayer knows here; did you mean parameters?",
      ],
      [
        "parameter-unknown",
        "warning",
        7,
        5,
        "model parameter temprature is not one the providers know; did you mean temperature?",
      ],
      [
        "parameter-unknown",
        "warning",
        8,
        5,
        "model parameter max_token is not one the providers know; did you mean max_tokens?",
      ],
    ],
  ],
  [
    "message-key.prompt.yaml",
    "type: chat\nmessages:\n  - role: assistant\n    contnet: Sure.\n",
    [
      [
        "key-unknown",
        "warning",
        4,
        5,
        "messages[0].contnet is not a field PromptLayer knows here; did you mean content?",
      ],
    ],
  ],
  [
    "conflict.prompt.yaml",
    lines(
      "type: chat",
      "messages:",
      "<<<<<<< HEAD",
      "  - role: user",
      "    content: Hi",
      "=======",
      "  - role: user",
      "    content: Hello",
      ">>>>>>> feature",
    ),
    [["conflict-markers", "error", 3, 1, "a merge left conflict markers in the file (lines 3–9)"]],
  ],
  [
    "long-name.prompt.yaml",
    `name: ${"n".repeat(513)}\ntype: completion\ncontent: Hi\n`,
    [["name-invalid", "error", 1, 7, "the template name is 513 characters long; PromptLayer takes 512 at most"]],
  ],
  [
    // Everything the format keeps for PromptLayer on purpose passes: data under metadata, extras and template_fields.
    "valid.prompt.yaml",
    [
      "type: completion",
      "template_format: jinja2",
      "model: {provider: openai, name: gpt-4o, parameters: {temperature: 0.2, custom_knob: 1}}",
      "tags: [support]",
      "content: '{% if name %}Hi {{ name }}{% endif %} @@@tone@label:prod@@@'",
      "template_fields:",
      "  legacy_field: 1",
      "metadata:",
      "  owner: team-a",
      "extras:",
      "  routing_policy: fast",
      "  provider_id: 9",
      "",
    ].join("\n"),
    [],
  ],
];

describe("plx check: a table of bad files", () => {
  let findings: Finding[];
  let exitCode: number;
  beforeAll(async () => {
    const repo = await newRepo();
    await mkdir(join(repo, "prompts"));
    await writeFile(join(repo, "prompts/tone.prompt.yaml"), "type: completion\ncontent: Be warm.\n");
    for (const [file, text] of TABLE) await writeFile(join(repo, "prompts", file), text);
    const checked = await plx(["check", "--json"], { cwd: repo });
    exitCode = checked.exitCode;
    findings = JSON.parse(checked.stdout).findings;
  });

  it.each(TABLE)("%s", (file, _text, expected) => {
    const got = findings
      .filter((finding) => finding.path === `prompts/${file}`)
      .map((f): Expected => [f.code, f.severity as Expected[1], f.line, f.col, f.message]);
    expect(got).toEqual(expected);
  });

  it("gives every finding a hint, and fails on errors", () => {
    expect(exitCode).toBe(1);
    for (const finding of findings) expect(finding.hint, finding.code).not.toBe("");
    expect(findings.filter((finding) => finding.path === "prompts/tone.prompt.yaml")).toEqual([]);
  });
});

describe("plx check: other files", () => {
  it("passes every file pull writes from real templates, warning only about what is odd in them", async () => {
    const repo = await newRepo();
    await mkdir(join(repo, "prompts"));
    const fixtures = new URL("../../fixtures/templates/", import.meta.url);
    const golden = (await readdir(fixtures)).filter((file) => file.endsWith(".prompt.yaml"));
    expect(golden.length).toBeGreaterThan(5);
    for (const file of golden) await cp(new URL(file, fixtures), join(repo, "prompts", file));
    const checked = await plx(["check", "--json"], { cwd: repo });
    expect(checked.exitCode, checked.stdout).toBe(0);
    const report = JSON.parse(checked.stdout);
    expect(report.errors).toBe(0);
    // A recorded `audio_transcript` block (newer than the spec) and JSON in f-string texts: worth a look, no more.
    expect([...new Set(report.findings.map((f: Finding) => f.code))].sort()).toEqual([
      "block-type-unknown",
      "variable-not-a-name",
    ]);
  });

  it("names the line of conflict markers in plx.lock, and still checks the prompt files", async () => {
    const repo = await newRepo();
    await mkdir(join(repo, "prompts"));
    await writeFile(join(repo, "prompts/a.prompt.yaml"), "type: chat\nmessages:\n  - role: usr\n    content: Hi\n");
    await writeFile(
      join(repo, "plx.lock"),
      lines(
        "{",
        '  "lockfileVersion": 1,',
        "<<<<<<< HEAD",
        '  "templates": {}',
        "=======",
        '  "templates": {"a": 1}',
        ">>>>>>> other",
        "}",
      ),
    );
    const checked = await plx(["check"], { cwd: repo });
    expect(checked.exitCode).toBe(1);
    expect(checked.stdout).toContain(
      "plx.lock:3:1: error A merge left conflict markers in plx.lock (lines 3–7). [conflict-markers]",
    );
    expect(checked.stdout).toContain('prompts/a.prompt.yaml:3:11: error "usr" is not a role');

    // Every other command stops on it with the same words, exit 2.
    const status = await plx(["status"], { cwd: repo });
    expect(status.exitCode).toBe(2);
    expect(status.stderr).toContain("A merge left conflict markers in plx.lock (lines 3–7).");
  });

  it("reports a label name PromptLayer cannot have in an agent's prompt reference", async () => {
    const repo = await newRepo();
    await mkdir(join(repo, "prompts"));
    await writeFile(join(repo, "prompts/reply.prompt.yaml"), "type: completion\ncontent: Hi\n");
    await writeFile(
      join(repo, "prompts/triage.agent.yaml"),
      "nodes:\n  answer:\n    node_type: PROMPT_TEMPLATE\n    prompt: reply@label:pro d\n    is_output_node: true\n",
    );
    const checked = await plx(["check", "--json"], { cwd: repo });
    expect(checked.exitCode).toBe(1);
    const findings = JSON.parse(checked.stdout).findings.map((f: Finding) => [
      f.path,
      f.line,
      f.col,
      f.code,
      f.message,
    ]);
    expect(findings).toEqual([
      [
        "prompts/triage.agent.yaml",
        4,
        13,
        "label-invalid",
        'node "answer" pins a label PromptLayer cannot have: a label name cannot contain whitespace',
      ],
    ]);
  });

  it("leaves files plx.config.yaml tells plx to ignore alone", async () => {
    const repo = await newRepo({ config: "promptsDir: prompts\nignore: ['scratch/*']\n" });
    await mkdir(join(repo, "prompts/scratch"), { recursive: true });
    await writeFile(join(repo, "prompts/scratch/wip.prompt.yaml"), "type: chat\nmessages: nope\n");
    await writeFile(join(repo, "prompts/ok.prompt.yaml"), "type: completion\ncontent: Hi\n");
    const checked = await plx(["check"], { cwd: repo });
    expect(checked.exitCode, checked.stdout).toBe(0);
    expect(checked.stdout).toContain("1 file(s) checked: 0 error(s), 0 warning(s)");
  });
});

describe("plx check's cache (.plx/cache/check.json)", () => {
  const checkJson = async (repo: string) => {
    const result = await plx(["check", "--json"], { cwd: repo });
    return { exitCode: result.exitCode, findings: JSON.parse(result.stdout).findings as Finding[] };
  };
  const codes = (findings: Finding[]) => findings.map((f) => `${f.path} ${f.code}`);

  it("finds what changed around an unchanged file: its snippet created, turned into a chat template, removed", async () => {
    const repo = await newRepo();
    await mkdir(join(repo, "prompts"));
    await writeFile(join(repo, "prompts/reply.prompt.yaml"), "type: completion\ncontent: 'Hi @@@tone@@@'\n");
    expect(codes((await checkJson(repo)).findings)).toEqual(["prompts/reply.prompt.yaml snippet-missing"]);

    await writeFile(join(repo, "prompts/tone.prompt.yaml"), "type: completion\ncontent: Be brief.\n");
    expect(await checkJson(repo)).toEqual({ exitCode: 0, findings: [] });

    await writeFile(
      join(repo, "prompts/tone.prompt.yaml"),
      "type: chat\nmessages:\n  - role: system\n    content: Hi\n",
    );
    expect(codes((await checkJson(repo)).findings)).toEqual(["prompts/reply.prompt.yaml snippet-not-completion"]);

    await rm(join(repo, "prompts/tone.prompt.yaml"));
    expect(codes((await checkJson(repo)).findings)).toEqual(["prompts/reply.prompt.yaml snippet-missing"]);
  });

  it("answers an unchanged file from the cache, and a changed one from the file", async () => {
    const repo = await newRepo();
    await mkdir(join(repo, "prompts"));
    await writeFile(join(repo, "prompts/a.prompt.yaml"), "type: chat\nmessages:\n  - role: usr\n    content: Hi\n");
    const first = await checkJson(repo);
    expect(codes(first.findings)).toEqual(["prompts/a.prompt.yaml role-unknown"]);
    // Doctor the cached finding: only a check that reuses it can report the doctored message.
    const cacheFile = join(repo, ".plx/cache/check.json");
    const cache = JSON.parse(await readFile(cacheFile, "utf8"));
    cache.entries["prompts/a.prompt.yaml"].findings[0].message = "from the cache";
    await writeFile(cacheFile, JSON.stringify(cache));
    expect((await checkJson(repo)).findings.map((f) => f.message)).toEqual(["from the cache"]);

    await writeFile(join(repo, "prompts/a.prompt.yaml"), "type: chat\nmessages:\n  - role: user\n    content: Hi\n");
    expect(await checkJson(repo)).toEqual({ exitCode: 0, findings: [] });
  });

  it("starts afresh from a damaged cache, or one another build of plx wrote", async () => {
    const repo = await newRepo();
    await mkdir(join(repo, "prompts"));
    await writeFile(join(repo, "prompts/a.prompt.yaml"), "type: chat\nmessages:\n  - role: usr\n    content: Hi\n");
    const expected = await checkJson(repo);
    const cacheFile = join(repo, ".plx/cache/check.json");
    const cache = JSON.parse(await readFile(cacheFile, "utf8"));
    cache.rules = "another build";
    cache.entries["prompts/a.prompt.yaml"].findings = [];
    await writeFile(cacheFile, JSON.stringify(cache));
    expect(await checkJson(repo)).toEqual(expected);
    await writeFile(cacheFile, "{not json");
    expect(await checkJson(repo)).toEqual(expected);
    expect(await readFile(join(repo, ".plx/.gitignore"), "utf8")).toContain("*");
  });
});

describe("plx check --remote (the pre-push hook)", () => {
  const sandbox = sandboxPerTest();

  /** A repository synced with PromptLayer: tone and greeting pulled and committed. */
  async function syncedRepo(server: Awaited<ReturnType<typeof sandbox>>) {
    await server.publish("tone", completion("Be warm."));
    await server.publish("greeting", completion("Hello {name}"));
    const repo = await newRepo({ git: true });
    expect((await server.plx(repo, "pull")).exitCode).toBe(0);
    await commitAll(repo, "Adopt plx");
    return repo;
  }

  it("passes a local edit that is not published yet: that is what the pull request is for", async () => {
    const server = await sandbox();
    const repo = await syncedRepo(server);
    await edit(join(repo, "prompts/tone.prompt.yaml"), "Be warm.", "Be kind.");
    await server.clearRequests();

    const checked = await server.plx(repo, "check", "--remote");
    expect(checked.exitCode, checked.stdout + checked.stderr).toBe(0);
    expect(checked.stdout).toContain("2 template(s) and agent(s) compared with PromptLayer: 0 conflict(s)");
    // It only reads: nothing is published, no label moves.
    const requests = await server.requests();
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.every((request) => request.method === "GET")).toBe(true);
  });

  it("fails on a template edited both here and in PromptLayer, naming the file", async () => {
    const server = await sandbox();
    const repo = await syncedRepo(server);
    await edit(join(repo, "prompts/tone.prompt.yaml"), "Be warm.", "Be kind.");
    await server.publish("tone", completion("Be warm and brief.")); // an edit in the PromptLayer UI

    const checked = await server.plx(repo, "check", "--remote", "--json");
    expect(checked.exitCode).toBe(1);
    const report = JSON.parse(checked.stdout);
    expect(report.remote).toEqual({ compared: 2, conflicts: 1 });
    expect(report.findings).toEqual([
      expect.objectContaining({
        path: "prompts/tone.prompt.yaml",
        line: 1,
        col: 1,
        severity: "error",
        code: "conflict",
        message:
          "tone changed both here and in PromptLayer since the last sync (PromptLayer has v2, last synced at v1)",
      }),
    ]);

    // An edit made only in PromptLayer is no conflict: pull brings it in whenever.
    await edit(join(repo, "prompts/tone.prompt.yaml"), "Be kind.", "Be warm.");
    expect((await server.plx(repo, "check", "--remote")).exitCode).toBe(0);
  });

  it("checks only the templates of the files it is given", async () => {
    const server = await sandbox();
    const repo = await syncedRepo(server);
    await edit(join(repo, "prompts/tone.prompt.yaml"), "Be warm.", "Be kind.");
    await server.publish("tone", completion("Be warm and brief."));
    const other = await server.plx(repo, "check", "--remote", "prompts/greeting.prompt.yaml");
    expect(other.exitCode, other.stdout).toBe(0);
    expect(other.stdout).toContain("1 template(s) and agent(s) compared with PromptLayer: 0 conflict(s)");
    const same = await server.plx(repo, "check", "--remote", "prompts/tone.prompt.yaml");
    expect(same.exitCode).toBe(1);
    expect(same.stdout).toContain("prompts/tone.prompt.yaml:1:1: error tone changed both here and in PromptLayer");
  });

  it("fails invalid files too, and exits 4 without an API key rather than passing", async () => {
    const server = await sandbox();
    const repo = await syncedRepo(server);
    await writeFile(join(repo, "prompts/new.prompt.yaml"), "type: chat\nmessages:\n  - role: usr\n    content: Hi\n");
    const checked = await server.plx(repo, "check", "--remote");
    expect(checked.exitCode).toBe(1);
    expect(checked.stdout).toContain('prompts/new.prompt.yaml:3:11: error "usr" is not a role');

    const keyless = await plx(["check", "--remote"], { cwd: repo, env: { PROMPTLAYER_BASE_URL: server.url } });
    expect(keyless.exitCode).toBe(4);
    expect(keyless.stderr).toContain("PROMPTLAYER_API_KEY");
  });
});

describe("pull writes what check accepts", () => {
  const sandbox = sandboxPerTest();

  it("keeps a template field plx does not know under template_fields, so the file passes check", async () => {
    const server = await sandbox();
    await server.publish("legacy", { ...completion("Hi"), legacy_field: { kept: true } });
    const repo = await newRepo();
    expect((await server.plx(repo, "pull")).exitCode).toBe(0);
    const text = await readFile(join(repo, "prompts/legacy.prompt.yaml"), "utf8");
    expect(text).toContain("template_fields:\n  legacy_field:\n    kept: true\n");
    expect((await server.plx(repo, "check")).exitCode).toBe(0);
    // And it round-trips: nothing to push.
    const status = await server.plx(repo, "status", "--remote", "--exit-code");
    expect(status.exitCode, status.stdout).toBe(0);
  });
});
