#!/usr/bin/env bash
# Cost of monitoring on the predict path (issue 7): two daemons with the same trained model,
# one with [monitoring] enabled (live profiles folded on the prediction log's writer thread,
# drift checks every second) and one without; single-row infer and 1000-row batches against
# each, round by round (interleaved, so the VM's drift hits both alike), medians of the rounds.
# usage: bench/monitoring_cost.sh [rounds] [requests]   (needs make release, bench/.venv with scikit-learn)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-7}
N=${2:-10000}
U=bench/.build/release/udsbench
[ -x $U ] || (cd bench && swift build -c release -q --product udsbench)
W=$(mktemp -d /tmp/mote-moncost.XXXXXX)
PIDS=()
trap 'kill ${PIDS[@]} 2>/dev/null; wait 2>/dev/null; rm -rf $W' EXIT
bench/.venv/bin/python bench/inference_data.py "$W"
for mode in on off; do
  D=$W/$mode; mkdir -p $D
  printf '[training]\nthreads = 1\n[limits]\nmax_body_bytes = 67108864\n[monitoring]\nenabled = %s\ninterval = "1s"\nmin_rows = 100\n' "$([ $mode = on ] && echo true || echo false)" > $D/moted.toml
  .build/release-static/moted --config $D/moted.toml --state-dir $D/s --socket $D/m.sock --log-stderr --log-level warning 2>$D/log & PIDS+=($!)
  for _ in $(seq 100); do [ -S $D/m.sock ] && break; sleep 0.05; done
  C="curl -sf -o /dev/null --unix-socket $D/m.sock -H content-type:application/json -XPOST"
  $C -d @$W/apply.json http://x/v1/apply; $C -d @$W/push_s.json http://x/v1/push; $C -d @$W/push_y.json http://x/v1/push
  J=$(curl -sf --unix-socket $D/m.sock -H content-type:application/json -d '{"spec":"bench"}' http://x/v1/training-jobs | python3 -c 'import json,sys; print(json.load(sys.stdin)["job"]["id"])')
  curl -sf --unix-socket $D/m.sock "http://x/v1/training-jobs/$J/events?follow=true" > /dev/null
done
for r in $(seq $ROUNDS); do
  for mode in on off; do
    D=$W/$mode
    echo "$mode single $($U $D/m.sock /v2/models/bench/infer --method POST --body $W/one.json --requests $N)" >> $W/results
    echo "$mode batch $($U $D/m.sock /v2/models/bench/infer --method POST --body $W/batch.json --requests $((N / 100)) --warmup 10)" >> $W/results
  done
done
python3 - $W/results $W/on/m.sock <<'PY'
import re, statistics, sys, json, subprocess
rows = {}
for line in open(sys.argv[1]):
    mode, kind = line.split()[:2]
    m = dict(re.findall(r'(\w+)=([\d.]+)', line))
    rows.setdefault((mode, kind), []).append(m)
def med(mode, kind, key): return statistics.median(float(m[key].rstrip('us')) for m in rows[(mode, kind)])
for kind in ["single", "batch"]:
    for key in ["p50", "p99", "rate"]:
        on, off = med("on", kind, key), med("off", kind, key)
        unit = "rows/s" if key == "rate" and kind == "batch" else ("req/s" if key == "rate" else "us")
        scale = 1000 if key == "rate" and kind == "batch" else 1
        print(f"{kind:6} {key:4}: monitoring on {on*scale:10.1f} {unit:6} off {off*scale:10.1f} {unit:6} ({(on/off - 1)*100:+.1f}%)")
report = json.loads(subprocess.run(["curl", "-sf", "--unix-socket", sys.argv[2], "http://x/v1/models/bench/monitoring"], capture_output=True, text=True).stdout)
print(f"monitoring on: window {report['window']['rows']} rows, judged {report['judged']}, {len(report['features'])} inputs tested")
PY
