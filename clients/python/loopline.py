"""Loopline Python client: log metrics, params, tags and artifacts to a Loopline
(or any MLflow-REST-compatible) tracking server.

Single file, Python 3.8+, standard library only. Copy it next to your code or put
its folder on ``sys.path``.

    import loopline
    with loopline.start_run(params={"lr": 0.01}, name="my-run") as run:
        for step in range(100):
            run.log_metric("loss", 1.0 / (step + 1), step=step)
        run.log_artifact("weights.json", artifact_path="model")

Design notes
------------
* ``log_metric`` never touches the network: it appends to an in-memory buffer under
  a lock. A daemon thread per run sends batches (<= 1000 metrics) with
  ``runs/log-batch`` over a keep-alive ``http.client`` connection, whenever 1000
  points are queued or every 0.5 s, and on ``flush()`` / run end / interpreter exit.
* If the server cannot be reached (after retrying for ``LOOPLINE_RETRY_SECONDS``,
  default 5), the batch is appended to a JSON-lines spool file and one warning line
  is printed; later batches are still tried live (the server may come back).
* With no tracking URI in the environment, a tracking server that Loopline (the
  extension or ``loopline serve``) runs for this workspace is found through
  ``.loopline/server.json`` in the current folder, the script's folder or a parent of
  either (or beside ``LOOPLINE_STORE``); the file must be yours and readable only by
  you (mode 0600), its process alive and answering, else it is ignored.
* With no tracking URI at all (or if ``runs/create`` fails), the run is created
  locally (uuid4 hex id) and everything goes to the spool file ("offline mode").
  Import a spool file with ``loopline import-spool <file>``.

Environment (set by ``loopline run``):
  LOOPLINE_TRACKING_URI    server base URL (fallback MLFLOW_TRACKING_URI if http[s])
  LOOPLINE_TRACKING_TOKEN  bearer token (fallback MLFLOW_TRACKING_TOKEN)
  LOOPLINE_RUN_ID          log into this existing run and do not end it
                           (fallback MLFLOW_RUN_ID)
  LOOPLINE_EXPERIMENT_ID   experiment for new runs (fallback MLFLOW_EXPERIMENT_ID, "0")
  LOOPLINE_SPOOL_DIR       spool folder (default ./.loopline/spool)
  LOOPLINE_PARAMS          JSON object of params from ``loopline run --param k=v``
  LOOPLINE_RETRY_SECONDS   retry budget per request before spooling (default 5)
  LOOPLINE_OFFLINE         "1" forces offline mode (spool only, no network)
  LOOPLINE_SPOOL_TAILED    set by a launcher that imports the spool as it grows (no warning)
  LOOPLINE_OUTPUT_DIR      in a container run: the folder whose files become the run's artifacts
"""

import atexit
import getpass
import http.client
import json
import os
import shutil
import sys
import threading
import time
import uuid
from urllib.parse import quote, unquote, urlparse

__version__ = "0.1.0"

__all__ = [
    "start_run",
    "active_run",
    "params",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "set_tag",
    "set_tags",
    "log_artifact",
    "log_artifacts",
    "flush",
    "end_run",
    "Run",
    "Transport",
    "HttpTransport",
    "SpoolTransport",
    "TransientError",
    "PermanentError",
    "SPOOL_FORMAT_VERSION",
]

SPOOL_FORMAT_VERSION = 1

# REST limits of runs/log-batch (same as MLflow).
MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_PER_BATCH = 100
MAX_TAGS_PER_BATCH = 100

FLUSH_INTERVAL = 0.5  # seconds between background sends when fewer than a batch is queued
_BATCH = MAX_METRICS_PER_BATCH

_API = "/api/2.0/mlflow/"
_ARTIFACT_API = "/api/2.0/mlflow-artifacts/artifacts/"
_USER_AGENT = "loopline-python/" + __version__
_SMALL_FILE = 8 * 1024 * 1024

# Errors that mean a kept-alive connection was closed under us (not a timeout):
# reconnect and resend once before treating the server as unreachable.
_STALE_ERRORS = (
    http.client.RemoteDisconnected,
    http.client.BadStatusLine,
    ConnectionResetError,
    ConnectionAbortedError,
    BrokenPipeError,
)

_time = time.time
_monotonic = time.monotonic


# --------------------------------------------------------------------------- utils

_warn_lock = threading.Lock()
_warn_count = 0
_warn_once_keys = set()
_WARN_LIMIT = 50


def _warn(msg, once_key=None):
    """Print one warning line to stderr (never raises, never prints secrets).

    With ``once_key``, only the first warning for that key is printed."""
    global _warn_count
    with _warn_lock:
        if once_key is not None:
            if once_key in _warn_once_keys:
                return
            _warn_once_keys.add(once_key)
        _warn_count += 1
        n = _warn_count
    if n > _WARN_LIMIT:
        return
    if n == _WARN_LIMIT:
        msg += " (further loopline warnings suppressed)"
    try:
        err = sys.stderr
        if err is not None:
            err.write(msg.rstrip("\n") + "\n")
            err.flush()
    except Exception:
        pass


def _now_ms():
    return int(_time() * 1000)


def _env(*names, default=None):
    for name in names:
        v = os.environ.get(name)
        if v:
            return v
    return default


def _retry_seconds():
    raw = os.environ.get("LOOPLINE_RETRY_SECONDS")
    if raw:
        try:
            v = float(raw)
            if v >= 0:
                return v
        except ValueError:
            pass
    return 5.0


def _forced_offline():
    return os.environ.get("LOOPLINE_OFFLINE", "").strip().lower() in ("1", "true", "yes")


def _tracking_uri():
    if _forced_offline():
        return None
    uri = os.environ.get("LOOPLINE_TRACKING_URI", "").strip()
    if uri:
        return uri
    uri = os.environ.get("MLFLOW_TRACKING_URI", "").strip()
    if uri.lower().startswith(("http://", "https://")):
        return uri
    return None


def _server_file_candidates():
    """Where a workspace's server.json may be: beside LOOPLINE_STORE, else in .loopline/ of
    the current folder, the script's folder, or any of their parents."""
    store = os.environ.get("LOOPLINE_STORE", "").strip()
    if store:
        return [os.path.join(os.path.dirname(os.path.abspath(store)), "server.json")]
    starts = [os.getcwd()]
    if sys.argv and sys.argv[0] and os.path.isfile(sys.argv[0]):
        starts.append(os.path.dirname(os.path.abspath(sys.argv[0])))
    out = []
    for start in starts:
        d = start
        while True:
            f = os.path.join(d, ".loopline", "server.json")
            if f not in out:
                out.append(f)
            parent = os.path.dirname(d)
            if parent == d:
                break
            d = parent
    return out


def _advertised_server():
    """(url, token, store folder) of a live Loopline server advertised for this workspace."""
    for path in _server_file_candidates():
        try:
            st = os.stat(path)
        except OSError:
            continue
        # It holds a token and decides where our data goes: only trust a file that is ours alone.
        if hasattr(os, "getuid") and (st.st_uid != os.getuid() or st.st_mode & 0o077):
            _warn("loopline: ignoring %s: it must belong to you and be readable only by you (chmod 600 %s)" % (path, path),
                  once_key="server-file-mode")
            continue
        try:
            with open(path, "r", encoding="utf-8") as f:
                adv = json.load(f)
            url, token, pid = adv["url"], adv["token"], int(adv["pid"])
        except Exception:
            continue
        host = urlparse(url).hostname if isinstance(url, str) else None
        if host not in ("127.0.0.1", "localhost", "::1") or not isinstance(token, str):
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue  # a server that died without removing its file
        except (PermissionError, OSError):
            pass
        try:
            p = urlparse(url)
            conn = http.client.HTTPConnection(p.hostname, p.port, timeout=1.0)
            conn.request("GET", "/health", headers={"User-Agent": _USER_AGENT})
            ok = conn.getresponse().status == 200
            conn.close()
        except Exception:
            ok = False
        if ok:
            return url, token, os.path.dirname(path), path
    return None


def _display_uri(uri):
    """The URI without any user:password part, for messages."""
    try:
        p = urlparse(uri)
        if p.username or p.password:
            host = p.hostname or ""
            if p.port:
                host += ":%d" % p.port
            return p._replace(netloc=host).geturl()
    except Exception:
        pass
    return uri


def _spool_dir():
    d = os.environ.get("LOOPLINE_SPOOL_DIR")
    if not d:
        d = os.path.join(os.getcwd(), ".loopline", "spool")
    return os.path.abspath(d)


def _make_dirs_ignored(path):
    """makedirs; a ``.loopline`` folder it creates gets a ``.gitignore`` of ``*`` (as the store does)."""
    parts = os.path.abspath(path).split(os.sep)
    if ".loopline" in parts:
        top = os.sep.join(parts[: len(parts) - parts[::-1].index(".loopline")]) or os.sep
        if not os.path.isdir(top):
            os.makedirs(top, exist_ok=True)
            try:
                with open(os.path.join(top, ".gitignore"), "x") as f:
                    f.write("# Created by Loopline: the store is local to this machine.\n*\n")
            except OSError:
                pass
    os.makedirs(path, exist_ok=True)


def _clean_artifact_path(path):
    """Normalise a relative artifact path: forward slashes, no leading slash, no '..'."""
    if path is None:
        return ""
    parts = []
    for part in str(path).replace("\\", "/").split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            raise ValueError("artifact path must not contain '..': %r" % (path,))
        parts.append(part)
    return "/".join(parts)


def _json_line(obj):
    return (json.dumps(obj, allow_nan=False, separators=(",", ":")) + "\n").encode("utf-8")


def _metric_dicts(items):
    """(key, value, timestamp_ms, step) tuples -> REST metric objects.

    Non-finite values become the strings "NaN", "Infinity", "-Infinity"."""
    out = []
    append = out.append
    for k, v, ts, s in items:
        if v - v != 0.0:  # NaN or +-inf
            v = "NaN" if v != v else ("Infinity" if v > 0 else "-Infinity")
        if k.__class__ is not str:
            k = str(k)
        if s.__class__ is not int:
            s = int(s)
        if ts.__class__ is not int:
            ts = int(ts)
        append({"key": k, "value": v, "timestamp": ts, "step": s})
    return out


# --------------------------------------------------------------------------- errors


class TransientError(Exception):
    """The server could not be reached (connection error, timeout, HTTP 5xx/429)."""


class PermanentError(Exception):
    """The server rejected the request (HTTP 4xx). Retrying will not help."""

    def __init__(self, status, error_code, message):
        Exception.__init__(self, "HTTP %s %s: %s" % (status, error_code, message))
        self.status = status
        self.error_code = error_code
        self.message = message


# --------------------------------------------------------------------------- transports


class Transport(object):
    """Where run data goes. Implementations: HttpTransport, SpoolTransport.

    All methods may raise TransientError (try again later / spool) or
    PermanentError (the data was rejected; drop it). Item lists use the REST
    shapes: metrics [{"key","value","timestamp","step"}], params/tags
    [{"key","value"}]."""

    name = "transport"

    def create_run(self, experiment_id, run_name, start_time, tags):
        """Create a run; return its info dict (run_id, experiment_id, artifact_uri)."""
        raise NotImplementedError

    def update_run(self, run_id, status, end_time):
        raise NotImplementedError

    def send_batch(self, run_id, metrics, params, tags):
        raise NotImplementedError

    def upload_artifact(self, run_id, local_path, artifact_path):
        """Store the local file ``local_path`` as ``artifact_path`` (relative, '/'-separated)."""
        raise NotImplementedError

    def close(self, run_id=None):
        pass


class HttpTransport(Transport):
    """MLflow REST over one keep-alive http.client connection per thread."""

    name = "http"

    def __init__(self, uri, token=None, retry_seconds=5.0, timeout=None):
        p = urlparse(uri)
        if p.scheme not in ("http", "https") or not p.hostname:
            raise ValueError("tracking URI must be http(s)://host[:port][/prefix], got %r" % (_display_uri(uri),))
        self.uri = uri.rstrip("/")
        self.display_uri = _display_uri(self.uri)
        self._https = p.scheme == "https"
        self._host = p.hostname
        self._port = p.port
        self._prefix = p.path.rstrip("/")
        self._headers = {"User-Agent": _USER_AGENT, "Accept": "application/json"}
        if token:
            self._headers["Authorization"] = "Bearer " + token
        elif p.username is not None:
            import base64

            cred = "%s:%s" % (unquote(p.username or ""), unquote(p.password or ""))
            self._headers["Authorization"] = "Basic " + base64.b64encode(cred.encode("utf-8")).decode("ascii")
        self.retry_seconds = float(retry_seconds)
        if timeout is None:
            timeout = min(30.0, max(2.0, self.retry_seconds))
        self.timeout = float(timeout)
        self.down = False  # set after a request failed for the whole retry budget
        self._local = threading.local()
        self._artifact_roots = {}
        self._roots_lock = threading.Lock()

    # -- connection handling
    def _conn(self):
        c = getattr(self._local, "conn", None)
        if c is None:
            if self._https:
                c = http.client.HTTPSConnection(self._host, self._port, timeout=self.timeout, blocksize=65536)
            else:
                c = http.client.HTTPConnection(self._host, self._port, timeout=self.timeout, blocksize=65536)
            self._local.conn = c
            self._local.used = False
        return c

    def _drop_conn(self):
        c = getattr(self._local, "conn", None)
        self._local.conn = None
        if c is not None:
            try:
                c.close()
            except Exception:
                pass

    def reset_after_fork(self):
        self._local = threading.local()
        self._roots_lock = threading.Lock()

    def close(self, run_id=None):
        self._drop_conn()

    def request(self, method, path, body=None, headers=None, body_file=None):
        """Send one request with retries; return the decoded JSON response (or {}).

        Transient failures are retried with backoff for ``retry_seconds``; once that
        budget ran out the transport is marked ``down`` and later requests make a
        single quick attempt each until one succeeds."""
        hdrs = dict(self._headers)
        if headers:
            hdrs.update(headers)
        url = self._prefix + path
        quick = self.down
        deadline = _monotonic() + self.retry_seconds
        delay = 0.1
        stale_retry = True
        while True:
            conn = self._conn()
            reused = getattr(self._local, "used", False)
            try:
                if body_file is not None:
                    body_file.seek(0)
                    conn.request(method, url, body=body_file, headers=hdrs)
                else:
                    conn.request(method, url, body=body, headers=hdrs)
                resp = conn.getresponse()
                data = resp.read()
                status = resp.status
                self._local.used = True
                if resp.will_close:
                    self._drop_conn()
            except (OSError, http.client.HTTPException) as e:
                self._drop_conn()
                if reused and stale_retry and isinstance(e, _STALE_ERRORS):
                    # A kept-alive connection the server (or a restarted server) closed.
                    stale_retry = False
                    continue
                err = "%s: %s" % (type(e).__name__, e)
            else:
                if 200 <= status < 300:
                    self.down = False
                    if not data:
                        return {}
                    try:
                        return json.loads(data.decode("utf-8"))
                    except ValueError:
                        return {}
                code, message = "HTTP_%d" % status, ""
                try:
                    j = json.loads(data.decode("utf-8"))
                    code = j.get("error_code") or code
                    message = j.get("message") or ""
                except Exception:
                    message = data[:200].decode("utf-8", "replace")
                if status == 429 or status >= 500:
                    err = "HTTP %d %s %s" % (status, code, message)
                else:
                    self.down = False
                    raise PermanentError(status, code, message)
            if quick:
                raise TransientError(err)
            if _monotonic() + delay > deadline:
                self.down = True
                raise TransientError(err)
            time.sleep(delay)
            delay = min(delay * 2, 1.0)

    def _post(self, endpoint, obj):
        body = json.dumps(obj, allow_nan=False, separators=(",", ":")).encode("utf-8")
        return self.request("POST", _API + endpoint, body=body, headers={"Content-Type": "application/json"})

    # -- Transport API
    def create_run(self, experiment_id, run_name, start_time, tags):
        body = {"experiment_id": str(experiment_id), "start_time": int(start_time), "tags": list(tags)}
        if run_name:
            body["run_name"] = run_name
        resp = self._post("runs/create", body)
        info = dict(((resp.get("run") or {}).get("info")) or {})
        run_id = info.get("run_id") or info.get("run_uuid")
        if not run_id:
            raise PermanentError(200, "BAD_RESPONSE", "runs/create returned no run_id")
        info["run_id"] = run_id
        if info.get("artifact_uri"):
            with self._roots_lock:
                self._artifact_roots[run_id] = info["artifact_uri"]
        return info

    def get_run(self, run_id):
        resp = self.request("GET", _API + "runs/get?run_id=" + quote(run_id, safe=""))
        return resp.get("run") or {}

    def update_run(self, run_id, status, end_time):
        self._post("runs/update", {"run_id": run_id, "status": status, "end_time": int(end_time)})

    def send_batch(self, run_id, metrics, params, tags):
        self._post("runs/log-batch", {"run_id": run_id, "metrics": metrics, "params": params, "tags": tags})

    def _artifact_uri(self, run_id):
        with self._roots_lock:
            uri = self._artifact_roots.get(run_id)
        if uri is None:
            info = self.get_run(run_id).get("info") or {}
            uri = info.get("artifact_uri")
            if not uri:
                raise PermanentError(200, "BAD_RESPONSE", "runs/get returned no artifact_uri for run " + run_id)
            with self._roots_lock:
                self._artifact_roots[run_id] = uri
        return uri

    def upload_artifact(self, run_id, local_path, artifact_path):
        root = self._artifact_uri(run_id)
        p = urlparse(root)
        if p.scheme == "mlflow-artifacts":
            rel = p.path.strip("/")
            url = _ARTIFACT_API + quote(rel + "/" + artifact_path, safe="/")
            size = os.path.getsize(local_path)
            headers = {"Content-Type": "application/octet-stream", "Content-Length": str(size)}
            with open(local_path, "rb") as f:
                if size <= _SMALL_FILE:  # one send() with the headers; big files are streamed
                    self.request("PUT", url, body=f.read(), headers=headers)
                else:
                    self.request("PUT", url, body_file=f, headers=headers)
            return
        if p.scheme == "file" or (not p.scheme and os.path.isabs(root)):
            # Server writes artifacts to a local folder (e.g. mlflow server --no-serve-artifacts).
            base = unquote(p.path) if p.scheme == "file" else root
            dest = os.path.join(base, *artifact_path.split("/"))
            try:
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                shutil.copyfile(local_path, dest)
            except OSError as e:
                raise PermanentError(0, "LOCAL_COPY_FAILED", "could not copy to %s: %s" % (dest, e))
            return
        raise PermanentError(0, "UNSUPPORTED_ARTIFACT_STORE", "cannot upload to artifact store %s" % (root,))


class SpoolTransport(Transport):
    """Appends operations as JSON lines to ``<spool_dir>/<run_id>-<pid>.jsonl``.

    Each line is written with one os.write on an O_APPEND descriptor, so a crash
    leaves only whole lines (at most a trailing partial line). Artifact files are
    copied into ``<run_id>-<pid>.artifacts/`` next to the spool file, so later
    changes to the original file do not affect what gets imported."""

    name = "spool"

    def __init__(self, spool_dir=None):
        self.spool_dir = os.path.abspath(spool_dir or _spool_dir())
        self._lock = threading.Lock()
        self._fds = {}

    def reset_after_fork(self):
        self._lock = threading.Lock()
        self._fds = {}  # parent's descriptors are still open; new writes go to a new per-pid file

    def path(self, run_id):
        return os.path.join(self.spool_dir, "%s-%d.jsonl" % (run_id, os.getpid()))

    def write(self, run_id, obj):
        line = _json_line(obj)
        with self._lock:
            key = (run_id, os.getpid())
            fd = self._fds.get(key)
            if fd is None:
                _make_dirs_ignored(self.spool_dir)
                fd = os.open(self.path(run_id), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                self._fds[key] = fd
            view = memoryview(line)
            while view:
                n = os.write(fd, view)
                view = view[n:]

    def close(self, run_id=None):
        with self._lock:
            for key in list(self._fds):
                if run_id is None or key[0] == run_id:
                    try:
                        os.close(self._fds.pop(key))
                    except OSError:
                        pass

    def create_run(self, experiment_id, run_name, start_time, tags, run_id=None):
        run_id = run_id or uuid.uuid4().hex
        obj = {
            "v": SPOOL_FORMAT_VERSION,
            "op": "create-run",
            "run_id": run_id,
            "experiment_id": str(experiment_id),
            "start_time": int(start_time),
            "tags": list(tags),
        }
        if run_name:
            obj["run_name"] = run_name
        self.write(run_id, obj)
        return {"run_id": run_id, "experiment_id": str(experiment_id), "artifact_uri": None}

    def update_run(self, run_id, status, end_time):
        self.write(
            run_id,
            {"v": SPOOL_FORMAT_VERSION, "op": "update-run", "run_id": run_id, "status": status, "end_time": int(end_time)},
        )

    def send_batch(self, run_id, metrics, params, tags):
        self.write(
            run_id,
            {
                "v": SPOOL_FORMAT_VERSION,
                "op": "log-batch",
                "run_id": run_id,
                "metrics": metrics,
                "params": params,
                "tags": tags,
            },
        )

    def upload_artifact(self, run_id, local_path, artifact_path):
        source = os.path.abspath(local_path)
        copy_dir = os.path.join(self.spool_dir, "%s-%d.artifacts" % (run_id, os.getpid()))
        dest = os.path.join(copy_dir, *artifact_path.split("/"))
        try:
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copyfile(source, dest)
            source = dest
        except OSError:
            pass  # fall back to referencing the original file
        self.write(
            run_id,
            {"v": SPOOL_FORMAT_VERSION, "op": "artifact", "run_id": run_id, "path": artifact_path, "source": source},
        )


# --------------------------------------------------------------------------- run


def _default_tags(name):
    tags = {"mlflow.source.type": "LOCAL"}
    try:
        tags["mlflow.user"] = getpass.getuser()
    except Exception:
        pass
    main = sys.modules.get("__main__")
    src = getattr(main, "__file__", None) or (sys.argv[0] if sys.argv and sys.argv[0] else None)
    if src:
        tags["mlflow.source.name"] = os.path.abspath(src)
    if name:
        tags["mlflow.runName"] = name
    return tags


class Run(object):
    """An active run. Use ``loopline.start_run()`` to get one.

    log_* calls only buffer; a daemon thread delivers. Thread-safe."""

    def __init__(self, run_id, experiment_id, http, spool, owns_run, info=None, offline=False):
        self.run_id = run_id
        self.experiment_id = experiment_id
        self.info = info or {"run_id": run_id, "experiment_id": experiment_id}
        self.owns_run = owns_run  # False when attached to a run the launcher created
        self.offline = offline or http is None
        self._http = None if self.offline else http
        self._spool = spool
        self._unreachable_warned = False
        self._rejected = 0
        self._rejections_seen = set()
        self._spool_failures = 0
        self._ended = False
        self._init_state()
        self._start_sender()

    # -- internal state
    def _init_state(self):
        self._lock = threading.Lock()
        self._metrics = []
        self._pparams = {}  # params waiting to be sent
        self._ptags = {}  # tags waiting to be sent
        self._logged_params = getattr(self, "_logged_params", {})
        self._steps = getattr(self, "_steps", {})
        self._waiters = []
        self._wake = threading.Event()
        self._stopping = False
        self._closed = self._ended
        self._thread = None

    def _start_sender(self):
        t = threading.Thread(target=self._sender_loop, name="loopline-sender-" + self.run_id[:8], daemon=True)
        self._thread = t
        t.start()

    def _after_fork_in_child(self):
        # The child gets a copy of the buffer that the parent will send: drop it, and
        # never end the parent's run from the child.
        self.owns_run = False
        self._init_state()
        if self._http is not None:
            self._http.reset_after_fork()
        self._spool.reset_after_fork()
        if not self._ended:
            self._start_sender()

    @property
    def artifact_uri(self):
        return self.info.get("artifact_uri")

    @property
    def spool_path(self):
        return self._spool.path(self.run_id)

    def __repr__(self):
        return "<loopline.Run %s%s>" % (self.run_id, " offline" if self.offline else "")

    # -- logging API (hot path: no I/O, no JSON)
    def log_metric(self, key, value, step=None, timestamp=None):
        """Queue one metric point. ``step`` defaults to the key's previous step + 1
        (starting at 0); ``timestamp`` (ms since epoch) defaults to now."""
        try:
            value = float(value)
        except (TypeError, ValueError):
            _warn("loopline: metric %r: value %r is not a number; ignored" % (key, value), ("nan-value", key))
            return
        if timestamp is None:
            timestamp = int(_time() * 1000)
        with self._lock:
            if self._closed:
                self._closed_warning()
                return
            if step is None:
                step = self._steps.get(key, 0)
            self._steps[key] = step + 1
            buf = self._metrics
            buf.append((key, value, timestamp, step))
            if len(buf) >= _BATCH and not self._wake.is_set():
                self._wake.set()

    def log_metrics(self, metrics, step=None, timestamp=None):
        """Queue several metrics (dict key -> number) sharing one step/timestamp."""
        items = []
        for key, value in metrics.items():
            try:
                items.append((key, float(value)))
            except (TypeError, ValueError):
                _warn("loopline: metric %r: value %r is not a number; ignored" % (key, value), ("nan-value", key))
        if timestamp is None:
            timestamp = int(_time() * 1000)
        with self._lock:
            if self._closed:
                self._closed_warning()
                return
            steps = self._steps
            buf = self._metrics
            for key, value in items:
                s = steps.get(key, 0) if step is None else step
                steps[key] = s + 1
                buf.append((key, value, timestamp, s))
            if len(buf) >= _BATCH and not self._wake.is_set():
                self._wake.set()

    def log_param(self, key, value):
        self.log_params({key: value})

    def log_params(self, params):
        """Queue params (values are sent as str(value)). Params are immutable: logging
        a key again with a different value prints a warning and keeps the first value."""
        if not params:
            return
        items = [(str(k), str(v)) for k, v in params.items()]
        conflicts = []
        with self._lock:
            if self._closed:
                self._closed_warning()
                return
            logged = self._logged_params
            for k, v in items:
                old = logged.get(k)
                if old is None:
                    logged[k] = v
                    self._pparams[k] = v
                elif old != v:
                    conflicts.append((k, old, v))
            if self._pparams:
                self._wake.set()
        for k, old, v in conflicts:
            _warn("loopline: param %r already logged as %r; ignoring new value %r (params are immutable)" % (k, old, v))

    def set_tag(self, key, value):
        self.set_tags({key: value})

    def set_tags(self, tags):
        if not tags:
            return
        items = [(str(k), str(v)) for k, v in tags.items()]
        with self._lock:
            if self._closed:
                self._closed_warning()
                return
            for k, v in items:
                self._ptags[k] = v
            self._wake.set()

    def log_artifact(self, local_path, artifact_path=None):
        """Upload one local file as ``<artifact_path>/<basename>`` (synchronously).

        Raises FileNotFoundError if the file does not exist; server trouble is
        handled like for metrics (spooled, never raised)."""
        local_path = os.fspath(local_path)
        if not os.path.isfile(local_path):
            raise FileNotFoundError("loopline.log_artifact: no such file: %s" % (local_path,))
        if self._ended:
            self._closed_warning()
            return
        prefix = _clean_artifact_path(artifact_path)
        name = os.path.basename(local_path)
        rel = prefix + "/" + name if prefix else name
        self._dispatch("upload_artifact", "upload artifact " + rel, local_path, rel)

    def log_artifacts(self, local_dir, artifact_path=None):
        """Upload every file under ``local_dir`` below ``artifact_path``."""
        local_dir = os.fspath(local_dir)
        if not os.path.isdir(local_dir):
            raise FileNotFoundError("loopline.log_artifacts: no such directory: %s" % (local_dir,))
        prefix = _clean_artifact_path(artifact_path)
        for root, dirs, files in os.walk(local_dir):
            dirs.sort()
            rel_dir = os.path.relpath(root, local_dir)
            rel_dir = "" if rel_dir == "." else rel_dir.replace(os.sep, "/")
            sub = "/".join(p for p in (prefix, rel_dir) if p)
            for fname in sorted(files):
                self.log_artifact(os.path.join(root, fname), sub or None)

    def _closed_warning(self):
        if not getattr(self, "_closed_warned", False):
            self._closed_warned = True
            _warn("loopline: run %s has ended; further logging is ignored" % self.run_id)

    # -- delivery
    def _on_unreachable(self, err):
        if self._unreachable_warned:
            return
        self._unreachable_warned = True
        path = self.spool_path
        _warn(
            "loopline: tracking server unreachable at %s (%s); spooling to %s; "
            "import later with: loopline import-spool %s"
            % (getattr(self._http, "display_uri", self._http.name), err, path, path)
        )

    def _dispatch(self, op, what, *args, **kw):
        """Run transport operation ``op`` live, falling back to the spool file.

        With ``live=False`` it goes straight to the spool (the server just failed)."""
        http = self._http if kw.get("live", True) else None
        if http is not None:
            try:
                getattr(http, op)(self.run_id, *args)
                return True
            except PermanentError as e:
                self._on_rejected(what, e)
                return False
            except TransientError as e:
                self._on_unreachable(e)
                self._unreachable_now = True
            except Exception as e:  # unexpected (bug or odd response): keep the data
                _warn("loopline: error during %s for run %s (%s: %s); spooling" % (what, self.run_id, type(e).__name__, e))
        try:
            getattr(self._spool, op)(self.run_id, *args)
            return True
        except Exception as e:
            self._spool_failures += 1
            if self._spool_failures == 1:
                _warn("loopline: could not write spool file %s (%s); %s dropped" % (self.spool_path, e, what))
            return False

    def _on_rejected(self, what, e):
        # Each distinct rejection is printed once; repeats are counted and summarised at end().
        self._rejected += 1
        key = (e.error_code, e.message)
        if key in self._rejections_seen:
            return
        self._rejections_seen.add(key)
        _warn("loopline: server rejected %s for run %s: %s %s" % (what, self.run_id, e.error_code, e.message))

    def _send(self, metrics, params, tags):
        # Params and tags travel in their own requests, so a rejected param (e.g. a
        # changed value) can never take 1000 metric points down with it.
        # Once the server failed in this call, the rest goes straight to the spool: waiting out
        # a timeout per 1000 points would outlast the exit flush and lose what is still held.
        self._unreachable_now = False
        plist = [{"key": k, "value": v} for k, v in params.items()]
        tlist = [{"key": k, "value": v} for k, v in tags.items()]
        while plist or tlist:
            p, plist = plist[:MAX_PARAMS_PER_BATCH], plist[MAX_PARAMS_PER_BATCH:]
            t, tlist = tlist[:MAX_TAGS_PER_BATCH], tlist[MAX_TAGS_PER_BATCH:]
            self._dispatch("send_batch", "log-batch (%d params, %d tags)" % (len(p), len(t)), [], p, t, live=not self._unreachable_now)
        for i in range(0, len(metrics), _BATCH):
            chunk = _metric_dicts(metrics[i : i + _BATCH])
            self._dispatch("send_batch", "log-batch (%d metrics)" % len(chunk), chunk, [], [], live=not self._unreachable_now)

    def _take(self):
        with self._lock:
            metrics, self._metrics = self._metrics, []
            params, self._pparams = self._pparams, {}
            tags, self._ptags = self._ptags, {}
            waiters, self._waiters = self._waiters, []
            stop = self._stopping
        return metrics, params, tags, waiters, stop

    def _sender_loop(self):
        wake = self._wake
        while True:
            wake.wait(FLUSH_INTERVAL)
            wake.clear()
            metrics, params, tags, waiters, stop = self._take()
            if metrics or params or tags:
                try:
                    self._send(metrics, params, tags)
                except Exception as e:
                    _warn("loopline: internal error while sending (%s: %s)" % (type(e).__name__, e))
            for w in waiters:
                w.set()
            if stop:
                break
        if self._http is not None:
            self._http.close()

    def flush(self, timeout=None):
        """Block until everything logged before this call was delivered or spooled.

        Returns True on success, False if ``timeout`` seconds passed first."""
        t = self._thread
        if t is None or not t.is_alive():
            # No sender (e.g. it was stopped): deliver from the calling thread.
            metrics, params, tags, waiters, _ = self._take()
            if metrics or params or tags:
                self._send(metrics, params, tags)
            for w in waiters:
                w.set()
            return True
        ev = threading.Event()
        with self._lock:
            self._waiters.append(ev)
        self._wake.set()
        return ev.wait(timeout)

    def _stop_sender(self, timeout):
        t = self._thread
        with self._lock:
            self._closed = True
            self._stopping = True
        self._wake.set()
        if t is not None and t is not threading.current_thread():
            t.join(timeout)
            if t.is_alive():
                # The sender is stuck (e.g. a hung server); spool what is still queued.
                metrics, params, tags, waiters, _ = self._take()
                if metrics or params or tags:
                    if self._http is not None:
                        self._on_unreachable("no answer within %.0f s" % timeout)
                    http, self._http = self._http, None
                    try:
                        self._send(metrics, params, tags)
                    finally:
                        self._http = http
                for w in waiters:
                    w.set()

    def end(self, status="FINISHED"):
        """Flush, stop the sender and (if this client created the run) set its status."""
        with self._lock:
            if self._ended:
                return
            self._ended = True
        retry = getattr(self._http, "retry_seconds", 5.0) + getattr(self._http, "timeout", 10.0)
        self._stop_sender(timeout=max(30.0, 4 * retry))
        if self.owns_run:
            self._dispatch("update_run", "update-run " + status, status, _now_ms())
        if self._rejected > len(self._rejections_seen):
            _warn("loopline: the server rejected %d requests for run %s in total (data in them was dropped)"
                  % (self._rejected, self.run_id))
        if self._http is not None:
            self._http.close()
        self._spool.close(self.run_id)
        _forget_run(self)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.end(_status_for(exc_type, exc))
        return False


def _status_for(exc_type, exc=None):
    if exc_type is None:
        return "FINISHED"
    if issubclass(exc_type, KeyboardInterrupt):
        return "KILLED"
    if issubclass(exc_type, SystemExit):
        code = getattr(exc, "code", None)
        return "FINISHED" if code in (None, 0) else "FAILED"
    return "FAILED"


# --------------------------------------------------------------------------- module API

_runs_lock = threading.RLock()
_active_runs = []  # runs started in this process and not ended yet (last = current)
_hooks_installed = False
_uncaught_exc_type = None


_params_cache = (None, {})


def _launcher_params():
    global _params_cache
    raw = os.environ.get("LOOPLINE_PARAMS")
    if not raw:
        return {}
    if _params_cache[0] == raw:
        return dict(_params_cache[1])
    result = {}
    try:
        obj = json.loads(raw)
    except ValueError:
        _warn("loopline: LOOPLINE_PARAMS is not valid JSON; ignored")
        obj = {}
    if not isinstance(obj, dict):
        _warn("loopline: LOOPLINE_PARAMS is not a JSON object; ignored")
        obj = {}
    for k, v in obj.items():
        result[str(k)] = v if isinstance(v, str) else json.dumps(v)
    _params_cache = (raw, result)
    return dict(result)


def params():
    """Params passed by the launcher (``loopline run --param k=v``) through the
    LOOPLINE_PARAMS environment variable, as a dict of strings ({} if unset)."""
    return _launcher_params()


def start_run(params=None, name=None, experiment=None, tags=None, run_id=None, transport=None):
    """Start (or attach to) a run and return a ``Run`` (usable as a context manager).

    params:     dict of params to log at start (in addition to LOOPLINE_PARAMS)
    name:       run name for a new run (ignored when attaching to the launcher's run)
    experiment: experiment id for a new run (default LOOPLINE_EXPERIMENT_ID or "0")
    tags:       dict of tags to set
    run_id:     attach to this existing run (default LOOPLINE_RUN_ID / MLFLOW_RUN_ID);
                an attached run is flushed but never ended by the client
    transport:  a Transport to use instead of HTTP to LOOPLINE_TRACKING_URI
    """
    _install_hooks()
    uri = _tracking_uri()
    token = _env("LOOPLINE_TRACKING_TOKEN", "MLFLOW_TRACKING_TOKEN")
    spool_dir = _spool_dir()
    if transport is None and uri is None and not _forced_offline():
        adv = _advertised_server()
        if adv:
            uri, token, store_dir, path = adv
            if not os.environ.get("LOOPLINE_SPOOL_DIR"):
                spool_dir = os.path.join(store_dir, "spool")
            _warn("loopline: logging live to the Loopline tracking server at %s (found in %s)" % (uri, path))
    spool = SpoolTransport(spool_dir)
    offline_reason = None
    if transport is None and uri:
        try:
            transport = HttpTransport(uri, token, _retry_seconds())
        except ValueError as e:
            offline_reason = str(e)
    if run_id is None:
        run_id = _env("LOOPLINE_RUN_ID", "MLFLOW_RUN_ID")
    experiment_id = str(experiment if experiment is not None else _env("LOOPLINE_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_ID", default="0"))

    if transport is None and offline_reason is None:
        if _forced_offline():
            offline_reason = "offline mode (LOOPLINE_OFFLINE is set)"
        else:
            offline_reason = ("no tracking server configured (set LOOPLINE_TRACKING_URI, or start one for this workspace: "
                              "loopline serve, or Loopline: Start Tracking Server in VS Code)")
    owns = run_id is None
    info = None
    if owns:
        tag_map = _default_tags(name)
        if tags:
            tag_map.update((str(k), str(v)) for k, v in tags.items())
        tag_list = [{"key": k, "value": v} for k, v in tag_map.items()]
        start_time = _now_ms()
        if transport is not None:
            try:
                info = transport.create_run(experiment_id, name, start_time, tag_list)
            except TransientError as e:
                offline_reason = "tracking server unreachable at %s (%s)" % (getattr(transport, "display_uri", transport.name), e)
            except PermanentError as e:
                offline_reason = "server at %s rejected runs/create (%s %s)" % (
                    getattr(transport, "display_uri", transport.name), e.error_code, e.message)
            except Exception as e:
                offline_reason = "runs/create failed (%s: %s)" % (type(e).__name__, e)
        if info is None:
            try:
                info = spool.create_run(experiment_id, name, start_time, tag_list)
            except Exception as e:  # unwritable spool folder: keep training, lose the data
                info = {"run_id": uuid.uuid4().hex, "experiment_id": experiment_id, "artifact_uri": None}
                offline_reason += "; cannot write spool file (%s: %s)" % (type(e).__name__, e)
        run_id = info["run_id"]
        experiment_id = str(info.get("experiment_id") or experiment_id)
        tags = None  # already sent with create
    else:
        info = {"run_id": run_id, "experiment_id": experiment_id}

    offline = offline_reason is not None
    run = Run(run_id, experiment_id, None if offline else transport, spool, owns, info=info, offline=offline)
    # LOOPLINE_SPOOL_TAILED: a launcher imports the spool live (a container with no network).
    if offline and not os.environ.get("LOOPLINE_SPOOL_TAILED"):
        path = spool.path(run_id)
        _warn("loopline: %s; logging run %s offline to %s; import later with: loopline import-spool %s"
              % (offline_reason, run_id, path, path))
    with _runs_lock:
        _active_runs.append(run)
    run.log_params(_launcher_params())
    if params:
        run.log_params(params)
    if tags:
        run.set_tags(tags)
    return run


def active_run():
    """The most recently started run that has not ended, or None."""
    with _runs_lock:
        return _active_runs[-1] if _active_runs else None


def _forget_run(run):
    with _runs_lock:
        try:
            _active_runs.remove(run)
        except ValueError:
            pass


def _current():
    run = active_run()
    if run is None:
        with _runs_lock:  # two threads logging at once must not start two runs
            run = active_run()
            if run is None:
                run = start_run()
    return run


def log_metric(key, value, step=None, timestamp=None):
    _current().log_metric(key, value, step, timestamp)


def log_metrics(metrics, step=None, timestamp=None):
    _current().log_metrics(metrics, step, timestamp)


def log_param(key, value):
    _current().log_param(key, value)


def log_params(params):
    _current().log_params(params)


def set_tag(key, value):
    _current().set_tag(key, value)


def set_tags(tags):
    _current().set_tags(tags)


def log_artifact(local_path, artifact_path=None):
    _current().log_artifact(local_path, artifact_path)


def log_artifacts(local_dir, artifact_path=None):
    _current().log_artifacts(local_dir, artifact_path)


def flush(timeout=None):
    """Flush every active run."""
    with _runs_lock:
        runs = list(_active_runs)
    ok = True
    for run in runs:
        ok = run.flush(timeout) and ok
    return ok


def end_run(status="FINISHED"):
    """End the current run (see Run.end)."""
    run = active_run()
    if run is not None:
        run.end(status)


# --------------------------------------------------------------------------- process hooks


def _at_exit():
    with _runs_lock:
        runs = list(reversed(_active_runs))
    status = _status_for(_uncaught_exc_type) if _uncaught_exc_type is not None else "FINISHED"
    for run in runs:
        try:
            run.end(status)
        except Exception as e:
            _warn("loopline: error while ending run %s at exit (%s: %s)" % (run.run_id, type(e).__name__, e))


def _excepthook_wrapper(prev):
    def hook(exc_type, exc, tb):
        global _uncaught_exc_type
        _uncaught_exc_type = exc_type
        prev(exc_type, exc, tb)

    return hook


def _after_fork_in_child():
    global _runs_lock, _warn_lock
    _runs_lock = threading.RLock()
    _warn_lock = threading.Lock()
    for run in list(_active_runs):
        try:
            run._after_fork_in_child()
        except Exception:
            pass


def _install_hooks():
    global _hooks_installed
    with _runs_lock:
        if _hooks_installed:
            return
        _hooks_installed = True
    atexit.register(_at_exit)
    sys.excepthook = _excepthook_wrapper(sys.excepthook)
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_after_fork_in_child)
