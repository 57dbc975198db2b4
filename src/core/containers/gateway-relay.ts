import { createServer, request, type Server } from 'node:http';

export interface GatewayRelay {
  /** The tracking URL for containers: http://GATEWAY:PORT. */
  url: string;
  close(): Promise<void>;
}

/**
 * Makes the tracking server reachable from containers on a Docker network: listens on that
 * network's gateway address (this machine's side of the bridge, not reachable from elsewhere) only
 * while a run needs it, checks the Host header against that address, and forwards to the server on
 * 127.0.0.1, which checks the token as always.
 */
export async function startGatewayRelay(gateway: string, target: string, port = 0): Promise<GatewayRelay> {
  const to = new URL(target);
  let expectedHost = '';
  const server: Server = createServer((req, res) => {
    if ((req.headers.host ?? '').toLowerCase() !== expectedHost) {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error_code: 'PERMISSION_DENIED', message: `Invalid Host header '${req.headers.host ?? ''}'.` }));
      return;
    }
    const headers = { ...req.headers, host: to.host };
    const upstream = request({ hostname: to.hostname, port: to.port, path: req.url, method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error_code: 'TEMPORARILY_UNAVAILABLE', message: `tracking server unreachable: ${err.message}` }));
    });
    req.pipe(upstream);
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, gateway, () => resolve());
  });
  const addr = server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  expectedHost = `${gateway}:${actualPort}`;
  return {
    url: `http://${gateway}:${actualPort}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
