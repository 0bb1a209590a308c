"""Helpers the Python benchmarks share: the best time of repeated runs, a release moted on a
socket in a temporary directory, and one udsbench run."""
import http.client, json, os, re, socket, subprocess, time

root = os.path.dirname(os.path.abspath(__file__))
repo = os.path.dirname(root)
uds = os.path.join(root, ".build/release/udsbench")
moted = os.path.join(repo, ".build/release-static/moted")
motectl = os.path.join(repo, ".build/release-static/motectl")


def best_of(k, f):
    """The fastest of k runs of f (seconds) and the last run's result."""
    best, out = None, None
    for _ in range(k):
        t = time.perf_counter(); out = f(); took = time.perf_counter() - t
        best = took if best is None else min(best, took)
    return best, out


class Moted:
    """A release moted on DIR/mote.sock (state in DIR/state), stopped on exit of a with block."""

    def __init__(self, d):
        self.sock = f"{d}/mote.sock"
        self.process = subprocess.Popen([moted, "--state-dir", f"{d}/state", "--socket", self.sock, "--log-stderr", "--log-level", "warning"])
        self.env = dict(os.environ, MOTE_SOCKET=self.sock)
        for _ in range(200):
            if os.path.exists(self.sock): break
            time.sleep(0.05)

    def ctl(self, *args):
        return subprocess.run([motectl, *args], env=self.env, check=True, capture_output=True, text=True).stdout

    def uds(self, path, body, requests, warmup):
        """One udsbench run (POST body); its summary line and p50, p99 in microseconds."""
        out = subprocess.run([uds, self.sock, path, "--method", "POST", "--body", body, "--requests", str(requests), "--warmup", str(warmup)],
                             capture_output=True, text=True, check=True).stdout.strip()
        p50 = re.search(r"p50=([0-9.]+)us", out)
        p99 = re.search(r"p99=([0-9.]+)us", out)
        return out, float(p50.group(1)) if p50 else None, float(p99.group(1)) if p99 else None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.process.terminate(); self.process.wait()


class UDS(http.client.HTTPConnection):
    """An HTTP connection to moted's Unix socket."""

    def __init__(self, path, timeout=600):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def call(conn, method, path, body=None):
    """One JSON call on a kept connection; its parsed answer (exits on an error status)."""
    conn.request(method, path, body=None if body is None else json.dumps(body), headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    data = r.read()
    if r.status >= 300:
        raise SystemExit(f"{method} {path}: {r.status} {data[:300]}")
    return json.loads(data) if data else None
