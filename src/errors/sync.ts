import { defineErrors, entry, ExitCode } from "./define.js";

/** pull, push, publish and label. */
export const syncErrors = defineErrors({
  "SYNC.SNIPPET_CYCLE": entry<{ cycle: readonly string[] }>({
    exit: ExitCode.Usage,
    message: (p) => `Snippet references form a cycle: ${p.cycle.join(" -> ")}.`,
    hint: "A snippet cannot include itself, directly or through others; break the cycle.",
  }),
  "SYNC.WORKSPACE_MISMATCH": entry<{ missing: number; synced: number }>({
    exit: ExitCode.Conflict,
    message: (p) =>
      `PromptLayer has ${p.missing} of the ${p.synced} templates plx.lock records nowhere (not even renamed): the API key probably belongs to another workspace, or the base URL points at another server. Nothing was changed.`,
    hint: "Check PROMPTLAYER_API_KEY and --base-url. If the templates really were deleted, run plx pull --prune --yes to accept that.",
  }),
  "PULL.PRUNE_NEEDS_CONSENT": entry<{ count: number; synced: number; examples: readonly string[] }>({
    exit: ExitCode.Usage,
    message: (p) =>
      `--prune would remove ${p.count} of the ${p.synced} synced prompt files (${p.examples.join(", ")}${p.count > p.examples.length ? ", …" : ""}), and nobody confirmed it; nothing was written.`,
    hint: "Check that the API key and base URL are the right workspace's, look with plx pull --prune --dry-run, then pass --yes.",
  }),
  "SYNC.COMMIT_MESSAGE_TOO_LONG": entry<{ length: number; limit: number }>({
    exit: ExitCode.Usage,
    message: (p) => `The commit message is ${p.length} characters; PromptLayer takes at most ${p.limit}.`,
    hint: "Shorten -m.",
  }),
  "PUBLISH.UNCOMMITTED_IN_CI": entry<{ sha: string; dir: string }>({
    exit: ExitCode.Usage,
    message: (p) =>
      `${p.dir}/ holds changes that commit ${p.sha} does not; a CI job publishes only what a commit holds, so nothing was sent.`,
    hint: "Commit the changes (or find the step that modified the files), then run the job again.",
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
  "LABEL.VERSION_NOT_FOUND": entry<{ name: string; version: number; latest: number }>({
    exit: ExitCode.Usage,
    message: (p) => `${p.name} has no version ${p.version}; its latest is v${p.latest}.`,
    hint: (p) => `Name an existing version, for example ${p.name}@${p.latest}.`,
  }),
  "LABEL.AGENT_NOT_FOUND": entry<{ name: string }>({
    exit: ExitCode.Usage,
    message: (p) => `PromptLayer has no agent named "${p.name}".`,
    hint: "Check the name (names are case-sensitive); plx push creates agents from .agent.yaml files.",
  }),
  "LABEL.AGENT_LABEL_STAYS": entry<{ name: string; label: string }>({
    exit: ExitCode.Usage,
    message: (p) =>
      `plx cannot remove ${p.label} from the agent ${p.name}: PromptLayer's API has no route that removes or moves an agent's label; labels only arrive with new versions.`,
    hint: (p) =>
      `Point it at another version with plx label set ${p.label} ${p.name}@<version> --agent, or remove it in PromptLayer's Agent Builder.`,
  }),
  "LABEL.AGENT_COPY_HIDES_LATEST": entry<{ name: string; label: string; version: number; latest: number }>({
    exit: ExitCode.Conflict,
    message: (p) =>
      `Moving ${p.label} on the agent ${p.name} to v${p.version} needs a new version identical to v${p.version} (PromptLayer moves an agent's labels only with new versions), which would become the latest over v${p.latest}, whose content differs. Nothing was changed.`,
    hint: (p) =>
      `Point ${p.label} at v${p.latest} or a version with its content, or put v${p.version}'s content in the agent file and plx publish --label ${p.label}.`,
  }),
  "LABEL.VERSION_INVALID": entry<{ spec: string; version: number }>({
    exit: ExitCode.Usage,
    message: (p) => `"${p.spec}" names version ${p.version}; versions start at 1.`,
    hint: "Write name@<version>, for example refund-reply@3.",
  }),
});
