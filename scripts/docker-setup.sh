#!/usr/bin/env bash
# Makes a Docker engine and the local images available for the demo and the tests, with no image
# registry: if no engine answers at $DOCKER_HOST or the default socket, starts Debian's dockerd with
# its own data root and socket under the cache folder; builds (once, then loads from a zstd cache)
#   loopline/busybox:local   a 2 MB busybox image for fast tests
#   loopline/python:bookworm Debian minbase + python3 + nginx-light (runs python3; serves as a proxy)
# Idempotent and quick when everything is there. Prints KEY=VALUE lines on stdout, the last one
# being DOCKER_HOST=…; progress goes to stderr. LOOPLINE_DOCKER_NO_START=1: never start an engine
# (exit 3 when none answers). `scripts/docker-stop.sh` stops the engine it started.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${LOOPLINE_CACHE:-$HOME/.cache/loopline}
D=$CACHE/docker
SOCK=$D/engine/docker.sock
MIRROR=${LOOPLINE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
BUSYBOX_IMAGE=loopline/busybox:local
PYTHON_IMAGE=loopline/python:bookworm
# Debian's client matches dockerd 20.10; a newer client elsewhere on PATH may speak a newer API.
DOCKER=/usr/bin/docker
[ -x "$DOCKER" ] || DOCKER=$(command -v docker || true)
log() { echo "[docker-setup] $*" >&2; }
SUDO=$([ "$(id -u)" = 0 ] && echo || echo sudo)

if [ "${LOOPLINE_DOCKER_NO_START:-}" = 1 ] && [ -z "$DOCKER" ]; then
  log "no docker client on PATH, so no engine to use"
  exit 3
fi
need=()
command -v dockerd >/dev/null || [ -x /usr/sbin/dockerd ] || need+=(docker.io)
command -v debootstrap >/dev/null || [ -x /usr/sbin/debootstrap ] || need+=(debootstrap)
[ -x /bin/busybox ] || command -v busybox >/dev/null || need+=(busybox-static)
command -v zstd >/dev/null || need+=(zstd)
if [ ${#need[@]} -gt 0 ]; then
  log "apt-get install ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" ca-certificates >/dev/null
  DOCKER=/usr/bin/docker
fi
export PATH=$PATH:/usr/sbin:/sbin

answers() { DOCKER_HOST=$1 timeout 10 "$DOCKER" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

started=no
if [ -n "${DOCKER_HOST:-}" ] && answers "$DOCKER_HOST"; then
  HOST=$DOCKER_HOST
elif [ -z "${DOCKER_HOST:-}" ] && [ -S /var/run/docker.sock ] && answers unix:///var/run/docker.sock; then
  HOST=unix:///var/run/docker.sock
elif [ -S "$SOCK" ] && answers "unix://$SOCK"; then
  HOST=unix://$SOCK
elif [ "${LOOPLINE_DOCKER_NO_START:-}" = 1 ]; then
  # The demo asks whether an engine is there without starting one (exit 3: none answers).
  log "no Docker engine answers${DOCKER_HOST:+ at DOCKER_HOST=$DOCKER_HOST} or at /var/run/docker.sock"
  exit 3
else
  [ -n "${DOCKER_HOST:-}" ] && log "no engine answers at DOCKER_HOST=$DOCKER_HOST; starting Loopline's own"
  mkdir -p "$D/engine" "$D/data" "$D/exec"
  rm -f "$SOCK"
  if [ -f "$D/engine/dockerd.pid" ] && kill -0 "$(cat "$D/engine/dockerd.pid")" 2>/dev/null; then
    log "dockerd $(cat "$D/engine/dockerd.pid") is running but not answering; stopping it"
    kill -TERM "$(cat "$D/engine/dockerd.pid")" || true; sleep 2
  fi
  start_dockerd() {
    log "starting dockerd ($*) with data root $D/data"
    nohup setsid dockerd --data-root "$D/data" --exec-root "$D/exec" --pidfile "$D/engine/dockerd.pid" \
      -H "unix://$SOCK" --exec-opt native.cgroupdriver=cgroupfs "$@" >"$D/engine/dockerd.log" 2>&1 </dev/null &
    for _ in $(seq 1 300); do
      answers "unix://$SOCK" && return 0
      kill -0 $! 2>/dev/null || return 1
      sleep 0.1
    done
    return 1
  }
  if ! start_dockerd --storage-driver overlay2; then
    log "overlay2 failed (tail of dockerd.log below); retrying with vfs and no bridge"
    tail -5 "$D/engine/dockerd.log" >&2 || true
    [ -f "$D/engine/dockerd.pid" ] && kill -TERM "$(cat "$D/engine/dockerd.pid")" 2>/dev/null && sleep 2
    start_dockerd --storage-driver vfs --iptables=false --bridge=none || {
      tail -30 "$D/engine/dockerd.log" >&2
      log "could not start dockerd: see $D/engine/dockerd.log (it needs root and cgroups)"; exit 1; }
  fi
  HOST=unix://$SOCK
  started=yes
fi
export DOCKER_HOST=$HOST
log "engine $("$DOCKER" version --format '{{.Server.Version}}') at $HOST"

have_image() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }
# Loads IMAGE from its cache file, or builds it with BUILD_FN and writes the cache file.
ensure_image() {
  local image=$1 file=$2 build_fn=$3
  have_image "$image" && return 0
  if [ -s "$file" ]; then
    log "loading $image from $file"
    zstd -dc "$file" | "$DOCKER" load -q >/dev/null && have_image "$image" && return 0
    log "cache file $file is unusable; rebuilding"
  fi
  "$build_fn"
  mkdir -p "$(dirname "$file")"
  "$DOCKER" save "$image" | zstd -q -T0 -3 -o "$file.partial" -f && mv "$file.partial" "$file"
}

build_busybox() {
  log "building $BUSYBOX_IMAGE from busybox-static"
  local rootfs=$D/rootfs-busybox
  rm -rf "$rootfs" && mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/outputs" "$rootfs/workspace"
  chmod 1777 "$rootfs/tmp"
  cp "$(command -v busybox || echo /bin/busybox)" "$rootfs/bin/busybox"
  for applet in $("$rootfs/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
  done
  tar -C "$rootfs" -c . | "$DOCKER" import -c 'CMD ["sh"]' -c 'ENV PATH=/bin' - "$BUSYBOX_IMAGE" >/dev/null
  rm -rf "$rootfs"
}

build_python() {
  log "building $PYTHON_IMAGE with debootstrap (about 70 s, once)"
  local rootfs=$D/rootfs-python
  rm -rf "$rootfs"
  debootstrap --variant=minbase --include=nginx-light,python3 bookworm "$rootfs" "$MIRROR" >"$D/debootstrap.log" 2>&1 || {
    tail -20 "$D/debootstrap.log" >&2; log "debootstrap failed: see $D/debootstrap.log (is $MIRROR reachable?)"; exit 1; }
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb
  # python3 is Debian's /usr/bin/python3; also make `python` work as most Dockerfiles expect.
  ln -sf python3 "$rootfs/usr/bin/python"
  tar -C "$rootfs" -c . | "$DOCKER" import -c 'CMD ["nginx","-g","daemon off;"]' \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$PYTHON_IMAGE" >/dev/null
  rm -rf "$rootfs"
}

ensure_image "$BUSYBOX_IMAGE" "$D/images/busybox-local.tar.zst" build_busybox
ensure_image "$PYTHON_IMAGE" "$D/images/python-bookworm.tar.zst" build_python

echo "LOOPLINE_BUSYBOX_IMAGE=$BUSYBOX_IMAGE"
echo "LOOPLINE_PYTHON_IMAGE=$PYTHON_IMAGE"
echo "LOOPLINE_DOCKER_STARTED=$started"
echo "DOCKER_HOST=$HOST"
