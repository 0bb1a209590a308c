#!/usr/bin/env python3
"""Imported models against the tools people would otherwise use (issue 14), one thread, same rows.

A LightGBM binary model of 500 trees x 31 leaves on make_classification(200000 x 28,
n_informative=14, random_state=7) is saved as text and converted to ONNX (onnxmltools). Batch
predict of 100 000 held-out rows, best of 3, one thread each:
  lightgbm.Booster.predict(num_threads=1); onnxruntime on the ONNX conversion (1 intra-op
  thread); treelite 4 compiled with tl2cgen (gcc -O3, nthread=1); lleaves (LLVM, n_jobs=1);
  mote's import of the text file and of the ONNX file (bench/.build/release/importbench).
Then, over the socket of a release moted: single-row infer of the imported model vs a native
mote bundle holding the same trees (p50/p99 of 20 000 keep-alive requests, udsbench).
usage: make release && (cd bench && swift build -c release) &&
       bench/.venv/bin/python bench/import_bench.py   (bench/.venv: pip install -r bench/import-requirements.txt)"""
import json, os, subprocess, tempfile, time
import numpy as np
from benchlib import best_of

root = os.path.dirname(os.path.abspath(__file__))
repo = os.path.dirname(root)
bench_exe = os.path.join(root, ".build/release/importbench")
uds = os.path.join(root, ".build/release/udsbench")
moted = os.path.join(repo, ".build/release-static/moted")
motectl = os.path.join(repo, ".build/release-static/motectl")
d = tempfile.mkdtemp(prefix="mote-import-bench-")

from sklearn.datasets import make_classification
import lightgbm as lgb

X, y = make_classification(n_samples=200000, n_features=28, n_informative=14, random_state=7)
Xtr, ytr, Xte = X[:100000], y[:100000], np.ascontiguousarray(X[100000:])
params = dict(objective="binary", num_leaves=31, learning_rate=0.05, verbose=-1, num_threads=2, deterministic=True, seed=1)
booster = lgb.train(params, lgb.Dataset(Xtr, ytr), num_boost_round=500)
model_txt = f"{d}/model.txt"
booster.save_model(model_txt)
rows_bin = f"{d}/rows.f64"
Xte.astype("<f8").tofile(rows_bin)
n = len(Xte)
print(f"model: LightGBM {lgb.__version__}, {booster.num_trees()} trees, 31 leaves, 28 features; {n} rows, 1 thread, best of 3")


results = {}
took, reference = best_of(3, lambda: booster.predict(Xte, num_threads=1))
results["lightgbm"] = n / took
print(f"lightgbm.Booster.predict: {n / took:,.0f} rows/s")

import onnxruntime as ort
from onnxmltools import convert_lightgbm
from onnxmltools.convert.common.data_types import FloatTensorType
onx = convert_lightgbm(booster, initial_types=[("input", FloatTensorType([None, 28]))], zipmap=False)
model_onnx = f"{d}/model.onnx"
open(model_onnx, "wb").write(onx.SerializeToString())
so = ort.SessionOptions(); so.intra_op_num_threads = 1; so.inter_op_num_threads = 1
session = ort.InferenceSession(model_onnx, so, providers=["CPUExecutionProvider"])
X32 = Xte.astype(np.float32)
took, _ = best_of(3, lambda: session.run(None, {"input": X32}))
results["onnxruntime"] = n / took
print(f"onnxruntime {ort.__version__} (ONNX conversion, float32): {n / took:,.0f} rows/s")

import treelite, tl2cgen
tl_model = treelite.frontend.load_lightgbm_model(model_txt)
lib = f"{d}/treelite.so"
tl2cgen.export_lib(tl_model, toolchain="gcc", libpath=lib, params={"parallel_comp": 8}, nthread=2)
predictor = tl2cgen.Predictor(lib, nthread=1)
dmat = tl2cgen.DMatrix(Xte)
took, tl_out = best_of(3, lambda: predictor.predict(dmat))
results["treelite"] = n / took
print(f"treelite {treelite.__version__} + tl2cgen {tl2cgen.__version__} (compiled): {n / took:,.0f} rows/s")

import lleaves
ll = lleaves.Model(model_file=model_txt)
ll.compile(cache=f"{d}/lleaves.o")
took, ll_out = best_of(3, lambda: ll.predict(Xte, n_jobs=1))
results["lleaves"] = n / took
print(f"lleaves {lleaves.__version__ if hasattr(lleaves, '__version__') else ''} (LLVM compiled): {n / took:,.0f} rows/s")

for label, path in (("text", model_txt), ("onnx", model_onnx)):
    out = subprocess.run([bench_exe, "batch", path, rows_bin, "28", "3"], capture_output=True, text=True, check=True).stdout
    print(out.strip())
    for line in out.splitlines():
        rate = float(line.split(": ")[1].split(" ")[0])
        results["mote " + line.split(":")[0].replace("mote ", "")] = rate

mote_rate = results["mote imported lightgbm"]
print(f"ratios: mote/onnxruntime {mote_rate / results['onnxruntime']:.2f}x, mote/lightgbm {mote_rate / results['lightgbm']:.2f}x, "
      f"mote/lleaves {mote_rate / results['lleaves']:.2f}x, mote/treelite {mote_rate / results['treelite']:.2f}x, "
      f"imported/native {mote_rate / results['mote native gbdt, same trees']:.3f}")

# Single-row infer over the socket: imported vs native bundle with the same trees.
if os.path.exists(moted) and os.path.exists(uds):
    native = f"{d}/native.mote.json"
    subprocess.run([bench_exe, "native-export", model_txt, native], check=True, capture_output=True)
    sock = f"{d}/mote.sock"
    daemon = subprocess.Popen([moted, "--state-dir", f"{d}/state", "--socket", sock, "--log-stderr", "--log-level", "warning"])
    try:
        for _ in range(200):
            if os.path.exists(sock): break
            time.sleep(0.05)
        env = dict(os.environ, MOTE_SOCKET=sock)
        subprocess.run([motectl, "models", "import", model_txt, "--name", "imported", "--alias", "champion"], env=env, check=True, capture_output=True)
        subprocess.run([motectl, "models", "import", native, "--name", "native", "--alias", "champion"], env=env, check=True, capture_output=True)
        body = f"{d}/row.json"
        json.dump({"inputs": [{"name": "x", "shape": [1, 28], "datatype": "FP64", "data": [float(v) for v in Xte[0]]}]}, open(body, "w"))
        for round_ in (1, 2, 3):
            for name in ("imported", "native"):
                out = subprocess.run([uds, sock, f"/v2/models/{name}/infer", "--method", "POST", "--body", body, "--requests", "20000", "--warmup", "2000"],
                                     capture_output=True, text=True, check=True).stdout.strip()
                print(f"socket single-row infer, {name} (round {round_}): {out}")
    finally:
        daemon.terminate(); daemon.wait()
