#!/usr/bin/env python3
"""The point-in-time join of bench/features_bench.py (1M history rows over 100k entities x 10
fields, 100k entity rows, CSV answer) run against each MOTED given on its own state directory,
once the pushed rows are merged (and the history's runs compacted, where it has them): best
of 3, rows matched and a hash of the answer, so two builds can be compared for time and for
answering the same bytes.

    bench/join_compare.py MOTED [MOTED ...] [--pandas PYTHON]   (PYTHON with pandas: its
    merge_asof on the same rows, best of 3, sort included, CSV load excluded)
"""
import json, os, random, socket, subprocess, sys, tempfile, time
def wait_listening(path):
    """Until the daemon accepts connections (its socket file exists a moment before it listens)."""
    while True:
        try:
            with socket.socket(socket.AF_UNIX) as s: s.connect(path); return
        except OSError: time.sleep(0.01)
T0 = 1_700_000_000
FIELDS = [f"f{i}" for i in range(10)]
def call(path, method, url, body):
    s = socket.socket(socket.AF_UNIX); s.connect(path)
    data = b"" if body is None else json.dumps(body).encode()
    s.sendall(f"{method} {url} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode() + data)
    out = b""
    while True:
        c = s.recv(1 << 20)
        if not c: break
        out += c
    head, _, rest = out.partition(b"\r\n\r\n")
    if b"chunked" in head.lower():
        body = b""; 
        while rest:
            n, _, rest = rest.partition(b"\r\n"); n = int(n, 16)
            if n == 0: break
            body += rest[:n]; rest = rest[n + 2:]
        rest = body
    return int(head.split()[1]), rest
args = sys.argv[1:]
PANDAS = None
if "--pandas" in args:
    PANDAS = args[args.index("--pandas") + 1]
    args = [a for a in args if a not in ("--pandas", PANDAS)]
rows_dir = tempfile.mkdtemp()
for moted in args:
    d = tempfile.mkdtemp(); sock = d + "/m.sock"
    rows_csv = open(rows_dir + "/features.csv", "w")
    rows_csv.write("machine_id,event_ts,created_ts," + ",".join(FIELDS) + "\n")
    p = subprocess.Popen([moted, "--state-dir", d + "/s", "--socket", sock, "--log-level", "warning"], stderr=subprocess.DEVNULL)
    wait_listening(sock)
    defs = '[[entity]]\nname="machine"\njoin_key="machine_id"\n[[feature_view]]\nname="wide"\nentity="machine"\nttl="0s"\nfields=[' + ",".join(f'{{name="{f}",type="float64"}}' for f in FIELDS) + ']\n'
    st, r = call(sock, "POST", "/v1/apply", {"toml": defs}); assert st == 200, r
    random.seed(7); ENT = 100_000
    for b in range(100):
        keys = [f"e{(b * 10000 + i) % ENT}" for i in range(10000)]
        t = [T0 + random.randint(0, 86400 * 30) for _ in keys]
        df = {"machine_id": keys, "event_timestamp": t, "created_timestamp": [T0 + 86400 * 31 + b] * len(keys)}
        for f in FIELDS: df[f] = [round(random.random(), 4) for _ in keys]
        st, r = call(sock, "POST", "/v1/push", {"feature_view": "wide", "df": df, "to": "offline"}); assert st == 200, r
        for i, k in enumerate(keys):
            rows_csv.write(f"{k},{t[i]},{T0 + 86400 * 31 + b}," + ",".join(str(df[f][i]) for f in FIELDS) + "\n")
    rows_csv.close()
    ents = [f"e{random.randrange(ENT)}" for _ in range(100_000)]
    times = [T0 + random.randint(0, 86400 * 31) for _ in ents]
    with open(rows_dir + "/entities.csv", "w") as out:
        out.write("machine_id,event_ts\n")
        for k, t in zip(ents, times): out.write(f"{k},{t}\n")
    body = {"entity_df": {"machine_id": ents, "event_timestamp": times}, "features": [f"wide:{f}" for f in FIELDS], "format": "csv"}
    # A box at rest: pushed rows merged and (where the history is in runs) the runs compacted.
    while True:
        st, r = call(sock, "GET", "/v1/status", None)
        f = json.loads(r)["features"]
        if f["unmerged_rows"] == 0 and not f.get("compacting", False): break
        time.sleep(0.5)
    best = None
    for _ in range(3):
        t1 = time.time(); st, payload = call(sock, "POST", "/v1/historical-features", body); took = time.time() - t1
        best = took if best is None else min(best, took)
    matched = sum(1 for line in payload.split(b"\n")[1:] if line and not line.endswith(b","))
    import hashlib
    nl = payload.count(b"\n")
    print(f"{moted}: best of 3 {best:.2f} s; {nl - 1} rows, {matched} matched, sha {hashlib.sha256(payload).hexdigest()[:12]}; "
          f"history runs {f.get('history_runs', '-')}")
    p.terminate(); p.wait()
if PANDAS:
    out = subprocess.run([PANDAS, os.path.join(os.path.dirname(os.path.abspath(__file__)), "pandas_asof.py"), rows_dir], capture_output=True, text=True)
    print(out.stdout.strip() or out.stderr.strip()[-500:])
