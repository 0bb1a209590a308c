#!/usr/bin/env python3
"""Feature store benchmarks (issue 3). Starts a release moted on a temporary state directory
and measures: durable push rows/s for batches of 1, 100 and 10k rows of 10 fields (beside a
plain SQLite batch insert, the ceiling), online reads of 1x10 and 100x10 over the socket, the
point-in-time join of 1M feature rows x 100k entity rows (beside pandas merge_asof), and the
online cache rebuild for 1M entities.
usage: features_bench.py MOTED UDSBENCH SQLITECEILING [PYTHON_WITH_PANDAS]"""
import http.client, json, os, random, shutil, socket, subprocess, sys, tempfile, time

MOTED, UDSBENCH, CEILING = sys.argv[1:4]
PANDAS_PY = sys.argv[4] if len(sys.argv) > 4 else None
D = tempfile.mkdtemp(prefix="mote-fbench-")
SOCK = D + "/m.sock"
FIELDS = [f"f{i}" for i in range(10)]
T0 = 1_700_000_000

class UDS(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=3600)
        self.path = path
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)

def call(conn, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    conn.request(method, path, body=data, headers={"Content-Type": "application/json"} if data else {})
    r = conn.getresponse()
    payload = r.read()
    if r.status >= 400:
        raise SystemExit(f"{path}: {r.status} {payload[:300]}")
    return r, payload

def start():
    p = subprocess.Popen([MOTED, "--state-dir", D + "/state", "--socket", SOCK, "--log-stderr", "--log-level", "info"],
                         stderr=open(D + "/moted.log", "a"))
    for _ in range(400):
        try:
            c = UDS(SOCK); call(c, "GET", "/v2/health/ready"); return p
        except Exception:
            time.sleep(0.02)
    raise SystemExit("moted did not start")

def push_body(view, keys, t):
    df = {"machine_id": keys, "event_timestamp": [t] * len(keys)}
    for i, f in enumerate(FIELDS):
        df[f] = [round(random.random() * 100, 3) for _ in keys]
    return {"feature_view": view, "df": df}

def udsbench(path, body, requests, method="POST"):
    fn = D + "/body.json"
    with open(fn, "w") as f: json.dump(body, f)
    out = subprocess.run([UDSBENCH, SOCK, path, "--method", method, "--body", fn, "--requests", str(requests),
                          "--warmup", str(max(1, requests // 20))], capture_output=True, text=True).stdout.strip()
    return dict(kv.split("=") for kv in out.split()[0:]) if out else {}

defs = """
[[entity]]
name = "machine"
join_key = "machine_id"

[[feature_view]]
name = "stats"
entity = "machine"
ttl = "0s"
fields = [""" + ", ".join(f'{{ name = "{f}", type = "float64" }}' for f in FIELDS) + """]

[[feature_view]]
name = "wide"
entity = "machine"
ttl = "0s"
fields = [""" + ", ".join(f'{{ name = "{f}", type = "float64" }}' for f in FIELDS) + "]\n"

p = start()
c = UDS(SOCK)
call(c, "POST", "/v1/apply", {"toml": defs})
print(f"machine: {os.cpu_count()} vCPU; moted {MOTED}")

# 1. Durable push throughput.
for batch, requests in [(1, 4000), (100, 1000), (10000, 30)]:
    keys = [f"m{i}" for i in range(batch)]
    r = udsbench("/v1/push", push_body("stats", keys, T0), requests)
    rate = int(r["rate"].rstrip("/s")) * batch
    ceiling = subprocess.run([CEILING, D + "/ceiling.sqlite", str(batch), str(min(200000, batch * requests))],
                             capture_output=True, text=True).stdout.strip()
    print(f"push batch={batch}: moted {rate} rows/s (p50 {r['p50']} p99 {r['p99']} per request); {ceiling}")

# 2. Online reads.
for n in [1, 100]:
    body = {"features": [f"stats:{f}" for f in FIELDS], "entities": {"machine_id": [f"m{i}" for i in range(n)]}}
    r = udsbench("/v1/get-online-features", body, 20000)
    print(f"online read {n} entity x 10 features: p50 {r['p50']} p90 {r['p90']} p99 {r['p99']} rate {r['rate']}")

# 3. Point-in-time join: 1M feature rows (100k entities x 10 events) x 100k entity rows.
random.seed(7)
ENT = 100_000
rows_csv = open(D + "/features.csv", "w")
rows_csv.write("machine_id,event_ts,created_ts," + ",".join(FIELDS) + "\n")
t_load = time.time()
for b in range(100):
    keys = [f"e{(b * 10000 + i) % ENT}" for i in range(10000)]
    t = [T0 + random.randint(0, 86400 * 30) for _ in keys]
    df = {"machine_id": keys, "event_timestamp": t, "created_timestamp": [T0 + 86400 * 31 + b] * len(keys)}
    vals = [[round(random.random(), 4) for _ in keys] for _ in FIELDS]
    for i, f in enumerate(FIELDS): df[f] = vals[i]
    call(c, "POST", "/v1/push", {"feature_view": "wide", "df": df, "to": "offline"})
    for i, k in enumerate(keys):
        rows_csv.write(f"{k},{t[i]},{T0 + 86400 * 31 + b}," + ",".join(str(vals[j][i]) for j in range(10)) + "\n")
rows_csv.close()
load_s = time.time() - t_load
print(f"loaded 1,000,000 rows x 10 fields in 100 pushes of 10k over the socket: {load_s:.1f} s ({1e6 / load_s:.0f} rows/s, incl. the Python client)")
ents = [f"e{random.randrange(ENT)}" for _ in range(100_000)]
times = [T0 + random.randint(0, 86400 * 31) for _ in ents]
with open(D + "/entities.csv", "w") as f:
    f.write("machine_id,event_ts\n")
    for k, t in zip(ents, times): f.write(f"{k},{t}\n")
body = {"entity_df": {"machine_id": ents, "event_timestamp": times}, "features": [f"wide:{f}" for f in FIELDS], "format": "csv"}
best = None
for _ in range(3):
    t1 = time.time()
    r, payload = call(c, "POST", "/v1/historical-features", body)
    took = time.time() - t1
    best = took if best is None else min(best, took)
lines = payload.count(b"\n")
matched = sum(1 for line in payload.split(b"\n")[1:] if line and not line.endswith(b","))
print(f"point-in-time join 1M x 100k (moted, request to CSV answer): best of 3 {best:.2f} s; {lines - 1} rows, {matched} matched")
with open(D + "/moted_join.csv", "wb") as f: f.write(payload)

if PANDAS_PY:
    out = subprocess.run([PANDAS_PY, os.path.join(os.path.dirname(os.path.abspath(__file__)), "pandas_asof.py"), D], capture_output=True, text=True)
    print(out.stdout.strip() or out.stderr.strip()[-500:])

# 4. Online cache rebuild for 1M entities.
for b in range(100):
    keys = [f"r{b * 10000 + i}" for i in range(10000)]
    df = {"machine_id": keys, "event_timestamp": [T0] * len(keys)}
    for f in FIELDS: df[f] = [1.5] * len(keys)
    call(c, "POST", "/v1/push", {"feature_view": "stats", "df": df, "to": "online"})
p.terminate(); p.wait()
p = start()
log = open(D + "/moted.log").read().strip().split("\n")
rebuilt = [l for l in log if "event=cache_rebuilt" in l][-1]
print("online cache rebuild after restart:", " ".join(kv for kv in rebuilt.split() if kv.startswith(("ms=", "rows="))))
rss = [l for l in open(f"/proc/{p.pid}/status") if l.startswith("VmRSS")][0].split()[1]
print(f"RSS with 1M entities cached: {int(rss) / 1024:.0f} MB")
p.terminate(); p.wait()
shutil.rmtree(D)
