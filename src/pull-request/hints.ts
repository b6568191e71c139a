// What the webhook receiver passed along to the sync it started: who made the changes, and which protected-label
// changes were approved. PromptLayer's versions do not record their author, so only the webhook knows who.
// GitHub: the repository_dispatch's client_payload. GitLab: the pipeline trigger's PLX_SYNC_* variables.
import { readFile } from "node:fs/promises";

type Env = Readonly<Record<string, string | undefined>>;

export interface SyncHints {
  users: string[];
  approvals: Array<{ template: string; label: string }>;
}

export async function readSyncHints(env: Env): Promise<SyncHints> {
  let source: { users?: unknown; approvals?: unknown } = {};
  if (env.GITHUB_EVENT_NAME === "repository_dispatch" && env.GITHUB_EVENT_PATH) {
    try {
      const event = JSON.parse(await readFile(env.GITHUB_EVENT_PATH, "utf8")) as { client_payload?: unknown };
      if (event.client_payload && typeof event.client_payload === "object") source = event.client_payload;
    } catch {
      // A hint, not a requirement: without it the proposal just does not name who changed what.
    }
  } else if (env.PLX_SYNC_USERS !== undefined || env.PLX_SYNC_APPROVALS !== undefined) {
    source = { users: jsonOrUndefined(env.PLX_SYNC_USERS), approvals: jsonOrUndefined(env.PLX_SYNC_APPROVALS) };
  }
  const users = Array.isArray(source.users)
    ? source.users.filter((user): user is string => typeof user === "string" && user.trim() !== "").slice(0, 20)
    : [];
  const approvals = Array.isArray(source.approvals)
    ? source.approvals.flatMap((item) => {
        const { template, label } = (item ?? {}) as { template?: unknown; label?: unknown };
        return typeof template === "string" && typeof label === "string" ? [{ template, label }] : [];
      })
    : [];
  return { users: [...new Set(users)], approvals };
}

function jsonOrUndefined(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
