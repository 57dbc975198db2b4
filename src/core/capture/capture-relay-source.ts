/**
 * The capture relay: a small Python process inside the proxy container, between nginx's public
 * server and its internal weighted upstream. Why a relay and not nginx's access log: the proxy image
 * ships nginx-light, which can log a request body but never a response body, and prediction drift
 * and live accuracy need the predictions. Why in the proxy container: captures stay on the
 * deployment's own volume (nothing leaves the machine), the model container is untouched, and
 * with capture switched off nginx routes around the relay, so the endpoint pays nothing.
 * Lossless: every sampled exchange is one O_APPEND write of one JSON line before the response is
 * returned; the store ingests the file from its last offset.
 */
export const CAPTURE_RELAY_PORT = 9000;
export const INTERNAL_PORT = 8081;

export const CAPTURE_RELAY_PY = String.raw`
import http.client, json, os, random, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CONF = "/etc/loopline-proxy/capture.json"
LOG = "/var/log/loopline/capture.jsonl"
MAX_BODY = 10 * 1024 * 1024
state = {"mtime": None, "sampling": 1.0, "checked": 0.0}
fd = os.open(LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
local = threading.local()

def sampling():
    now = time.monotonic()
    if now - state["checked"] > 1.0:
        state["checked"] = now
        try:
            m = os.stat(CONF).st_mtime
            if m != state["mtime"]:
                with open(CONF) as f:
                    state["sampling"] = float(json.load(f).get("sampling", 1.0))
                state["mtime"] = m
        except (OSError, ValueError):
            pass
    return state["sampling"]

def write(obj):
    os.write(fd, (json.dumps(obj, separators=(",", ":")) + "\n").encode())

def upstream():
    c = getattr(local, "conn", None)
    if c is None:
        c = local.conn = http.client.HTTPConnection("127.0.0.1", ${INTERNAL_PORT}, timeout=60)
    return c

HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "proxy-connection", "content-length"}

class Relay(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass

    def reply(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def feedback(self, raw):
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("request_id"), str) or "label" not in body:
            return self.reply(400, {"error_code": "BAD_REQUEST", "message": 'POST /feedback takes {"request_id": "<X-Request-Id of the scored request>", "label": <true label>}'})
        write({"type": "feedback", "time": time.time(), "request_id": body["request_id"], "label": body["label"]})
        self.reply(202, {"accepted": True, "request_id": body["request_id"]})

    def relay(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            return self.reply(413, {"error_code": "BAD_REQUEST", "message": "body larger than 10 MB"})
        raw = self.rfile.read(n) if n else b""
        if self.command == "POST" and self.path == "/feedback":
            return self.feedback(raw)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        t0 = time.perf_counter()
        for attempt in (0, 1):
            c = upstream()
            try:
                c.request(self.command, self.path, body=raw if n else None, headers=headers)
                r = c.getresponse()
                data = r.read()
                break
            except (http.client.HTTPException, OSError):
                c.close()
                local.conn = None
                if attempt:
                    return self.reply(502, {"error_code": "BAD_GATEWAY", "message": "no model container answered"})
        ms = (time.perf_counter() - t0) * 1000
        if self.command == "POST" and self.path == "/invocations" and random.random() < sampling():
            write({"type": "request", "time": time.time(), "request_id": self.headers.get("X-Request-Id", ""),
                   "status": r.status, "latency_ms": round(ms, 3), "request": raw.decode("utf-8", "replace"),
                   "response": data.decode("utf-8", "replace")})
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = relay

server = ThreadingHTTPServer(("127.0.0.1", ${CAPTURE_RELAY_PORT}), Relay)
server.daemon_threads = True
open("/tmp/relay.ready", "w").close()
server.serve_forever()
`;
