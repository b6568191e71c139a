// Server-sent events, as the providers stream answers (and as the sandbox writes them).

export interface ServerSentEvent {
  event?: string;
  data: string;
}

/** The events of a text/event-stream body, as its chunks arrive. */
export async function* serverSentEvents(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder();
  let buffer = "";
  let event: string | undefined;
  let data: string[] = [];
  const lines = function* (final: boolean): Generator<string> {
    for (;;) {
      const end = buffer.search(/\r\n|\r|\n/);
      // A lone "\r" at the end of a chunk may be the first half of "\r\n".
      if (end < 0 || (!final && end === buffer.length - 1 && buffer[end] === "\r")) return;
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + (buffer.startsWith("\r\n", end) ? 2 : 1));
      yield line;
    }
  };
  const take = function* (final: boolean): Generator<ServerSentEvent> {
    for (const line of lines(final)) {
      if (line === "") {
        if (data.length > 0) yield { ...(event ? { event } : {}), data: data.join("\n") };
        event = undefined;
        data = [];
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "data") data.push(value);
      else if (field === "event") event = value;
    }
  };
  for await (const chunk of chunks) {
    buffer += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    yield* take(false);
  }
  buffer += `${decoder.decode()}\n\n`;
  yield* take(true);
}

/** One event as a provider writes it. */
export const sseEvent = (data: unknown, event?: string): string =>
  `${event ? `event: ${event}\n` : ""}data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;
