"""Serve a trained Iris model over HTTP with MLflow's scoring protocol (standard library only).

    python3 serve.py --model /model --port 8080            (this machine only: 127.0.0.1)
    python3 serve.py --model /model --host 0.0.0.0         (inside a container, as Loopline runs it)

GET /ping answers 200 once the model is loaded. POST /invocations takes a JSON body in one of
MLflow's input formats and answers {"predictions": [...]} with class names (with --probabilities also
"probabilities": [[...]], one row per input, columns in sorted class order):
  {"instances": [[5.1, 3.5, 1.4, 0.2]]}            rows of the four features, in order
  {"inputs": [[5.1, 3.5, 1.4, 0.2]]}               the same (tensor input)
  {"dataframe_split": {"columns": [...], "data": [[...]]}}
  {"dataframe_records": [{"sepal_length": 5.1, ...}]}
Bad requests get a 400 with {"error_code": "BAD_REQUEST", "message": "..."} that says what was wrong.
"""

import argparse
import json
import math
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MAX_BODY = 5 * 1024 * 1024


class BadRequest(Exception):
    pass


def load_model(path):
    p = Path(path)
    if p.is_dir():
        candidates = sorted(p.rglob("model.json"))
        if not candidates:
            raise SystemExit("no model.json under %s: register the run's 'model' artifact folder" % p)
        p = candidates[0]
    model = json.loads(p.read_text())
    for key in ("features", "classes", "mean", "std", "weights", "bias"):
        if key not in model:
            raise SystemExit("%s is not an Iris model (no '%s')" % (p, key))
    return model


def scores(model, row):
    x = [(v - m) / s for v, m, s in zip(row, model["mean"], model["std"])]
    return [sum(wj * xj for wj, xj in zip(w, x)) + b for w, b in zip(model["weights"], model["bias"])]


def predict(model, row):
    z = scores(model, row)
    return model["classes"][max(range(len(z)), key=lambda i: z[i])]


def probabilities(model, row):
    """Softmax over the class scores, columns in sorted class order (scikit-learn's classes_)."""
    z = scores(model, row)
    top = max(z)
    e = [math.exp(v - top) for v in z]
    total = sum(e)
    by_class = dict(zip(model["classes"], (v / total for v in e)))
    return [by_class[c] for c in sorted(model["classes"])]


def number(v, where):
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise BadRequest("%s must be a finite number, got %s" % (where, json.dumps(v)))
    return float(v)


def rows_of(body, features):
    n = len(features)
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object with one of: instances, inputs, dataframe_split, dataframe_records")
    keys = [k for k in ("instances", "inputs", "dataframe_split", "dataframe_records") if k in body]
    if len(keys) != 1:
        raise BadRequest("give exactly one of instances, inputs, dataframe_split, dataframe_records (got %s)" % (", ".join(sorted(body)) or "none"))
    key = keys[0]
    data = body[key]
    if key in ("instances", "inputs"):
        if not isinstance(data, list) or not data:
            raise BadRequest("%s must be a non-empty list of rows" % key)
        if all(isinstance(v, (int, float)) for v in data) and len(data) == n:
            data = [data]  # one row given flat
        rows = []
        for i, row in enumerate(data):
            if isinstance(row, dict):
                row = [row.get(f) for f in features]
            if not isinstance(row, list) or len(row) != n:
                raise BadRequest("%s[%d] must hold %d numbers (%s)" % (key, i, n, ", ".join(features)))
            rows.append([number(v, "%s[%d][%d]" % (key, i, j)) for j, v in enumerate(row)])
        return rows
    if key == "dataframe_split":
        if not isinstance(data, dict) or not isinstance(data.get("data"), list):
            raise BadRequest("dataframe_split must be {\"columns\": [...], \"data\": [[...]]}")
        columns = data.get("columns") or features
        missing = [f for f in features if f not in columns]
        if missing:
            raise BadRequest("dataframe_split.columns lacks %s" % ", ".join(missing))
        out = []
        for i, r in enumerate(data["data"]):
            if not isinstance(r, list) or len(r) != len(columns):
                raise BadRequest("dataframe_split.data[%d] must have %d values, one per column" % (i, len(columns)))
            out.append([number(r[columns.index(f)], "dataframe_split.data[%d].%s" % (i, f)) for f in features])
        return out
    if not isinstance(data, list) or not data:
        raise BadRequest("dataframe_records must be a non-empty list of objects")
    out = []
    for i, rec in enumerate(data):
        if not isinstance(rec, dict):
            raise BadRequest("dataframe_records[%d] must be an object" % i)
        missing = [f for f in features if f not in rec]
        if missing:
            raise BadRequest("dataframe_records[%d] lacks %s" % (i, ", ".join(missing)))
        out.append([number(rec[f], "dataframe_records[%d].%s" % (i, f)) for f in features])
    return out


class Handler(BaseHTTPRequestHandler):
    model = None
    # Fault injection for rollout drills: answer 500 to /invocations after this many (None: never).
    fail_after = None
    with_probabilities = False
    served = 0
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # keep stdout for real problems
        pass

    def send(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path in ("/ping", "/health"):
            return self.send(200 if self.model else 503, {"status": "ok" if self.model else "loading"})
        if self.path == "/version":
            return self.send(200, {"model_version": os.environ.get("LOOPLINE_MODEL_VERSION", "")})
        self.send(404, {"error_code": "ENDPOINT_NOT_FOUND", "message": "GET /ping, or POST /invocations"})

    def do_POST(self):
        if self.path != "/invocations":
            return self.send(404, {"error_code": "ENDPOINT_NOT_FOUND", "message": "POST /invocations"})
        try:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                raise BadRequest("body larger than %d bytes" % MAX_BODY)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw or b"null")
            except ValueError as e:
                raise BadRequest("the body is not valid JSON: %s" % e)
            rows = rows_of(body, self.model["features"])
            Handler.served += 1
            if Handler.fail_after is not None and Handler.served > Handler.fail_after:
                return self.send(500, {"error_code": "INTERNAL_ERROR", "message": "failing on purpose (--fail-after %d)" % Handler.fail_after})
            answer = {"predictions": [predict(self.model, r) for r in rows]}
            if self.with_probabilities:
                answer["probabilities"] = [probabilities(self.model, r) for r in rows]
            self.send(200, answer)
        except BadRequest as e:
            self.send(400, {"error_code": "BAD_REQUEST", "message": str(e)})


def main(argv=None):
    ap = argparse.ArgumentParser(description="Serve an Iris model (MLflow scoring protocol)")
    ap.add_argument("--model", default="/model", help="model folder or model.json (default /model)")
    ap.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; a container passes 0.0.0.0)")
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--fail-after", type=int, default=None, help="answer 500 to /invocations after N requests (a drill for automatic rollback)")
    ap.add_argument("--probabilities", action="store_true", help="also answer class probabilities (for log loss, ROC AUC and calibration in loopline evaluate)")
    args = ap.parse_args(argv)
    Handler.fail_after = args.fail_after
    Handler.with_probabilities = args.probabilities
    Handler.model = load_model(args.model)
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    print("serving %s on %s:%d" % (args.model, args.host, server.server_address[1]), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
