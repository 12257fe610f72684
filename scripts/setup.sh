#!/usr/bin/env bash
# One-time (and idempotent) setup of a machine for this project:
#  - Debian packages: redis-server and redis-tools (the sandbox and test servers), chromium (the ui
#    tier and `npm start`'s browser checks), libkrb5-dev build-essential pkg-config python3
#    (code-server's native modules). Installed with apt-get only when one is missing.
#  - npm packages: `npm ci` when node_modules does not match package-lock.json.
#  - Node 24 and code-server (a real VS Code) into .tools/ (scripts/install-tools.sh).
# Safe to run again: each step is skipped when already done.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

packages=(redis-server redis-tools chromium libkrb5-dev build-essential pkg-config python3 python3-rq ruby-sidekiq python3-celery)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "[setup] installing Debian packages: ${missing[*]}"
  sudo=""
  if [ "$(id -u)" != "0" ]; then
    command -v sudo >/dev/null || { echo "[setup] need root (or sudo) to apt-get install ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update
  $sudo apt-get install -y "${missing[@]}"
else
  echo "[setup] Debian packages present"
fi

lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -f node_modules/.rq-lock-hash ] || [ "$(cat node_modules/.rq-lock-hash)" != "$lock_hash" ]; then
  echo "[setup] npm ci"
  npm ci --no-audit --no-fund
  echo "$lock_hash" > node_modules/.rq-lock-hash
else
  echo "[setup] npm packages up to date"
fi

bash scripts/install-tools.sh
echo "[setup] done"
