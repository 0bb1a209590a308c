#!/usr/bin/env bash
# Foundation benchmarks (issue 2): health round trip over the socket vs nginx, start to READY,
# idle RSS, stripped binary size. Needs `make release` first (make bench does it).
# Output: bench/results/foundation-<date>.txt; copy the figures into bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
MOTED=.build/release-static/moted
[ -x "$MOTED" ] || { echo "run make release first"; exit 1; }
command -v nginx >/dev/null || { echo "installing nginx-light for the floor comparison"; apt-get install -y -qq --no-install-recommends nginx-light >/dev/null; }
(cd bench && swift build -c release -q)
UDSBENCH=bench/.build/release/udsbench
mkdir -p bench/results
OUT=bench/results/foundation-$(date -u +%Y%m%dT%H%M%SZ).txt
exec > >(tee "$OUT") 2>&1

echo "machine: $(nproc) vCPU, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r), $(swift --version 2>&1 | head -1)"
echo "date: $(date -u +%FT%TZ)"
echo "binary: $(stat -c %s $MOTED) bytes stripped ($MOTED)"

D=$(mktemp -d /tmp/mote-bench.XXXXXX)
$MOTED --state-dir $D/state --socket $D/mote.sock --log-stderr --log-level warning &
MPID=$!
mkdir -p /tmp/mote-bench-nginx
nginx -c "$PWD/bench/nginx-uds.conf" &
NPID=$!
trap 'kill $MPID $NPID 2>/dev/null; wait 2>/dev/null; rm -rf $D /tmp/mote-bench-nginx' EXIT
for _ in $(seq 100); do [ -S $D/mote.sock ] && [ -S /tmp/mote-bench-nginx/nginx.sock ] && break; sleep 0.05; done

for round in 1 2 3; do
  for c in 1 8; do
    echo "round $round nginx  GET / clients=$c:               $($UDSBENCH /tmp/mote-bench-nginx/nginx.sock / --clients $c --requests 40000)"
    echo "round $round moted  GET /v2/health/ready clients=$c: $($UDSBENCH $D/mote.sock /v2/health/ready --clients $c --requests 40000)"
  done
done
echo "moted RSS after load: $(awk '/VmRSS/ {print $2/1024 " MB"}' /proc/$MPID/status)"
kill $MPID; wait $MPID 2>/dev/null || true
python3 bench/ready_time.py $MOTED 10
