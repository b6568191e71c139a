// Bundles src/cli/main.ts into dist/ as ESM with code splitting, so each command
// module is its own chunk and `plx --version` loads only the entry.
import { build } from "esbuild";
import { readFileSync, rmSync } from "node:fs";

const { version, dependencies } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
// commander is inlined: loading it from node_modules as CommonJS costs more than the rest of start-up together,
// and every invocation, even --help, needs it. The other dependencies load lazily, with the commands that use them.
const INLINED = new Set(["commander"]);
rmSync(new URL("../dist", import.meta.url), { recursive: true, force: true });

await build({
  entryPoints: { main: "src/cli/main.ts" },
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node22",
  external: Object.keys(dependencies).filter((name) => !INLINED.has(name)),
  sourcemap: "linked",
  chunkNames: "chunks/[name]-[hash]",
  define: { __PLX_VERSION__: JSON.stringify(version) },
  logLevel: "warning",
});
