// A man in the middle for end-to-end tests: forwards every request to a real upstream (the sandbox) unless a rule
// answers it itself, so one broken answer can be injected at any step of a command's conversation.
import type { ServerResponse } from "node:http";
import { tinyServer, type SeenRequest, type TinyServer } from "./tiny-server.js";

/** Answers the request itself (return true) or lets it through to the upstream (return false). */
export type Rule = (request: SeenRequest, response: ServerResponse) => boolean | Promise<boolean>;

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-length",
  "host",
  "upgrade",
  "proxy-connection",
]);

export function hostileProxy(upstream: string, rule: Rule): Promise<TinyServer> {
  return tinyServer(async (seen, res) => {
    if (await rule(seen, res)) return;
    try {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(seen.headers))
        if (!HOP_BY_HOP.has(name) && typeof value === "string") headers[name] = value;
      const answer = await fetch(`${upstream}${seen.url}`, {
        method: seen.method,
        headers,
        body: seen.body === "" ? undefined : seen.body,
      });
      const out: Record<string, string> = {};
      answer.headers.forEach((value, name) => {
        if (!HOP_BY_HOP.has(name) && name !== "content-encoding") out[name] = value;
      });
      res.writeHead(answer.status, out).end(Buffer.from(await answer.arrayBuffer()));
    } catch {
      res.destroy();
    }
  });
}
