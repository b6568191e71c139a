# Sourced by .ci/run and the npm scripts' helpers: puts Node >= 22.12 first on PATH.
# On a machine whose Node is older, installs Node 22 from the npm registry into .tools/node22 (git-ignored).
plx_node_ok() { node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 12) ? 0 : 1)' 2>/dev/null; }
if ! plx_node_ok; then
  plx_tools="$(pwd)/.tools/node22"
  if [ ! -x "$plx_tools/node_modules/node/bin/node" ]; then
    echo "Node $(node --version 2>/dev/null || echo none) is older than 22.12: installing Node 22 into .tools/node22" >&2
    mkdir -p "$plx_tools"
    npm install --prefix "$plx_tools" --no-save --no-audit --no-fund --no-package-lock node@22 >&2
  fi
  export PATH="$plx_tools/node_modules/node/bin:$plx_tools/node_modules/.bin:$PATH"
fi
echo "using node $(node --version)" >&2
