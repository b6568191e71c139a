// The sandbox's router: matches a request's path segments against route patterns (`:name` takes one segment,
// `*name` the rest) and answers 404 or 405 the way PromptLayer's server does when nothing matches.
import type { ApiRequest, ApiResponse } from "./records.js";
import { ApiError, type Workspace } from "./state.js";

export type RouteParams = Record<string, string>;
export type RouteHandler = (workspace: Workspace, request: ApiRequest, params: RouteParams) => ApiResponse;
/** Method, path pattern relative to the API root, handler. */
export type RouteTable = Array<[string, string, RouteHandler]>;

function match(pattern: string[], segments: string[]): RouteParams | undefined {
  const params: RouteParams = {};
  for (let i = 0; i < pattern.length; i++) {
    const part = pattern[i]!;
    if (part.startsWith("*")) {
      // The last parameter takes the rest, so an external id sent with an unencoded `/` still arrives whole.
      if (i >= segments.length) return undefined;
      params[part.slice(1)] = segments.slice(i).join("/");
      return params;
    }
    const segment = segments[i];
    if (segment === undefined) return undefined;
    if (part.startsWith(":")) params[part.slice(1)] = segment;
    else if (part !== segment) return undefined;
  }
  return pattern.length === segments.length ? params : undefined;
}

/** A function answering API requests from these routes; it throws nothing but bugs. */
export function createRouter(table: RouteTable): (workspace: Workspace, request: ApiRequest) => ApiResponse {
  const routes = table.map(([method, pattern, handler]) => ({ method, pattern: pattern.split("/"), handler }));
  return (workspace, request) => {
    let pathMatched = false;
    for (const route of routes) {
      const params = match(route.pattern, request.segments);
      if (!params) continue;
      pathMatched = true;
      if (route.method !== request.method) continue;
      try {
        return route.handler(workspace, request, params);
      } catch (error) {
        if (error instanceof ApiError) return { status: error.status, body: error.body };
        throw error;
      }
    }
    return pathMatched
      ? { status: 405, body: { detail: "Method Not Allowed" } }
      : { status: 404, body: { detail: "Not Found" } };
  };
}
