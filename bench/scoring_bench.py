"""Batch scoring, 1M entities x 28 features, from the online cache into a feature view in one
job, beside what it is made of: the in-process batch predict of the same rows (mote's own
predictor, importbench, one thread; LightGBM's predict for reference) plus the durable push
ceiling for writing the results (Python's sqlite3 inserting (key, event, created, prediction)
rows into one plain WAL table, synchronous=NORMAL, 10 000 rows per transaction); and what the
prediction log's rows cost by themselves (the same rows into its table, schema and indexes).

Goal: scoring within 2x of predict + ceiling; moted's memory bounded while it runs (peak RSS
sampled every 20 ms during the job, beside the RSS before it).

usage: scoring_bench.py PYTHON_WITH_LIGHTGBM [--entities N] [--perf]
"""
import json, os, sqlite3, subprocess, sys, tempfile, threading, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib

PYTHON = sys.argv[1]
N = int(sys.argv[sys.argv.index("--entities") + 1]) if "--entities" in sys.argv else 1_000_000
F = 28
D = tempfile.mkdtemp(prefix="mote-scoringbench-")
IMPORTBENCH = os.path.join(benchlib.root, ".build/release/importbench")


UDS, call = benchlib.UDS, benchlib.call


def rss_kib(pid, key="VmRSS"):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


# 1. Data and a LightGBM model (100 trees x 31 leaves) trained on 50 000 of the rows.
make = f"""
import numpy as np, lightgbm as lgb, time
rng = np.random.default_rng(21)
X = rng.normal(size=({N}, {F}))
y = (X[:, 0] + 0.5 * X[:, 1] * X[:, 2] - X[:, 3] > 0).astype(int)
X.astype('<f8').tofile('{D}/rows.bin')
m = lgb.train(dict(objective='binary', num_leaves=31, verbose=-1, num_threads=1), lgb.Dataset(X[:50000], y[:50000]), 100)
m.save_model('{D}/model.txt')
t = time.perf_counter(); m.predict(X, num_threads=1); print(time.perf_counter() - t)
"""
lgb_seconds = float(subprocess.run([PYTHON, "-c", make], check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])
X = memoryview(open(f"{D}/rows.bin", "rb").read()).cast("d")

# 2. In-process batch predict of the same rows by mote's predictor (best of 3, one thread).
out = subprocess.run([IMPORTBENCH, "batch", f"{D}/model.txt", f"{D}/rows.bin", str(F), "3"], check=True, capture_output=True, text=True).stdout
rate = float(out.split("mote imported lightgbm: ")[1].split(" rows/s")[0])
predict_seconds = N / rate

# 3. The durable push ceiling for N result rows.
db = sqlite3.connect(f"{D}/ceiling.sqlite", isolation_level=None)
db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA synchronous=NORMAL")
db.execute("CREATE TABLE t (k TEXT, e INTEGER, c INTEGER, prediction REAL)")
batches = [[(f"m{i}", 1, 2, 0.5) for i in range(s, min(N, s + 10_000))] for s in range(0, N, 10_000)]
t = time.perf_counter()
for b in batches:
    db.execute("BEGIN")
    db.executemany("INSERT INTO t VALUES (?,?,?,?)", b)
    db.execute("COMMIT")
ceiling_seconds = time.perf_counter() - t
db.close()

# 3b. What logging N predictions costs by itself: the same rows (id, time, model, version,
# entity key, outputs) into a table with the prediction log's schema and indexes, plain
# sqlite3, 50 000 rows per transaction (as the log's writer takes them).
db = sqlite3.connect(f"{D}/log-ceiling.sqlite", isolation_level=None)
db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA synchronous=NORMAL")
db.execute("CREATE TABLE predictions (id TEXT PRIMARY KEY NOT NULL, at_ns INTEGER NOT NULL, model TEXT NOT NULL, version INTEGER NOT NULL, "
           "entity_key TEXT, inputs BLOB, outputs BLOB NOT NULL, latency_ns INTEGER NOT NULL, reasons TEXT, shadow_of TEXT) STRICT")
db.execute("CREATE INDEX predictions_by_model ON predictions (model, at_ns)")
db.execute("CREATE INDEX predictions_by_entity ON predictions (entity_key, at_ns) WHERE entity_key IS NOT NULL")
db.execute("CREATE INDEX predictions_by_time ON predictions (at_ns)")
db.execute("CREATE INDEX predictions_by_shadowed ON predictions (shadow_of) WHERE shadow_of IS NOT NULL")
keys = sorted(f"m{i}" for i in range(N))
log_rows = [("%016x%016x" % (7, i), 1000 + i // 10_000, "bench", 1, keys[i], None, b"\0" * 8, 0, None, None) for i in range(N)]
t = time.perf_counter()
for s in range(0, N, 50_000):
    db.execute("BEGIN")
    db.executemany("INSERT INTO predictions VALUES (?,?,?,?,?,?,?,?,?,?)", log_rows[s:s + 50_000])
    db.execute("COMMIT")
log_ceiling_seconds = time.perf_counter() - t
db.close()
del log_rows, keys

# 4. moted with the rows pushed, the model imported, the job applied.
with benchlib.Moted(D) as m:
    fields = ", ".join(f'{{ name = "f{j}", type = "float64" }}' for j in range(F))
    open(f"{D}/defs.toml", "w").write(f"""
[[entity]]
name = "machine"
join_key = "machine_id"

[[feature_view]]
name = "wide"
entity = "machine"
fields = [{fields}]

[[feature_view]]
name = "scores"
entity = "machine"
fields = [{{ name = "prediction", type = "float64" }}]

[[scoring_job]]
name = "bench"
model = "bench"
entities_from = "wide"
to_view = "scores"
""")
    m.ctl("apply", "-f", f"{D}/defs.toml")
    conn = UDS(m.sock)
    now = int(time.time())
    t = time.perf_counter()
    for s in range(0, N, 10_000):
        e = min(N, s + 10_000)
        df = {"machine_id": [f"m{i}" for i in range(s, e)], "event_timestamp": [now] * (e - s)}
        for j in range(F):
            df[f"f{j}"] = [round(X[i * F + j], 6) for i in range(s, e)]
        call(conn, "POST", "/v1/push", {"feature_view": "wide", "df": df})
    load_seconds = time.perf_counter() - t
    while call(conn, "GET", "/v1/status")["features"]["unmerged_rows"] > 0:
        time.sleep(1)
    m.ctl("models", "import", f"{D}/model.txt", "--name", "bench", "--inputs", ",".join(f"wide:f{j}" for j in range(F)), "--alias", "champion")
    pid = m.process.pid
    before = rss_kib(pid)
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_kib(pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample); sampler.start()
    # --perf: a profile of moted during the job, in DIR/perf.data (perf report -i ...).
    profiler = subprocess.Popen(["perf", "record", "-F", "999", "-g", "-p", str(pid), "-o", f"{D}/perf.data"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) if "--perf" in sys.argv else None
    t = time.perf_counter()
    m.ctl("score", "bench", "--wait")
    scoring_seconds = time.perf_counter() - t
    if profiler:
        profiler.send_signal(2); profiler.wait()
        print(f"profile: perf report -i {D}/perf.data")
    done.set(); sampler.join()
    jobs = call(conn, "GET", "/v1/scoring-jobs/bench/runs")["jobs"]
    conn.request("GET", f"/v1/training-jobs/{jobs[0]['id']}/events")
    events = [json.loads(line) for line in conn.getresponse().read().decode().splitlines() if line.strip()]
    done_event = next(e for e in events if e["phase"] == "done")
    message = done_event["message"] + "; seconds by phase: " + ", ".join(
        f"{k[8:]} {v:.2f}" for k, v in sorted(done_event.items()) if k.startswith("seconds_"))
    online = call(conn, "POST", "/v1/get-online-features", {"features": ["scores:prediction"], "entities": {"machine_id": ["m0", f"m{N - 1}"]}})
    assert all(s == "PRESENT" for s in online["results"][1]["statuses"]), online

budget = 2 * (predict_seconds + ceiling_seconds)
print(f"entities {N} x {F} features; load over the socket {load_seconds:.1f} s")
print(f"in-process predict (mote, 1 thread) {predict_seconds:.2f} s; LightGBM predict (1 thread) {lgb_seconds:.2f} s")
print(f"durable push ceiling for {N} result rows (sqlite3) {ceiling_seconds:.2f} s")
print(f"logging {N} predictions in the prediction log's table (sqlite3) {log_ceiling_seconds:.2f} s")
print(f"scoring job {scoring_seconds:.2f} s ({N / scoring_seconds:,.0f} rows/s): {scoring_seconds / (predict_seconds + ceiling_seconds):.2f}x of predict + push ceiling "
      f"(goal 2x, {budget:.1f} s); {scoring_seconds / (predict_seconds + ceiling_seconds + log_ceiling_seconds):.2f}x of predict + push ceiling + log ceiling")
print(f"moted RSS before the job {before / 1024:.0f} MiB, peak during it {peak[0] / 1024:.0f} MiB")
print(f"job: {message}")
