/**
 * Turning the transport's replies into values: each answer parsed with its zod schema (a mismatch is
 * REMOTE.INVALID_RESPONSE, redacted), a 404 on a read into undefined, a 409 on an external ID into its own error.
 * Shared by every API group over the one Transport.
 */
import type { z } from "zod";
import { plxError } from "../errors/index.js";
import type { Redactor } from "../redact.js";
import { describeIssues } from "./errors.js";
import type { Reply, RequestSpec, Transport } from "./http.js";

export class ReplyReader {
  constructor(
    private readonly http: Transport,
    private readonly redactor: Redactor,
  ) {}

  async read<S extends z.ZodType>(schema: S, spec: RequestSpec): Promise<z.infer<S>> {
    return this.parse(schema, await this.http.request(spec), spec);
  }

  async readUnlessMissing<S extends z.ZodType>(schema: S, spec: RequestSpec): Promise<z.infer<S> | undefined> {
    const reply = await this.http.request({ ...spec, expect: [404] });
    return reply.status === 404 ? undefined : this.parse(schema, reply, spec);
  }

  parse<S extends z.ZodType>(schema: S, reply: Reply, spec: RequestSpec): z.infer<S> {
    const parsed = schema.safeParse(reply.body);
    if (!parsed.success) {
      throw plxError("REMOTE.INVALID_RESPONSE", {
        method: spec.method,
        baseUrl: this.http.baseUrl,
        path: this.redactor.redact(spec.path),
        problem: this.redactor.redact(describeIssues(parsed.error)),
      });
    }
    return parsed.data;
  }

  /** A 409 answer (sent with `expect: [409]`): an external ID in the request belongs to another entity. */
  unlessConflict(reply: Reply, spec: RequestSpec): Reply {
    if (reply.status === 409) {
      throw plxError("REMOTE.EXTERNAL_ID_CONFLICT", {
        method: spec.method,
        path: this.redactor.redact(spec.path),
        serverMessage: reply.message,
      });
    }
    return reply;
  }
}

export interface Page<T> {
  items: T[];
  has_next: boolean;
  pages?: number | undefined;
}

/** Pages asked for together after the first; a larger count (or a wrong one) is paged one by one after these. */
const MAX_PAGES_AT_ONCE = 100;

/**
 * Every item of a paged list. The first page tells how many pages there are: the rest are asked for at once (the
 * transport's limiter bounds them) rather than one round trip after another. Past that count, or without one, it
 * pages on while the server says there is more.
 */
export async function* pagedItems<T>(
  fetchPage: (page: number) => Promise<Page<T>>,
): AsyncGenerator<T, void, undefined> {
  const first = await fetchPage(1);
  yield* first.items;
  if (!first.has_next || first.items.length === 0) return;
  const counted = Math.min(Math.max(first.pages ?? 1, 1), MAX_PAGES_AT_ONCE);
  const pages = await Promise.all(Array.from({ length: counted - 1 }, (_, index) => fetchPage(index + 2)));
  for (const page of pages) yield* page.items;
  let last = pages.at(-1) ?? first;
  for (let page = counted + 1; last.has_next && last.items.length > 0; page++) {
    last = await fetchPage(page);
    yield* last.items;
  }
}
