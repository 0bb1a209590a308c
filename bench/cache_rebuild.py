#!/usr/bin/env python3
"""Online cache at start, per moted binary: 1M entities x 10 float64 fields pushed online
(values with three decimals, `--full` for full-precision ones) into a state directory of its own,
merged, then moted restarted twice; prints the `event=cache_rebuilt` time and rows, the RSS
after it, and the bytes the cache adds per value: (RSS with the rows - RSS of the same daemon
started on the same definitions with no rows) / 10M.

    bench/cache_rebuild.py [--full] MOTED [MOTED ...]     (release builds)
"""
import json, os, random, socket, subprocess, sys, tempfile, time, shutil
def wait_listening(path):
    """Until the daemon accepts connections (its socket file exists a moment before it listens)."""
    while True:
        try:
            with socket.socket(socket.AF_UNIX) as s: s.connect(path); return
        except OSError: time.sleep(0.01)
T0 = 1_700_000_000
FIELDS = [f"f{i}" for i in range(10)]
ENTITIES = 1_000_000
def call(path, method, url, body=None):
    s = socket.socket(socket.AF_UNIX); s.connect(path)
    data = json.dumps(body).encode() if body is not None else b""
    s.sendall(f"{method} {url} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode() + data)
    out = b""
    while True:
        c = s.recv(1 << 20)
        if not c: break
        out += c
    return int(out.split()[1]), out
def start(moted, d):
    sock = d + "/m.sock"
    if os.path.exists(sock): os.remove(sock)
    log = open(d + "/log", "a")
    p = subprocess.Popen([moted, "--state-dir", d + "/s", "--socket", sock, "--log-stderr"], stderr=log)
    wait_listening(sock)
    return p, sock
def rss_mb(pid):
    return int([l for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS")][0].split()[1]) / 1024
def unmerged(sock):
    st, r = call(sock, "GET", "/v1/status")
    body = json.loads(r.split(b"\r\n\r\n", 1)[1])
    return body.get("features", {}).get("unmerged_rows", 0)
args = sys.argv[1:]
full = "--full" in args
moteds = [a for a in args if a != "--full"]
defs = '[[entity]]\nname="machine"\njoin_key="machine_id"\n[[feature_view]]\nname="stats"\nentity="machine"\nfields=[' + ",".join(f'{{name="{f}",type="float64"}}' for f in FIELDS) + ']\n'
for moted in moteds:
    d = tempfile.mkdtemp()
    p, sock = start(moted, d)
    assert call(sock, "POST", "/v1/apply", {"toml": defs})[0] == 200
    p.terminate(); p.wait()
    p, sock = start(moted, d)
    time.sleep(0.3)
    empty = rss_mb(p.pid)
    random.seed(3)
    for b in range(ENTITIES // 10000):
        keys = [f"r{b * 10000 + i}" for i in range(10000)]
        df = {"machine_id": keys, "event_timestamp": [T0] * len(keys)}
        for f in FIELDS: df[f] = [random.random() * 100 if full else round(random.random() * 100, 3) for _ in keys]
        st, r = call(sock, "POST", "/v1/push", {"feature_view": "stats", "df": df, "to": "online"}); assert st == 200, r[:300]
    try:
        while unmerged(sock) > 0: time.sleep(0.5)
    except Exception:
        pass  # a daemon from before the inbox has no such count
    p.terminate(); p.wait()
    for _ in range(2):
        open(d + "/log", "w").close()
        p, sock = start(moted, d)
        time.sleep(0.3)
        log = open(d + "/log").read().strip().split("\n")
        rebuilt = [l for l in log if "event=cache_rebuilt" in l][-1]
        rss = rss_mb(p.pid)
        per_value = (rss - empty) * 1024 * 1024 / (ENTITIES * len(FIELDS))
        print(moted, " ".join(kv for kv in rebuilt.split() if kv.startswith(("ms=", "rows="))),
              f"RSS {rss:.0f} MB (empty {empty:.0f} MB): {per_value:.1f} bytes per cached value", flush=True)
        p.terminate(); p.wait()
    shutil.rmtree(d)
