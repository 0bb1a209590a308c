#!/usr/bin/env python3
"""Bulk load: `motectl features push VIEW --csv FILE` of N rows (default 10M: 100k random
machines, 10 float64 fields with three decimals, event times increasing), into a release
moted on a temporary state directory; beside the SQLite ceiling (Python sqlite3 inserting 1M
of the same rows into one plain table, WAL + synchronous=NORMAL, one transaction per 5 000, rows
parsed before the clock starts) and the same inserts with the CSV read and parsed by Python's
csv module inside the timed part (what a load script would do). Reports the rate, motectl's and moted's peak RSS, the time until the history is merged and
until its runs are compacted (with how many runs each time).

usage: bulk_load.py MOTED MOTECTL [--rows N] [--csv FILE]   (FILE is made when missing)
"""
import csv, json, os, random, re, shutil, socket, sqlite3, subprocess, sys, tempfile, time

MOTED, MOTECTL = sys.argv[1:3]
ROWS = int(sys.argv[sys.argv.index("--rows") + 1]) if "--rows" in sys.argv else 10_000_000
D = tempfile.mkdtemp(prefix="mote-bulk-")
CSV = sys.argv[sys.argv.index("--csv") + 1] if "--csv" in sys.argv else D + "/rows.csv"
SOCK = D + "/m.sock"
FIELDS = [f"f{i}" for i in range(10)]


def make_csv(path, n):
    random.seed(5)
    with open(path, "w") as f:
        f.write("machine_id,event_timestamp," + ",".join(FIELDS) + "\n")
        t = 1_700_000_000
        for i in range(n):
            if i % 1000 == 0:
                t += 1
            f.write(f"m{random.randrange(100000)},{t}," + ",".join(f"{random.random() * 100:.3f}" for _ in FIELDS) + "\n")


def status():
    s = socket.socket(socket.AF_UNIX)
    s.connect(SOCK)
    s.sendall(b"GET /v1/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    out = b""
    while chunk := s.recv(1 << 16):
        out += chunk
    return json.loads(out.split(b"\r\n\r\n", 1)[1])


def ceiling(n=1_000_000, batch=5000):
    path = D + "/ceiling.sqlite"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE t (k TEXT, e INTEGER, c INTEGER, " + ", ".join(f"{f} REAL" for f in FIELDS) + ")")
    rows = []
    with open(CSV) as f:
        next(f)
        for line, _ in zip(f, range(n)):
            p = line.rstrip("\n").split(",")
            rows.append((p[0], int(p[1]) * 10**9, time.time_ns(), *map(float, p[2:])))
    insert = "INSERT INTO t VALUES (" + ",".join("?" * 13) + ")"
    started = time.perf_counter()
    for i in range(0, len(rows), batch):
        db.execute("BEGIN IMMEDIATE")
        db.executemany(insert, rows[i:i + batch])
        db.execute("COMMIT")
    took = time.perf_counter() - started
    db.close()
    return int(len(rows) / took)


def ceiling_from_file(n=1_000_000, batch=5000):
    """The same inserts with the CSV read and parsed inside the timed part (Python's csv
    module), as a load script beside mote would do it: motectl's rate includes reading the
    file, on the same CPUs."""
    path = D + "/ceiling-file.sqlite"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE t (k TEXT, e INTEGER, c INTEGER, " + ", ".join(f"{f} REAL" for f in FIELDS) + ")")
    insert = "INSERT INTO t VALUES (" + ",".join("?" * 13) + ")"
    started = time.perf_counter()
    done = 0
    with open(CSV, newline="") as f:
        reader = csv.reader(f)
        next(reader)
        rows = []
        for p in reader:
            rows.append((p[0], int(p[1]) * 10**9, time.time_ns(), *map(float, p[2:])))
            if len(rows) == batch or done + len(rows) == n:
                db.execute("BEGIN IMMEDIATE")
                db.executemany(insert, rows)
                db.execute("COMMIT")
                done += len(rows)
                rows = []
                if done == n:
                    break
    took = time.perf_counter() - started
    db.close()
    return int(done / took)


if not os.path.exists(CSV):
    make_csv(CSV, ROWS)
p = subprocess.Popen([MOTED, "--state-dir", D + "/state", "--socket", SOCK, "--log-stderr", "--log-level", "warning"],
                     stderr=open(D + "/moted.log", "w"))
while not os.path.exists(SOCK):
    time.sleep(0.02)
defs = D + "/defs.toml"
with open(defs, "w") as f:
    f.write('[[entity]]\nname = "machine"\njoin_key = "machine_id"\n\n[[feature_view]]\nname = "stats"\nentity = "machine"\n'
            'ttl = "0s"\nfields = [' + ", ".join(f'{{ name = "{x}", type = "float64" }}' for x in FIELDS) + "]\n")
subprocess.run([MOTECTL, "apply", "--socket", SOCK, "-f", defs], check=True, capture_output=True)
timed = subprocess.run(["/usr/bin/time", "-v", MOTECTL, "features", "push", "stats", "--socket", SOCK, "--csv", CSV],
                       capture_output=True, text=True)
print(timed.stdout.strip())
client_rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", timed.stderr).group(1))
summary = re.search(r"pushed (\d+) rows .* in ([\d.]+) s \((\d+) rows/s\)", timed.stdout)
server_peak = int(open(f"/proc/{p.pid}/status").read().split("VmHWM:")[1].split()[0])
started = time.perf_counter()
while status()["features"]["unmerged_rows"] > 0:
    time.sleep(0.2)
merged = time.perf_counter() - started
runs_merged = status()["features"].get("history_runs", "-")
while status()["features"].get("compacting", False):
    time.sleep(0.5)
compacted = time.perf_counter() - started
runs = status()["features"].get("history_runs", "-")
peer = ceiling()
file_peer = ceiling_from_file()
rate = int(summary.group(3))
print(f"bulk load {summary.group(1)} rows: {rate} rows/s over the socket; SQLite ceiling {peer} rows/s: {rate / peer:.2f}x; "
      f"the same with the CSV read in Python's csv module: {file_peer} rows/s: {rate / file_peer:.2f}x")
print(f"peak RSS: motectl {client_rss / 1024:.0f} MiB, moted {server_peak / 1024:.0f} MiB; history merged {merged:.1f} s after the load "
      f"({runs_merged} runs), runs compacted {compacted:.1f} s after it ({runs} runs)")
p.terminate()
p.wait()
shutil.rmtree(D)
