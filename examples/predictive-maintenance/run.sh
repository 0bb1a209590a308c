#!/usr/bin/env bash
# The whole loop on the predictive-maintenance example against a running moted (`make run` in
# another terminal): apply the definitions, push the data, train, predict, send what really
# happened, read the monitoring report. About 15 s of machine time; it prints what it does.
# Runs again as often as you like (the same rows replace themselves; a new training job only
# replaces the champion when it is better).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
export MOTE_SOCKET=${MOTE_SOCKET:-$repo/.mote/mote.sock}
PATH=$repo/.build/debug:$PATH
command -v motectl >/dev/null || { echo "motectl not found: run make run (or make) first"; exit 1; }
step() { printf '\n== %s\n' "$*"; }
started=$(date +%s)

step "waiting for moted on $MOTE_SOCKET (make run builds, then starts it)"
motectl status --wait --timeout 900 | head -2

step "apply the definitions: presses, their sensor readings, failure labels, a training spec"
motectl apply -f "$here/definitions.toml"

step "push two days of hourly readings of 200 presses, and the failure labels"
motectl features push sensors --csv "$here/data/sensors.csv"
motectl features push failures --csv "$here/data/failures.csv"

step "train a gradient-boosted model on the box; it serves if it beats the champion's holdout AUC"
motectl train failure-gbdt --wait

step "predict from the online features of three presses"
for machine in m007 m042 m150; do
  echo "-- $machine"
  motectl predict failure --entity machine_id=$machine
done

step "predict every press, six times over (1200 predictions: enough for a drift verdict)"
ids=$(tail -n +2 "$here/data/outcomes.csv" | cut -d, -f1 | sed 's/.*/"&"/' | paste -sd, -)
for round in 1 2 3 4 5 6; do
  curl -sf --unix-socket "$MOTE_SOCKET" -H 'Content-Type: application/json' \
    -d "{\"entities\": {\"machine_id\": [$ids]}}" http://localhost/v1/predict/failure >/dev/null
done
echo "1200 predictions logged"

step "tell mote what really happened to each press (joined to its latest prediction, and pushed as labels)"
labels=$(mktemp)
trap 'rm -f "$labels"' EXIT
at=$(date -u -d '+1 second' +%Y-%m-%dT%H:%M:%SZ)
echo "machine_id,timestamp,label" > "$labels"
tail -n +2 "$here/data/outcomes.csv" | sed "s/,/,$at,/" >> "$labels"
motectl feedback failure --csv "$labels" --feature-view failures

step "monitoring: drift of each input against the training data, live metrics from the feedback"
motectl monitor failure

echo
echo "done in $(( $(date +%s) - started )) s. Next: motectl runs list; motectl models show failure; docs/definitions.md"
