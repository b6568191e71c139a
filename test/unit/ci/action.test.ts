import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";

const run = promisify(execFile);
const root = join(import.meta.dirname, "../../..");

interface Step {
  id?: string;
  uses?: string;
  run?: string;
  shell?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
  "working-directory"?: string;
}

describe("action.yml", async () => {
  const action = parse(await readFile(join(root, "action.yml"), "utf8")) as {
    name: string;
    inputs: Record<string, { required?: boolean; default?: string }>;
    outputs: Record<string, { value: string }>;
    runs: { using: string; steps: Step[] };
  };
  const steps = action.runs.steps;
  const plxStep = steps.find((s) => s.id === "plx")!;

  it("is a composite action on Node 22 with the documented inputs and outputs", () => {
    expect(action.runs.using).toBe("composite");
    expect(steps[0]).toMatchObject({ uses: "actions/setup-node@v4", with: { "node-version": "22" } });
    expect(Object.keys(action.inputs)).toEqual(
      expect.arrayContaining(["command", "args", "api-key", "base-url", "working-directory"]),
    );
    expect(action.inputs.command!.required).toBe(true);
    for (const name of ["changed", "published", "score", "passed"])
      expect(action.outputs[name]!.value).toBe(`\${{ steps.plx.outputs.${name} }}`);
  });

  it("never splices an expression into script text, and passes every input through env", () => {
    for (const step of steps) {
      if (step.run !== undefined) {
        expect(step.run).not.toContain("${{");
        expect(step.shell).toBe("bash");
      }
    }
    const referenced = Object.values(plxStep.env ?? {}).join(" ");
    for (const input of Object.keys(action.inputs).filter((i) => i !== "working-directory"))
      expect(referenced).toContain(`inputs.${input} }}`);
    expect(plxStep["working-directory"]).toBe("${{ inputs.working-directory }}");
    expect(steps.some((s) => s.run?.includes('npm ci --prefix "$GITHUB_ACTION_PATH"'))).toBe(true);
  });

  describe("its plx step", () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "plx-action-"));
      await mkdir(join(dir, "bin"));
      // A stand-in for bin/plx.js that reports what it was given.
      await writeFile(
        join(dir, "bin/plx.js"),
        `console.log(JSON.stringify({ argv: process.argv.slice(2), key: process.env.PROMPTLAYER_API_KEY ?? null, base: process.env.PROMPTLAYER_BASE_URL ?? null, gh: process.env.GITHUB_TOKEN ?? null, leftover: process.env.PLX_INPUT_API_KEY ?? null }));`,
      );
      await writeFile(join(dir, "a.prompt.yaml"), "");
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    const exec = async (inputs: Record<string, string>, jobEnv: Record<string, string> = {}) => {
      const env = {
        PATH: process.env.PATH ?? "",
        GITHUB_ACTION_PATH: dir,
        PLX_COMMAND: "",
        PLX_ARGS: "",
        PLX_INPUT_API_KEY: "",
        PLX_INPUT_BASE_URL: "",
        PLX_INPUT_GITHUB_TOKEN: "",
        ...jobEnv,
        ...inputs,
      };
      return run("bash", ["-c", plxStep.run!], { cwd: dir, env }).then(
        (r) => ({ code: 0, stdout: r.stdout }),
        (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
      );
    };

    it("splits args without globbing or evaluating them", async () => {
      const result = await exec({ PLX_COMMAND: "check", PLX_ARGS: "*.yaml $(touch pwned) --x;echo" });
      expect(result.code).toBe(0);
      const seen = JSON.parse(result.stdout.trim().split("\n").pop()!);
      expect(seen.argv).toEqual(["check", "*.yaml", "$(touch", "pwned)", "--x;echo"]);
      await expect(readFile(join(dir, "pwned"))).rejects.toThrow();
    });

    it("exports non-empty inputs, masks the key and keeps job-level values otherwise", async () => {
      const given = await exec({
        PLX_COMMAND: "diff",
        PLX_INPUT_API_KEY: "pl_inputkey123456",
        PLX_INPUT_BASE_URL: "http://x",
        PLX_INPUT_GITHUB_TOKEN: "ghs_x",
      });
      const lines = given.stdout.trim().split("\n");
      expect(lines[0]).toBe("::add-mask::pl_inputkey123456");
      expect(JSON.parse(lines[1]!)).toEqual({
        argv: ["diff"],
        key: "pl_inputkey123456",
        base: "http://x",
        gh: "ghs_x",
        leftover: null,
      });

      const kept = await exec({ PLX_COMMAND: "diff" }, { PROMPTLAYER_API_KEY: "pl_jobkey", GITHUB_TOKEN: "ghs_job" });
      expect(JSON.parse(kept.stdout.trim())).toMatchObject({ key: "pl_jobkey", gh: "ghs_job", base: null });
    });

    it("refuses unknown commands", async () => {
      const result = await exec({ PLX_COMMAND: "rm -rf /\n::add-mask::x" });
      expect(result.code).toBe(2);
      expect(result.stdout.split("\n").filter(Boolean)).toHaveLength(1);
      expect(result.stdout).toMatch(/^::error title=plx action::Unknown plx command/);
    });
  });
});

describe(".pre-commit-hooks.yaml", async () => {
  const hooks = parse(await readFile(join(root, ".pre-commit-hooks.yaml"), "utf8")) as Array<Record<string, unknown>>;

  it("defines plx-check for commits and plx-check-remote for pushes", () => {
    const check = hooks.find((h) => h.id === "plx-check")!;
    expect(check).toMatchObject({ language: "node", entry: "plx check", pass_filenames: true });
    const files = new RegExp(check.files as string);
    for (const path of ["prompts/a/b.prompt.yaml", "prompts/triage.agent.yaml", "plx.lock", "sub/plx.lock"])
      expect(files.test(path), path).toBe(true);
    for (const path of ["prompts/a/b.yaml", "plx.lock.bak", "myplx.lock"]) expect(files.test(path), path).toBe(false);
    // A pre-push hook stops conflicts and invalid files, not edits waiting for their pull request.
    const remote = hooks.find((h) => h.id === "plx-check-remote")!;
    expect(remote).toMatchObject({
      language: "node",
      entry: "plx check --remote",
      pass_filenames: false,
      always_run: true,
    });
    expect(remote.stages).toContain("pre-push");
    expect(hooks.map((h) => h.id)).toEqual(["plx-check", "plx-check-remote"]);
  });
});
