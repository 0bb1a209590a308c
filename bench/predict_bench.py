#!/usr/bin/env python3
"""Batch prediction rows/s: MoteML's serving layout against onnxruntime and LightGBM, the same
data and tree settings, one thread each, batches of 1000 rows (issue 6).
Data: make_classification(200000, 28, n_informative=14, random_state=7), 80/20 split; 100 trees,
31 leaves, learning rate 0.1. LightGBM's model is exported to ONNX (onnxmltools) for
onnxruntime; MoteML trains its own on the same data (equal accuracy, see gbdt_bench.py).
usage: bench/.venv/bin/python bench/predict_bench.py  (bench/.venv: lightgbm, onnxruntime, onnxmltools)"""
import os, subprocess, time
import numpy as np
from sklearn.datasets import make_classification
import lightgbm as lgb
import onnxruntime as ort
import onnxmltools
from onnxmltools.convert.common.data_types import FloatTensorType

root = os.path.dirname(os.path.abspath(__file__))
d = "/tmp/mote-gbdt-bench"; os.makedirs(d, exist_ok=True)
X, y = make_classification(n_samples=200000, n_features=28, n_informative=14, random_state=7)
n = int(len(y) * 0.8)
Xtr, ytr, Xte, yte = X[:n], y[:n], X[n:], y[n:]
if not os.path.exists(f"{d}/train.csv"):
    for name, xs, ys in (("train", Xtr, ytr), ("test", Xte, yte)):
        np.savetxt(f"{d}/{name}.csv", np.column_stack([ys, xs]), delimiter=",", fmt="%.9g")
BATCH, BUDGET = 1000, 3.0
booster = lgb.train(dict(objective="binary", num_leaves=31, learning_rate=0.1, min_data_in_leaf=20, num_threads=2, verbose=-1),
                    lgb.Dataset(Xtr, ytr), num_boost_round=100)

def rate(predict, data):
    batches = [data[i:i + BATCH] for i in range(0, len(data) - BATCH + 1, BATCH)]
    rows, start, b = 0, time.time(), 0
    while time.time() - start < BUDGET:
        predict(batches[b % len(batches)]); rows += BATCH; b += 1
    return rows / (time.time() - start)

print(f"lightgbm {lgb.__version__} Booster.predict: {rate(lambda x: booster.predict(x, num_threads=1), Xte):.0f} rows/s (batches of {BATCH}, 1 thread)")
onx = onnxmltools.convert_lightgbm(booster, initial_types=[("input", FloatTensorType([None, 28]))], target_opset=15, zipmap=False)
options = ort.SessionOptions(); options.intra_op_num_threads = 1; options.inter_op_num_threads = 1
session = ort.InferenceSession(onx.SerializeToString(), options, providers=["CPUExecutionProvider"])
Xf = Xte.astype(np.float32)
print(f"onnxruntime {ort.__version__} (TreeEnsembleClassifier from LightGBM): {rate(lambda x: session.run(None, {'input': x}), Xf):.0f} rows/s (batches of {BATCH}, 1 thread)")
out = subprocess.run([os.path.join(root, ".build/release/gbdtbench"), "predict", f"{d}/train.csv", f"{d}/test.csv", "100", "31", str(BATCH), str(BUDGET)],
                     capture_output=True, text=True)
print(out.stdout.strip() or out.stderr.strip()[-500:])
