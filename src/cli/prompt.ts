// The Prompter port over @clack/prompts, drawing on the run's stderr so stdout keeps only results.
import type { Writable } from "node:stream";
import { confirm, isCancel, select, text } from "@clack/prompts";
import type { Prompter } from "./context.js";
import type { OutputStream } from "./io.js";

export function clackPrompter(stderr: OutputStream): Prompter {
  const output = stderr as unknown as Writable;
  return {
    async confirm(message, options = {}) {
      const answer = await confirm({ message, initialValue: options.initial ?? false, output });
      return !isCancel(answer) && answer === true;
    },
    async select(message, choices, initial) {
      // clack's option type wants a mutable array of its own option shape.
      // clack's option type is a conditional type TypeScript cannot match against a generic value.
      const options = choices.map((choice) => ({ ...choice })) as Parameters<typeof select<string>>[0]["options"];
      const answer = await select<string>({ message, options, initialValue: initial, output });
      return isCancel(answer) ? undefined : (answer as (typeof choices)[number]["value"]);
    },
    async text(message, initial) {
      const answer = await text({ message, initialValue: initial ?? "", output });
      return isCancel(answer) ? undefined : answer;
    },
  };
}
