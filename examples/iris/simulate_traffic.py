#!/usr/bin/env python3
"""Send Iris scoring traffic to a local deployment, optionally shifted, optionally with labels.

  python3 simulate_traffic.py --url http://127.0.0.1:PORT --count 300
  python3 simulate_traffic.py --url http://127.0.0.1:PORT --shift petal_length=+1.5 --rate 50
  python3 simulate_traffic.py --url ... --feedback      # POST /feedback with each row's true species

Rows are drawn from iris.csv with a little noise; --shift adds a constant to a feature. Bounded
(--count, default 300) and only to 127.0.0.1 / localhost. Prints one JSON summary line.
"""
import argparse, csv, http.client, json, os, random, sys, time
from urllib.parse import urlparse

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def parse_shift(items):
    out = {}
    for item in items:
        name, _, delta = item.partition("=")
        if name not in FEATURES or not delta:
            sys.exit("--shift takes FEATURE=+DELTA with FEATURE one of %s (got %r)" % (", ".join(FEATURES), item))
        try:
            out[name] = float(delta)
        except ValueError:
            sys.exit("--shift %s: %r is not a number" % (name, delta))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", required=True, help="the deployment's endpoint, e.g. http://127.0.0.1:8080")
    ap.add_argument("--shift", action="append", default=[], help="FEATURE=+DELTA, e.g. petal_length=+1.5 (repeatable)")
    ap.add_argument("--rate", type=float, default=50, help="requests per second (default 50; 0: as fast as possible)")
    ap.add_argument("--count", type=int, default=300, help="requests to send (default 300, at most 100000)")
    ap.add_argument("--feedback", action="store_true", help="send each row's true species to POST /feedback")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--data", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "iris.csv"))
    args = ap.parse_args(argv)
    url = urlparse(args.url)
    if url.scheme != "http" or url.hostname not in ("127.0.0.1", "localhost"):
        sys.exit("--url must be http://127.0.0.1:PORT or http://localhost:PORT (this generator only talks to this machine)")
    if not 1 <= args.count <= 100000:
        sys.exit("--count must be from 1 to 100000")
    shift = parse_shift(args.shift)
    rng = random.Random(args.seed)
    with open(args.data, newline="") as f:
        rows = [r for r in csv.DictReader(f)]
    conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=30)
    sent = ok = labelled = 0
    t0 = time.monotonic()
    for i in range(args.count):
        if args.rate > 0:
            wait = t0 + i / args.rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        row = rng.choice(rows)
        x = [round(float(row[k]) + rng.gauss(0, 0.05) + shift.get(k, 0.0), 3) for k in FEATURES]
        conn.request("POST", "/invocations", body=json.dumps({"instances": [x]}), headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        sent += 1
        if r.status == 200:
            ok += 1
        rid = r.getheader("X-Request-Id")
        if args.feedback and rid:
            conn.request("POST", "/feedback", body=json.dumps({"request_id": rid, "label": row["species"]}), headers={"Content-Type": "application/json"})
            fr = conn.getresponse()
            fr.read()
            if fr.status == 202:
                labelled += 1
    print(json.dumps({"sent": sent, "ok": ok, "labelled": labelled, "seconds": round(time.monotonic() - t0, 3), "shift": shift}))
    return 0 if ok == sent else 1


if __name__ == "__main__":
    sys.exit(main())
