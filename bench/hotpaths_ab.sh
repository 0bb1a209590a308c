#!/usr/bin/env bash
# The hot paths of two moted builds side by side, interleaved round by round so that this
# VM's minute-to-minute drift hits both alike: health, an online read of 1 entity x 28 fields,
# a single-row infer and a 1000-row infer of a 100-tree GBDT trained on the same data in each.
# Prints every round, then the median p50 / p99 per path and build.
# usage: bench/hotpaths_ab.sh BEFORE_MOTED AFTER_MOTED [rounds] [requests]
#   (PY: a python with numpy and scikit-learn, e.g. the MLflow venv make test-deps builds)
set -euo pipefail
cd "$(dirname "$0")/.."
A=$1; B=$2; ROUNDS=${3:-5}; N=${4:-10000}
PY=${PY:-/var/cache/mote-ci/mlflow-venv-3.17.2/bin/python}
U=bench/.build/release/udsbench
[ -x $U ] || (cd bench && swift build -c release -q --product udsbench)
D=$(mktemp -d /tmp/mote-ab.XXXXXX)
printf '[training]\nthreads = 1\n[limits]\nmax_body_bytes = 67108864\n' > $D/moted.toml
$A --config $D/moted.toml --state-dir $D/a --socket $D/a.sock --log-stderr --log-level warning & PA=$!
$B --config $D/moted.toml --state-dir $D/b --socket $D/b.sock --log-stderr --log-level warning & PB=$!
trap 'kill $PA $PB 2>/dev/null; wait 2>/dev/null; rm -rf $D' EXIT
for _ in $(seq 100); do [ -S $D/a.sock ] && [ -S $D/b.sock ] && break; sleep 0.05; done
$PY bench/inference_data.py "$D"
$PY - "$D" <<'PY'
import json, sys
d = sys.argv[1]
json.dump({"features": [f"s:f{i}" for i in range(28)], "entities": {"unit_id": ["u1"]}}, open(d + "/read1.json", "w"))
PY
for s in a b; do
  C="curl -sf -o /dev/null --unix-socket $D/$s.sock -H content-type:application/json -XPOST"
  $C -d @$D/apply.json http://x/v1/apply
  $C -d @$D/push_s.json http://x/v1/push
  $C -d @$D/push_y.json http://x/v1/push
  J=$(curl -sf --unix-socket $D/$s.sock -H content-type:application/json -d '{"spec":"bench"}' http://x/v1/training-jobs | $PY -c 'import json,sys; print(json.load(sys.stdin)["job"]["id"])')
  curl -sf --unix-socket $D/$s.sock "http://x/v1/training-jobs/$J/events?follow=true" > /dev/null
done
run() {  # name sock args...
  local name=$1 sock=$2; shift 2
  local out; out=$($U $sock "$@")
  echo "$name: $out"
  echo "$name $(sed -n 's/.*p50=\([0-9.]*\)us.*/\1/p' <<<"$out") $(sed -n 's/.*p99=\([0-9.]*\)us.*/\1/p' <<<"$out")" >> $D/results
}
for r in $(seq $ROUNDS); do
  echo "round $r"
  for s in a b; do run "health/$s" $D/$s.sock /v2/health/ready --requests $N; done
  for s in a b; do run "read-1x28/$s" $D/$s.sock /v1/get-online-features --method POST --body $D/read1.json --requests $N; done
  for s in a b; do run "infer-1/$s" $D/$s.sock /v2/models/bench/infer --method POST --body $D/one.json --requests $N; done
  for s in a b; do run "infer-1000/$s" $D/$s.sock /v2/models/bench/infer --method POST --body $D/batch.json --requests $((N / 100)) --warmup 20; done
done
echo
echo "median of $ROUNDS rounds (a = $A, b = $B), microseconds:"
$PY - $D/results <<'PY'
import sys, statistics, collections
p50 = collections.defaultdict(list); p99 = collections.defaultdict(list)
for line in open(sys.argv[1]):
    name, a, b = line.split()
    p50[name].append(float(a)); p99[name].append(float(b))
paths = sorted({n.split("/")[0] for n in p50}, key=["health", "read-1x28", "infer-1", "infer-1000"].index)
print(f"{'path':<12} {'a p50':>9} {'b p50':>9} {'b/a':>6} {'a p99':>9} {'b p99':>9}")
for p in paths:
    a, b = statistics.median(p50[p + "/a"]), statistics.median(p50[p + "/b"])
    print(f"{p:<12} {a:9.1f} {b:9.1f} {b / a:6.2f} {statistics.median(p99[p + '/a']):9.1f} {statistics.median(p99[p + '/b']):9.1f}")
PY
