// The command tree as declared: every flag has an environment twin, and the twins are distinct where they differ.
import { describe, expect, it } from "vitest";
import { createProgram } from "../../../src/cli/program.js";

describe("the command tree", () => {
  it("gives every flag a PLX_* (or PROMPTLAYER_*) environment twin, except help, version and colour", () => {
    const program = createProgram(async () => {});
    const commands = [program];
    const missing: string[] = [];
    for (const command of commands) {
      commands.push(...command.commands);
      for (const option of command.options) {
        if (["--help", "--version", "--color", "--no-color", "--no-upload"].includes(option.long ?? "")) continue;
        if (!option.envVar || !/^(PLX|PROMPTLAYER)_[A-Z0-9_]+$/.test(option.envVar))
          missing.push(`${command.name()} ${option.long}`);
      }
    }
    expect(missing).toEqual([]);
    const diff = program.commands.find((command) => command.name() === "diff")!;
    expect(diff.options.find((option) => option.long === "--name-only")!.envVar).toBe("PLX_NAME_ONLY");
  });
});
