# Sourced by .ci/run and the npm scripts' helpers: puts Node >= 22 first on PATH.
# On a machine whose Node is older, installs Node 22 from the npm registry into .tools/node22 (git-ignored).
plx_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(plx_node_major)" -lt 22 ]; then
  plx_tools="$(pwd)/.tools/node22"
  if [ ! -x "$plx_tools/node_modules/node/bin/node" ]; then
    echo "Node $(node --version 2>/dev/null || echo none) is older than 22: installing Node 22 into .tools/node22" >&2
    mkdir -p "$plx_tools"
    npm install --prefix "$plx_tools" --no-save --no-audit --no-fund --no-package-lock node@22 >&2
  fi
  export PATH="$plx_tools/node_modules/node/bin:$plx_tools/node_modules/.bin:$PATH"
fi
echo "using node $(node --version)" >&2
