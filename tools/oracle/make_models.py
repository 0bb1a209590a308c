"""Trains small models with the real Python libraries and writes, into OUTDIR, each model
file as the library saves it, the held-out rows (with missing values) and the library's own
predictions on them: the oracle mote's imported models must match.

    python make_models.py OUTDIR

OUTDIR/labels_binary.json holds the binary labels of rows.json. OUTDIR/manifest.json lists every model: file, format, task, class labels, the rows file and
the expected outputs ("probabilities" [rows][classes] for classifiers, "predictions" [rows]
for regressors). Rows are JSON arrays with null for missing values.
"""
import json
import os
import sys

import numpy as np

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(7)
manifest = []

FEATURES = 6
CATEGORIES = 5  # feature 5 is categorical (0..4) for LightGBM


def data(n, missing=0.1, with_category=True):
    x = rng.normal(size=(n, FEATURES))
    if with_category:
        x[:, 5] = rng.integers(0, CATEGORIES, size=n)
    logit = 1.2 * x[:, 0] - 0.8 * x[:, 1] + 0.5 * x[:, 2] * x[:, 3] + (x[:, 5] == 2) * 1.5 - (x[:, 5] == 4) * 1.0
    y_bin = (logit + rng.normal(scale=0.5, size=n) > 0).astype(int)
    y_reg = 3.0 * x[:, 0] + np.sin(x[:, 1]) * 2 + x[:, 5] * 0.7 + rng.normal(scale=0.1, size=n) + 10.0
    y_multi = np.digitize(logit, [-1.0, 1.0])
    if missing:
        mask = rng.random(size=x.shape) < missing
        mask[:, 5] = False
        x[mask] = np.nan
    return x, y_bin, y_reg, y_multi


x_train, yb_train, yr_train, ym_train = data(3000)
x_test, yb_test, _, _ = data(400)
x_test[0, :] = np.nan  # a row with every numeric input missing
x_test[0, 5] = 1
x_test[1, 0] = 0.0  # exact zeros
x_test[2, 5] = 7.0  # a category never seen in training
x_test_dense = np.nan_to_num(x_test, nan=0.0)
x_train_dense = np.nan_to_num(x_train, nan=0.0)


def rows_file(name, x):
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        json.dump([[None if np.isnan(v) else float(v) for v in row] for row in x], f)
    return name


ROWS = rows_file("rows.json", x_test)
with open(os.path.join(OUT, "labels_binary.json"), "w") as f:
    json.dump([int(v) for v in yb_test], f)
ROWS_DENSE = rows_file("rows_dense.json", x_test_dense)
ROWS_F32 = rows_file("rows_f32.json", x_test_dense.astype(np.float32).astype(np.float64))


def add(name, file, fmt, task, classes, rows, expected):
    expected = np.asarray(expected, dtype=np.float64)
    entry = {"name": name, "file": file, "format": fmt, "task": task, "classes": classes, "rows": rows}
    if task == "regression":
        entry["predictions"] = expected.reshape(-1).tolist()
    else:
        if expected.ndim == 1:
            expected = np.stack([1 - expected, expected], axis=1)
        entry["probabilities"] = expected.tolist()
    manifest.append(entry)


def contributions(name, values, outputs):
    """The library's TreeSHAP for `name`'s rows: [row][output][inputs..., base]."""
    values = np.asarray(values, dtype=np.float64).reshape(len(x_test), outputs, FEATURES + 1)
    next(e for e in manifest if e["name"] == name)["contributions"] = values.tolist()


# --- LightGBM native text files -------------------------------------------------------------
import lightgbm as lgb

params = dict(verbose=-1, num_threads=1, seed=3, deterministic=True)
b = lgb.train({**params, "objective": "binary", "num_leaves": 15}, lgb.Dataset(x_train, yb_train, categorical_feature=[5]), 60)
b.save_model(os.path.join(OUT, "lgb_binary.txt"))
add("lgb_binary", "lgb_binary.txt", "lightgbm", "binary", ["0", "1"], ROWS, b.predict(x_test))
contributions("lgb_binary", b.predict(x_test, pred_contrib=True), 1)

r = lgb.train({**params, "objective": "regression", "num_leaves": 31}, lgb.Dataset(x_train, yr_train, categorical_feature=[5]), 80)
r.save_model(os.path.join(OUT, "lgb_regression.txt"))
add("lgb_regression", "lgb_regression.txt", "lightgbm", "regression", [], ROWS, r.predict(x_test))
contributions("lgb_regression", r.predict(x_test, pred_contrib=True), 1)

m = lgb.train({**params, "objective": "multiclass", "num_class": 3, "num_leaves": 7}, lgb.Dataset(x_train, ym_train), 30)
m.save_model(os.path.join(OUT, "lgb_multiclass.txt"))
add("lgb_multiclass", "lgb_multiclass.txt", "lightgbm", "multiclass", ["0", "1", "2"], ROWS, m.predict(x_test))
contributions("lgb_multiclass", m.predict(x_test, pred_contrib=True), 3)

z = lgb.train({**params, "objective": "binary", "zero_as_missing": True, "num_leaves": 7}, lgb.Dataset(x_train, yb_train), 20)
z.save_model(os.path.join(OUT, "lgb_zero_missing.txt"))
add("lgb_zero_missing", "lgb_zero_missing.txt", "lightgbm", "binary", ["0", "1"], ROWS, z.predict(x_test))
contributions("lgb_zero_missing", z.predict(x_test, pred_contrib=True), 1)

rf = lgb.train(
    {**params, "objective": "binary", "boosting": "rf", "bagging_fraction": 0.7, "bagging_freq": 1, "feature_fraction": 0.8, "num_leaves": 15},
    lgb.Dataset(x_train_dense, yb_train), 25)
rf.save_model(os.path.join(OUT, "lgb_rf.txt"))
add("lgb_rf", "lgb_rf.txt", "lightgbm", "binary", ["0", "1"], ROWS, rf.predict(x_test))
contributions("lgb_rf", rf.predict(x_test, pred_contrib=True), 1)

ps = lgb.train({**params, "objective": "poisson", "num_leaves": 7}, lgb.Dataset(x_train, np.abs(yr_train)), 20)
ps.save_model(os.path.join(OUT, "lgb_poisson.txt"))
add("lgb_poisson", "lgb_poisson.txt", "lightgbm", "regression", [], ROWS, ps.predict(x_test))

# shap.TreeExplainer (the PyPI library data scientists explain with) on the same LightGBM
# models: [row][output][inputs..., base], as `contributions`.
import shap


def shap_values(name, model, outputs):
    explainer = shap.TreeExplainer(model)
    values = np.asarray(explainer.shap_values(x_test), dtype=np.float64)
    if values.ndim == 3 and values.shape[0] == len(x_test):  # (rows, inputs, outputs)
        values = values.transpose(0, 2, 1)
    values = values.reshape(len(x_test), outputs, FEATURES)
    base = np.broadcast_to(np.asarray(explainer.expected_value, dtype=np.float64).reshape(-1), (outputs,))
    out = np.concatenate([values, np.broadcast_to(base, (len(x_test), outputs))[:, :, None]], axis=2)
    next(e for e in manifest if e["name"] == name)["shap"] = out.tolist()


shap_values("lgb_binary", b, 1)
shap_values("lgb_regression", r, 1)
shap_values("lgb_multiclass", m, 3)

# --- XGBoost JSON and UBJSON ----------------------------------------------------------------
import xgboost as xgb

xp = dict(nthread=1, seed=3, max_depth=4, eta=0.3)
xb = xgb.train({**xp, "objective": "binary:logistic"}, xgb.DMatrix(x_train, yb_train), 50)
xb.save_model(os.path.join(OUT, "xgb_binary.json"))
xb.save_model(os.path.join(OUT, "xgb_binary.ubj"))
expected = xb.predict(xgb.DMatrix(x_test))
add("xgb_binary_json", "xgb_binary.json", "xgboost", "binary", ["0", "1"], ROWS, expected)
add("xgb_binary_ubj", "xgb_binary.ubj", "xgboost", "binary", ["0", "1"], ROWS, expected)
contributions("xgb_binary_ubj", xb.predict(xgb.DMatrix(x_test), pred_contribs=True), 1)

xr = xgb.train({**xp, "objective": "reg:squarederror"}, xgb.DMatrix(x_train, yr_train), 60)
xr.save_model(os.path.join(OUT, "xgb_regression.ubj"))
add("xgb_regression", "xgb_regression.ubj", "xgboost", "regression", [], ROWS, xr.predict(xgb.DMatrix(x_test)))

xm = xgb.train({**xp, "objective": "multi:softprob", "num_class": 3}, xgb.DMatrix(x_train, ym_train), 20)
xm.save_model(os.path.join(OUT, "xgb_multiclass.json"))
add("xgb_multiclass", "xgb_multiclass.json", "xgboost", "multiclass", ["0", "1", "2"], ROWS, xm.predict(xgb.DMatrix(x_test)))
contributions("xgb_multiclass", xm.predict(xgb.DMatrix(x_test), pred_contribs=True), 3)

# --- ONNX: scikit-learn through skl2onnx, LightGBM through onnxmltools ------------------------
import onnxruntime as ort
from skl2onnx import to_onnx
from sklearn.ensemble import GradientBoostingRegressor, HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

# skl2onnx 1.20 passes scikit-learn's boolean missing-value flags of histogram boosting
# straight into an integer attribute, which the onnx package refuses; give it integers.
import skl2onnx.common.tree_ensemble as _te

_add_node = _te.add_node


def _add_node_int_flags(*args, nodes_missing_value_tracks_true=0, **kwargs):
    return _add_node(*args, nodes_missing_value_tracks_true=int(nodes_missing_value_tracks_true), **kwargs)


_te.add_node = _add_node_int_flags

options = ort.SessionOptions()
options.intra_op_num_threads = 1
options.inter_op_num_threads = 1
x32 = x_test_dense.astype(np.float32)


def onnx_oracle(name, onx, task, classes, rows=ROWS_F32, x=x32):
    path = os.path.join(OUT, name + ".onnx")
    with open(path, "wb") as f:
        f.write(onx.SerializeToString())
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    outputs = session.run(None, {session.get_inputs()[0].name: x})
    if task == "regression":
        add(name, name + ".onnx", "onnx", task, classes, rows, outputs[0])
    else:
        probabilities = outputs[1] if len(outputs) > 1 else outputs[0]
        if isinstance(probabilities, list):  # ZipMap: a list of {label: probability}
            keys = list(probabilities[0].keys())
            probabilities = np.array([[row[k] for k in keys] for row in probabilities])
        add(name, name + ".onnx", "onnx", task, classes, rows, probabilities)


pipe = Pipeline([("scale", StandardScaler()), ("lr", LogisticRegression(max_iter=500))]).fit(x_train_dense, yb_train)
onnx_oracle("skl_logistic_pipeline", to_onnx(pipe, x32[:1]), "binary", ["0", "1"])
pipe3 = Pipeline([("scale", StandardScaler()), ("lr", LogisticRegression(max_iter=500))]).fit(x_train_dense, ym_train)
onnx_oracle("skl_logistic_multiclass", to_onnx(pipe3, x32[:1], options={"zipmap": False}), "multiclass", ["0", "1", "2"])
forest = RandomForestClassifier(n_estimators=30, max_depth=8, random_state=0).fit(x_train_dense, yb_train)
onnx_oracle("skl_random_forest", to_onnx(forest, x32[:1]), "binary", ["0", "1"])
gbr = GradientBoostingRegressor(n_estimators=60, max_depth=3, random_state=0).fit(x_train_dense, yr_train)
onnx_oracle("skl_gradient_boosting_regressor", to_onnx(gbr, x32[:1]), "regression", [])
hgb = HistGradientBoostingClassifier(max_iter=40, random_state=0).fit(x_train_dense, yb_train)
onnx_oracle("skl_hist_gradient_boosting", to_onnx(hgb, x32[:1]), "binary", ["0", "1"])
mlp = MLPClassifier(hidden_layer_sizes=(16, 8), max_iter=2000, random_state=0).fit(x_train_dense, ym_train)
onnx_oracle("skl_mlp", to_onnx(mlp, x32[:1]), "multiclass", ["0", "1", "2"])

# The ml opset 5 TreeEnsemble operator: no converter emits it yet, so the gradient boosting
# regressor's TreeEnsembleRegressor is restated in its layout with onnx.helper (onnxruntime,
# which implements the operator, stays the oracle).
import onnx
from onnx import TensorProto, helper, numpy_helper


def tree_ensemble_v5(regressor_onnx, post_transform=0):
    node = regressor_onnx.graph.node[0]
    a = {x.name: helper.get_attribute_value(x) for x in node.attribute}
    trees = sorted(set(a["nodes_treeids"]))
    inner, leaves, roots = [], [], []
    index = {}
    for k, (t, n, mode) in enumerate(zip(a["nodes_treeids"], a["nodes_nodeids"], a["nodes_modes"])):
        if mode == b"LEAF":
            index[(t, n)] = ("leaf", len(leaves))
            leaves.append(k)
        else:
            index[(t, n)] = ("node", len(inner))
            inner.append(k)
    weights = {(t, n): w for t, n, w in zip(a["target_treeids"], a["target_nodeids"], a["target_weights"])}
    base = a.get("base_values", [0.0])[0]
    for t in trees:
        root = [k for k in inner if a["nodes_treeids"][k] == t]
        roots.append(index[(t, a["nodes_nodeids"][root[0]])][1])
    def target(k, which):
        kind, i = index[(a["nodes_treeids"][k], a[which][k])]
        return i, 1 if kind == "leaf" else 0
    true = [target(k, "nodes_truenodeids") for k in inner]
    false = [target(k, "nodes_falsenodeids") for k in inner]
    # The base value rides on the first tree's leaves (TreeEnsemble has no base values).
    first = set(k for k in leaves if a["nodes_treeids"][k] == trees[0])
    leaf_weights = [weights[(a["nodes_treeids"][k], a["nodes_nodeids"][k])] + (base if k in first else 0.0) for k in leaves]
    v5 = helper.make_node(
        "TreeEnsemble", ["X"], ["variable"], domain="ai.onnx.ml", n_targets=1, aggregate_function=1, post_transform=post_transform,
        tree_roots=roots, nodes_featureids=[a["nodes_featureids"][k] for k in inner],
        nodes_modes=numpy_helper.from_array(np.zeros(len(inner), dtype=np.uint8), "nodes_modes"),
        nodes_splits=numpy_helper.from_array(np.array([a["nodes_values"][k] for k in inner], dtype=np.float32), "nodes_splits"),
        nodes_truenodeids=[i for i, _ in true], nodes_trueleafs=[l for _, l in true],
        nodes_falsenodeids=[i for i, _ in false], nodes_falseleafs=[l for _, l in false],
        nodes_missing_value_tracks_true=[a["nodes_missing_value_tracks_true"][k] for k in inner] if "nodes_missing_value_tracks_true" in a else None,
        leaf_targetids=[0] * len(leaves), leaf_weights=numpy_helper.from_array(np.array(leaf_weights, dtype=np.float32), "leaf_weights"))
    graph = helper.make_graph(
        [v5], "tree_ensemble_v5", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, FEATURES])],
        [helper.make_tensor_value_info("variable", TensorProto.FLOAT, [None, 1])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21), helper.make_opsetid("ai.onnx.ml", 5)], producer_name="mote-oracle")


onnx_oracle("onnx_tree_ensemble_v5", tree_ensemble_v5(to_onnx(gbr, x32[:1])), "regression", [])

from onnxmltools import convert_lightgbm
from onnxmltools.convert.common.data_types import FloatTensorType

lgb_dense = lgb.train({**params, "objective": "binary", "num_leaves": 15}, lgb.Dataset(x_train_dense, yb_train), 40)
onnx_oracle(
    "onnxmltools_lightgbm",
    convert_lightgbm(lgb_dense, initial_types=[("input", FloatTensorType([None, FEATURES]))], zipmap=False),
    "binary", ["0", "1"])
lgb_reg = lgb.train({**params, "objective": "regression", "num_leaves": 15}, lgb.Dataset(x_train_dense, yr_train), 40)
onnx_oracle(
    "onnxmltools_lightgbm_regression",
    convert_lightgbm(lgb_reg, initial_types=[("input", FloatTensorType([None, FEATURES]))]),
    "regression", [])

# The PyTorch MLPs: committed files made by torch_mlp.py (torch is too large for CI), one per
# exporter; their oracle is onnxruntime all the same.
for torch_name in ["torch_mlp", "torch_mlp_dynamo"]:
    torch_file = os.path.join(os.path.dirname(os.path.abspath(__file__)), torch_name + ".onnx")
    onnx_oracle(torch_name, onnx.load(torch_file), "multiclass", ["0", "1", "2"])

with open(os.path.join(OUT, "manifest.json"), "w") as f:
    json.dump(manifest, f)
print(f"{len(manifest)} models in {OUT}")
