#!/usr/bin/env bash
# One command for a fresh clone: set up Node 22, dependencies and a throwaway Redis, then run `npm test`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
export PLX_OPENAPI_SPEC="${PLX_OPENAPI_SPEC:-$(cd .. && pwd)/shared/reference/promptlayer-openapi.json}"
[ -f "$PLX_OPENAPI_SPEC" ] || unset PLX_OPENAPI_SPEC
source .ci/redis-env.sh
npm test -- "$@"
