#!/usr/bin/env python3
"""An idle model's memory handed back (issue 20): RSS of a release moted before and after a
large model is unloaded by inference.idle_unload.

A LightGBM binary model of 500 trees x 255 leaves on make_classification(100000 x 28) (a 14 MB
text file) is imported and served once; with idle_unload = "3s" it is unloaded by the next
sweep. Prints VmRSS at each step, what /metrics says is loaded, and the first request's time
after the unload (it loads the model again).
usage: make release && ORACLE/bin/python bench/unload_rss.py   (the oracle venv: make oracle-venv)"""
import json, os, re, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib
import numpy as np, lightgbm as lgb
from sklearn.datasets import make_classification
d = tempfile.mkdtemp(prefix="mote-unload-rss-")
X, y = make_classification(n_samples=100000, n_features=28, n_informative=14, random_state=7)
b = lgb.train(dict(objective="binary", num_leaves=255, learning_rate=0.05, verbose=-1, num_threads=2, min_data_in_leaf=5), lgb.Dataset(X, y), num_boost_round=500)
b.save_model(f"{d}/big.txt")
print("model file", os.path.getsize(f"{d}/big.txt"), "bytes")
open(f"{d}/moted.toml", "w").write('[inference]\nidle_unload = "3s"\n')
body = f"{d}/row.json"
json.dump({"inputs": [{"name": "x", "shape": [1, 28], "datatype": "FP64", "data": [float(v) for v in X[0]]}]}, open(body, "w"))
def rss(pid): return int(re.search(r"VmRSS:\s+(\d+)", open(f"/proc/{pid}/status").read()).group(1)) // 1024
def metric(sock, name):
    m = subprocess.run(["curl", "-s", "--unix-socket", sock, "http://x/metrics"], capture_output=True, text=True).stdout
    r = re.search(rf"^{name} ([0-9.e+]+)", m, re.M); return r.group(1) if r else "?"
p = subprocess.Popen([benchlib.moted, "--config", f"{d}/moted.toml", "--state-dir", f"{d}/state", "--socket", f"{d}/s.sock", "--log-stderr", "--log-level", "warning"])
time.sleep(1)
env = dict(os.environ, MOTE_SOCKET=f"{d}/s.sock")
print("idle, nothing loaded:", rss(p.pid), "MiB")
subprocess.run([benchlib.motectl, "models", "import", f"{d}/big.txt", "--name", "big", "--alias", "champion"], env=env, check=True, capture_output=True)
time.sleep(4)
print("after import (loaded by the import check, then idle):", rss(p.pid), "MiB; loaded", metric(f"{d}/s.sock", "mote_models_loaded"))
subprocess.run(["curl", "-s", "--unix-socket", f"{d}/s.sock", "-X", "POST", "-H", "Content-Type: application/json", "--data-binary", f"@{body}", "http://x/v2/models/big/infer"], capture_output=True)
print("serving:", rss(p.pid), "MiB; loaded", metric(f"{d}/s.sock", "mote_models_loaded"), "models,", metric(f"{d}/s.sock", "mote_models_loaded_bytes"), "bytes")
time.sleep(6)
print("after idle_unload (3s):", rss(p.pid), "MiB; loaded", metric(f"{d}/s.sock", "mote_models_loaded"))
t = time.time()
subprocess.run(["curl", "-s", "--unix-socket", f"{d}/s.sock", "-X", "POST", "-H", "Content-Type: application/json", "--data-binary", f"@{body}", "http://x/v2/models/big/infer"], capture_output=True)
print(f"first request after the unload: {1000*(time.time()-t):.0f} ms (loads again); rss", rss(p.pid), "MiB")
p.terminate(); p.wait()
