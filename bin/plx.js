#!/usr/bin/env node
// Plain syntax on purpose: an older Node (18, 20) must reach the version check and print one clear line.
var major = Number(process.versions.node.split(".")[0]);
if (major < 22) {
  process.stderr.write("plx needs Node.js 22 or newer; this is Node " + process.versions.node + ".\n");
  process.exitCode = 2;
} else {
  var nodeModule = await import("node:module");
  if (typeof nodeModule.enableCompileCache === "function") nodeModule.enableCompileCache();
  var cli = await import("../dist/main.js");
  process.exitCode = await cli.main();
}
