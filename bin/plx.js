#!/usr/bin/env node
// Plain syntax on purpose: an older Node (18, 20) must reach the version check and print one clear line.
var version = process.versions.node.split(".").map(Number);
if (version[0] < 22 || (version[0] === 22 && version[1] < 12)) {
  process.stderr.write("plx needs Node.js 22.12 or newer; this is Node " + process.versions.node + ".\n");
  process.exitCode = 2;
} else {
  var nodeModule = await import("node:module");
  if (typeof nodeModule.enableCompileCache === "function") nodeModule.enableCompileCache();
  var cli = await import("../dist/main.js");
  process.exitCode = await cli.main();
}
