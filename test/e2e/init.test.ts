// plx init in a pseudo-terminal (needs python3): it asks, or with --no-input does not. From flags: test/integration.
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { cleanEnv, PLX_BIN } from "../support/cli.js";

const PTY_RUN = fileURLToPath(new URL("../support/pty-run.py", import.meta.url));
const fresh = () => mkdtemp(join(tmpdir(), "plx-init-"));

describe("plx init", () => {
  it("asks nothing in a terminal either with --no-input or PLX_NO_INPUT", async () => {
    for (const [args, extra] of [
      [["--no-input"], {}],
      [[], { PLX_NO_INPUT: "1" }],
    ] as const) {
      const { stdout } = await execa(
        "python3",
        [PTY_RUN, JSON.stringify([]), process.execPath, PLX_BIN, "init", ...args],
        {
          cwd: await fresh(),
          env: cleanEnv({ TERM: "xterm", ...extra }),
          extendEnv: false,
        },
      );
      expect(stdout).not.toContain("Which CI runs your deploys?");
      expect(stdout).toContain("--yes");
      expect(stdout.trim().split("\n").at(-1)).toBe("EXIT 2");
    }
  });

  it("asks in a terminal and writes what was answered", async () => {
    const repo = await fresh();
    // Accept GitHub, type a prompts directory, accept the label and URL, decline hooks.
    const answers = ["\r", "\u0015llm-prompts\r", "\r", "\r", "n\r"];
    // PLX_NO_INPUT=0 means off, like any env twin set to 0.
    const { stdout } = await execa("python3", [PTY_RUN, JSON.stringify(answers), process.execPath, PLX_BIN, "init"], {
      cwd: repo,
      env: cleanEnv({ TERM: "xterm", PLX_NO_INPUT: "0" }),
      extendEnv: false,
    });
    expect(stdout).toContain("Which CI runs your deploys?");
    expect(stdout.trim().split("\n").at(-1)).toBe("EXIT 0");
    expect(await readFile(join(repo, "plx.config.yaml"), "utf8")).toMatch(/^promptsDir: "?llm-prompts"?$/m);
    const workflow = parse(await readFile(join(repo, ".github/workflows/plx-deploy.yml"), "utf8"));
    expect(JSON.stringify(workflow)).toContain("plx publish --label prod --yes");
    await expect(readFile(join(repo, ".pre-commit-config.yaml"), "utf8")).rejects.toThrow();
  });
});
