#!/usr/bin/env bash
# Online read latency over the socket: 1 and 100 entities x 10 features, after pushing 1000
# entities. usage: bench/online_read.sh [requests]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20000}
U=bench/.build/release/udsbench
D=$(mktemp -d /tmp/mote-read.XXXXXX)
.build/release-static/moted --state-dir $D/s --socket $D/m.sock --log-stderr --log-level warning & M=$!
trap 'kill $M 2>/dev/null; wait 2>/dev/null; rm -rf $D' EXIT
for _ in $(seq 100); do [ -S $D/m.sock ] && break; sleep 0.05; done
python3 - "$D" <<'PY'
import json, sys
d = sys.argv[1]
fields = [f"f{i}" for i in range(10)]
toml = '[[entity]]\nname = "machine"\njoin_key = "machine_id"\n[[feature_view]]\nname = "stats"\nentity = "machine"\nfields = [' + ", ".join(f'{{ name = "{f}", type = "float64" }}' for f in fields) + "]\n"
json.dump({"toml": toml}, open(d + "/apply.json", "w"))
keys = [f"m{i}" for i in range(1000)]
df = {"machine_id": keys, "event_timestamp": [1700000000] * 1000}
for f in fields: df[f] = [1.25] * 1000
json.dump({"feature_view": "stats", "df": df}, open(d + "/push.json", "w"))
for n in (1, 100):
    json.dump({"features": [f"stats:{f}" for f in fields], "entities": {"machine_id": keys[:n]}}, open(d + f"/read{n}.json", "w"))
PY
C="curl -s -o /dev/null --unix-socket $D/m.sock -H content-type:application/json -XPOST"
$C -d @$D/apply.json http://x/v1/apply
$C -d @$D/push.json http://x/v1/push
echo "online read 1x10:   $($U $D/m.sock /v1/get-online-features --method POST --body $D/read1.json --requests $N)"
echo "online read 100x10: $($U $D/m.sock /v1/get-online-features --method POST --body $D/read100.json --requests $((N / 10)))"
