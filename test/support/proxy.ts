// A man in the middle for end-to-end tests: forwards every request to a real upstream (the sandbox) unless a rule
// answers it itself, so one broken answer can be injected at any step of a command's conversation.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ProxiedRequest {
  method: string;
  /** Path and query, as received. */
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

/** Answers the request itself (return true) or lets it through to the upstream (return false). */
export type Rule = (request: ProxiedRequest, response: ServerResponse) => boolean | Promise<boolean>;

export interface HostileProxy {
  url: string;
  requests: ProxiedRequest[];
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "content-length", "host", "upgrade", "proxy-connection"]);

export async function hostileProxy(upstream: string | undefined, rule: Rule): Promise<HostileProxy> {
  const requests: ProxiedRequest[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const seen: ProxiedRequest = { method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      requests.push(seen);
      if (await rule(seen, res)) return;
      if (upstream === undefined) {
        res.writeHead(404, { "content-type": "application/json" }).end('{"detail":"Not Found"}');
        return;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(name) && typeof value === "string") headers[name] = value;
      const answer = await fetch(`${upstream}${seen.url}`, { method: seen.method, headers, body: chunks.length > 0 ? Buffer.concat(chunks) : undefined });
      const body = Buffer.from(await answer.arrayBuffer());
      const out: Record<string, string> = {};
      answer.headers.forEach((value, name) => {
        if (!HOP_BY_HOP.has(name) && name !== "content-encoding") out[name] = value;
      });
      res.writeHead(answer.status, out).end(body);
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
