"""The data and requests the inference benchmarks share (issues 6 and 7): a 28-feature
make_classification set as definitions, pushes and request bodies in DIR.
usage: bench/.venv/bin/python bench/inference_data.py DIR"""
import json, sys
import numpy as np
from sklearn.datasets import make_classification
d = sys.argv[1]
X, y = make_classification(n_samples=20000, n_features=28, n_informative=14, random_state=7)
fields = [f"f{i}" for i in range(28)]
toml = '[[entity]]\nname = "unit"\njoin_key = "unit_id"\n'
toml += '[[feature_view]]\nname = "s"\nentity = "unit"\nfields = [' + ", ".join(f'{{ name = "{f}", type = "float64" }}' for f in fields) + "]\n"
toml += '[[feature_view]]\nname = "y"\nentity = "unit"\nfields = [{ name = "label", type = "bool" }]\n'
features = ", ".join(f'"s:{f}"' for f in fields)
toml += f'[[training_spec]]\nname = "bench"\nmodel = "bench"\nalgorithm = "gbdt"\nlabel = "y:label"\nfeatures = [{features}]\nparams = {{ num_trees = 100, num_leaves = 31 }}\n'
toml += f'[[training_spec]]\nname = "busy"\nmodel = "busy"\nalgorithm = "gbdt"\nlabel = "y:label"\nfeatures = [{features}]\nparams = {{ num_trees = 100000, num_leaves = 31, min_data_in_leaf = 1, learning_rate = 0.001 }}\n'
json.dump({"toml": toml}, open(f"{d}/apply.json", "w"))
keys = [f"u{i}" for i in range(len(y))]
df = {"unit_id": keys, "event_timestamp": [1700000000 + i for i in range(len(y))]}
for j, f in enumerate(fields): df[f] = [float(v) for v in X[:, j]]
json.dump({"feature_view": "s", "df": df}, open(f"{d}/push_s.json", "w"))
json.dump({"feature_view": "y", "df": {"unit_id": keys, "event_timestamp": [1700000001 + i for i in range(len(y))], "label": [bool(v) for v in y]}}, open(f"{d}/push_y.json", "w"))
row = [round(float(v), 6) for v in X[0]]
json.dump({"inputs": [{"name": "x", "shape": [1, 28], "datatype": "FP32", "data": row}]}, open(f"{d}/one.json", "w"))
rows = [[round(float(v), 6) for v in r] for r in X[:1000]]
json.dump({"inputs": [{"name": "x", "shape": [1000, 28], "datatype": "FP64", "data": rows}]}, open(f"{d}/batch.json", "w"))
json.dump({"entities": {"unit_id": ["u7"]}}, open(f"{d}/entity.json", "w"))
