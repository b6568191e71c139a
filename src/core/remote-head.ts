/**
 * A template or agent as PromptLayer's listing shows it: enough to decide what to read, without reading its content.
 */
export interface RemoteHead {
  id: number;
  name: string;
  folder: string[];
  /** The folder-entities type (PROMPT, SNIPPET or WORKFLOW), which a move must name. */
  type: string;
  /** The version the repo tracks: the latest, or the one the tracked label points at. */
  version: number;
  latestVersion: number;
}
