// Bundles src/cli/main.ts into dist/ as ESM with code splitting, so each command
// module is its own chunk and `plx --version` loads only the entry.
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";

const { version, dependencies } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
// Dependencies are bundled: resolving and loading them from node_modules file by file (commander, undici, zod,
// yaml) cost more than the rest of a command's work. Code splitting still loads each one only with the commands
// that use it.
const INLINED = new Set(Object.keys(dependencies));
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
  sourcemap: false,
  chunkNames: "chunks/[name]-[hash]",
  define: { __PLX_VERSION__: JSON.stringify(version) },
  // Bundled CommonJS dependencies require Node's built-ins; an ES module has no `require` of its own.
  banner: {
    js: 'import { createRequire as __plxCreateRequire } from "node:module"; const require = __plxCreateRequire(import.meta.url);',
  },
  logLevel: "warning",
});

// `plx/webhook`: the receiver as a library for serverless hosts. Its own bundle, without the CLI's Node-only
// banner, so it loads wherever web-standard Request/Response, fetch and node:crypto exist. No source maps, as above.
await build({
  entryPoints: { webhook: "src/webhook/index.ts" },
  outdir: "dist",
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node22",
  sourcemap: false,
  logLevel: "warning",
});
// Its type declarations, from the same sources.
execFileSync(
  process.execPath,
  [
    new URL("../node_modules/typescript/bin/tsc", import.meta.url).pathname,
    "src/webhook/index.ts",
    "--ignoreConfig",
    ...["--declaration", "--emitDeclarationOnly", "--outDir", "dist/types", "--rootDir", "src"],
    ...["--target", "ES2023", "--module", "NodeNext", "--moduleResolution", "NodeNext", "--strict"],
    ...["--skipLibCheck", "--types", "node", "--verbatimModuleSyntax", "--isolatedModules"],
  ],
  { cwd: new URL("..", import.meta.url), stdio: "inherit" },
);

// `plx --help` is printed from this file, rendered once here by the bundle itself (through a pipe, so at 80
// columns): answering it then costs no more start-up than `--version`.
const help = execFileSync(process.execPath, [new URL("../bin/plx.js", import.meta.url).pathname, "--help"], {
  encoding: "utf8",
  env: { ...process.env, NO_COLOR: "1" },
});
writeFileSync(new URL("../dist/help.txt", import.meta.url), help);
