#!/usr/bin/env python3
"""A training job on the box against LightGBM on the same rows: time, memory, holdout AUC.

    bench/training_job.py MOTED [--rows 200000] [--features 28] [--trees 100] [--perf FILE]

Starts MOTED (a release build) on a temporary state directory and pushes a synthetic binary
classification set (scikit-learn's make_classification: ROWS entities, FEATURES float64
fields in one view at one time, each entity's label a second later and a millisecond apart,
so the newest 20 % by time are the last rows). Then, side by side in this run:

  mote      one training job (`gbdt`, TREES trees, 31 leaves, 255 bins, learning rate 0.1,
            min_data_in_leaf 20, 1 thread): the point-in-time dataset build, the fit, the
            holdout scoring and the bundle, as the job's events time them; the daemon's peak
            RSS during the job above its RSS before it (/proc/PID/clear_refs resets the peak).
  lightgbm  Dataset construction + fit with the same settings on the same first 80 % of rows
            (1 thread), in a child process measured the same way (RSS above the RSS with the
            data loaded and the library imported), AUC on the same last 20 %.

Needs numpy, scikit-learn, lightgbm (the oracle venv: make oracle-venv) and root or the
daemon's own user (clear_refs).
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn.datasets import make_classification

T0 = 1_750_000_000


class Client:
    def __init__(self, path):
        self.path = path
        self.sock = None

    def call(self, method, path, body=None):
        for attempt in range(2):
            if self.sock is None:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(self.path)
            payload = b"" if body is None else json.dumps(body).encode()
            head = f"{method} {path} HTTP/1.1\r\nHost: mote\r\nContent-Length: {len(payload)}\r\n"
            if body is not None:
                head += "Content-Type: application/json\r\n"
            try:
                self.sock.sendall(head.encode() + b"\r\n" + payload)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = self.sock.recv(65536)
                    if not chunk:
                        raise ConnectionError("closed")
                    data += chunk
                header, rest = data.split(b"\r\n\r\n", 1)
                lines = header.decode().split("\r\n")
                status = int(lines[0].split()[1])
                length = int(next(l.split(":", 1)[1] for l in lines[1:] if l.lower().startswith("content-length")))
                while len(rest) < length:
                    rest += self.sock.recv(65536)
                return status, json.loads(rest[:length]) if length else None
            except (ConnectionError, BrokenPipeError):
                self.sock.close()
                self.sock = None
                if attempt:
                    raise


def stamp(seconds, millis):
    """RFC 3339 UTC with milliseconds."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def rss_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def lightgbm_child(path, rows, trees):
    """Runs in a child: loads the rows, then Dataset + fit timed and measured, AUC printed."""
    import lightgbm as lgb
    from sklearn.metrics import roc_auc_score
    data = np.load(path)
    X, y = data["X"], data["y"]
    n = int(round(rows * 0.8))
    base = rss_kib(os.getpid(), "VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    start = time.perf_counter()
    ds = lgb.Dataset(X[:n], y[:n], params={"max_bin": 255, "verbose": -1, "num_threads": 1})
    booster = lgb.train({"objective": "binary", "num_leaves": 31, "learning_rate": 0.1, "min_data_in_leaf": 20,
                         "max_bin": 255, "num_threads": 1, "verbose": -1, "deterministic": True},
                        ds, num_boost_round=trees)
    took = time.perf_counter() - start
    peak = rss_kib(os.getpid(), "VmHWM")
    auc = roc_auc_score(y[n:], booster.predict(X[n:]))
    print(json.dumps({"seconds": took, "added_mib": (peak - base) / 1024, "peak_mib": peak / 1024, "auc": auc}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("moted")
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--features", type=int, default=28)
    ap.add_argument("--trees", type=int, default=100)
    ap.add_argument("--perf", help="record a perf profile of the daemon during the job into this file")
    ap.add_argument("--lightgbm-child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.lightgbm_child:
        return lightgbm_child(args.lightgbm_child, args.rows, args.trees)

    X, y = make_classification(n_samples=args.rows, n_features=args.features, n_informative=args.features // 2,
                               random_state=7)
    work = tempfile.mkdtemp(prefix="mote-trainbench-")
    np.savez(work + "/data.npz", X=X, y=y)
    sock_path = os.path.join(work, "mote.sock")
    config = work + "/moted.toml"
    with open(config, "w") as f:
        f.write("[training]\nmemory_budget_mib = 4096\nthreads = 1\n")
    daemon = subprocess.Popen([args.moted, "--config", config, "--state-dir", work + "/state", "--socket", sock_path,
                               "--log-level", "warning"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            if os.path.exists(sock_path):
                break
            time.sleep(0.05)
        c = Client(sock_path)
        names = [f"f{i}" for i in range(args.features)]
        fields = ", ".join(f'{{ name = "{n}", type = "float64" }}' for n in names)
        definitions = f"""
[[entity]]
name = "machine"
join_key = "machine_id"

[[feature_view]]
name = "x"
entity = "machine"
ttl = "0s"
fields = [{fields}]

[[feature_view]]
name = "y"
entity = "machine"
ttl = "0s"
fields = [{{ name = "label", type = "bool" }}]

[[training_spec]]
name = "bench"
model = "bench"
algorithm = "gbdt"
label = "y:label"
features = [{", ".join(f'"x:{n}"' for n in names)}]
holdout = 0.2
params = {{ trees = {args.trees}, num_leaves = 31, learning_rate = 0.1, min_data_in_leaf = 20, max_bins = 255, threads = 1 }}
"""
        status, answer = c.call("POST", "/v1/apply", {"toml": definitions})
        assert status == 200, answer
        start = time.perf_counter()
        for lo in range(0, args.rows, 10_000):
            hi = min(args.rows, lo + 10_000)
            keys = [f"m{i}" for i in range(lo, hi)]
            df = {"machine_id": keys, "event_timestamp": [T0] * len(keys)}
            for j, n in enumerate(names):
                df[n] = X[lo:hi, j].tolist()
            status, answer = c.call("POST", "/v1/push", {"feature_view": "x", "df": df, "to": "offline"})
            assert status == 200, answer
            labels = {"machine_id": keys, "event_timestamp": [stamp(T0 + 1 + i // 1000, i % 1000) for i in range(lo, hi)],
                      "label": [bool(v) for v in y[lo:hi]]}
            status, answer = c.call("POST", "/v1/push", {"feature_view": "y", "df": labels, "to": "offline"})
            assert status == 200, answer
        print(f"pushed {args.rows} rows x {args.features} features and their labels in {time.perf_counter() - start:.1f} s")

        base = rss_kib(daemon.pid, "VmRSS")
        with open(f"/proc/{daemon.pid}/clear_refs", "w") as f:
            f.write("5")
        recorder = None
        if args.perf:
            recorder = subprocess.Popen(["perf", "record", "-F", "999", "-g", "-p", str(daemon.pid), "-o", args.perf],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.5)
        status, answer = c.call("POST", "/v1/training-jobs", {"spec": "bench"})
        assert status == 202, answer
        job = answer["job"]["id"]
        while True:
            status, answer = c.call("GET", f"/v1/training-jobs/{job}")
            if answer["job"]["status"] in ("succeeded", "failed", "cancelled"):
                break
            time.sleep(0.05)
        peak = rss_kib(daemon.pid, "VmHWM")
        if recorder:
            recorder.send_signal(2)
            recorder.wait()
        assert answer["job"]["status"] == "succeeded", answer
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(sock_path)
        sock.sendall(f"GET /v1/training-jobs/{job}/events HTTP/1.1\r\nHost: mote\r\nConnection: close\r\n\r\n".encode())
        raw = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            raw += chunk
        body = raw.split(b"\r\n\r\n", 1)[1]
        lines = [l for l in body.split(b"\n") if l.strip().startswith(b"{")]
        events = [json.loads(l) for l in lines]
        first = {}
        for e in events:
            first.setdefault(e["phase"], e["time"])
        def seconds(text):
            return time.mktime(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")) + float("0" + text[19:].rstrip("Z"))
        phases = [p for p in ("dataset", "fit", "evaluate", "compare", "register", "promote", "succeeded") if p in first]
        job_json = answer["job"]
        total = seconds(job_json["finished_at"]) - seconds(job_json["started_at"])
        breakdown = ", ".join(f"{a} {seconds(first[b]) - seconds(first[a]):.2f} s" for a, b in zip(phases, phases[1:]))
        status, run = c.call("GET", f"/v1/runs/{job_json['run_id']}")
        metrics = run["run"]["metrics"]
        auc = metrics["holdout_auc"]["value"] if isinstance(metrics, dict) else next(m["value"] for m in metrics if m["key"] == "holdout_auc")
        mote = {"seconds": total, "added_mib": (peak - base) / 1024, "peak_mib": peak / 1024, "auc": auc}
    finally:
        daemon.terminate()
        daemon.wait()

    child = subprocess.run([sys.executable, __file__, "x", "--rows", str(args.rows), "--trees", str(args.trees),
                            "--lightgbm-child", work + "/data.npz"], capture_output=True, text=True, check=True)
    lgbm = json.loads(child.stdout.strip().splitlines()[-1])
    shutil.rmtree(work, ignore_errors=True)

    print(f"== training job, {args.rows} rows x {args.features} features, {args.trees} trees, 31 leaves, 1 thread")
    print(f"{'':10} {'seconds':>8} {'added MiB':>10} {'peak MiB':>9} {'holdout AUC':>12}")
    for name, r in (("mote", mote), ("lightgbm", lgbm)):
        print(f"{name:10} {r['seconds']:8.2f} {r['added_mib']:10.0f} {r['peak_mib']:9.0f} {r['auc']:12.4f}")
    print(f"mote job phases: {breakdown}")
    print(f"time ratio {mote['seconds'] / lgbm['seconds']:.2f}x, added memory ratio {mote['added_mib'] / lgbm['added_mib']:.2f}x, "
          f"AUC difference {mote['auc'] - lgbm['auc']:+.4f}")


if __name__ == "__main__":
    main()
