import { describe, expect, it } from "vitest";
import { classify, type SyncState } from "../../../src/core/sync-state.js";

const file = (hash: string) => ({ hash });
const at = (version: number, hash: string) => ({ version, hash });

describe("classify", () => {
  const cases: Array<
    [
      string,
      ReturnType<typeof file> | undefined,
      ReturnType<typeof at> | undefined,
      ReturnType<typeof at> | undefined,
      SyncState,
    ]
  > = [
    ["all three agree", file("a"), at(3, "a"), at(3, "a"), "in-sync"],
    ["local edit, remote still at base", file("b"), at(3, "a"), at(3, "a"), "local-changed"],
    ["remote edit, file still at base", file("a"), at(3, "a"), at(4, "b"), "remote-changed"],
    ["both edited differently", file("b"), at(3, "a"), at(4, "c"), "conflict"],
    ["both edited to the same content", file("b"), at(3, "a"), at(4, "b"), "in-sync"],
    ["remote re-published identical content", file("b"), at(3, "a"), at(5, "a"), "local-changed"],
    ["remote re-published identical content, file unchanged", file("a"), at(3, "a"), at(5, "a"), "in-sync"],
    ["new file", file("a"), undefined, undefined, "local-only"],
    ["new remote template", undefined, undefined, at(1, "a"), "remote-only"],
    ["untracked on both sides, equal", file("a"), undefined, at(2, "a"), "in-sync"],
    ["untracked on both sides, different", file("a"), undefined, at(2, "b"), "conflict"],
    ["file deleted, remote unchanged", undefined, at(3, "a"), at(3, "a"), "local-deleted"],
    ["file deleted, remote changed", undefined, at(3, "a"), at(4, "b"), "conflict"],
    ["remote deleted, file unchanged", file("a"), at(3, "a"), undefined, "remote-deleted"],
    ["remote deleted, file edited", file("b"), at(3, "a"), undefined, "conflict"],
    ["both deleted", undefined, at(3, "a"), undefined, "remote-deleted"],
    ["same version number, different content (bad lock)", file("a"), at(3, "a"), at(3, "z"), "remote-changed"],
  ];

  it.each(cases)("%s", (_label, local, base, remote, expected) => {
    expect(classify(local, base, remote)).toBe(expected);
  });
});
