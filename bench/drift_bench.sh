#!/usr/bin/env bash
# One drift check for 50 numeric features over a 100k-row window (issue 7): mote's mergeable
# live profiles (merge the window's buckets, then the tests on the merged samples) against
# recomputing Evidently's test for this case (normed Wasserstein) over the raw rows with scipy.
# usage: bench/drift_bench.sh   (bench/.venv with numpy and scipy)
set -euo pipefail
cd "$(dirname "$0")"
swift build -c release -q --product monitorbench
.build/release/monitorbench 50 100000 1000
.build/release/monitorbench 50 100000 5000
.venv/bin/python - <<'PY'
import time, numpy as np
from scipy.stats import wasserstein_distance
rng = np.random.default_rng(42)
F, N = 50, 100_000
ref = rng.normal(size=(100_000, F)) * 1.7 + np.arange(F)
cur = rng.normal(size=(N, F)) * 1.7 + np.arange(F) + np.r_[np.zeros(F - 10), np.full(10, 1.5)]
best = 1e9
for _ in range(3):
    t = time.perf_counter()
    d = [wasserstein_distance(ref[:, f], cur[:, f]) / np.std(ref[:, f]) for f in range(F)]
    best = min(best, time.perf_counter() - t)
print(f"scipy {__import__('scipy').__version__} wasserstein_distance over the raw rows, {F} features x {N} rows: {best*1000:.0f} ms; drifted {sum(x >= 0.1 for x in d)} of {F}")
PY
