// plx cache export through plx's own main(): the snapshot a cache starts from, written whole or not at all.
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readSnapshot } from "../../../src/cache/snapshot.js";
import { API_KEY, sandboxesPerTest } from "../../support/cache.js";
import { newRepo, plx } from "../../support/in-process.js";
import { chat, completion } from "../../support/registry.js";

const sandbox = sandboxesPerTest();

describe("plx cache export", () => {
  it("writes latest and every given label of every template, and reports what it wrote", async () => {
    const sb = await sandbox();
    await sb.publish("tone", completion("Be warm."), { labels: ["prod"] });
    await sb.publish("greet", chat(["system", "Hi. @@@tone@@@"]), { labels: ["prod", "staging"] });
    await sb.publish("greet", chat(["system", "Hello. @@@tone@@@"]));
    const dir = await newRepo();

    const result = await sb.plx(
      dir,
      "cache",
      "export",
      "--labels",
      "prod,staging",
      "-o",
      "out/prompts.snapshot.json",
      "--json",
    );
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      command: "cache export",
      ok: true,
      file: join("out", "prompts.snapshot.json"),
      labels: ["prod", "staging"],
      templates: 2,
      entries: 5,
    });
    const snapshot = await readSnapshot(join(dir, "out/prompts.snapshot.json"));
    expect(snapshot).toMatchObject({ upstream: sb.url, workspaceId: 1, labels: ["prod", "staging"] });
    const reads = snapshot!.entries.map((entry) =>
      entry.kind === "template"
        ? `${entry.body.prompt_name} ${JSON.stringify(entry.selector)} v${entry.body.version}`
        : "",
    );
    expect(reads.sort()).toEqual(
      [
        'greet {"kind":"latest"} v2',
        'greet {"kind":"label","label":"prod"} v1',
        'greet {"kind":"label","label":"staging"} v1',
        'tone {"kind":"latest"} v1',
        'tone {"kind":"label","label":"prod"} v1',
      ].sort(),
    );
    const text = await readFile(join(dir, "out/prompts.snapshot.json"), "utf8");
    expect(text).not.toContain(API_KEY);

    const human = await sb.plx(dir, "cache", "export", "-o", "latest.json");
    expect(human.exitCode).toBe(0);
    expect(human.stdout).toBe("wrote latest.json: 2 read(s) of 2 template(s) (latest)\n");
  });

  it("writes nothing when PromptLayer cannot be read, and exits 3", async () => {
    const sb = await sandbox();
    await sb.publish("greet", chat(["system", "Hi."]));
    const dir = await newRepo();
    await sb.close();
    const result = await plx(["cache", "export", "-o", "never.json", "--retries", "0"], {
      cwd: dir,
      env: { ...sb.env },
    });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(/Could not reach PromptLayer/);
    await expect(stat(join(dir, "never.json"))).rejects.toThrow(/ENOENT/);
  });

  it("needs the API key from the environment", async () => {
    const dir = await newRepo();
    const result = await plx(["cache", "export"], { cwd: dir, env: {} });
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toContain("PROMPTLAYER_API_KEY");
  });
});
