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
bench/.venv/bin/python bench/inference_data.py "$D"
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
