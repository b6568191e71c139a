import { defineErrors, entry, ExitCode } from "./define.js";

/** pull, push, publish and label. */
export const syncErrors = defineErrors({
  "SYNC.SNIPPET_CYCLE": entry<{ cycle: readonly string[] }>({
    exit: ExitCode.Usage,
    message: (p) => `Snippet references form a cycle: ${p.cycle.join(" -> ")}.`,
    hint: "A snippet cannot include itself, directly or through others; break the cycle.",
  }),
  "SYNC.COMMIT_MESSAGE_TOO_LONG": entry<{ length: number; limit: number }>({
    exit: ExitCode.Usage,
    message: (p) => `The commit message is ${p.length} characters; PromptLayer takes at most ${p.limit}.`,
    hint: "Shorten -m.",
  }),
  "PUBLISH.NEEDS_LABEL": entry({
    exit: ExitCode.Usage,
    message: () => "plx publish needs at least one --label.",
    hint: "Name the release label to move, e.g. --label prod; to publish versions without labels, use plx push.",
  }),
  "LABEL.TEMPLATE_NOT_FOUND": entry<{ name: string }>({
    exit: ExitCode.Usage,
    message: (p) => `PromptLayer has no template named "${p.name}".`,
    hint: "Check the name (names are case-sensitive); plx push creates templates from files.",
  }),
  "LABEL.NO_LOCAL_FILE": entry<{ name: string }>({
    exit: ExitCode.Usage,
    message: (p) => `There is no local file for "${p.name}" to match a version to.`,
    hint: (p) => `Name the version: ${p.name}@<version>.`,
  }),
  "LABEL.LOCAL_UNPUBLISHED": entry<{ path: string; name: string }>({
    exit: ExitCode.Usage,
    message: (p) => `${p.path} holds changes that are not in any version plx knows of.`,
    hint: (p) => `Run plx push first, or name the version: ${p.name}@<version>.`,
  }),
  "LABEL.VERSION_INVALID": entry<{ spec: string; version: number }>({
    exit: ExitCode.Usage,
    message: (p) => `"${p.spec}" names version ${p.version}; versions start at 1.`,
    hint: "Write name@<version>, for example refund-reply@3.",
  }),
});
