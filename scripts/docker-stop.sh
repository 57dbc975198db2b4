#!/usr/bin/env bash
# Stops the dockerd that scripts/docker-setup.sh started (found by its pidfile under the cache
# folder), after removing the containers Loopline left on it. Engines it did not start are untouched.
set -uo pipefail
CACHE=${LOOPLINE_CACHE:-$HOME/.cache/loopline}
D=$CACHE/docker/engine
PIDFILE=$D/dockerd.pid
DOCKER=/usr/bin/docker
[ -x "$DOCKER" ] || DOCKER=$(command -v docker || echo docker)
log() { echo "[docker-stop] $*" >&2; }
[ -f "$PIDFILE" ] || { log "no engine started by docker-setup is running"; exit 0; }
P=$(cat "$PIDFILE")
if kill -0 "$P" 2>/dev/null; then
  DOCKER_HOST=unix://$D/docker.sock timeout 20 "$DOCKER" ps -aq --filter label=loopline.run 2>/dev/null |
    xargs -r env DOCKER_HOST="unix://$D/docker.sock" "$DOCKER" rm -f >/dev/null 2>&1 || true
  kill -TERM "$P" 2>/dev/null || true
  for _ in $(seq 1 150); do kill -0 "$P" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$P" 2>/dev/null && kill -KILL "$P" 2>/dev/null
  log "stopped dockerd $P"
fi
rm -f "$PIDFILE"
