// Builds dist/ once before the end-to-end tests, so they run the same bundle users get.
import { execFileSync } from "node:child_process";

export default function buildOnce(): void {
  execFileSync(process.execPath, ["scripts/build.mjs"], { stdio: "inherit" });
}
