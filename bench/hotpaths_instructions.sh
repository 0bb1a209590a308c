#!/usr/bin/env bash
# Instructions per request on the hot paths, counted by callgrind (repeatable, unlike
# latency on this VM): each moted build runs under valgrind, uninstrumented while it starts
# and trains; then for each path the counters are zeroed, WARM+N requests are sent by udsbench, and the dump's total is
# divided by the requests. Paths: health, online read 1 entity x 28 fields, single-row infer,
# 1000-row infer (same data and model as bench/hotpaths_ab.sh). The periodic services
# (retention, schedules, drift checks) are set to an hour so they do not land in a count;
# the prediction log's writer does, as it is part of what a request costs.
# usage: bench/hotpaths_instructions.sh MOTED [MOTED ...]   (PY: python with numpy and scikit-learn)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-/var/cache/mote-ci/mlflow-venv-3.17.2/bin/python}
U=bench/.build/release/udsbench
[ -x $U ] || (cd bench && swift build -c release -q --product udsbench)
D=$(mktemp -d /tmp/mote-ir.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf $D' EXIT
$PY bench/inference_data.py "$D"
$PY - "$D" <<'PY'
import json, sys
d = sys.argv[1]
json.dump({"features": [f"s:f{i}" for i in range(28)], "entities": {"unit_id": ["u1"]}}, open(d + "/read1.json", "w"))
PY
printf '[training]\nthreads = 1\nschedule_interval = "1h"\n[limits]\nmax_body_bytes = 67108864\nrequest_timeout = "600s"\n[features]\nretention_interval = "1h"\n[monitoring]\ninterval = "1h"\n' > $D/moted.toml
count() {  # pid label requests udsbench-args...
  local pid=$1 label=$2 total=$3; shift 3
  callgrind_control -z $pid >/dev/null 2>&1
  $U "$@" >/dev/null
  [ -n "${KEEP:-}" ] || rm -f $D/cg.$pid.*
  callgrind_control -d $label $pid >/dev/null 2>&1
  local file; file=$(ls -t $D/cg.$pid.* | head -1)
  local ir; ir=$(sed -n 's/^summary: \([0-9]*\).*/\1/p' $file)
  printf "%-12s %12d instructions/request\n" "$label" $(( ir / total ))
}
for M in "$@"; do
  S=$D/s-$$-$RANDOM
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=$D/cg.%p \
    $M --config $D/moted.toml --state-dir $S --socket $S.sock --log-stderr --log-level warning 2>$D/valgrind.log &
  P=$!
  for _ in $(seq 600); do [ -S $S.sock ] && break; sleep 0.1; done
  C="curl -sf -o /dev/null --unix-socket $S.sock -H content-type:application/json -XPOST"
  $C -d @$D/apply.json http://x/v1/apply
  $C -d @$D/push_s.json http://x/v1/push
  $C -d @$D/push_y.json http://x/v1/push
  J=$(curl -sf --unix-socket $S.sock -H content-type:application/json -d '{"spec":"bench"}' http://x/v1/training-jobs | $PY -c 'import json,sys; print(json.load(sys.stdin)["job"]["id"])')
  curl -sf --unix-socket $S.sock "http://x/v1/training-jobs/$J/events?follow=true" > /dev/null
  callgrind_control -i on $P >/dev/null 2>&1
  echo "$M"
  count $P health 2200 $S.sock /v2/health/ready --requests 2000 --warmup 200
  count $P read-1x28 2200 $S.sock /v1/get-online-features --method POST --body $D/read1.json --requests 2000 --warmup 200
  count $P infer-1 2200 $S.sock /v2/models/bench/infer --method POST --body $D/one.json --requests 2000 --warmup 200
  count $P infer-1000 55 $S.sock /v2/models/bench/infer --method POST --body $D/batch.json --requests 50 --warmup 5
  kill $P; wait $P 2>/dev/null || true
done
