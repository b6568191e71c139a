// The paths of PromptLayer's REST API, as its official OpenAPI description lists them, plus the older routes the
// official SDKs still call. Anything that stands in front of PromptLayer (the cache) forwards these and nothing
// else. `*` is one path segment; a trailing `**` is the rest of the path (an external id sent with a raw `/`).

const SPEC_PATHS = [
  "/api/public/v2/dataset-groups",
  "/api/public/v2/dataset-groups/*/external-ids",
  "/api/public/v2/dataset-groups/*/external-ids/*/**",
  "/api/public/v2/dataset-versions/add-request-log",
  "/api/public/v2/dataset-versions/add-trace",
  "/api/public/v2/dataset-versions/create-draft",
  "/api/public/v2/dataset-versions/from-file",
  "/api/public/v2/dataset-versions/from-filter-params",
  "/api/public/v2/dataset-versions/save-draft",
  "/api/public/v2/datasets",
  "/api/public/v2/datasets/*/rows",
  "/api/public/v2/env-vars",
  "/api/public/v2/env-vars/*",
  "/api/public/v2/evaluations",
  "/api/public/v2/evaluations/*/rows",
  "/api/public/v2/folders",
  "/api/public/v2/folders/*",
  "/api/public/v2/folders/*/external-ids",
  "/api/public/v2/folders/*/external-ids/*/**",
  "/api/public/v2/folders/entities",
  "/api/public/v2/folders/resolve-id",
  "/api/public/v2/requests/*",
  "/api/public/v2/requests/analytics",
  "/api/public/v2/requests/analytics/custom-analytics",
  "/api/public/v2/requests/search",
  "/api/public/v2/requests/suggestions",
  "/api/public/v2/skill-collections",
  "/api/public/v2/skill-collections/*",
  "/api/public/v2/skill-collections/*/external-ids",
  "/api/public/v2/skill-collections/*/external-ids/*/**",
  "/api/public/v2/skill-collections/*/versions",
  "/api/public/v2/tables",
  "/api/public/v2/tables/*",
  "/api/public/v2/tables/*/sheets",
  "/api/public/v2/tables/*/sheets/*",
  "/api/public/v2/tables/*/sheets/*/cells/*",
  "/api/public/v2/tables/*/sheets/*/cells/*/recalculations",
  "/api/public/v2/tables/*/sheets/*/cells/recalculations",
  "/api/public/v2/tables/*/sheets/*/columns",
  "/api/public/v2/tables/*/sheets/*/columns/*",
  "/api/public/v2/tables/*/sheets/*/imports/file",
  "/api/public/v2/tables/*/sheets/*/imports/request-logs",
  "/api/public/v2/tables/*/sheets/*/operations",
  "/api/public/v2/tables/*/sheets/*/operations/*",
  "/api/public/v2/tables/*/sheets/*/rows",
  "/api/public/v2/tables/*/sheets/*/score",
  "/api/public/v2/tables/*/sheets/*/scorecard",
  "/api/public/v2/tables/*/sheets/*/scorecard/calculations/*",
  "/api/public/v2/tables/*/sheets/*/scorecard/cancel",
  "/api/public/v2/tables/*/sheets/*/scorecard/migrate-legacy-score",
  "/api/public/v2/tables/*/sheets/*/scorecard/recalculate",
  "/api/public/v2/tables/*/sheets/*/scorecard/rows",
  "/api/public/v2/tables/*/sheets/*/scorecard/rows/*",
  "/api/public/v2/tables/*/sheets/*/versions",
  "/api/public/v2/tables/*/sheets/*/versions/*",
  "/api/public/v2/tables/*/sheets/*/versions/score-history",
  "/api/public/v2/tables/*/sheets/operations/*",
  "/api/public/v2/tool-registry",
  "/api/public/v2/tool-registry/*",
  "/api/public/v2/tool-registry/*/env-vars",
  "/api/public/v2/tool-registry/*/env-vars/*",
  "/api/public/v2/tool-registry/*/external-ids",
  "/api/public/v2/tool-registry/*/external-ids/*/**",
  "/api/public/v2/tool-registry/*/test-execute",
  "/api/public/v2/tool-registry/*/versions",
  "/api/public/v2/traces/*",
  "/api/public/v2/traces/*/close",
  "/api/public/v2/traces/analytics/custom-analytics",
  "/log-request",
  "/prompt-labels/*",
  "/prompt-templates",
  "/prompt-templates/*",
  "/prompt-templates/*/external-ids",
  "/prompt-templates/*/external-ids/*/**",
  "/prompt-templates/*/labels",
  "/prompt-templates/*/snippet-usage",
  "/prompt-templates/by-external-id/*/**",
  "/prompts/*/label",
  "/report-columns",
  "/report-columns/*",
  "/reports",
  "/reports/*",
  "/reports/*/external-ids",
  "/reports/*/external-ids/*/**",
  "/reports/*/rename",
  "/reports/*/run",
  "/reports/*/score",
  "/reports/*/score-card",
  "/reports/name/*",
  "/rest/prompt-templates",
  "/rest/prompt-templates/*",
  "/rest/track-group",
  "/rest/track-metadata",
  "/rest/track-prompt",
  "/rest/track-score",
  "/rest/workflows",
  "/rest/workflows/*",
  "/spans-bulk",
  "/v1/traces",
  "/workflow-version-execution-results",
  "/workflows",
  "/workflows/*",
  "/workflows/*/external-ids",
  "/workflows/*/external-ids/*/**",
  "/workflows/*/labels",
  "/workflows/*/run",
];

/** Called by the official JS and Python SDKs but absent from the OpenAPI description. */
const SDK_PATHS = [
  "/create-group",
  "/library-track-metadata",
  "/library-track-prompt",
  "/library-track-score",
  "/track-group",
  "/track-request",
  "/ws-token-request-library",
];

/** The routes whose callers put the API key in the JSON body (`api_key`), as the SDKs' tracking calls do. */
export const BODY_KEY_ROUTES: ReadonlySet<string> = new Set([
  "/create-group",
  "/library-track-metadata",
  "/library-track-prompt",
  "/library-track-score",
  "/track-group",
  "/track-request",
]);

/** The patterns by their first segment, so a path is compared only with the few that can match it. */
const PATTERNS = new Map<string, string[][]>();
for (const path of [...SPEC_PATHS, ...SDK_PATHS]) {
  const pattern = path.split("/").slice(1);
  PATTERNS.set(pattern[0]!, [...(PATTERNS.get(pattern[0]!) ?? []), pattern]);
}

/**
 * Whether a request path (as sent, percent-encoded) is one of PromptLayer's API paths. Empty and dot segments are
 * refused, and an encoded slash only in a trailing external id, so a path cannot name one route here and another
 * once a server downstream decodes it.
 */
export function isPromptLayerApiPath(pathname: string): boolean {
  if (!pathname.startsWith("/")) return false;
  const segments = pathname.slice(1).split("/").map(decodeSegment);
  if (segments.some((segment) => segment === undefined || segment === "" || segment === "." || segment === ".."))
    return false;
  return (PATTERNS.get(segments[0]!) ?? []).some((pattern) => matches(pattern, segments as string[]));
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function matches(pattern: readonly string[], segments: readonly string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const part = pattern[i]!;
    if (part === "**") return i < segments.length;
    const segment = segments[i];
    if (segment === undefined || /[/\\]/.test(segment)) return false;
    if (part !== "*" && part !== segment) return false;
  }
  return pattern.length === segments.length;
}
