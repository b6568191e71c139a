// Hostile input, one case per test: malformed and adversarial local files, hostile names and payloads from the
// registry, and broken answers from a server or proxy. Each ends with the documented exit code, a clear message,
// no stack trace, nothing written outside prompts/ and nothing lost.
import { mkdir, mkdtemp, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fastGlob from "fast-glob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newRepo, plx, sandboxPerTest } from "../support/in-process.js";
import { hostileProxy } from "../support/proxy.js";
import { API_KEY } from "../support/registry.js";
import { workspace } from "../support/templates.js";

const sandbox = sandboxPerTest();

const NO_STACK = /^\s+at .+\(.*:\d+:\d+\)$/m;
const OUTSIDE = join(tmpdir(), `plx-hostile-outside-${process.pid}.prompt.yaml`);

const BILLION_LAUGHS = [
  "a: &a [x, x, x, x, x, x, x, x, x]",
  ...Array.from(
    { length: 8 },
    (_, i) =>
      `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`,
  ),
].join("\n");

/** [label, file contents (or a function making the file), what check says]. */
const LOCAL_CASES: Array<[string, string | Buffer | ((path: string) => Promise<void>), RegExp]> = [
  ["an anchor and alias", "type: completion\ncontent: &x hi\nname: *x\n", /anchor|alias/i],
  ["a billion-laughs expansion", `${BILLION_LAUGHS}\ntype: completion\ncontent: x\n`, /anchor|alias/i],
  [
    "10,000 levels of nesting",
    `type: completion\ncontent: ${"[".repeat(10_000)}${"]".repeat(10_000)}\n`,
    /the YAML nests too deeply to read/,
  ],
  [
    "duplicate keys",
    "type: completion\ncontent: a\ncontent: b\n",
    /duplicate key "content": a mapping holds each key once/,
  ],
  ["tab indentation", "type: chat\nmessages:\n\t- role: user\n", /tab|indent/i],
  ["invalid UTF-8", Buffer.from("type: completion\ncontent: caf\xe9\n", "latin1"), /not valid UTF-8/],
  ["NUL bytes", Buffer.from([0x74, 0x79, 0x70, 0x65, 0x00, 0x3a]), /binary/],
  ["type: 5", "type: 5\ncontent: x\n", /type must be chat or completion/],
  ["messages: a string", "type: chat\nmessages: x\n", /needs a list of messages/],
  ["content: a mapping", "type: completion\ncontent: {a: 1}\n", /content must be text or a list/],
  ["model: a list", "type: completion\ncontent: x\nmodel: [a]\n", /model must be a mapping/],
  ["model without a name", "type: completion\ncontent: x\nmodel: {provider: openai}\n", /model\.name must be a string/],
  ["tags: a string", "type: completion\ncontent: x\ntags: a\n", /tags must be a list/],
  ["metadata: a list", "type: completion\ncontent: x\nmetadata: [1]\n", /metadata must be a mapping/],
  ["extras: a number", "type: completion\ncontent: x\nextras: 1\n", /extras must be a mapping/],
  ["name: a number", "type: completion\ncontent: x\nname: 3\n", /name must be a non-empty string/],
  ["folder: a string", "type: completion\ncontent: x\nfolder: a\n", /folder must be a list/],
  ["a message without a role", "type: chat\nmessages:\n  - content: hi\n", /needs a role/],
  ["a message that is a string", "type: chat\nmessages:\n  - hi\n", /each message must be a mapping/],
  ["a content block without a type", "type: completion\ncontent:\n  - text: hi\n", /must be a mapping with a type/],
  ["an empty file", "", /the file is empty/],
  ["only comments", "# nothing here\n", /the file is empty/],
  ["a top-level list", "- type: chat\n", /must be a mapping/],
  ["a scalar document", "just text\n", /must be a mapping/],
  ["two documents", "type: completion\ncontent: a\n---\ntype: completion\ncontent: b\n", /document/i],
  ["a custom tag", "type: completion\ncontent: !secret x\n", /tag/i],
  ["a 40 MB file", `type: completion\ncontent: "${"x".repeat(40_000_000)}"\n`, /over the \d+-byte limit/],
  ["a symlink to a file outside prompts/", (path) => symlink(OUTSIDE, path), /symbolic link that leads outside/],
  ["a directory named like a prompt file", (path) => mkdir(path), /not a regular file/],
  ["a UTF-8 BOM", "\ufefftype: completion\ncontent: fine\n", /^$/],
  ["CRLF line endings", "type: completion\r\ncontent: fine\r\n", /^$/],
  ["a snippet cycle to itself", "type: completion\ncontent: 'x @@@bad@@@'\n", /refers to this template itself/],
];

describe("hostile local files", () => {
  it.each(LOCAL_CASES)("%s", async (_label, contents, message) => {
    const server = await sandbox();
    const repo = await newRepo();
    await mkdir(join(repo, "prompts"));
    await writeFile(join(repo, "prompts/keep.prompt.yaml"), "type: completion\ncontent: keep me\n");
    const path = join(repo, "prompts/bad.prompt.yaml");
    if (typeof contents === "function") await contents(path);
    else await writeFile(path, contents);
    const checked = await server.plx(repo, "check");
    expect(checked.stderr + checked.stdout).not.toMatch(NO_STACK);
    if (message.source === "^$") {
      // Accepted: BOMs and CRLF are ordinary text files.
      expect(checked.exitCode, checked.stdout).toBe(0);
      return;
    }
    expect(checked.exitCode, checked.stdout + checked.stderr).toBe(1);
    expect(checked.stdout).toMatch(/prompts\/bad\.prompt\.yaml(:\d+:\d+)?: error/);
    expect(checked.stdout).toMatch(message);
    const pushed = await server.plx(repo, "push");
    expect(pushed.exitCode).toBe(2);
    expect(pushed.stderr).not.toMatch(NO_STACK);
    expect(await readFile(join(repo, "prompts/keep.prompt.yaml"), "utf8")).toBe("type: completion\ncontent: keep me\n");
  });

  it("refuses paths handed to check that lead outside prompts/, and two files claiming one name", async () => {
    const server = await sandbox();
    await writeFile(OUTSIDE, "type: completion\ncontent: outside\n");
    const repo = await newRepo();
    await mkdir(join(repo, "prompts"));
    await writeFile(join(repo, "prompts/a.prompt.yaml"), "type: completion\ncontent: x\nname: same\n");
    await writeFile(join(repo, "prompts/b.prompt.yaml"), "type: completion\ncontent: y\nname: same\n");
    const escaped = await server.plx(repo, "check", "../x.prompt.yaml", OUTSIDE);
    expect(escaped.stdout).toContain("0 file(s) checked");
    const both = await server.plx(repo, "check");
    expect(both.exitCode).toBe(1);
    expect(both.stdout).toMatch(/template name "same" is also claimed by prompts\/b\.prompt\.yaml/);
  });
});

/** Remote names and payloads installed straight into the sandbox's state. */
const HOSTILE_NAMES = [
  "..",
  "../../etc/passwd",
  "a/b",
  "C:\\x",
  "CON",
  "aux.txt",
  "...",
  "nul\u0000byte",
  "new\nline",
  "esc\u001b[31mred",
  "x".repeat(200),
  " spaced ",
  "ſtrange",
  "emoji 🎉 name",
  ".hidden",
  "trailing.",
  "__proto__",
  "constructor",
  "toString",
];

/** A repository alone in a fresh parent directory, so anything written beside it shows up in the parent's listing. */
async function isolatedRepo(): Promise<{ parent: string; repo: string }> {
  const parent = await mkdtemp(join(tmpdir(), "plx-hostile-parent-"));
  const repo = join(parent, "repo");
  await mkdir(join(repo, "prompts"), { recursive: true });
  await writeFile(join(repo, "plx.config.yaml"), "promptsDir: prompts\n");
  return { parent, repo };
}

/** A value `depth` levels deep, alternating lists and mappings. */
function nested(depth: number): unknown {
  let value: unknown = "leaf";
  for (let level = 0; level < depth; level++) value = level % 2 === 0 ? [value] : { inner: value };
  return value;
}

// Everything but plx's own cache (.plx/, which ignores itself in git).
const repoFiles = (repo: string) => fastGlob("**/*", { cwd: repo, dot: true, onlyFiles: true, ignore: [".plx/**"] });

describe("hostile names and payloads from the registry", () => {
  it.each(HOSTILE_NAMES.map((name) => [JSON.stringify(name), name]))(
    "the name %s stays inside prompts/, keeps its exact name and round-trips",
    async (_label, name) => {
      const server = await sandbox();
      await server.setState(workspace([{ name, text: `I am ${JSON.stringify(name)} \u2028 \t\r\n` }]));
      const { parent, repo } = await isolatedRepo();
      const pulled = await server.plx(repo, "pull");
      expect(pulled.exitCode, pulled.stderr + pulled.stdout).toBe(0);
      expect(pulled.stdout + pulled.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
      expect(await readdir(parent)).toEqual(["repo"]);
      const [file, ...others] = (await repoFiles(repo)).filter((path) => path.endsWith(".prompt.yaml"));
      expect(others).toEqual([]);
      expect(
        file!.startsWith("prompts/") && !file!.split("/").some((segment) => segment === ".." || segment === "."),
      ).toBe(true);
      const lock = JSON.parse(await readFile(join(repo, "plx.lock"), "utf8"));
      expect(Object.keys(lock.templates)).toEqual([name]);
      expect(lock.templates[name].path).toBe(file);

      const diff = await server.plx(repo, "diff", "--exit-code");
      expect(diff.exitCode, diff.stdout).toBe(0);
      const checked = await server.plx(repo, "check");
      expect(checked.exitCode, checked.stdout).toBe(0);
      const again = await server.plx(repo, "pull");
      expect(again.stdout).toContain("0 created, 0 updated, 1 unchanged, 0 skipped");

      // The lock still knows the name: a new version in PromptLayer is an update, not a conflict.
      await server.setState(
        workspace([
          { name, text: "first", later: [{ type: "completion", content: [{ type: "text", text: "second" }] }] },
        ]),
      );
      const updated = await server.plx(repo, "pull");
      expect(updated.stdout, updated.stderr).toContain("0 created, 1 updated, 0 unchanged, 0 skipped");
      expect(await readFile(join(repo, file!), "utf8")).toContain("second");
    },
  );

  // A 10 MB template travels through the sandbox and plx in one process: generous time on a busy machine.
  it("pulls every hostile name at once into distinct files, beside a 10 MB template in a folder named ..", {
    timeout: 120_000,
  }, async () => {
    const server = await sandbox();
    const names = [...HOSTILE_NAMES, "Case", "case"];
    await server.setState(
      workspace(
        [...names.map((name) => ({ name })), { name: "huge", folder: 1, text: "ten megabytes\n".repeat(750_000) }],
        [{ id: 1, name: ".." }],
      ),
    );
    const { parent, repo } = await isolatedRepo();
    const pulled = await server.plx(repo, "pull");
    expect(pulled.exitCode, pulled.stderr + pulled.stdout.slice(-2000)).toBe(0);
    expect(await readdir(parent)).toEqual(["repo"]);
    const written = await repoFiles(repo);
    expect(
      written
        .filter((path) => path.endsWith(".prompt.yaml"))
        .every((path) => path.startsWith("prompts/") && !path.split("/").some((s) => s === ".." || s === ".")),
    ).toBe(true);
    // Distinct even on a case-insensitive file system.
    expect(new Set(written.map((path) => path.toLowerCase())).size).toBe(written.length);
    const lock = JSON.parse(await readFile(join(repo, "plx.lock"), "utf8"));
    expect(Object.keys(lock.templates).sort()).toEqual([...names, "huge"].sort());
    const diff = await server.plx(repo, "diff", "--exit-code");
    expect(diff.exitCode, diff.stdout).toBe(0);
  });

  // PromptLayer refuses such content, but a corrupted record or a rewriting proxy could still serve it.
  it.each<[string, unknown, RegExp]>([
    ['messages: "x"', { type: "chat", messages: "x" }, /messages: a chat template needs a list of messages/],
    ["content: 5", { type: "completion", content: 5 }, /content: content must be text or a list of content blocks/],
    ['type: "weird"', { type: "weird", content: [] }, /type must be chat or completion, not "weird"/],
    [
      "a message without a role",
      { type: "chat", messages: [{ content: [{ type: "text", text: "x" }] }] },
      /messages\.0\.role: the message needs a role/,
    ],
    [
      "2,000 levels of nesting",
      { type: "completion", content: [{ type: "text", text: "x", extra: nested(2_000) }] },
      /the template nests deeper than 100 levels/,
    ],
  ])(
    "a stored version with %s is skipped with the reason, and no file check would reject is written",
    async (_label, promptTemplate, reason) => {
      const server = await sandbox();
      await server.setState(workspace([{ name: "broken", promptTemplate }, { name: "fine" }]));
      const { repo } = await isolatedRepo();
      const pulled = await server.plx(repo, "pull");
      expect(pulled.exitCode, pulled.stderr).toBe(1);
      expect(pulled.stdout).toMatch(
        /skipped +prompts\/broken\.prompt\.yaml v1 — PromptLayer's stored version would not be a valid file/,
      );
      expect(pulled.stdout).toMatch(reason);
      expect(pulled.stdout).toContain("1 created, 0 updated, 0 unchanged, 1 skipped");
      expect(await repoFiles(repo)).toEqual(["plx.config.yaml", "plx.lock", "prompts/fine.prompt.yaml"]);
      expect(Object.keys(JSON.parse(await readFile(join(repo, "plx.lock"), "utf8")).templates)).toEqual(["fine"]);
      expect((await server.plx(repo, "check")).exitCode).toBe(0);
    },
  );

  it("refuses to write through a directory link under prompts/ that leads outside, before writing anything", async () => {
    const server = await sandbox();
    await server.setState(workspace([{ name: "top" }, { name: "inner", folder: 1 }], [{ id: 1, name: "shared" }]));
    const { parent, repo } = await isolatedRepo();
    await mkdir(join(parent, "outside"));
    await symlink(join(parent, "outside"), join(repo, "prompts/shared"));
    const pulled = await server.plx(repo, "pull");
    expect(pulled.exitCode).toBe(2);
    expect(pulled.stderr).toContain(
      "prompts/shared is a symbolic link that leads outside the prompts directory; plx does not write through it.",
    );
    expect(pulled.stderr).not.toMatch(NO_STACK);
    expect(await readdir(join(parent, "outside"))).toEqual([]);
    expect(await repoFiles(repo)).toEqual(["plx.config.yaml"]);
  });

  it("a pull cut short by a failure records the files it wrote, so nothing looks edited locally", async () => {
    const server = await sandbox();
    await server.setState(workspace(["alpha", "beta", "gamma"].map((name) => ({ name }))));
    const { repo } = await isolatedRepo();
    expect((await server.plx(repo, "pull")).exitCode).toBe(0);
    await server.setState(
      workspace(
        ["alpha", "beta", "gamma"].map((name) => ({
          name,
          later: [{ type: "completion", content: [{ type: "text", text: `${name} v2` }] }],
        })),
      ),
    );
    const beta = ((await server.state()) as { templates: Array<{ id: number; name: string }> }).templates.find(
      (t) => t.name === "beta",
    )!.id;
    const proxy = await hostileProxy(server.url, (request, response) => {
      if (!request.url.startsWith(`/prompt-templates/${beta}?`)) return false;
      response.writeHead(200, { "content-type": "application/json" }).end("{broken");
      return true;
    });
    try {
      const pulled = await plx(["pull", "--retries", "0"], {
        cwd: repo,
        env: { ...server.env, PROMPTLAYER_BASE_URL: proxy.url },
      });
      expect(pulled.exitCode, pulled.stderr).toBe(3);
      expect(pulled.stderr).toMatch(new RegExp(`GET ${proxy.url}/prompt-templates/${beta}\\b`));
    } finally {
      await proxy.close();
    }
    expect(await readFile(join(repo, "prompts/alpha.prompt.yaml"), "utf8")).toContain("alpha v2");
    expect(await readFile(join(repo, "prompts/beta.prompt.yaml"), "utf8")).not.toContain("beta v2");
    const status = await server.plx(repo, "status", "--exit-code");
    expect(status.exitCode, status.stdout).toBe(0);
    const resumed = await server.plx(repo, "pull");
    expect(resumed.stdout).toContain("0 created, 1 updated, 2 unchanged, 0 skipped");
  });
});

describe("broken answers from the server or a proxy", () => {
  let server: Server;
  let url: string;
  let answer: (res: import("node:http").ServerResponse) => void = () => {};
  beforeAll(async () => {
    server = createServer((_req, res) => answer(res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it.each<[string, (res: import("node:http").ServerResponse) => void, number, RegExp]>([
    [
      "invalid JSON",
      (res) => res.writeHead(200, { "content-type": "application/json" }).end("{not json"),
      3,
      /not JSON|not what plx expects/,
    ],
    [
      "an HTML error page from a proxy",
      (res) =>
        res.writeHead(502, { "content-type": "text/html" }).end("<html><body><h1>502 Bad Gateway</h1></body></html>"),
      3,
      /HTTP 502/,
    ],
    [
      "a truncated body",
      (res) => {
        res.writeHead(200, { "content-type": "application/json", "content-length": "500" });
        res.write('{"items": [');
        res.destroy();
      },
      3,
      /PromptLayer|network|reach/i,
    ],
    [
      "JSON sent as text/plain",
      (res) => res.writeHead(200, { "content-type": "text/plain" }).end('"a bare string"'),
      3,
      /not what plx expects/,
    ],
    [
      "a JSON string instead of an object",
      (res) => res.writeHead(200, { "content-type": "application/json" }).end('"ok"'),
      3,
      /not what plx expects/,
    ],
    [
      "a 401",
      (res) => res.writeHead(401, { "content-type": "application/json" }).end('{"message":"Invalid API key"}'),
      4,
      /rejected the API key/,
    ],
    // A 404 on a listing means the base URL is not PromptLayer's API root: the user's to fix.
    ["a 404 with no body", (res) => res.writeHead(404).end(), 2, /HTTP 404[\s\S]*--base-url/],
    [
      "an empty 200",
      (res) => res.writeHead(200, { "content-type": "application/json" }).end(""),
      3,
      /not what plx expects/,
    ],
  ])(
    "%s: the right exit code, a message naming the request, no file written",
    async (_label, respond, exitCode, message) => {
      answer = respond;
      const repo = await newRepo();
      const result = await plx(["pull", "--retries", "0"], {
        cwd: repo,
        env: { PROMPTLAYER_BASE_URL: url, PROMPTLAYER_API_KEY: API_KEY },
      });
      expect(result.exitCode, result.stderr).toBe(exitCode);
      expect(result.stderr).toMatch(message);
      if (exitCode === 3)
        expect(result.stderr).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/(prompt-templates|api\/public\/v2)/);
      expect(result.stderr).not.toMatch(NO_STACK);
      expect(await fastGlob("**/*", { cwd: repo, dot: true })).toEqual(["plx.config.yaml"]);
    },
  );
});
