#!/usr/bin/env python3
"""Explanations (issue 20) beside the tools people would otherwise use, one run, same model and rows.

A LightGBM binary model of 100 trees x 31 leaves on make_classification(60000 x 20,
n_informative=10, random_state=11), saved as text and imported into mote.
- Batch, in process: contributions of 10 000 held-out rows, best of 3:
  lightgbm.Booster.predict(pred_contrib=True, num_threads=1); shap.TreeExplainer(booster)
  .shap_values (as data scientists call it; for a LightGBM booster it runs LightGBM's own
  pred_contrib with LightGBM's default threads, both cores here); mote's TreeSHAP on the
  imported bundle with 1 and 2 threads (bench/.build/release/importbench explain; the daemon's
  inference.explain_threads). The largest difference of mote's numbers from
  pred_contrib's and from shap's is printed (exactness, same run).
- Over the socket of a release moted: single-row infer with and without
  "parameters": {"explain": true} (p50/p99 of 20 000 keep-alive requests, udsbench), and a
  1000-row infer with explanations (rows/s).
usage: make release && (cd bench && swift build -c release) &&
       ORACLE/bin/python bench/explain_bench.py   (the oracle venv: make oracle-venv)"""
import json, os, subprocess, tempfile
import numpy as np
from benchlib import Moted, best_of, moted, root, uds

bench_exe = os.path.join(root, ".build/release/importbench")
d = tempfile.mkdtemp(prefix="mote-explain-bench-")

from sklearn.datasets import make_classification
import lightgbm as lgb
import shap

F = 20
X, y = make_classification(n_samples=60000, n_features=F, n_informative=10, random_state=11)
Xtr, ytr, Xte = X[:50000], y[:50000], np.ascontiguousarray(X[50000:])
booster = lgb.train(dict(objective="binary", num_leaves=31, learning_rate=0.1, verbose=-1, num_threads=2, deterministic=True, seed=1),
                    lgb.Dataset(Xtr, ytr), num_boost_round=100)
model_txt = f"{d}/model.txt"
booster.save_model(model_txt)
rows_bin = f"{d}/rows.f64"
Xte.astype("<f8").tofile(rows_bin)
n = len(Xte)
print(f"model: LightGBM {lgb.__version__}, {booster.num_trees()} trees, 31 leaves, {F} features; shap {shap.__version__}; {n} rows, best of 3")


took, contrib = best_of(3, lambda: booster.predict(Xte, pred_contrib=True, num_threads=1))
rate_contrib = n / took
print(f"lightgbm pred_contrib (1 thread): {rate_contrib:,.0f} rows/s")
explainer = shap.TreeExplainer(booster)
took, shap_values = best_of(3, lambda: explainer.shap_values(Xte))
rate_shap = n / took
print(f"shap.TreeExplainer.shap_values (LightGBM's default threads, 2 vCPUs): {rate_shap:,.0f} rows/s")

out_file = f"{d}/mote.f64"
rates = {}
for threads in (1, 2):
    out = subprocess.run([bench_exe, "explain", model_txt, rows_bin, str(F), "3", out_file, str(threads)], capture_output=True, text=True, check=True).stdout.strip()
    print(out)
    rates[threads] = float(out.split(": ")[1].split(" ")[0])
rate_mote = rates[1]
mote = np.fromfile(out_file, dtype="<f8").reshape(n, F + 1)
shap_full = np.concatenate([np.asarray(shap_values).reshape(n, F), np.full((n, 1), float(np.asarray(explainer.expected_value).reshape(-1)[0]))], axis=1)
print(f"exactness: largest |mote - pred_contrib| {np.abs(mote - contrib).max():.2e}, largest |mote - shap| {np.abs(mote - shap_full).max():.2e}")
print(f"ratios, 1 thread each: mote/pred_contrib {rate_mote / rate_contrib:.2f}x; "
      f"mote (2 threads)/shap.TreeExplainer (LightGBM's threads) {rates[2] / rate_shap:.2f}x, mote (1 thread)/shap {rate_mote / rate_shap:.2f}x")

if os.path.exists(moted) and os.path.exists(uds):
    with Moted(d) as daemon:
        daemon.ctl("models", "import", model_txt, "--name", "m", "--alias", "champion")
        bodies = {}
        for label, rows, explain in (("plain", 1, False), ("explain", 1, True), ("explain-1000", 1000, True)):
            body = {"inputs": [{"name": "x", "shape": [rows, F], "datatype": "FP64", "data": [float(v) for v in Xte[:rows].reshape(-1)]}]}
            if explain:
                body["parameters"] = {"explain": True}
            bodies[label] = f"{d}/{label}.json"
            json.dump(body, open(bodies[label], "w"))
        for round_ in (1, 2, 3):
            for label in ("plain", "explain"):
                print(f"socket single-row infer, {label} (round {round_}): {daemon.uds('/v2/models/m/infer', bodies[label], 20000, 2000)[0]}")
        print(f"socket 1000-row infer with explanations: {daemon.uds('/v2/models/m/infer', bodies['explain-1000'], 200, 20)[0]}")
