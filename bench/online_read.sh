#!/usr/bin/env bash
# Online read latency over the socket, interleaved with its floors so that the minute-to-minute
# drift of this VM hits all of them alike: nginx `return 200` (raw HTTP over a Unix socket),
# Redis GET of a 1x10 answer-sized value (redis-benchmark over a Unix socket), moted's health
# check, and moted's 1x10 / 100x10 reads after pushing 1000 entities of 10 float64 fields.
# Given more than one moted binary (a before and an after), each serves its own copy of the
# data and is measured in every round beside the others, named by its position (m1, m2, ...).
# Prints each round, then the median p50/p99 per target.
# usage: bench/online_read.sh [rounds] [requests per round] [moted ...]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-7}; N=${2:-5000}
shift $(( $# < 2 ? $# : 2 ))
MOTEDS=("$@"); [ ${#MOTEDS[@]} -gt 0 ] || MOTEDS=(.build/release-static/moted)
U=bench/.build/release/udsbench
[ -x $U ] || (cd bench && swift build -c release -q)
D=$(mktemp -d /tmp/mote-read.XXXXXX); mkdir -p /tmp/mote-bench-nginx
PIDS=()
for i in "${!MOTEDS[@]}"; do
  "${MOTEDS[$i]}" --state-dir $D/s$i --socket $D/m$i.sock --log-stderr --log-level warning & PIDS+=($!)
done
nginx -c "$PWD/bench/nginx-uds.conf" & G=$!
redis-server --port 0 --unixsocket $D/redis.sock --save "" --appendonly no --daemonize no >/dev/null & R=$!
trap 'kill ${PIDS[@]} $G $R 2>/dev/null; wait 2>/dev/null; rm -rf $D /tmp/mote-bench-nginx' EXIT
for i in "${!MOTEDS[@]}"; do
  for _ in $(seq 100); do [ -S $D/m$i.sock ] && break; sleep 0.05; done
done
for _ in $(seq 100); do [ -S /tmp/mote-bench-nginx/nginx.sock ] && [ -S $D/redis.sock ] && break; sleep 0.05; done
python3 - "$D" <<'PY'
import json, sys
d = sys.argv[1]
fields = [f"f{i}" for i in range(10)]
toml = '[[entity]]\nname = "machine"\njoin_key = "machine_id"\n[[feature_view]]\nname = "stats"\nentity = "machine"\nfields = [' + ", ".join(f'{{ name = "{f}", type = "float64" }}' for f in fields) + "]\n"
json.dump({"toml": toml}, open(d + "/apply.json", "w"))
keys = [f"m{i}" for i in range(1000)]
df = {"machine_id": keys, "event_timestamp": [1700000000] * 1000}
for f in fields: df[f] = [1.25 + i / 7 for i in range(1000)]
json.dump({"feature_view": "stats", "df": df}, open(d + "/push.json", "w"))
for n in (1, 100):
    json.dump({"features": [f"stats:{f}" for f in fields], "entities": {"machine_id": keys[:n]}}, open(d + f"/read{n}.json", "w"))
PY
for i in "${!MOTEDS[@]}"; do
  C="curl -sf -o /dev/null --unix-socket $D/m$i.sock -H content-type:application/json -XPOST"
  $C -d @$D/apply.json http://x/v1/apply
  $C -d @$D/push.json http://x/v1/push
  curl -sf --unix-socket $D/m$i.sock -H content-type:application/json -d @$D/read100.json http://x/v1/get-online-features > $D/answer100-$i.json
  # Every binary answers the same bytes.
  cmp -s $D/answer100-0.json $D/answer100-$i.json || { echo "m$((i + 1)) answers differently"; exit 1; }
done
# Redis holds one 1x10 answer as the value read back (the same bytes moted answers with).
curl -sf --unix-socket $D/m0.sock -H content-type:application/json -d @$D/read1.json http://x/v1/get-online-features > $D/answer1.json
redis-cli -s $D/redis.sock -x SET key:__rand_int__ < $D/answer1.json >/dev/null
echo "answer size: $(wc -c < $D/answer1.json) bytes"

p50() { sed -n 's/.*p50=\([0-9.]*\)us.*/\1/p'; }
p99() { sed -n 's/.*p99=\([0-9.]*\)us.*/\1/p'; }
declare -A P50 P99
run() {  # name, command...
  local name=$1; shift
  local out; out=$("$@")
  P50[$name]+="$(echo "$out" | p50) "; P99[$name]+="$(echo "$out" | p99) "
  printf '  %-16s %s\n' "$name" "$out"
}
redis_run() {  # redis-benchmark: one client, GET of the stored answer, p50/p99 in msec -> us
  local csv; csv=$(redis-benchmark -s $D/redis.sock -c 1 -n $N -r 1 -t get --csv 2>/dev/null | tail -1)
  python3 -c 'import sys; f=[x.strip("\"") for x in sys.argv[1].split(",")]; print(f"clients=1 requests='"$N"' p50={float(f[4])*1000:.1f}us p99={float(f[6])*1000:.1f}us")' "$csv"
}
for r in $(seq $ROUNDS); do
  echo "round $r"
  run nginx $U /tmp/mote-bench-nginx/nginx.sock / --requests $N --warmup 500
  run redis-get redis_run
  # The binaries take turns going first, so that a position in the round favours none.
  ORDER=("${!MOTEDS[@]}"); [ $((r % 2)) -eq 0 ] && ORDER=($(printf '%s\n' "${ORDER[@]}" | tac))
  for i in "${ORDER[@]}"; do
    m=$([ ${#MOTEDS[@]} -gt 1 ] && echo "m$((i + 1))-" || true)
    run ${m}health $U $D/m$i.sock /v2/health/ready --requests $N --warmup 500
    run ${m}read-1x10 $U $D/m$i.sock /v1/get-online-features --method POST --body $D/read1.json --requests $N --warmup 500
    run ${m}read-100x10 $U $D/m$i.sock /v1/get-online-features --method POST --body $D/read100.json --requests $((N / 5)) --warmup 100
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "median over $ROUNDS rounds (p50 / p99, us):"
for name in nginx redis-get $(for i in "${!MOTEDS[@]}"; do m=$([ ${#MOTEDS[@]} -gt 1 ] && echo "m$((i + 1))-" || true); echo ${m}health ${m}read-1x10 ${m}read-100x10; done); do
  printf '  %-16s %6s / %s\n' "$name" "$(echo ${P50[$name]} | median)" "$(echo ${P99[$name]} | median)"
done
