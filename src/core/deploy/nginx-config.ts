import { CAPTURE_RELAY_PORT } from '../capture/capture-relay-source.ts';
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
/** The back nginx (reloaded at every switch), reached only by the front inside the proxy container. */
export const BACK_PORT = 8081;

export interface ProxyCapture {
  enabled: boolean;
  /** Share of /invocations requests captured, 0..1. */
  sampling: number;
}

/** Where the proxy container keeps its logs (a bind mount of the deployment's `logs` folder). */
export const PROXY_LOG_DIR = '/var/log/loopline';

/** `split_clients` takes percentages with at most two decimals; 0.01% is the smallest share. */
function samplingPercent(s: number): string {
  return Math.max(0.01, Math.min(100, Math.round(s * 10_000) / 100)).toFixed(2);
}

/**
 * The reverse proxy's configuration. Weighted upstream for blue/green and canary; a path per slot
 * (`/__loopline/slot/ID/…`) for health checks of a version before it gets traffic; a generation
 * endpoint so the caller can tell when a graceful reload (SIGHUP) has taken effect; a JSON access
 * log with the upstreams each request went to.
 *
 * Zero failed requests across switches rests on three choices:
 * - Two nginx masters in the proxy container. A graceful reload closes the old workers' idle
 *   keep-alive connections, and a client that sends its next request on one at that moment gets
 *   "connection closed" (a race nginx cannot avoid). So the public listener is a front nginx whose
 *   configuration never changes (`renderFrontConfig`: Host check, request ids) and that is never
 *   reloaded; only the back nginx behind it (this configuration, on 127.0.0.1:8081) is. When the
 *   back closes an idle connection of the front's pool, the front retries on a new connection
 *   (nginx does so for a failed cached connection), so the client never sees it.
 * - The warm previous version is a `backup` server, and a 5xx or refused connection is retried on
 *   the next server (scoring is a pure function): a new version that fails is answered for by the
 *   old one while the settle watch counts its errors and rolls back.
 * - Capture is nginx itself (no hop in the request path): a sampled request is routed to a location
 *   that stores the answer (`proxy_store`, one file per request id, 200s only) and logs the request
 *   body with the upstream that answered; `capture-store.ts` joins the two.
 * `standalone` renders the single-nginx layout of proxies created before the front existed (it
 * listens publicly itself), so their reloads keep working.
 */
export function renderNginxConfig(slots: Slot[], generation: number, capture: ProxyCapture = { enabled: false, sampling: 1 }, opts: { standalone?: boolean } = {}): string {
  // Behind the front, the request id is the front's (the one the client got in X-Request-Id).
  const rid = opts.standalone ? '$request_id' : '$http_x_request_id';
  const serving = slots.filter((s) => s.weight > 0);
  const warm = slots.filter((s) => s.weight === 0 && s.role === 'previous');
  const upstream = serving.length
    ? [
        ...serving.map((s) => `    server ${s.container}:${MODEL_PORT} weight=${s.weight} max_fails=0;`),
        ...warm.map((s) => `    server ${s.container}:${MODEL_PORT} backup max_fails=0;`),
      ].join('\n')
    : '    server 127.0.0.1:1 down;';
  const slotLocations = slots
    .map((s) => `    location /__loopline/slot/${s.id}/ {\n      access_log off;\n      proxy_pass http://${s.container}:${MODEL_PORT}/;\n      proxy_connect_timeout 2s;\n    }`)
    .join('\n');
  const toLive = `      proxy_pass http://live;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Request-Id ${rid};
      # Scoring is a pure function: a refused connection or a 5xx is answered by the next server
      # (the other version of a canary, or the warm previous version kept as backup).
      proxy_next_upstream error timeout http_500 http_502 http_503 http_504 non_idempotent;
      proxy_next_upstream_tries 3;
      proxy_connect_timeout 2s;`;
  const sampled = capture.sampling >= 1 ? `  map "" $capture_sampled { default 1; }` : `  split_clients "\${request_id}" $capture_sampled { ${samplingPercent(capture.sampling)}% 1; * ""; }`;
  const invocations = capture.enabled
    ? `    location = /invocations {
      error_page 418 = @capture;
      if ($capture_sampled) { return 418; }
${toLive}
    }
    location @capture {
${toLive}
      proxy_store ${PROXY_LOG_DIR}/responses/${rid};
      proxy_store_access user:rw group:r all:r;
      access_log ${PROXY_LOG_DIR}/access.log loopline;
      access_log ${PROXY_LOG_DIR}/capture.jsonl capture;
    }`
    : `    location = /invocations {
${toLive}
    }`;
  return `# Written by Loopline; changes are overwritten at the next switch.
worker_processes 1;
pid /tmp/nginx.pid;
error_log stderr warn;
events { worker_connections 1024; }
http {
  log_format loopline escape=json '{"time":$msec,"status":$status,"upstream":"$upstream_addr","request_time":$request_time,"upstream_status":"$upstream_status","upstream_time":"$upstream_response_time","request_id":"${rid}"}';
  log_format capture escape=json '{"type":"request","time":$msec,"request_id":"${rid}","status":$status,"request_time":$request_time,"upstream":"$upstream_addr","request":"$request_body"}';
  log_format feedback escape=json '{"type":"feedback","time":$msec,"body":"$request_body"}';
  access_log ${PROXY_LOG_DIR}/access.log loopline;
  client_max_body_size 10m;
  # Bodies up to 1 MB stay in one memory buffer, so the capture log can record them.
  client_body_buffer_size 1m;
  client_body_in_single_buffer on;
  proxy_temp_path ${PROXY_LOG_DIR}/capture-tmp;
  default_type application/json;
  map $status $feedback_accepted { 202 1; default ""; }
${sampled}
  upstream live {
${upstream}
    keepalive 16;
  }
${opts.standalone ? `${hostCheck()}
  server {
    listen ${PROXY_PORT};
    server_name 127.0.0.1 localhost;
    keepalive_timeout 0;
    # Every answer carries the request id that POST /feedback refers to.
    add_header X-Request-Id $request_id always;` : `  server {
    listen 127.0.0.1:${BACK_PORT};`}
    location = /__loopline/generation { access_log off; return 200 "${generation}"; }
${slotLocations}
    location = /feedback {
      # The relay checks the body (request_id and label) and answers 202 or 400; accepted ones are logged.
      proxy_pass http://127.0.0.1:${CAPTURE_RELAY_PORT};
      access_log ${PROXY_LOG_DIR}/capture.jsonl feedback if=$feedback_accepted;
    }
${invocations}
    location / {
${toLive}
    }
  }
}
`;
}

/** Only requests addressed to 127.0.0.1 or localhost are served (a DNS-rebinding page cannot reach the endpoint). */
function hostCheck(): string {
  return `  server {
    listen ${PROXY_PORT} default_server;
    access_log off;
    return 421 '{"error_code":"BAD_REQUEST","message":"this endpoint answers only requests to 127.0.0.1 or localhost"}';
  }`;
}

/**
 * The front nginx: the endpoint's public listener, written once when the proxy starts and never
 * reloaded, so its clients' keep-alive connections live through every switch. It checks Host, gives
 * each request its id, and hands everything to the back nginx over a keep-alive pool; a pooled
 * connection the back closed while reloading is retried on a new one (`non_idempotent`: scoring is
 * a pure function, and a closed idle connection carried no request the back processed).
 */
export function renderFrontConfig(): string {
  return `# Written by Loopline when the proxy starts; never reloaded.
worker_processes 1;
pid /tmp/nginx-front.pid;
error_log stderr warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_max_body_size 10m;
  client_body_buffer_size 1m;
  default_type application/json;
  upstream back {
    server 127.0.0.1:${BACK_PORT} max_fails=0;
    keepalive 32;
  }
${hostCheck()}
  server {
    listen ${PROXY_PORT};
    server_name 127.0.0.1 localhost;
    # Every answer carries the request id that POST /feedback refers to.
    add_header X-Request-Id $request_id always;
    location / {
      proxy_pass http://back;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Request-Id $request_id;
      proxy_next_upstream error non_idempotent;
      proxy_read_timeout 300s;
    }
  }
}
`;
}
