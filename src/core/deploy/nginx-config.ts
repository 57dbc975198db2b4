import { CAPTURE_RELAY_PORT, INTERNAL_PORT } from '../capture/capture-relay-source.ts';
/** One model container behind the proxy. */
export interface Slot {
  id: string;
  /** Container name: the proxy reaches it as http://NAME:8080 on the deployment's network. */
  container: string;
  containerId: string;
  version: number;
  alias: string | null;
  /** Share of traffic, 0..100 (0: warm, reachable only through its slot path). */
  weight: number;
  role: 'live' | 'candidate' | 'previous';
  /** Its address on the deployment's network: the access log names upstreams by address. */
  address?: string;
  /** When it started (ms): addresses are reused by later containers, so older log lines are not its. */
  startedTime?: number;
  /** A warm previous version is removed after this (ms; --keep-previous). */
  expiresTime?: number;
}

export const MODEL_PORT = 8080;
export const PROXY_PORT = 8080;

/**
 * The reverse proxy's configuration. Weighted upstream for blue/green and canary; a path per slot
 * (`/__loopline/slot/ID/…`) for health checks of a version before it gets traffic; a generation
 * endpoint so the caller can tell when a graceful reload (SIGHUP) has taken effect; a JSON access
 * log with the upstream each request went to.
 */
export function renderNginxConfig(slots: Slot[], generation: number, opts: { capture?: boolean } = {}): string {
  // Capture: the public server hands scoring requests to the capture relay (see capture-relay-source.ts),
  // which forwards them to the internal server holding the weighted upstream; off: straight to it.
  const front = opts.capture ? 'http://capture' : 'http://live';
  const serving = slots.filter((s) => s.weight > 0);
  const upstream = serving.length
    ? serving.map((s) => `    server ${s.container}:${MODEL_PORT} weight=${s.weight} max_fails=0;`).join('\n')
    : '    server 127.0.0.1:1 down;';
  const slotLocations = slots
    .map((s) => `    location /__loopline/slot/${s.id}/ {\n      access_log off;\n      proxy_pass http://${s.container}:${MODEL_PORT}/;\n      proxy_connect_timeout 2s;\n    }`)
    .join('\n');
  return `# Written by Loopline; changes are overwritten at the next switch.
worker_processes 1;
pid /tmp/nginx.pid;
error_log stderr warn;
events { worker_connections 1024; }
http {
  log_format loopline escape=json '{"time":$msec,"status":$status,"upstream":"$upstream_addr","request_time":$request_time,"upstream_status":"$upstream_status","request_id":"$request_id"}';
  access_log /var/log/loopline/access.log loopline;
  client_max_body_size 10m;
  upstream capture {
    server 127.0.0.1:${CAPTURE_RELAY_PORT} max_fails=1 fail_timeout=2s;
    # Should the relay be down, requests are still answered (uncaptured) by the internal server.
    server 127.0.0.1:${INTERNAL_PORT} backup;
    keepalive 16;
  }
  upstream live {
${upstream}
    keepalive 16;
  }
  server {
    listen ${PROXY_PORT};
    location = /__loopline/generation { access_log off; return 200 "${generation}"; }
${slotLocations}
    # Every answer carries the request id that POST /feedback refers to.
    add_header X-Request-Id $request_id always;
    location = /feedback {
      proxy_pass http://capture;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
    location / {
      proxy_pass ${front};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Request-Id $request_id;
      # A model container that refuses the connection is skipped (scoring is a pure function).
      proxy_next_upstream error timeout non_idempotent;
      proxy_connect_timeout 2s;
    }
  }
  server {
    listen 127.0.0.1:${INTERNAL_PORT};
    # Logged too: behind the capture relay, only this server sees which version answered (metrics).
    access_log /var/log/loopline/access.log loopline;
    location / {
      proxy_pass http://live;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_next_upstream error timeout non_idempotent;
      proxy_connect_timeout 2s;
    }
  }
}
`;
}
