// plx init from flags, in-process; the interactive questions in a pseudo-terminal are end to end (test/e2e/init.test.ts).
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fastGlob from "fast-glob";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { plx } from "../support/in-process.js";

const fresh = () => mkdtemp(join(tmpdir(), "plx-init-"));

describe("plx init", () => {
  it("sets a repository up from flags, writes no secret, and never overwrites without --force", async () => {
    const repo = await fresh();
    const secret = "pl_init_secret_key_0123456789";
    const first = await plx(["init", "--yes", "--ci", "gitlab", "--hooks", "--label", "live"], {
      cwd: repo,
      env: { PROMPTLAYER_API_KEY: secret },
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
    const again = await plx(["init", "--yes", "--ci", "gitlab"], { cwd: repo });
    expect(again.stdout).toContain("kept  .gitlab-ci.yml");
    expect(await readFile(join(repo, ".gitlab-ci.yml"), "utf8")).toBe("# mine\n");
    // PLX_FORCE is pull's and push's twin, and an env twin set to 0 means off: neither replaces the file.
    for (const env of [{ PLX_FORCE: "1" }, { PLX_INIT_FORCE: "0" }, { PLX_INIT_FORCE: "false" }]) {
      expect(
        (await plx(["init", "--yes", "--ci", "gitlab"], { cwd: repo, env })).stdout,
        JSON.stringify(env),
      ).toContain("kept  .gitlab-ci.yml");
    }
    expect(await readFile(join(repo, ".gitlab-ci.yml"), "utf8")).toBe("# mine\n");
    expect(
      (await plx(["init", "--yes", "--ci", "gitlab"], { cwd: repo, env: { PLX_INIT_FORCE: "1" } })).stdout,
    ).toContain("wrote .gitlab-ci.yml");
    await writeFile(join(repo, ".gitlab-ci.yml"), "# mine\n");
    expect((await plx(["init", "--yes", "--ci", "gitlab", "--force"], { cwd: repo })).stdout).toContain(
      "wrote .gitlab-ci.yml",
    );
  });

  it("says to add plx to package.json when the CI jobs it writes could not install it", async () => {
    const repo = await fresh();
    const bare = await plx(["init", "--yes", "--ci", "github"], { cwd: repo });
    expect(bare.stdout).toContain("  1. Add plx to package.json (`npm install --save-dev plx`)");
    expect(bare.stdout).toContain("  2. Store your PromptLayer API key");

    await writeFile(join(repo, "package.json"), JSON.stringify({ devDependencies: { plx: "^0.1.0" } }));
    const listed = await plx(["init", "--yes", "--ci", "github", "--force"], { cwd: repo });
    expect(listed.stdout).not.toContain("Add plx to package.json");
    expect(listed.stdout).toContain("  1. Store your PromptLayer API key");
    const none = await plx(["init", "--yes", "--ci", "none"], { cwd: await fresh() });
    expect(none.stdout).not.toContain("Add plx to package.json");
  });

  it("refuses to ask questions without a terminal", async () => {
    const result = await plx(["init"], { cwd: await fresh() });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("--yes");
  });
});
