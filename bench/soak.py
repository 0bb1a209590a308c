#!/usr/bin/env python3
"""Soak: a release moted under mixed load for a long time, its RSS sampled all along.

Load, all at once over the Unix socket: pushes of 100 random entities of 100k (rate-limited
to PUSH_RATE rows/s so the database stays a sane size), OIP inference and predict-by-entity
as fast as one client goes, a tracking run with 20 metric points every 100 ms, a model
import every 30 s (a new version each time), labels for predictions, and a training job
every 2 minutes. RSS (VmRSS of moted) is sampled every 10 s into a CSV; the summary says
whether it plateaued: the peak of the last third of the run against the peak of the middle
third.

Usage: soak.py MOTED MOTECTL MODEL_FILE MINUTES OUT_CSV
Only the Python standard library; moted must be a release build (make release).
"""
import http.client, json, os, random, socket, subprocess, sys, tempfile, threading, time

moted, motectl, model_file, minutes, out_csv = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5]
PUSH_RATE = 2000
work = tempfile.mkdtemp(prefix="mote-soak-")
sock = os.path.join(work, "mote.sock")
with open(os.path.join(work, "moted.toml"), "w") as f:
    f.write('[access]\ndefault_role = "admin"\n[monitoring]\nenabled = true\n')
log = open(os.path.join(work, "moted.log"), "w")
proc = subprocess.Popen([moted, "--config", os.path.join(work, "moted.toml"), "--state-dir", os.path.join(work, "state"),
                         "--socket", sock, "--log-stderr", "--log-level", "warning"], stdout=log, stderr=log)


class UDS(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(sock)


def call(conn, method, path, body=None, ctype="application/json"):
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    conn.request(method, path, data, {"Content-Type": ctype} if data is not None else {})
    r = conn.getresponse()
    return r.status, r.read()


for _ in range(200):
    try:
        if call(UDS("x"), "GET", "/v2/health/ready")[0] == 200:
            break
    except OSError:
        pass
    time.sleep(0.05)

DEFS = '''
[[entity]]
name = "machine"
join_key = "machine_id"

[[feature_view]]
name = "sensors"
entity = "machine"
fields = [{ name = "temp", type = "float64" }, { name = "vibration", type = "float64" }, { name = "mode", type = "string" }]

[[feature_view]]
name = "labels"
entity = "machine"
fields = [{ name = "failed", type = "bool" }]

[[training_spec]]
name = "failure"
model = "failure"
algorithm = "gbdt"
label = "labels:failed"
features = ["sensors:temp", "sensors:vibration", "sensors:mode"]
params = { num_trees = 20, num_leaves = 15, min_data_in_leaf = 10 }
'''
c = UDS("x")
assert call(c, "POST", "/v1/apply", {"toml": DEFS})[0] == 200
rng = random.Random(7)
keys = [f"m{i}" for i in range(2000)]
t = [40 + rng.random() * 60 for _ in keys]
v = [rng.random() for _ in keys]
modes = [["idle", "run", "boost"][i % 3] for i in range(2000)]
now = int(time.time()) - 3600
call(c, "POST", "/v1/push", {"feature_view": "sensors", "df": {"machine_id": keys, "event_timestamp": [now] * 2000, "temp": t, "vibration": v, "mode": modes}})
call(c, "POST", "/v1/push", {"feature_view": "labels", "df": {"machine_id": keys, "event_timestamp": [now + 1] * 2000,
                                                               "failed": [a > 75 and b > 0.3 for a, b in zip(t, v)]}})
subprocess.run([motectl, "train", "failure", "--wait", "--socket", sock], check=True, stdout=subprocess.DEVNULL)
subprocess.run([motectl, "runs", "list", "--socket", sock], stdout=subprocess.DEVNULL)
call(c, "POST", "/v1/experiments", {"name": "soak"})

stop = threading.Event()
counts = {"push": 0, "infer": 0, "predict": 0, "runs": 0, "imports": 0, "trainings": 0, "feedback": 0, "errors": 0}
lock = threading.Lock()


def count(name, status):
    with lock:
        counts[name] += 1
        if status >= 500:
            counts["errors"] += 1


def pusher():
    conn = UDS("x")
    r = random.Random(1)
    while not stop.is_set():
        started = time.time()
        ids = [f"m{r.randrange(100000)}" for _ in range(100)]
        body = {"feature_view": "sensors", "df": {"machine_id": ids, "event_timestamp": [time.time()] * 100,
                                                  "temp": [40 + r.random() * 60 for _ in ids], "vibration": [r.random() for _ in ids],
                                                  "mode": [r.choice(["idle", "run", "boost"]) for _ in ids]}}
        count("push", call(conn, "POST", "/v1/push", body)[0])
        time.sleep(max(0, 100 / PUSH_RATE - (time.time() - started)))


def inferer():
    conn = UDS("x")
    r = random.Random(2)
    while not stop.is_set():
        body = {"inputs": [{"name": "sensors:temp", "shape": [8], "datatype": "FP64", "data": [40 + r.random() * 60 for _ in range(8)]},
                           {"name": "sensors:vibration", "shape": [8], "datatype": "FP64", "data": [r.random() for _ in range(8)]},
                           {"name": "sensors:mode", "shape": [8], "datatype": "BYTES", "data": ["run"] * 8}]}
        count("infer", call(conn, "POST", "/v2/models/failure/infer", body)[0])
        status, answer = call(conn, "POST", "/v1/predict/failure", {"entities": {"machine_id": [f"m{r.randrange(2000)}" for _ in range(8)]}})
        count("predict", status)
        if status == 200 and r.random() < 0.2:
            ids = [row["prediction_id"] for row in json.loads(answer).get("rows", []) if "prediction_id" in row]
            if ids:
                count("feedback", call(conn, "POST", "/v1/feedback", {"labels": [{"prediction_id": i, "label": r.random() < 0.5} for i in ids]})[0])


def tracker():
    conn = UDS("x")
    step = 0
    while not stop.is_set():
        status, answer = call(conn, "POST", "/v1/runs", {"experiment": "soak", "name": f"r{step}"})
        count("runs", status)
        if status == 201:
            run = json.loads(answer)["run"]["id"]
            call(conn, "POST", f"/v1/runs/{run}/log", {"params": {"step": str(step)}, "metrics": [{"key": "loss", "value": 1 / (k + 1), "step": k} for k in range(20)]})
            call(conn, "POST", f"/v1/runs/{run}/finish", {"status": "FINISHED"})
        step += 1
        time.sleep(0.1)


def importer():
    n = 0
    while not stop.wait(30):
        r = subprocess.run([motectl, "models", "import", model_file, "--name", "imported", "--socket", sock], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        count("imports", 500 if r.returncode else 200)
        n += 1


def trainer():
    while not stop.wait(120):
        r = subprocess.run([motectl, "train", "failure", "--wait", "--socket", sock], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        count("trainings", 500 if r.returncode else 200)


def rss_kib():
    with open(f"/proc/{proc.pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


threads = [threading.Thread(target=f, daemon=True) for f in (pusher, inferer, tracker, importer, trainer)]
for th in threads:
    th.start()
started = time.time()
samples = []
with open(out_csv, "w") as out:
    out.write("seconds,rss_mib,pushes,infers,predicts,runs,imports,trainings,feedback,errors_5xx\n")
    while time.time() - started < minutes * 60:
        time.sleep(10)
        rss = rss_kib() / 1024
        with lock:
            snapshot = dict(counts)
        samples.append((time.time() - started, rss))
        out.write(f"{time.time() - started:.0f},{rss:.1f},{snapshot['push']},{snapshot['infer']},{snapshot['predict']},{snapshot['runs']},"
                  f"{snapshot['imports']},{snapshot['trainings']},{snapshot['feedback']},{snapshot['errors']}\n")
        out.flush()
stop.set()
for th in threads:
    th.join(timeout=180)
third = len(samples) // 3
middle = max(r for _, r in samples[third:2 * third])
last = max(r for _, r in samples[2 * third:])
first = max(r for _, r in samples[:third])
status = call(UDS("x"), "GET", "/v1/status")[1]
proc.terminate()
proc.wait(timeout=60)
summary = {
    "minutes": minutes, "rss_peak_first_third_mib": round(first, 1), "rss_peak_middle_third_mib": round(middle, 1),
    "rss_peak_last_third_mib": round(last, 1), "growth_last_vs_middle_pct": round(100 * (last - middle) / middle, 1),
    "counts": counts, "database_bytes": json.loads(status)["disk"]["databases_bytes"], "state": work,
}
print(json.dumps(summary, indent=1))
