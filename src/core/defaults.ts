// Settings plx uses when nothing says otherwise, defined once for the config, the client and the help.

export const DEFAULT_BASE_URL = "https://api.promptlayer.com";
/** Requests in flight at once. */
export const DEFAULT_CONCURRENCY = 16;
