import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load.js";
import { PlxError } from "../../../src/errors/index.js";

async function repoWith(configText?: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "plx-config-"));
  await mkdir(join(dir, ".git"));
  if (configText !== undefined) await writeFile(join(dir, "plx.config.yaml"), configText);
  return dir;
}

async function loadError(dir: string, env: Record<string, string> = {}): Promise<PlxError> {
  const error = await loadConfig(dir, {}, env).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(PlxError);
  return error as PlxError;
}

describe("loadConfig", () => {
  it("works with no config file at all", async () => {
    const dir = await repoWith();
    const config = await loadConfig(dir, {}, {});
    expect(config).toMatchObject({
      rootDir: dir,
      configFile: undefined,
      promptsDir: "prompts",
      baseUrl: "https://api.promptlayer.com",
      externalIdSource: "plx",
      concurrency: 16,
      track: { kind: "latest" },
    });
  });

  it("finds the config file from a subdirectory and resolves paths against it", async () => {
    const dir = await repoWith("promptsDir: llm/prompts\ntrack: label:prod\n");
    await mkdir(join(dir, "src", "deep"), { recursive: true });
    const config = await loadConfig(join(dir, "src", "deep"), {}, {});
    expect(config.rootDir).toBe(dir);
    expect(config.promptsDir).toBe(join("llm", "prompts"));
    expect(config.track).toEqual({ kind: "label", label: "prod" });
  });

  it("applies flag > env > file > default", async () => {
    const dir = await repoWith("concurrency: 4\nbaseUrl: https://file.example/\nexternalIdSource: from-file\n");
    const fileOnly = await loadConfig(dir, {}, {});
    expect(fileOnly).toMatchObject({ concurrency: 4, baseUrl: "https://file.example", externalIdSource: "from-file" });

    const env = {
      PLX_CONCURRENCY: "8",
      PROMPTLAYER_BASE_URL: "https://env.example",
      PLX_EXTERNAL_ID_SOURCE: "from-env",
    };
    expect(await loadConfig(dir, {}, env)).toMatchObject({
      concurrency: 8,
      baseUrl: "https://env.example",
      externalIdSource: "from-env",
    });

    const flags = { concurrency: 2, baseUrl: "https://flag.example", externalIdSource: "from-flag" };
    expect(await loadConfig(dir, flags, env)).toMatchObject({
      concurrency: 2,
      baseUrl: "https://flag.example",
      externalIdSource: "from-flag",
    });
  });

  it("prefers PLX_BASE_URL over PROMPTLAYER_BASE_URL", async () => {
    const dir = await repoWith();
    const config = await loadConfig(
      dir,
      {},
      { PLX_BASE_URL: "http://127.0.0.1:1", PROMPTLAYER_BASE_URL: "http://127.0.0.1:2" },
    );
    expect(config.baseUrl).toBe("http://127.0.0.1:1");
  });

  it("names an unknown key, its position and the file", async () => {
    const dir = await repoWith("promptsDir: prompts\nconcurency: 4\n");
    const error = await loadError(dir);
    expect(error.exitCode).toBe(2);
    expect(error.code).toBe("CONFIG.INVALID_KEYS");
    expect(error.message).toBe('plx.config.yaml:2:1: unknown key "concurency"');
    expect(error.hint).toContain("concurrency");
  });

  it("refuses a label name PromptLayer cannot have, pointing at it", async () => {
    const dir = await repoWith("labels:\n  prod: ['*']\n  my label: [support/*]\n");
    const error = await loadError(dir);
    expect(error.code).toBe("CONFIG.INVALID_KEYS");
    expect(error.message).toBe('plx.config.yaml:3:3: "labels.my label" a label name cannot contain whitespace');

    const tracked = await loadError(await repoWith("track: label:pro d\n"));
    expect(tracked.code).toBe("CONFIG.TRACK_INVALID");
    expect(tracked.hint).toContain("no whitespace");
    const fromEnv = await loadError(await repoWith(), { PLX_TRACK: "label: " });
    expect(fromEnv.code).toBe("CONFIG.TRACK_INVALID");
  });

  it("reports every invalid value together", async () => {
    const dir = await repoWith("concurrency: lots\nbaseUrl: ftp://x\n");
    const error = await loadError(dir);
    expect(error.message.split("\n")).toHaveLength(2);
    expect(error.message).toMatch(/plx\.config\.yaml:1:1: "concurrency"/);
    expect(error.message).toMatch(/plx\.config\.yaml:2:1: "baseUrl"/);
  });

  it("reports YAML syntax errors with a position", async () => {
    const dir = await repoWith("promptsDir: [unclosed\n");
    const error = await loadError(dir);
    expect(error.message).toMatch(/^plx\.config\.yaml:\d+:\d+: /);
    expect(error.details).toMatchObject({ file: join(dir, "plx.config.yaml") });
  });

  it("rejects a prompts directory outside the repository", async () => {
    const dir = await repoWith("promptsDir: ../elsewhere\n");
    const error = await loadError(dir);
    expect(error.message).toContain("outside the repository");
  });

  it("rejects a track value it does not understand, and a bad env number", async () => {
    expect((await loadError(await repoWith("track: production\n"))).message).toContain('"production" is not a state');
    expect((await loadError(await repoWith(), { PLX_CONCURRENCY: "zero" })).message).toContain("PLX_CONCURRENCY");
  });
});
