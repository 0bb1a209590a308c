#!/usr/bin/env python3
"""GBDT: MoteML vs LightGBM on the same data and hyperparameters (issue 5).
make_classification(n_samples=200000, n_features=28, n_informative=14, random_state=7),
80/20 split; 100 trees, 31 leaves, 255 bins, learning rate 0.1, both on 2 threads.
usage: bench/gbdt_bench.py  (needs bench/.venv with lightgbm and scikit-learn)"""
import os, subprocess, sys, time
import numpy as np
from sklearn.datasets import make_classification
from sklearn.metrics import roc_auc_score, log_loss
import lightgbm as lgb

root = os.path.dirname(os.path.abspath(__file__))
X, y = make_classification(n_samples=200000, n_features=28, n_informative=14, random_state=7)
n = int(len(y) * 0.8)
Xtr, ytr, Xte, yte = X[:n], y[:n], X[n:], y[n:]
d = "/tmp/mote-gbdt-bench"; os.makedirs(d, exist_ok=True)
for name, xs, ys in (("train", Xtr, ytr), ("test", Xte, yte)):
    np.savetxt(f"{d}/{name}.csv", np.column_stack([ys, xs]), delimiter=",", fmt="%.9g")
params = dict(objective="binary", num_leaves=31, max_bin=255, learning_rate=0.1, min_data_in_leaf=20,
              lambda_l2=0.0, num_threads=2, verbose=-1, deterministic=True, force_col_wise=True)
best = None
for _ in range(3):
    t = time.time()
    booster = lgb.train(params, lgb.Dataset(Xtr, ytr, params={"max_bin": 255}), num_boost_round=100)
    took = time.time() - t
    best = took if best is None else min(best, took)
p = booster.predict(Xte)
print(f"lightgbm {lgb.__version__}: fit {best:.2f} s (best of 3, Dataset construction included), test AUC {roc_auc_score(yte, p):.4f}, log loss {log_loss(yte, p):.4f}")
exe = os.path.join(root, ".build/release/gbdtbench")
for _ in range(2):
    out = subprocess.run([exe, f"{d}/train.csv", f"{d}/test.csv", "100", "31", "255", "0.1", "2"], capture_output=True, text=True)
    print(out.stdout.strip() or out.stderr.strip()[-500:])
