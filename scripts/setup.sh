#!/usr/bin/env bash
# Prepares a checkout to run plx from source: Node >= 22 on PATH (installed from the npm
# registry when the machine's Node is older), dependencies from package-lock.json, and dist/.
# Source it (`source scripts/setup.sh`) so the PATH change reaches the caller.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source .ci/node-env.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund >&2
fi
npm run --silent build >&2
