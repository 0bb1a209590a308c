#!/usr/bin/env python3
"""How often stationary data alone crosses the default drift threshold (normed Wasserstein
distance 0.1), by live window size: the measurement behind monitoring.min_rows = 1000.

    python bench/drift_noise.py      # needs numpy and scipy (the oracle venv has both)

Reference: 1000 values (the size of a bundle's reference sample); live: n values of the same
distribution; the distance is scipy's wasserstein_distance divided by the reference's
standard deviation, as mote norms it. 400 trials per cell.
"""
import numpy as np
from scipy.stats import wasserstein_distance

rng = np.random.default_rng(0)
draw = {"normal": rng.normal, "exponential": rng.exponential, "uniform": rng.random}
print("distribution  live rows   p50     p95     share over 0.1")
for name, g in draw.items():
    for n in (100, 300, 500, 1000):
        d = []
        for _ in range(400):
            ref, live = g(size=1000), g(size=n)
            d.append(wasserstein_distance(ref, live) / ref.std())
        d = np.array(d)
        print(f"{name:12s}  {n:9d}   {np.percentile(d, 50):.3f}   {np.percentile(d, 95):.3f}   {(d > 0.1).mean():.1%}")
