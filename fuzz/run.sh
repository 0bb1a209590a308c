#!/usr/bin/env bash
# Coverage-guided fuzzing of mote's parsers with libFuzzer (Swift's -sanitize=fuzzer, with
# AddressSanitizer). Usage: fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
# Each target starts from the committed seeds in fuzz/corpus/<target>/ and grows a working
# corpus outside the clone ($MOTE_FUZZ_WORK, default /var/cache/mote-ci/fuzz-corpus or
# ~/.cache/mote/fuzz-corpus). A finding is written to fuzz/findings/<target>/ and the run
# fails; once fixed, move the input to fuzz/regressions/<target>/ so `make test` replays it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(http json toml csv rfc3339 lightgbm xgboost onnx bundle infer)
if [ -z "${MOTE_FUZZ_WORK:-}" ]; then
  if [ -w /var/cache/mote-ci ] || [ "$(id -u)" = 0 ]; then MOTE_FUZZ_WORK=/var/cache/mote-ci/fuzz-corpus; else MOTE_FUZZ_WORK=$HOME/.cache/mote/fuzz-corpus; fi
fi
cd "$here"
echo "building motefuzz (-sanitize=fuzzer,address)"
# The main package is a path dependency: forget the cached build plan, so files added to it
# since the last fuzz build are seen (the compiled objects stay cached).
rm -f .build/release.yaml .build/*/release/description.json
buildlog=$(mktemp)
if ! swift build -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library --product motefuzz >"$buildlog" 2>&1; then
  grep -E "error" "$buildlog" | head -20
  echo "motefuzz did not build"
  exit 1
fi
grep -E "warning: .*motefuzz|Compiling motefuzz|Build complete" "$buildlog" || true
rm -f "$buildlog"
binary=$(swift build -c release --show-bin-path -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)/motefuzz
[ -x "$binary" ] || { echo "motefuzz did not build"; exit 1; }
failed=()
for target in "${targets[@]}"; do
  work="$MOTE_FUZZ_WORK/$target"
  findings="$here/findings/$target"
  mkdir -p "$work" "$findings"
  log=$(mktemp)
  started=$(date +%s)
  if SWIFT_BACKTRACE=enable=no MOTE_FUZZ_TARGET=$target "$binary" "$work" "$here/corpus/$target" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -artifact_prefix="$findings/" -print_final_stats=1 >"$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
    echo "fuzz $target: ${runs} inputs in $(( $(date +%s) - started )) s, coverage $cov, no finding"
    rmdir "$findings" 2>/dev/null || true
  else
    echo "fuzz $target: FINDING (inputs in $findings):"
    grep -E "Fatal error|runtime failure|ERROR: |SUMMARY|fuzz property|deadly signal" "$log" | head -5
    failed+=("$target")
  fi
  rm -f "$log"
done
if [ ${#failed[@]} -gt 0 ]; then echo "fuzzing found problems in: ${failed[*]}"; exit 1; fi
