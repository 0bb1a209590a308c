#!/usr/bin/env bash
# Inference over the socket (issue 6): a 100-tree, 31-leaf GBDT on 28 features trained in
# moted, then single-row infer at 1 and 8 clients, 1000-row batches, entity-key predict, and
# single-row infer while a training job runs; nginx `return 200` beside it as the floor.
# usage: [LOG_SAMPLE_RATE=0..1] [MONITORING=true|false] bench/inference_bench.sh [requests]   (needs make release, bench/.venv with scikit-learn)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20000}
U=bench/.build/release/udsbench
[ -x $U ] || (cd bench && swift build -c release -q --product udsbench)
D=$(mktemp -d /tmp/mote-infer.XXXXXX); mkdir -p /tmp/mote-bench-nginx
printf '[training]\nthreads = 1\n[limits]\nmax_body_bytes = 67108864\n[inference]\nlog_sample_rate = %s\n[monitoring]\nenabled = %s\n' "${LOG_SAMPLE_RATE:-1.0}" "${MONITORING:-true}" > $D/moted.toml
.build/release-static/moted --config $D/moted.toml --state-dir $D/s --socket $D/m.sock --log-stderr --log-level warning & M=$!
nginx -c "$PWD/bench/nginx-uds.conf" & G=$!
trap 'kill $M $G 2>/dev/null; wait 2>/dev/null; rm -rf $D /tmp/mote-bench-nginx' EXIT
for _ in $(seq 100); do [ -S $D/m.sock ] && [ -S /tmp/mote-bench-nginx/nginx.sock ] && break; sleep 0.05; done
bench/.venv/bin/python - "$D" <<'PY'
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
PY
C="curl -sf -o /dev/null --unix-socket $D/m.sock -H content-type:application/json -XPOST"
$C -d @$D/apply.json http://x/v1/apply
$C -d @$D/push_s.json http://x/v1/push
$C -d @$D/push_y.json http://x/v1/push
curl -sf --unix-socket $D/m.sock -H content-type:application/json -d '{"spec":"bench"}' http://x/v1/training-jobs > $D/job.json
J=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["job"]["id"])' $D/job.json)
curl -sf --unix-socket $D/m.sock "http://x/v1/training-jobs/$J/events?follow=true" | tail -1
I="$U $D/m.sock /v2/models/bench/infer --method POST"
echo "nginx floor:             $($U /tmp/mote-bench-nginx/nginx.sock / --requests $N)"
echo "health:                  $($U $D/m.sock /v2/health/ready --requests $N)"
echo "infer 1 row, 1 client:   $($I --body $D/one.json --requests $N)"
echo "nginx floor, 8 clients:  $($U /tmp/mote-bench-nginx/nginx.sock / --requests $N --clients 8)"
echo "infer 1 row, 8 clients:  $($I --body $D/one.json --requests $N --clients 8)"
echo "infer 1000 rows:         $($I --body $D/batch.json --requests $((N / 100)) --warmup 20)   (x1000 rows)"
echo "predict by entity key:   $($U $D/m.sock /v1/predict/bench --method POST --body $D/entity.json --requests $N)"
echo "infer 1 row, idle again: $($I --body $D/one.json --requests $N)"
curl -sf -o /dev/null --unix-socket $D/m.sock -H content-type:application/json -d '{"spec":"busy"}' http://x/v1/training-jobs
sleep 3
echo "infer 1 row, training:   $($I --body $D/one.json --requests $N)"
