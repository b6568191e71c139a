import { execa } from "execa";
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cleanEnv, PLX_BIN, runPlx } from "../support/cli.js";

const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

describe("plx basics", () => {
  it.each(["--version", "-v", "-V"])("prints its version and nothing else for %s", async (flag) => {
    const result = await runPlx([flag]);
    expect(result).toMatchObject({ exitCode: 0, stdout: version, stderr: "" });
  });

  it("shows the global flags and examples in every command's help", async () => {
    const publish = await runPlx(["publish", "--help"]);
    expect(publish.stdout).toContain("Global Options:");
    expect(publish.stdout).toContain("--base-url <url>");
    expect(publish.stdout).toContain("A label moves on a template that already carries it");
    expect(publish.stdout).toMatch(/Examples?:\n {2}plx publish --label prod --yes/);
  });

  it("packs as a package that says what it needs: Node 22.12, a LICENSE, no source maps, nothing to build", async () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
    expect(pkg.engines.node).toBe(">=22.12");
    const { stdout } = await execa("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
      cwd: new URL("../..", import.meta.url),
    });
    const files: string[] = JSON.parse(stdout)[0].files.map((file: { path: string }) => file.path);
    expect(files).toContain("LICENSE");
    expect(files).toContain("bin/plx.js");
    expect(files.filter((file) => file.endsWith(".map"))).toEqual([]);
    expect(files.filter((file) => file.startsWith("scripts/") || file.startsWith("src/"))).toEqual([]);
    // The prepare script builds a git checkout and does nothing where the build script is not shipped.
    expect(pkg.scripts.prepare).toContain("existsSync('scripts/build.mjs')");
  });

  it("lists its commands and exit codes in --help", async () => {
    const result = await runPlx(["--help"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^Usage: plx /m);
    expect(result.stdout).toMatch(/^\s+sandbox\b/m);
    expect(result.stdout).toContain("Exit codes: 0 ok");
    expect(result.stdout).toContain("PROMPTLAYER_API_KEY");
  });

  it("answers --help and -h from the help the build rendered, identical to commander's own", async () => {
    const fromCommander = await runPlx(["help"]);
    const rendered = readFileSync(new URL("../../dist/help.txt", import.meta.url), "utf8");
    expect(rendered).toBe(`${fromCommander.stdout}\n`);
    for (const flag of ["--help", "-h"]) {
      const result = await runPlx([flag]);
      expect(result).toMatchObject({ exitCode: 0, stdout: fromCommander.stdout, stderr: "" });
    }
  });

  it("treats an unknown command as a usage error (exit 2) with a suggestion", async () => {
    const result = await runPlx(["sandbx"]);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^error Unknown command 'sandbx'/);
    expect(result.stderr).toMatch(/Did you mean sandbox\?/);
    expect(result.stderr).toMatch(/hint: Run `plx --help`/);
  });

  it("rejects a bad flag value as a usage error", async () => {
    const result = await runPlx(["sandbox", "--fail-rate", "2"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/--fail-rate.*expected a number from 0 to 1/);
  });

  it("refuses to run on Node older than 22 with one line naming the version it needs", async () => {
    const oldNode = ["/usr/bin/node", "/usr/local/bin/node"].find((candidate) => existsSync(candidate));
    if (!oldNode) throw new Error("the test machine has no system Node to check the version gate with");
    const { stdout: oldVersion } = await execa(oldNode, ["-p", "process.versions.node"]);
    const result = await execa(oldNode, [PLX_BIN, "--version"], { env: cleanEnv(), extendEnv: false, reject: false });
    if (Number(oldVersion.split(".")[0]) >= 22) {
      // The machine's Node is already new enough: the gate must let it through.
      expect(result.exitCode).toBe(0);
      return;
    }
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim().split("\n")).toEqual([`plx needs Node.js 22.12 or newer; this is Node ${oldVersion}.`]);
  });
});
