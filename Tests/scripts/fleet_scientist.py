"""The data scientist of the fleet tests: trains models with the real libraries, logs them
with MLflow's own log_model (lightgbm, xgboost, onnx flavours), registers every one as a
version of the central model "failure" (no alias yet: the test moves aliases), and writes
what the boxes need to check against into OUTDIR:

    python fleet_scientist.py TRACKING_URI OUTDIR

OUTDIR/data.csv       machine_id,f0..f5,failed: the labelled rows the boxes get pushed
OUTDIR/manifest.json  {"versions": {name: central version}, "rows": [[6 floats]],
                       "expected": {name: [P(class 1) per row]}}

Versions, in order: stump (a weak LightGBM: 1 tree of 2 leaves), strong (LightGBM, 60 trees),
noise (LightGBM trained on shuffled labels), xgb (XGBoost, UBJSON), onnx (scikit-learn
logistic regression through skl2onnx, bound by the tag mote.inputs), pickle (a scikit-learn
model in the sklearn flavour only: a box must refuse it). Models carry the input names
sensors__f0..sensors__f5 (view__field) where the library keeps names.
"""
import json
import os
import sys
import warnings

warnings.filterwarnings("ignore")
os.environ.setdefault("MLFLOW_ENABLE_ASYNC_LOGGING", "false")

import lightgbm as lgb
import mlflow
import numpy as np
import xgboost as xgb
from mlflow import MlflowClient
from skl2onnx import to_onnx
from sklearn.linear_model import LogisticRegression

URI, OUT = sys.argv[1:3]
os.makedirs(OUT, exist_ok=True)
mlflow.set_tracking_uri(URI)
rng = np.random.default_rng(11)
NAMES = [f"sensors__f{i}" for i in range(6)]

n = 1200
x = rng.normal(size=(n, 6))
logit = 2.0 * x[:, 0] - 1.5 * x[:, 1] + 1.0 * x[:, 2] * x[:, 3]
y = (logit + rng.normal(scale=0.7, size=n) > 0).astype(int)
with open(os.path.join(OUT, "data.csv"), "w") as f:
    f.write("machine_id,f0,f1,f2,f3,f4,f5,failed\n")
    for i in range(n):
        f.write(f"m{i}," + ",".join(repr(float(v)) for v in x[i]) + f",{y[i]}\n")
rows = x[:50]
versions, expected = {}, {}


def register(name, log):
    with mlflow.start_run(run_name=name):
        info = log()
    version = MlflowClient().search_model_versions(f"name='failure' and run_id='{info.run_id}'")[0].version
    versions[name] = int(version)


def lightgbm(name, params, rounds, labels):
    booster = lgb.train(dict(params, objective="binary", verbose=-1, seed=3, deterministic=True),
                        lgb.Dataset(x, labels, feature_name=NAMES), rounds)
    register(name, lambda: mlflow.lightgbm.log_model(booster, name="model", registered_model_name="failure", pip_requirements=["lightgbm"]))
    expected[name] = booster.predict(rows).tolist()


lightgbm("stump", {"num_leaves": 2, "min_data_in_leaf": 50}, 1, y)
lightgbm("strong", {"num_leaves": 15}, 60, y)
lightgbm("noise", {"num_leaves": 15}, 30, rng.permutation(y))

dtrain = xgb.DMatrix(x, y, feature_names=NAMES)
bst = xgb.train({"objective": "binary:logistic", "max_depth": 4, "seed": 3}, dtrain, 40)
register("xgb", lambda: mlflow.xgboost.log_model(bst, name="model", registered_model_name="failure", model_format="ubj", pip_requirements=["xgboost"]))
expected["xgb"] = bst.predict(xgb.DMatrix(rows, feature_names=NAMES)).tolist()

clf = LogisticRegression(max_iter=500).fit(x, y)
onx = to_onnx(clf, x[:1].astype(np.float32), options={id(clf): {"zipmap": False}})
register("onnx", lambda: mlflow.onnx.log_model(onx, name="model", registered_model_name="failure", pip_requirements=["onnx"]))
MlflowClient().set_model_version_tag("failure", str(versions["onnx"]), "mote.inputs", ",".join(f"sensors:f{i}" for i in range(6)))
import onnxruntime as ort

session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
probabilities = session.run(None, {session.get_inputs()[0].name: rows.astype(np.float32)})[1]
expected["onnx"] = [float(p[1]) for p in probabilities]

register("pickle", lambda: mlflow.sklearn.log_model(clf, name="model", registered_model_name="failure", pip_requirements=["scikit-learn"]))

with open(os.path.join(OUT, "manifest.json"), "w") as f:
    json.dump({"versions": versions, "rows": rows.tolist(), "expected": expected}, f)
print(json.dumps(versions))
