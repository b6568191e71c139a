/** PromptLayer's dashboard for an API base URL: api.promptlayer.com → dashboard.promptlayer.com (EU and others alike). */
export function dashboardOrigin(baseUrl: string): string {
  const url = new URL(baseUrl);
  if (/^api(\.[a-z0-9-]+)?\.promptlayer\.com$/.test(url.hostname))
    url.hostname = url.hostname.replace(/^api/, "dashboard");
  return url.origin;
}
