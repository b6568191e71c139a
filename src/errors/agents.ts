import { defineErrors, entry, ExitCode } from "./define.js";

/** Agents (PromptLayer's workflows): running them and reading their definitions. */
export const agentErrors = defineErrors({
  "AGENT.NOT_FOUND": entry<{ name: string; at?: string }>({
    exit: ExitCode.Usage,
    message: (p) => `PromptLayer has no agent "${p.name}"${p.at ? ` ${p.at}` : ""}.`,
    hint: "Check the agent's name (names are case-sensitive) and the --label or --version given; plx agent run takes the name PromptLayer shows.",
    details: (p) => ({ name: p.name, ...(p.at ? { at: p.at } : {}) }),
  }),
  "AGENT.INPUTS_FILE": entry<{ file: string; problem: string }>({
    exit: ExitCode.Usage,
    message: (p) => `The inputs file ${p.file} cannot be used: ${p.problem}.`,
    hint: 'Give --inputs-file a JSON object of input variables, e.g. {"question": "Where is my refund?"}.',
    details: (p) => ({ file: p.file }),
  }),
});
