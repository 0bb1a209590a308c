#!/usr/bin/env python3
"""Durable push throughput with random entities, beside plain SQLite (issue 18).

A release moted on a temporary state directory holds one view of 10 float64 fields whose
100 000 machines each have one row already (a box in service). Pushes carry rows of
machines drawn at random from those 100 000, with increasing event times, and are answered
only once durable. Each figure is measured beside its peer in the same run: Python's
sqlite3 inserting the same rows (entity key, two times, 10 REAL) into one plain table in
WAL mode with synchronous=NORMAL, one transaction per batch -- the SQLite ceiling.

Rows: batch 1 with 1 and with 8 concurrent pushers (each its own connection), batch 100,
batch 10 000. After the pushes the bench waits for the history to be fully merged and
reports how long that took (the merge rate), then checks that the history holds every row.

usage: push_bench.py MOTED UDSBENCH [--rounds N]
"""
import http.client, json, os, random, shutil, socket, sqlite3, subprocess, sys, tempfile, time

MOTED, UDSBENCH = sys.argv[1:3]
ROUNDS = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 1
D = tempfile.mkdtemp(prefix="mote-pushbench-")
SOCK = D + "/m.sock"
FIELDS = [f"f{i}" for i in range(10)]
ENTITIES = 100_000
T0 = 1_700_000_000
random.seed(18)


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
    return json.loads(payload) if payload.startswith(b"{") else payload


clock = [T0]


def rows(n):
    """n rows of random machines, event times increasing (one second apart per batch)."""
    clock[0] += 1
    keys = [f"m{random.randrange(ENTITIES)}" for _ in range(n)]
    values = [[round(random.random() * 100, 3) for _ in range(n)] for _ in FIELDS]
    return keys, clock[0], values


def body(keys, t, values):
    df = {"machine_id": keys, "event_timestamp": [t] * len(keys)}
    for f, column in zip(FIELDS, values):
        df[f] = column
    return {"feature_view": "stats", "df": df}


def moted_push(batch, requests, clients):
    """Pushes `requests` bodies of `batch` rows over `clients` connections; rows/s and latency."""
    fn = D + f"/bodies-{batch}.jsonl"
    warmup = max(1, requests // 20)
    distinct = 0
    with open(fn, "w") as f:
        for _ in range(requests + warmup):
            keys, t, values = rows(batch)
            distinct += len(set(keys))  # a repeat of (machine, event, created) replaces the row
            f.write(json.dumps(body(keys, t, values), separators=(",", ":")) + "\n")
    out = subprocess.run([UDSBENCH, SOCK, "/v1/push", "--method", "POST", "--bodies", fn, "--requests", str(requests),
                          "--warmup", str(warmup), "--clients", str(clients)], capture_output=True, text=True)
    os.remove(fn)
    r = dict(kv.split("=") for kv in out.stdout.split())
    return int(r["rate"].rstrip("/s")) * batch, r, distinct


def ceiling(batch, total):
    """Python sqlite3: the same rows into one plain table, one transaction per batch."""
    path = D + "/ceiling.sqlite"
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE t (k TEXT, e INTEGER, c INTEGER, " + ", ".join(f"{f} REAL" for f in FIELDS) + ")")
    insert = "INSERT INTO t VALUES (" + ",".join("?" * 13) + ")"
    batches = []
    for _ in range(max(1, total // batch)):
        keys, t, values = rows(batch)
        batches.append([(k, t * 10**9, time.time_ns(), *(values[j][i] for j in range(10))) for i, k in enumerate(keys)])
    started = time.perf_counter()
    for b in batches:
        db.execute("BEGIN IMMEDIATE")
        db.executemany(insert, b)
        db.execute("COMMIT")
    took = time.perf_counter() - started
    db.close()
    return int(len(batches) * batch / took)


def start():
    p = subprocess.Popen([MOTED, "--state-dir", D + "/state", "--socket", SOCK, "--log-stderr", "--log-level", "warning"],
                         stderr=open(D + "/moted.log", "a"))
    for _ in range(400):
        try:
            call(UDS(SOCK), "GET", "/v2/health/ready")
            return p
        except Exception:
            time.sleep(0.02)
    raise SystemExit("moted did not start")


defs = """
[[entity]]
name = "machine"
join_key = "machine_id"

[[feature_view]]
name = "stats"
entity = "machine"
ttl = "0s"
fields = [""" + ", ".join(f'{{ name = "{f}", type = "float64" }}' for f in FIELDS) + "]\n"

p = start()
c = UDS(SOCK)
call(c, "POST", "/v1/apply", {"toml": defs})
print(f"machine: {os.cpu_count()} vCPU; moted {MOTED}; Python sqlite3 {sqlite3.sqlite_version}")
for b in range(10):
    keys = [f"m{b * 10000 + i}" for i in range(10000)]
    df = {"machine_id": keys, "event_timestamp": [T0] * len(keys)}
    for f in FIELDS:
        df[f] = [1.0] * len(keys)
    call(c, "POST", "/v1/push", {"feature_view": "stats", "df": df})
pushed = ENTITIES

for round_ in range(ROUNDS):
    for batch, requests, clients in [(1, 8000, 1), (1, 16000, 8), (100, 1000, 1), (10000, 30, 1)]:
        rate, r, sent = moted_push(batch, requests, clients)
        pushed += sent
        peer = ceiling(batch, min(200_000, batch * requests))
        print(f"round {round_ + 1} batch {batch:>5} pushers {clients}: moted {rate:>7} rows/s "
              f"(p50 {r['p50']} p99 {r['p99']} per request), SQLite ceiling {peer:>7} rows/s: {rate / peer:.2f}x")

started = time.perf_counter()
while True:
    status = call(c, "GET", "/v1/status")
    backlog = status.get("features", {}).get("unmerged_rows", 0)
    if backlog == 0:
        break
    time.sleep(0.05)
print(f"history merged {time.perf_counter() - started:.2f} s after the last push answer")
stored = sum(call(c, "GET", "/v1/feature-views/stats").get("history_rows", 0) for _ in [0])
print(f"history rows: {stored} stored; {pushed} distinct (machine, event) rows pushed")
p.terminate()
p.wait()
shutil.rmtree(D)
