#!/usr/bin/env python3
"""MoteML against LightGBM and scikit-learn on the same data and settings (issue 5).
GBDT: make_classification(n_samples=200000, n_features=28, n_informative=14, random_state=7),
80/20 split; 100 trees, 31 leaves, 255 bins, learning rate 0.1; 1 and 2 threads; best of 3 fits
each (LightGBM's Dataset construction included, as MoteML's binning is).
Logistic regression: the same data, standardised, L2 lambda 1e-4 on the mean loss (= sklearn
C = 1 / (n * lambda)), lbfgs. Isolation forest: 100 trees of 256 samples on 10-dimensional
Gaussian data with 1% uniform outliers, outlier AUC of the scores on a held-out 20%.
usage: bench/.venv/bin/python bench/gbdt_bench.py  (bench/.venv: lightgbm, scikit-learn, numpy)"""
import os, subprocess, time
import numpy as np
from sklearn.datasets import make_classification
from sklearn.metrics import roc_auc_score, log_loss
from sklearn.linear_model import LogisticRegression
from sklearn.ensemble import IsolationForest
from sklearn.preprocessing import StandardScaler
import lightgbm as lgb
from benchlib import best_of

root = os.path.dirname(os.path.abspath(__file__))
exe = os.path.join(root, ".build/release/gbdtbench")
d = "/tmp/mote-gbdt-bench"; os.makedirs(d, exist_ok=True)

def save(name, xs, ys):
    np.savetxt(f"{d}/{name}.csv", np.column_stack([ys, xs]), delimiter=",", fmt="%.9g")


def mote(*args):
    out = subprocess.run([exe, *map(str, args)], capture_output=True, text=True)
    return out.stdout.strip() or out.stderr.strip()[-500:]

X, y = make_classification(n_samples=200000, n_features=28, n_informative=14, random_state=7)
n = int(len(y) * 0.8)
Xtr, ytr, Xte, yte = X[:n], y[:n], X[n:], y[n:]
save("train", Xtr, ytr); save("test", Xte, yte)

print("== GBDT: 200k x 28 (160k train), 100 trees, 31 leaves, 255 bins, lr 0.1")
for threads in (1, 2):
    params = dict(objective="binary", num_leaves=31, max_bin=255, learning_rate=0.1, min_data_in_leaf=20,
                  lambda_l2=0.0, num_threads=threads, verbose=-1, deterministic=True, force_col_wise=True)
    took, booster = best_of(3, lambda: lgb.train(params, lgb.Dataset(Xtr, ytr, params={"max_bin": 255}), num_boost_round=100))
    p = booster.predict(Xte)
    print(f"lightgbm {lgb.__version__}: fit {took:.2f} s (best of 3), test AUC {roc_auc_score(yte, p):.4f}, log loss {log_loss(yte, p):.4f} ({threads} threads)")
    print(mote("gbdt", f"{d}/train.csv", f"{d}/test.csv", 100, 31, 255, 0.1, threads, 3))

print("== logistic regression: the same data, L2 lambda 1e-4 (sklearn C = 1/(n*lambda)), lbfgs")
scaler = StandardScaler().fit(Xtr)
Ztr, Zte = scaler.transform(Xtr), scaler.transform(Xte)
took, clf = best_of(3, lambda: LogisticRegression(C=1.0 / (n * 1e-4), solver="lbfgs", max_iter=500, tol=1e-8).fit(Ztr, ytr))
p = clf.predict_proba(Zte)[:, 1]
import sklearn
print(f"scikit-learn {sklearn.__version__} lbfgs: fit {took:.3f} s (best of 3, scaling excluded), test AUC {roc_auc_score(yte, p):.4f}, log loss {log_loss(yte, p):.4f}")
print(mote("logistic", f"{d}/train.csv", f"{d}/test.csv", 1e-4, 3))

print("== isolation forest: 100k x 10 Gaussian + 1% uniform outliers, 100 trees x 256 samples")
rng = np.random.default_rng(7)
normal = rng.normal(size=(99000, 10)); outliers = rng.uniform(-6, 6, size=(1000, 10))
A = np.vstack([normal, outliers]); labels = np.concatenate([np.zeros(99000), np.ones(1000)])
perm = rng.permutation(len(A)); A, labels = A[perm], labels[perm]
m = int(len(A) * 0.8)
save("iforest_train", A[:m], labels[:m]); save("iforest_test", A[m:], labels[m:])
took, forest = best_of(3, lambda: IsolationForest(n_estimators=100, max_samples=256, random_state=7).fit(A[:m]))
t = time.time(); scores = -forest.score_samples(A[m:]); scoring = time.time() - t
print(f"scikit-learn IsolationForest: fit {took:.3f} s (best of 3), score {len(A) - m} rows {scoring:.3f} s, outlier AUC {roc_auc_score(labels[m:], scores):.4f}")
print(mote("iforest", f"{d}/iforest_train.csv", f"{d}/iforest_test.csv", 100, 256, 3))
