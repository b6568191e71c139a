// A web-standard handler served by node:http: each request becomes a `Request`, each `Response` is written back.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { MAX_BODY_BYTES } from "./receive.js";

/** Past this, an oversized upload is cut off rather than read to its end. */
const DRAIN_LIMIT_BYTES = 64 * 1024 * 1024;

export interface RunningServer {
  url: string;
  port: number;
  /** Stops accepting connections and resolves once the requests in flight are answered. */
  close(): Promise<void>;
}

export async function serveHandler(
  handler: (request: Request) => Promise<Response>,
  options: { port: number; host: string; maxBodyBytes?: number; onError?: (error: Error) => void },
): Promise<RunningServer> {
  const host = options.host;
  const server = createServer((incoming, outgoing) => {
    void respond(handler, incoming, outgoing, host, options.maxBodyBytes ?? MAX_BODY_BYTES).catch((error: Error) => {
      options.onError?.(error);
      if (!outgoing.headersSent) outgoing.writeHead(500, { "content-type": "application/json" });
      outgoing.end('{"error":"internal error"}');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  return {
    url,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Idle keep-alive connections would hold close() open; busy ones finish their request first.
        server.closeIdleConnections();
      }),
  };
}

async function respond(
  handler: (request: Request) => Promise<Response>,
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  host: string,
  maxBodyBytes: number,
): Promise<void> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  const method = incoming.method ?? "GET";
  // The body is read here, one byte past the limit at most, so the handler can refuse it (413) while the rest of an
  // oversized upload is read and dropped: a client still sending gets the answer, not a reset connection.
  const body = method === "GET" || method === "HEAD" ? undefined : await readUpTo(incoming, maxBodyBytes + 1);
  const request = new Request(new URL(incoming.url ?? "/", `http://${host.includes(":") ? `[${host}]` : host}`), {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const response = await handler(request);
  const bytes = Buffer.from(await response.arrayBuffer());
  outgoing.writeHead(response.status, { ...Object.fromEntries(response.headers), "content-length": bytes.length });
  outgoing.end(bytes);
}

/** Up to `keep` bytes of the body; anything after is read and dropped, up to a limit past which the upload is cut. */
function readUpTo(incoming: IncomingMessage, keep: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    let seen = 0;
    incoming.on("data", (chunk: Buffer) => {
      seen += chunk.length;
      if (kept < keep) {
        const part = chunk.subarray(0, keep - kept);
        chunks.push(part);
        kept += part.length;
      }
      if (seen > DRAIN_LIMIT_BYTES) {
        incoming.destroy();
        resolve(Buffer.concat(chunks));
      }
    });
    incoming.on("end", () => resolve(Buffer.concat(chunks)));
    incoming.on("error", reject);
  });
}
