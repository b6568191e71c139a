// Who may read through the cache: holders of one of the client keys, or of the workspace's own API key when no
// client keys are configured. Keys are compared as SHA-256 digests with timingSafeEqual, every allowed key every
// time, so neither a key's length nor how much of it matched shows in the answer's timing.
import { createHash, timingSafeEqual } from "node:crypto";

export type ClientAuthenticator = (presented: string | undefined) => boolean;

export function clientAuthenticator(allowed: readonly string[]): ClientAuthenticator {
  const digests = allowed.map(digest);
  return (presented) => {
    if (presented === undefined || presented === "") return false;
    const candidate = digest(presented);
    let accepted = false;
    for (const known of digests) accepted = timingSafeEqual(known, candidate) || accepted;
    return accepted;
  };
}

const digest = (key: string) => createHash("sha256").update(key, "utf8").digest();
