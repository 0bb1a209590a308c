"""A box with something to show: moted on SOCKET with sensors and labels of 2000 machines, two
training runs (a weak and a strong model), predictions whose temperature drifts, feedback, a
scoring job and a job queue's history. Used by the console's browser test and to take the
docs' screenshots.

usage: fixture.py MOTECTL SOCKET
"""
import json, os, random, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from udsclient import call as call_socket

MOTECTL, SOCK = sys.argv[1:3]


def call(method, path, body=None):
    return call_socket(SOCK, method, path, body)


def ctl(*args):
    return subprocess.run([MOTECTL, *args, "--socket", SOCK], check=True, capture_output=True, text=True).stdout


DEFINITIONS = """
[[entity]]
name = "machine"
join_key = "machine_id"

[[feature_view]]
name = "sensors"
entity = "machine"
on_invalid = "flag"
max_null_share = 0.1
expect_every = "1h"
fields = [
  { name = "temp", type = "float64", min = -40, max = 150 },
  { name = "vibration", type = "float64", min = 0 },
  { name = "mode", type = "string", allowed = ["idle", "run", "boost"] },
]

[[feature_view]]
name = "labels"
entity = "machine"
fields = [{ name = "failed", type = "bool" }]

[[feature_view]]
name = "risk"
entity = "machine"
fields = [{ name = "prediction", type = "float64" }, { name = "label", type = "string" }]

[[training_spec]]
name = "weak"
model = "failure"
algorithm = "gbdt"
label = "labels:failed"
features = ["sensors:mode"]
params = { num_trees = 3, num_leaves = 3, min_data_in_leaf = 5 }
promote = { metric = "auc", min_improvement = 0.001 }

[[training_spec]]
name = "strong"
model = "failure"
algorithm = "gbdt"
label = "labels:failed"
features = ["sensors:temp", "sensors:vibration", "sensors:mode"]
params = { num_trees = 40, num_leaves = 7, min_data_in_leaf = 10, early_stopping_rounds = 0 }
promote = { metric = "auc", min_improvement = 0.001 }

[[scoring_job]]
name = "risk-now"
model = "failure"
entities_from = "sensors"
to_view = "risk"
"""


def main():
    call("POST", "/v1/apply", {"toml": DEFINITIONS})
    rng = random.Random(11)
    now = int(time.time())
    keys, temps, vibrations, modes, labels, times = [], [], [], [], [], []
    for i in range(2000):
        t = 40 + rng.random() * 60
        v = rng.random()
        mode = ["idle", "run", "boost"][i % 3]
        keys.append(f"m{i}"); temps.append(t); vibrations.append(v); modes.append(mode)
        labels.append((t > 75 and v > 0.3) or (mode == "boost" and t > 70))
        times.append(now - 3000 + i)
    temps[5] = 400.0  # one broken value: the view flags it
    call("POST", "/v1/push", {"feature_view": "sensors", "df": {"machine_id": keys, "event_timestamp": times, "temp": temps, "vibration": vibrations, "mode": modes}})
    call("POST", "/v1/push", {"feature_view": "labels", "df": {"machine_id": keys, "event_timestamp": [t + 1 for t in times], "failed": labels}})
    for spec in ["weak", "strong"]:
        ctl("train", spec, "--wait")
    # Predictions: calm, then hot machines (temperature up by 30).
    def rows(n, shift):
        return {"inputs": [
            {"name": "sensors:temp", "shape": [n], "datatype": "FP64", "data": [40 + rng.random() * 60 + shift for _ in range(n)]},
            {"name": "sensors:vibration", "shape": [n], "datatype": "FP64", "data": [rng.random() for _ in range(n)]},
            {"name": "sensors:mode", "shape": [n], "datatype": "BYTES", "data": [["idle", "run", "boost"][k % 3] for k in range(n)]}]}
    call("POST", "/v2/models/failure/infer", rows(600, 0))
    call("POST", "/v2/models/failure/infer", rows(600, 30))
    # Feedback on predictions by entity.
    answer = call("POST", "/v1/predict/failure", {"entities": {"machine_id": keys[:100]}})
    ids = [r["prediction_id"] for r in answer["rows"]]
    call("POST", "/v1/feedback", {"labels": [{"prediction_id": p, "label": l} for p, l in zip(ids, labels[:100])]})
    ctl("score", "risk-now", "--wait")
    print(json.dumps({"machines": 2000, "feedback": 100}))


main()
