#!/usr/bin/env bash
# Quick side-by-side: nginx `return 200` vs moted /v2/health/ready over a Unix socket,
# alternating, one client. usage: bench/compare.sh [rounds] [requests]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}; N=${2:-40000}
U=bench/.build/release/udsbench
[ -x $U ] || (cd bench && swift build -c release -q)
D=$(mktemp -d /tmp/mote-cmp.XXXXXX); mkdir -p /tmp/mote-bench-nginx
.build/release-static/moted --state-dir $D/s --socket $D/m.sock --log-stderr --log-level warning & M=$!
nginx -c "$PWD/bench/nginx-uds.conf" & G=$!
trap 'kill $M $G 2>/dev/null; wait 2>/dev/null; rm -rf $D /tmp/mote-bench-nginx' EXIT
for _ in $(seq 100); do [ -S $D/m.sock ] && [ -S /tmp/mote-bench-nginx/nginx.sock ] && break; sleep 0.05; done
for r in $(seq $ROUNDS); do
  echo "nginx: $($U /tmp/mote-bench-nginx/nginx.sock / --requests $N)"
  echo "moted: $($U $D/m.sock /v2/health/ready --requests $N)"
done
