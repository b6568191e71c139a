// Properties of the pull and push plans over generated three-way states (local file, lock, remote).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planLabels } from "../../../src/core/label-plan.js";
import type { LockEntry } from "../../../src/core/lock.js";
import {
  mustRead,
  planPull,
  type LocalFile,
  type RemoteContent,
  type RemoteHead,
} from "../../../src/core/pull-plan.js";
import {
  planPush,
  publishLevels,
  remoteNeedsRead,
  SnippetCycleError,
  type PushItem,
  type PushLocal,
  type PushRemote,
} from "../../../src/core/push-plan.js";

const RUNS = { numRuns: 1500 };
const hash = fc.constantFrom<string>("sha256:a", "sha256:b", "sha256:c");

interface TemplateState {
  local?: string;
  base?: { version: number; hash: string };
  remote?: { version: number; hash: string; publishedByPlx: boolean };
}

/** One template seen from the three sides; any side may be missing. */
const templateState: fc.Arbitrary<TemplateState> = fc.record({
  local: fc.option(hash, { nil: undefined }),
  base: fc.option(fc.record({ version: fc.integer({ min: 1, max: 4 }), hash }), { nil: undefined }),
  remote: fc.option(fc.record({ version: fc.integer({ min: 1, max: 6 }), hash, publishedByPlx: fc.boolean() }), {
    nil: undefined,
  }),
});
const workspace = fc.uniqueArray(fc.tuple(fc.constantFrom("a", "b", "c", "d", "e"), templateState), {
  selector: ([name]) => name,
  minLength: 1,
});

function pullInputs(states: Array<[string, TemplateState]>, force: boolean, prune: boolean) {
  const locals = new Map<string, LocalFile>();
  const lock: Record<string, LockEntry> = {};
  const heads = new Map<string, RemoteHead>();
  const contents = new Map<string, RemoteContent<string>>();
  for (const [name, state] of states) {
    if (state.local) locals.set(name, { name, path: `prompts/${name}.prompt.yaml`, hash: state.local });
    if (state.base)
      lock[name] = {
        id: 1,
        path: `prompts/${name}.prompt.yaml`,
        version: state.base.version,
        hash: state.base.hash,
        labels: {},
        snippets: [],
      };
    if (state.remote) {
      const head = { id: 1, name, version: state.remote.version };
      heads.set(name, head);
      if (mustRead(head, lock[name], locals.get(name), force))
        contents.set(name, { head, doc: name, hash: state.remote.hash, path: `prompts/${name}.prompt.yaml` });
    }
  }
  const names = states.filter(([, s]) => s.remote || s.base).map(([name]) => name);
  return { names, locals, lock, heads, contents, force, prune };
}

describe("the pull plan", () => {
  it("never overwrites or removes a file edited since the last sync unless forced", () => {
    fc.assert(
      fc.property(workspace, fc.boolean(), (states, prune) => {
        const inputs = pullInputs(states, false, prune);
        for (const action of planPull(inputs)) {
          const local = inputs.locals.get(action.name);
          const base = inputs.lock[action.name];
          const edited = local !== undefined && (base === undefined || local.hash !== base.hash);
          if (edited && (action.kind === "update" || action.kind === "create" || action.kind === "remove")) {
            // Only acceptable when the remote already holds exactly the local content.
            expect(action.kind === "update" && action.remote.hash === local.hash).toBe(true);
          }
        }
      }),
      RUNS,
    );
  });

  it("gives every name exactly one action; removes only with --prune; creates only where no file exists", () => {
    fc.assert(
      fc.property(workspace, fc.boolean(), fc.boolean(), (states, force, prune) => {
        const inputs = pullInputs(states, force, prune);
        const actions = planPull(inputs);
        expect(actions.map((a) => a.name)).toEqual(inputs.names);
        for (const action of actions) {
          if (action.kind === "remove") expect(prune).toBe(true);
          if (action.kind === "create") expect(inputs.locals.has(action.name)).toBe(false);
        }
      }),
      RUNS,
    );
  });

  it("does not read a template whose remote version is the lock's and whose file exists", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), hash, hash, (version, local, base) => {
        const head = { id: 1, name: "a", version };
        const entry = { id: 1, path: "p", version, hash: base, labels: {}, snippets: [] };
        expect(mustRead(head, entry, { name: "a", path: "p", hash: local }, false)).toBe(false);
        expect(mustRead(head, entry, { name: "a", path: "p", hash: local }, true)).toBe(true);
        expect(mustRead({ ...head, version: version + 1 }, entry, { name: "a", path: "p", hash: local }, false)).toBe(
          true,
        );
      }),
      RUNS,
    );
  });

  it("converges: after applying a plan, planning again writes nothing", () => {
    fc.assert(
      fc.property(workspace, fc.boolean(), (states, force) => {
        const first = pullInputs(states, force, false);
        const after = states.map(([name, state]): [string, TemplateState] => {
          const action = first.names.includes(name) ? planPull({ ...first, names: [name] })[0] : undefined;
          if (!action || (action.kind !== "create" && action.kind !== "update")) {
            return [name, state];
          }
          // Applied: the file and the lock now hold the remote's content and version.
          return [
            name,
            {
              ...state,
              local: action.remote.hash,
              base: { version: action.remote.head.version, hash: action.remote.hash },
            },
          ];
        });
        const second = planPull(pullInputs(after, false, false));
        expect(second.filter((a) => a.kind === "create" || a.kind === "update")).toEqual([]);
      }),
      RUNS,
    );
  });
});

describe("the push plan", () => {
  it("moves a template only when its file moved since the last sync and PromptLayer did not move it too", () => {
    const folders = fc.constantFrom<string[]>([], ["a"], ["b"], ["a", "b"]);
    fc.assert(
      fc.property(folders, folders, folders, (local, remote, base) => {
        const path = (folder: string[]) => ["prompts", ...folder, "t.prompt.yaml"].join("/");
        const [item] = planPush({
          locals: [{ kind: "prompt", name: "t", path: path(local), hash: "h", folder: local, snippets: [] }],
          lock: { t: { id: 1, path: path(base), version: 1, hash: "h", labels: {} } },
          remotes: new Map([["t", { id: 1, version: 1, folder: remote }]]),
          remoteNames: new Map([[1, "t"]]),
          baseFolders: new Map([["t", base]]),
          force: false,
        });
        const same = (x: string[], y: string[]) => x.join("/") === y.join("/");
        if (item?.action !== "unchanged") throw new Error(`expected unchanged, got ${item?.action}`);
        expect(item.moveTo).toEqual(!same(local, remote) && same(remote, base) ? local : undefined);
        expect(item.previousPath).toBe(same(local, base) ? undefined : path(base));
      }),
      RUNS,
    );
  });

  function pushInputs(states: Array<[string, TemplateState]>, force: boolean) {
    const lock: Record<string, LockEntry> = {};
    const remotes = new Map<string, PushRemote>();
    const locals: PushLocal[] = [];
    const remoteNames = new Map<number, string>();
    for (const [index, [name, state]] of states.entries()) {
      if (!state.local) continue;
      const id = index + 1;
      locals.push({
        kind: "prompt",
        name,
        path: `prompts/${name}.prompt.yaml`,
        hash: state.local,
        folder: [],
        snippets: [],
      });
      if (state.base)
        lock[name] = {
          id,
          path: `prompts/${name}.prompt.yaml`,
          version: state.base.version,
          hash: state.base.hash,
          labels: {},
          snippets: [],
        };
      if (state.remote) {
        const remote: PushRemote = { id, version: state.remote.version };
        remoteNames.set(id, name);
        // The planner reads the remote only when it moved since the lock; otherwise the lock says what it holds.
        if (remoteNeedsRead(lock[name], remote))
          Object.assign(remote, { hash: state.remote.hash, publishedByPlx: state.remote.publishedByPlx });
        remotes.set(name, remote);
      }
    }
    return { locals, lock, remotes, remoteNames, baseFolders: new Map<string, string[]>(), force };
  }

  it("refuses exactly the templates edited on both sides since the last sync, unless forced, and never sends an untouched file", () => {
    fc.assert(
      fc.property(workspace, fc.boolean(), (states, force) => {
        const inputs = pushInputs(states, force);
        for (const item of planPush(inputs)) {
          const remote = inputs.remotes.get(item.name);
          const base = inputs.lock[item.name];
          const local = inputs.locals.find((l) => l.name === item.name)!;
          if (!remote) {
            // Never synced: new. Synced and since deleted in PromptLayer: left alone if untouched here, else refused
            // unless forced, so a deleted template does not quietly come back.
            if (!base || (force && base.hash !== local.hash)) expect(item.action).toBe("create");
            else if (base.hash === local.hash) expect(item).toMatchObject({ action: "behind", gone: "deleted" });
            else expect(item.action).toBe("conflict");
            continue;
          }
          const moved = !base || base.version !== remote.version;
          const remoteHash = moved ? remote.hash : base.hash;
          if (remoteHash === local.hash) {
            expect(item).toMatchObject({ action: "unchanged", syncedVersion: remote.version });
          } else if (moved && base?.hash === local.hash) {
            // Only PromptLayer moved: nothing to send, even with --force, and labels stay on the repo's content.
            expect(item).toMatchObject({ action: "behind", syncedVersion: base.version });
          } else if (!moved || remote.publishedByPlx || force || remoteHash === base?.hash)
            // A newer version with the synced content (published as-is again) loses nothing under the edit.
            expect(item.action).toBe("update");
          else expect(item.action).toBe("conflict");
          expect(item.action).not.toBe("invalid");
        }
      }),
      RUNS,
    );
  });

  it("orders publishing so every snippet goes before its users, and names any cycle", () => {
    const graph = fc
      .uniqueArray(fc.constantFrom<string>("a", "b", "c", "d", "e", "f"), { minLength: 1 })
      .chain((names) =>
        fc.tuple(
          fc.constant(names),
          fc.array(fc.tuple(fc.constantFrom(...names), fc.constantFrom(...names)), { maxLength: 10 }),
          fc.subarray(names),
        ),
      );
    fc.assert(
      fc.property(graph, ([names, edges, changed]) => {
        const deps = new Map(names.map((name) => [name, edges.filter(([from]) => from === name).map(([, to]) => to)]));
        const items: PushItem[] = names.map((name) => {
          const local = { kind: "prompt" as const, name, path: name, hash: "h", folder: [], snippets: deps.get(name)! };
          return changed.includes(name)
            ? { ...local, action: "update", id: 1, remoteVersion: 1 }
            : { ...local, action: "unchanged", id: 1, remoteVersion: 1, syncedVersion: 1 };
        });
        let levels: PushItem[][];
        try {
          levels = publishLevels(items, deps);
        } catch (error) {
          expect(error).toBeInstanceOf(SnippetCycleError);
          const { cycle } = error as SnippetCycleError;
          expect(cycle[0]).toBe(cycle.at(-1));
          for (let i = 0; i + 1 < cycle.length; i++) expect(deps.get(cycle[i]!)).toContain(cycle[i + 1]);
          return;
        }
        const levelOf = new Map(levels.flatMap((level, index) => level.map((item) => [item.name, index] as const)));
        expect([...levelOf.keys()].sort()).toEqual([...changed].sort());
        for (const name of changed)
          for (const dep of deps.get(name)!)
            if (levelOf.has(dep)) expect(levelOf.get(dep)!).toBeLessThan(levelOf.get(name)!);
      }),
      RUNS,
    );
  });
});

describe("the label plan for agents", () => {
  /** One agent seen by publish: its item, where each label points, what the lock recorded. */
  const agentCase = fc.record({
    action: fc.constantFrom<"unchanged" | "behind" | "update" | "create">("unchanged", "behind", "update", "create"),
    synced: fc.integer({ min: 1, max: 4 }),
    ahead: fc.integer({ min: 0, max: 2 }),
    labels: fc.dictionary(fc.constantFrom("prod", "staging"), fc.integer({ min: 1, max: 6 }), { maxKeys: 2 }),
    sameContentAt: fc.uniqueArray(fc.integer({ min: 1, max: 6 }), { maxLength: 3 }),
    lockKnows: fc.boolean(),
    force: fc.boolean(),
    all: fc.boolean(),
  });

  type AgentCase = typeof agentCase extends fc.Arbitrary<infer T> ? T : never;
  /** The latest version: after the synced one when PromptLayer moved on (behind). */
  const latestOf = (c: AgentCase) => c.synced + (c.action === "behind" ? Math.max(1, c.ahead) : 0);

  function agentItem(c: AgentCase): PushItem {
    const local = { kind: "agent" as const, name: "triage", path: "prompts/triage.agent.yaml", hash: "h", folder: [] };
    const latest = latestOf(c);
    switch (c.action) {
      case "create":
        return { ...local, prompts: [], action: "create" };
      case "update":
        return { ...local, prompts: [], action: "update", id: 7, remoteVersion: latest };
      case "unchanged":
        return { ...local, prompts: [], action: "unchanged", id: 7, remoteVersion: latest, syncedVersion: latest };
      case "behind":
        return {
          ...local,
          prompts: [],
          action: "behind",
          id: 7,
          remoteVersion: latest,
          baseVersion: c.synced,
          syncedVersion: c.synced,
          reason: "edited in PromptLayer",
        };
      default:
        throw new Error(`unknown action ${c.action}`);
    }
  }

  it("moves an agent's label to an existing version only by a copy made after the latest, and never over a later edit unless forced", () => {
    fc.assert(
      fc.property(agentCase, (c) => {
        const item = agentItem(c);
        const positions = new Map(Object.entries(c.labels).map(([label, version]) => [label, new Map([[7, version]])]));
        const moves = planLabels({
          labels: ["prod", "staging"],
          items: [item],
          lock: {
            lockfileVersion: 1,
            labels: c.lockKnows ? ["prod", "staging"] : [],
            templates: {},
            agents: c.lockKnows
              ? { triage: { id: 7, path: item.path, version: c.synced, hash: "h", labels: c.labels, prompts: [] } }
              : {},
          },
          remote: { prompt: new Map(), agent: positions },
          assigned: () => false,
          all: c.all,
          force: c.force,
          holds: (_id, version) => c.sameContentAt.includes(version),
        });
        expect(moves).toHaveLength(2);
        for (const move of moves) {
          expect(move.kind).toBe("agent");
          // A move or add names a version only when it is the one this run publishes.
          if (move.action === "move" || move.action === "add") expect(move.to).toBeUndefined();
          const synced = c.action === "behind" ? c.synced : latestOf(c);
          if (move.action === "copy") {
            expect(c.action === "unchanged" || (c.action === "behind" && c.force)).toBe(true);
            expect(move.to).toBe(synced);
            expect(move.creates).toBe(latestOf(c) + 1);
          }
          // Behind PromptLayer, a label that would move stays where it is: a copy would hide the later edit.
          if (c.action === "behind" && !c.force && move.action !== "keep" && move.action !== "skip")
            expect(move.action).toBe("conflict");
          // A label already on a version with the repository's content is kept: no copy of a copy.
          const at = c.labels[move.label];
          if (at !== undefined && (c.action === "unchanged" || c.action === "behind"))
            if (at === synced || c.sameContentAt.includes(at)) expect(move.action).toBe("keep");
        }
        // Labels copied onto one agent go on one version.
        expect(
          new Set(moves.flatMap((move) => (move.action === "copy" ? [move.creates] : []))).size,
        ).toBeLessThanOrEqual(1);
      }),
      RUNS,
    );
  });
});

describe("the push plan for agents", () => {
  it("refuses exactly the agents it would publish that name a prompt neither side has", () => {
    const prompts = fc.uniqueArray(fc.constantFrom("a", "b", "c", "d"), { maxLength: 4 });
    fc.assert(
      fc.property(prompts, prompts, fc.boolean(), (named, known, synced) => {
        const local: PushLocal = {
          kind: "agent",
          name: "triage",
          path: "prompts/triage.agent.yaml",
          hash: synced ? "h" : "edited",
          folder: [],
          prompts: named,
        };
        const [item] = planPush({
          locals: [local],
          lock: { triage: { id: 1, path: local.path, version: 1, hash: "h", labels: {} } },
          remotes: new Map([["triage", { id: 1, version: 1 }]]),
          remoteNames: new Map([[1, "triage"]]),
          baseFolders: new Map(),
          force: false,
          prompts: new Set(known),
        });
        const missing = named.filter((name) => !known.includes(name));
        if (synced) expect(item!.action).toBe("unchanged");
        else if (missing.length > 0) {
          expect(item!.action).toBe("invalid");
          for (const name of missing) expect(item).toMatchObject({ reason: expect.stringContaining(`"${name}"`) });
        } else expect(item!.action).toBe("update");
      }),
      RUNS,
    );
  });
});
