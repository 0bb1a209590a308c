#!/usr/bin/env python3
"""The champion's latency with a shadow beside it (issue 20), over the socket of a release moted.

Two LightGBM binary models of 100 trees x 31 leaves on make_classification(60000 x 20,
n_informative=10, random_state=11) (seeds 1 and 2), imported as versions 1 (champion) and 2
of one model. Single-row OIP infer, 20 000 keep-alive requests after 2 000 warm-up
(udsbench, one client): without a rollout, then with version 2 as a shadow (it scores every
answered row on its own thread), alternating, three rounds each. Prints p50/p99 of each and
the ratio of the medians of the rounds' p99 (goal: 1.2x at most), and how many rows the
shadow scored and dropped.
usage: make release && (cd bench && swift build -c release) &&
       ORACLE/bin/python bench/rollout_bench.py   (the oracle venv: make oracle-venv)"""
import json, re, statistics, subprocess, tempfile
from benchlib import Moted

d = tempfile.mkdtemp(prefix="mote-rollout-bench-")

from sklearn.datasets import make_classification
import lightgbm as lgb

F = 20
X, y = make_classification(n_samples=60000, n_features=F, n_informative=10, random_state=11)
files = []
for seed in (1, 2):
    b = lgb.train(dict(objective="binary", num_leaves=31, learning_rate=0.1, verbose=-1, num_threads=2, deterministic=True, seed=seed,
                       bagging_fraction=0.8, bagging_freq=1), lgb.Dataset(X[:50000], y[:50000]), num_boost_round=100)
    files.append(f"{d}/v{seed}.txt")
    b.save_model(files[-1])
body = f"{d}/row.json"
json.dump({"inputs": [{"name": "x", "shape": [1, F], "datatype": "FP64", "data": [float(v) for v in X[50000]]}]}, open(body, "w"))

with Moted(d) as daemon:
    daemon.ctl("models", "import", files[0], "--name", "m", "--alias", "champion")
    daemon.ctl("models", "import", files[1], "--name", "m")
    results = {"without": [], "with shadow": []}
    for round_ in (1, 2, 3):
        for label in ("without", "with shadow"):
            if label == "with shadow":
                daemon.ctl("models", "shadow", "m", "2", "--when", "automatic=false")
            out, p50, p99 = daemon.uds("/v2/models/m/infer", body, 20000, 2000)
            results[label].append((p50, p99))
            print(f"round {round_}, {label}: {out}")
            if label == "with shadow":
                daemon.ctl("models", "rollout", "m", "--stop")
    metrics = subprocess.run(["curl", "-s", "--unix-socket", daemon.sock, "http://x/metrics"], capture_output=True, text=True).stdout
    scored = re.search(r"^mote_shadow_scored_rows ([0-9.e+]+)", metrics, re.M)
    dropped = re.search(r"^mote_shadow_dropped_rows ([0-9.e+]+)", metrics, re.M)
    p99_without = statistics.median(p for _, p in results["without"])
    p99_with = statistics.median(p for _, p in results["with shadow"])
    p50_without = statistics.median(p for p, _ in results["without"])
    p50_with = statistics.median(p for p, _ in results["with shadow"])
    print(f"median of rounds: without p50 {p50_without:.1f}us p99 {p99_without:.1f}us; with shadow p50 {p50_with:.1f}us p99 {p99_with:.1f}us; "
          f"p99 ratio {p99_with / p99_without:.2f}x (goal <= 1.2x)")
    print(f"shadow scored {scored.group(1) if scored else '?'} rows, dropped {dropped.group(1) if dropped else '?'}")
