// plx init, with flags only and interactively in a pseudo-terminal.
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import fastGlob from "fast-glob";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { cleanEnv, PLX_BIN, runPlx } from "../support/cli.js";

const PTY_RUN = fileURLToPath(new URL("../support/pty-run.py", import.meta.url));
const fresh = () => mkdtemp(join(tmpdir(), "plx-init-"));

describe("plx init", () => {
  it("sets a repository up from flags, writes no secret, and never overwrites without --force", async () => {
    const repo = await fresh();
    const secret = "pl_init_secret_key_0123456789";
    const first = await runPlx(["init", "--yes", "--ci", "gitlab", "--hooks", "--label", "live"], {
      cwd: repo,
      env: cleanEnv({ PROMPTLAYER_API_KEY: secret }),
    });
    expect(first.exitCode).toBe(0);
    const written = await fastGlob("**/*", { cwd: repo, dot: true });
    expect(written.length).toBeGreaterThanOrEqual(4);
    for (const path of written) expect(await readFile(join(repo, path), "utf8")).not.toContain(secret);
    expect(first.stdout).toContain("wrote .gitlab-ci.yml");
    const gitlab = parse(await readFile(join(repo, ".gitlab-ci.yml"), "utf8"));
    expect(JSON.stringify(gitlab)).toContain("plx publish --label live --yes");
    expect(JSON.stringify(gitlab)).toContain("resource_group");
    expect(parse(await readFile(join(repo, ".pre-commit-config.yaml"), "utf8"))).toBeTypeOf("object");
    expect(await readFile(join(repo, "plx.config.yaml"), "utf8")).toMatch(/^promptsDir: "?prompts"?$/m);

    await writeFile(join(repo, ".gitlab-ci.yml"), "# mine\n");
    const again = await runPlx(["init", "--yes", "--ci", "gitlab"], { cwd: repo });
    expect(again.stdout).toContain("kept  .gitlab-ci.yml");
    expect(await readFile(join(repo, ".gitlab-ci.yml"), "utf8")).toBe("# mine\n");
    // PLX_FORCE is pull's and push's twin, and an env twin set to 0 means off: neither replaces the file.
    for (const env of [{ PLX_FORCE: "1" }, { PLX_INIT_FORCE: "0" }, { PLX_INIT_FORCE: "false" }]) {
      expect(
        (await runPlx(["init", "--yes", "--ci", "gitlab"], { cwd: repo, env: cleanEnv(env) })).stdout,
        JSON.stringify(env),
      ).toContain("kept  .gitlab-ci.yml");
    }
    expect(await readFile(join(repo, ".gitlab-ci.yml"), "utf8")).toBe("# mine\n");
    expect(
      (await runPlx(["init", "--yes", "--ci", "gitlab"], { cwd: repo, env: cleanEnv({ PLX_INIT_FORCE: "1" }) })).stdout,
    ).toContain("wrote .gitlab-ci.yml");
    await writeFile(join(repo, ".gitlab-ci.yml"), "# mine\n");
    expect((await runPlx(["init", "--yes", "--ci", "gitlab", "--force"], { cwd: repo })).stdout).toContain(
      "wrote .gitlab-ci.yml",
    );
  });

  it("refuses to ask questions without a terminal", async () => {
    const result = await runPlx(["init"], { cwd: await fresh() });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("--yes");
  });

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
