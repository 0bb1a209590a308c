"""Writes the example's data (run once; the CSVs are committed): 200 presses on a shop floor,
a sensor reading per press per hour for two days, and whether each press failed in the six
hours after a time. Failure follows heat and vibration, more so in boost mode, with noise:

    python3 make_data.py
"""
import csv
import math
import random
from datetime import datetime, timedelta, timezone

rng = random.Random(2026)
start = datetime(2026, 11, 27, 0, 0, tzinfo=timezone.utc)
machines = [f"m{k:03d}" for k in range(200)]
wear = {m: rng.random() for m in machines}           # some presses run hotter and shakier
readings = {m: [] for m in machines}

with open("data/sensors.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["machine_id", "event_timestamp", "temp", "vibration", "mode"])
    for hour in range(48):
        at = start + timedelta(hours=hour)
        for m in machines:
            mode = rng.choices(["idle", "run", "boost"], weights=[2, 6, 2])[0]
            load = {"idle": 0.2, "run": 0.6, "boost": 1.0}[mode]
            temp = 55 + 25 * wear[m] + 15 * load + rng.gauss(0, 4)
            vibration = max(0.0, 0.15 + 0.5 * wear[m] * load + rng.gauss(0, 0.08))
            readings[m].append((at, temp, vibration, mode))
            w.writerow([m, at.strftime("%Y-%m-%dT%H:%M:%SZ"), round(temp, 2), round(vibration, 3), mode])


def fails(temp, vibration, mode):
    """The true hazard: hot and shaking presses fail, boost makes it worse."""
    score = 0.18 * (temp - 80) + 6 * (vibration - 0.45) + (0.8 if mode == "boost" else 0)
    return rng.random() < 1 / (1 + math.exp(-score))


with open("data/failures.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["machine_id", "event_timestamp", "failed"])
    # A label every six hours: did the press fail in the six hours after its latest reading.
    for hour in range(5, 48, 6):
        for m in machines:
            at, temp, vibration, mode = readings[m][hour]
            w.writerow([m, (at + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ"), "true" if fails(temp, vibration, mode) else "false"])

with open("data/outcomes.csv", "w", newline="") as f:
    # What really happened after the newest readings: the feedback for today's predictions.
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["machine_id", "failed"])
    for m in machines:
        at, temp, vibration, mode = readings[m][-1]
        w.writerow([m, "true" if fails(temp, vibration, mode) else "false"])
