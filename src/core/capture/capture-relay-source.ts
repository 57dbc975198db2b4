/**
 * The capture helper: a small Python process inside the proxy container, beside nginx and out of the
 * scoring path (nginx itself captures: see nginx-config.ts). It does two things nginx-light cannot:
 * - checks `POST /feedback` bodies (`{"request_id": ..., "label": ...}`) and answers 202 or a 400 that
 *   says what is wrong; nginx logs the accepted ones into capture.jsonl;
 * - rotates capture.jsonl past `max_bytes` (capture.jsonl.1 is the newest rotated file, .KEEP the
 *   oldest; nginx reopens on SIGUSR1), deleting the stored answers of requests whose log lines fall
 *   off the end, so an endpoint nobody ingests from cannot fill the disk.
 * Settings come from capture.json beside the nginx config, re-read every second.
 */
export const CAPTURE_RELAY_PORT = 9000;

export const CAPTURE_RELAY_PY = String.raw`
import json, os, signal, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CONF = "/etc/loopline-proxy/capture.json"
LOGS = "/var/log/loopline"
LOG = LOGS + "/capture.jsonl"
RESPONSES = LOGS + "/responses"

def settings():
    try:
        with open(CONF) as f:
            c = json.load(f)
        return int(c.get("max_bytes", 64 << 20)), max(1, int(c.get("keep", 4)))
    except (OSError, ValueError):
        return 64 << 20, 4

def drop_answers(path):
    try:
        with open(path, "rb") as f:
            for line in f:
                try:
                    rid = json.loads(line).get("request_id")
                except ValueError:
                    continue
                if isinstance(rid, str) and rid.isalnum():
                    try:
                        os.unlink(os.path.join(RESPONSES, rid))
                    except OSError:
                        pass
    except OSError:
        pass

def rotate_forever():
    while True:
        time.sleep(1.0)
        max_bytes, keep = settings()
        try:
            if os.stat(LOG).st_size <= max_bytes:
                continue
        except OSError:
            continue
        oldest = "%s.%d" % (LOG, keep)
        if os.path.exists(oldest):
            drop_answers(oldest)
            os.unlink(oldest)
        for i in range(keep - 1, 0, -1):
            if os.path.exists("%s.%d" % (LOG, i)):
                os.rename("%s.%d" % (LOG, i), "%s.%d" % (LOG, i + 1))
        os.rename(LOG, LOG + ".1")
        os.kill(1, signal.SIGUSR1)  # nginx (PID 1) reopens its logs: a new capture.jsonl

class Feedback(BaseHTTPRequestHandler):
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

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        if self.path != "/feedback":
            return self.reply(404, {"error_code": "ENDPOINT_NOT_FOUND", "message": "POST /feedback"})
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("request_id"), str) or "label" not in body:
            return self.reply(400, {"error_code": "BAD_REQUEST", "message": 'POST /feedback takes {"request_id": "<X-Request-Id of the scored request>", "label": <true label>}'})
        self.reply(202, {"accepted": True, "request_id": body["request_id"]})

threading.Thread(target=rotate_forever, daemon=True).start()
server = ThreadingHTTPServer(("127.0.0.1", ${CAPTURE_RELAY_PORT}), Feedback)
server.daemon_threads = True
open("/tmp/relay.ready", "w").close()
server.serve_forever()
`;
