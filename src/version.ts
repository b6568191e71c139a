declare const __PLX_VERSION__: string | undefined;

/** plx's own version, inlined at build time; "0.0.0-dev" when running from source (tests). */
export const PLX_VERSION: string = typeof __PLX_VERSION__ === "string" ? __PLX_VERSION__ : "0.0.0-dev";
