#!/usr/bin/env bash
# plx's main job end to end on the bundled sandbox: start a local PromptLayer, seed a few templates, pull them
# into a fresh repository, edit one, diff, publish it to the prod label, and show where the labels point.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
root="$(pwd)"
plx() { node "$root/bin/plx.js" "$@"; }
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

work="$(mktemp -d)"
sandbox_out="$work/sandbox.out"
node "$root/bin/plx.js" sandbox --port 0 --api-key demo-key >"$sandbox_out" 2>"$work/sandbox.log" &
sandbox_pid=$!
trap 'kill "$sandbox_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q '^listening on ' "$sandbox_out" 2>/dev/null && break; sleep 0.1; done
url="$(sed -n 's/^listening on //p' "$sandbox_out")"
[ -n "$url" ] || { echo "the sandbox did not start:" >&2; cat "$work/sandbox.log" >&2; exit 1; }
echo "sandbox listening on $url"

export PROMPTLAYER_BASE_URL="$url" PROMPTLAYER_API_KEY="demo-key" PLX_CI=false
node scripts/demo-seed.mjs "$url" "$PROMPTLAYER_API_KEY"

repo="$work/repo"
mkdir -p "$repo" && cd "$repo"
git init -q
git config user.email demo@example.com
git config user.name "plx demo"

step plx pull
plx pull
git add -A && git commit -qm "Adopt plx: prompts from PromptLayer"

step cat prompts/support/refund-reply.prompt.yaml
cat prompts/support/refund-reply.prompt.yaml

step "edit prompts/support/refund-reply.prompt.yaml (lower the temperature, reword the system prompt)"
sed -i.bak -e 's/temperature: 0.2/temperature: 0.1/' -e 's/You answer refund questions for Acme./You answer refund questions for Acme, citing the policy./' prompts/support/refund-reply.prompt.yaml
rm -f prompts/support/refund-reply.prompt.yaml.bak
git commit -qam "Cite the refund policy"

step plx status
plx status
step plx diff
plx diff || true
step plx publish --label prod --yes
plx publish --label prod --yes
step plx publish --label prod --yes "(again: nothing changed, nothing is minted)"
plx publish --label prod --yes
step plx label ls
plx label ls
step plx diff --exit-code
plx diff --exit-code
echo
echo "Done: the edit is version 2 of refund-reply in the sandbox, and prod points at it."
