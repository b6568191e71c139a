// Hostile input, one case per test: malformed and adversarial local files, hostile names and payloads from the
// registry, and broken answers from a server or proxy. Each ends with the documented exit code, a clear message,
// no stack trace, nothing written outside prompts/ and nothing lost.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdir, mkdtemp, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fastGlob from "fast-glob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPlx, startSandboxProcess, type SandboxProcess } from "../support/cli.js";
import { emptyRepo, plxEnv } from "../support/registry.js";

let sandbox: SandboxProcess;
beforeAll(async () => {
  sandbox = await startSandboxProcess();
});
afterAll(async () => {
  await sandbox.stop();
});

const NO_STACK = /^\s+at .+\(.*:\d+:\d+\)$/m;
const OUTSIDE = join(tmpdir(), `plx-hostile-outside-${process.pid}.prompt.yaml`);

const BILLION_LAUGHS = ["a: &a [x, x, x, x, x, x, x, x, x]", ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`)].join("\n");

/** [label, file contents (or a function making the file), what check says]. */
const LOCAL_CASES: Array<[string, string | Buffer | ((path: string) => Promise<void>), RegExp]> = [
  ["an anchor and alias", "type: completion\ncontent: &x hi\nname: *x\n", /anchor|alias/i],
  ["a billion-laughs expansion", `${BILLION_LAUGHS}\ntype: completion\ncontent: x\n`, /anchor|alias/i],
  ["10,000 levels of nesting", `type: completion\ncontent: ${"[".repeat(10_000)}${"]".repeat(10_000)}\n`, /./],
  ["duplicate keys", "type: completion\ncontent: a\ncontent: b\n", /duplicate|unique/i],
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
  it.concurrent.each(LOCAL_CASES)("%s", async (_label, contents, message) => {
    const repo = await emptyRepo();
    await mkdir(join(repo, "prompts"));
    await writeFile(join(repo, "prompts/keep.prompt.yaml"), "type: completion\ncontent: keep me\n");
    const path = join(repo, "prompts/bad.prompt.yaml");
    if (typeof contents === "function") await contents(path);
    else await writeFile(path, contents);
    const checked = await runPlx(["check"], { cwd: repo, env: plxEnv(sandbox.url) });
    expect(checked.stderr + checked.stdout).not.toMatch(NO_STACK);
    if (message.source === "^$") {
      // Accepted: BOMs and CRLF are ordinary text files.
      expect(checked.exitCode, checked.stdout).toBe(0);
      return;
    }
    expect(checked.exitCode, checked.stdout + checked.stderr).toBe(1);
    expect(checked.stdout).toMatch(/prompts\/bad\.prompt\.yaml(:\d+:\d+)?: error/);
    expect(checked.stdout).toMatch(message);
    const pushed = await runPlx(["push"], { cwd: repo, env: plxEnv(sandbox.url) });
    expect(pushed.exitCode).toBe(2);
    expect(pushed.stderr).not.toMatch(NO_STACK);
    expect(await readFile(join(repo, "prompts/keep.prompt.yaml"), "utf8")).toBe("type: completion\ncontent: keep me\n");
  });

  it("refuses paths handed to check that lead outside prompts/, and two files claiming one name", async () => {
    await writeFile(OUTSIDE, "type: completion\ncontent: outside\n");
    const repo = await emptyRepo();
    await mkdir(join(repo, "prompts"));
    await writeFile(join(repo, "prompts/a.prompt.yaml"), "type: completion\ncontent: x\nname: same\n");
    await writeFile(join(repo, "prompts/b.prompt.yaml"), "type: completion\ncontent: y\nname: same\n");
    const escaped = await runPlx(["check", "../x.prompt.yaml", OUTSIDE], { cwd: repo, env: plxEnv(sandbox.url) });
    expect(escaped.stdout).toContain("0 file(s) checked");
    const both = await runPlx(["check"], { cwd: repo, env: plxEnv(sandbox.url) });
    expect(both.exitCode).toBe(1);
    expect(both.stdout).toMatch(/template name "same" is also claimed by prompts\/b\.prompt\.yaml/);
  });
});

/** Remote names and payloads installed straight into the sandbox's state. */
const HOSTILE_NAMES = ["..", "../../etc/passwd", "a/b", "C:\\x", "CON", "aux.txt", "...", "nul\u0000byte", "new\nline", "esc\u001b[31mred", "x".repeat(200), "Case", "case", " spaced ", "ſtrange", "emoji 🎉 name", ".hidden", "trailing."];

describe("hostile names and payloads from the registry", () => {
  it("keeps every file inside prompts/, keeps every exact name, and round-trips a 10 MB template", async () => {
    const at = new Date(0).toISOString();
    let id = 100;
    const text = (value: string) => [{ type: "text", text: value }];
    const templates = [...HOSTILE_NAMES, "huge"].map((name) => ({
      id: id++,
      name,
      tags: [],
      folder_id: name === "huge" ? 1 : null,
      external_ids: [],
      versions: [{ id: id++, number: 1, prompt_template: { type: "completion", content: text(name === "huge" ? "ten megabytes\n".repeat(750_000) : `I am ${JSON.stringify(name)} \u2028 \t\r\n`) }, metadata: null, commit_message: null, extras: {}, created_at: at }],
      created_at: at,
      updated_at: at,
    }));
    const state = { workspace_id: 1, next_id: id, templates, labels: [], folders: [{ id: 1, name: "..", parent_id: null, external_ids: [], created_at: at, updated_at: at }], protected_labels: [] };
    await fetch(`${sandbox.url}/__sandbox/state`, { method: "PUT", body: JSON.stringify(state) });
    const parent = await mkdtemp(join(tmpdir(), "plx-hostile-parent-"));
    const repo = join(parent, "repo");
    await mkdir(repo);
    await writeFile(join(repo, "plx.config.yaml"), "promptsDir: prompts\n");

    const pulled = await runPlx(["pull"], { cwd: repo, env: plxEnv(sandbox.url) });
    expect(pulled.exitCode, pulled.stderr + pulled.stdout.slice(-2000)).toBe(0);
    expect(await readdir(parent)).toEqual(["repo"]);
    const written = await fastGlob("**/*", { cwd: repo, dot: true });
    expect(written.filter((path) => path !== "plx.config.yaml" && path !== "plx.lock").every((path) => path.startsWith("prompts/") && !path.split("/").some((s) => s === ".." || s === "."))).toBe(true);
    expect(new Set(written.map((path) => path.toLowerCase())).size).toBe(written.length);
    const lock = JSON.parse(await readFile(join(repo, "plx.lock"), "utf8"));
    expect(Object.keys(lock.templates).sort()).toEqual([...HOSTILE_NAMES, "huge"].sort());
    const diff = await runPlx(["diff", "--exit-code"], { cwd: repo, env: plxEnv(sandbox.url) });
    expect(diff.exitCode, diff.stdout).toBe(0);
    await fetch(`${sandbox.url}/__sandbox/reset`, { method: "POST" });
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
    ["invalid JSON", (res) => res.writeHead(200, { "content-type": "application/json" }).end("{not json"), 3, /not JSON|not what plx expects/],
    ["an HTML error page from a proxy", (res) => res.writeHead(502, { "content-type": "text/html" }).end("<html><body><h1>502 Bad Gateway</h1></body></html>"), 3, /HTTP 502/],
    ["a truncated body", (res) => { res.writeHead(200, { "content-type": "application/json", "content-length": "500" }); res.write('{"items": ['); res.destroy(); }, 3, /PromptLayer|network|reach/i],
    ["JSON sent as text/plain", (res) => res.writeHead(200, { "content-type": "text/plain" }).end('"a bare string"'), 3, /not what plx expects/],
    ["a JSON string instead of an object", (res) => res.writeHead(200, { "content-type": "application/json" }).end('"ok"'), 3, /not what plx expects/],
    ["a 401", (res) => res.writeHead(401, { "content-type": "application/json" }).end('{"message":"Invalid API key"}'), 4, /rejected the API key/],
    ["a 404 with no body", (res) => res.writeHead(404).end(), 3, /HTTP 404/],
    ["an empty 200", (res) => res.writeHead(200, { "content-type": "application/json" }).end(""), 3, /not what plx expects/],
  ])("%s: exit %i, a message naming the request, no file written", async (_label, respond, exitCode, message) => {
    answer = respond;
    const repo = await emptyRepo();
    const result = await runPlx(["pull", "--retries", "0"], { cwd: repo, env: plxEnv(url) });
    expect(result.exitCode, result.stderr).toBe(exitCode);
    expect(result.stderr).toMatch(message);
    if (exitCode === 3) expect(result.stderr).toMatch(/GET \/(prompt-templates|api\/public\/v2)/);
    expect(result.stderr).not.toMatch(NO_STACK);
    expect(await fastGlob("**/*", { cwd: repo, dot: true })).toEqual(["plx.config.yaml"]);
  });
});
