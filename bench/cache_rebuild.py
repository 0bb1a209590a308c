#!/usr/bin/env python3
"""Online cache rebuild at start: 1M entities x 10 float64 fields (three decimals) pushed online
to one moted, then the state directory started with each MOTED given, twice each; prints the
`event=cache_rebuilt` time and rows and the RSS after it.

    bench/cache_rebuild.py MOTED [MOTED ...]     (release builds; the first one loads the data)
"""
import json, os, random, socket, subprocess, sys, tempfile, time, shutil
T0 = 1_700_000_000
FIELDS = [f"f{i}" for i in range(10)]
def call(path, method, url, body):
    s = socket.socket(socket.AF_UNIX); s.connect(path)
    data = json.dumps(body).encode()
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
    while not os.path.exists(sock): time.sleep(0.02)
    return p, sock
d = tempfile.mkdtemp()
moteds = sys.argv[1:]
p, sock = start(moteds[0], d)
defs = '[[entity]]\nname="machine"\njoin_key="machine_id"\n[[feature_view]]\nname="stats"\nentity="machine"\nfields=[' + ",".join(f'{{name="{f}",type="float64"}}' for f in FIELDS) + ']\n'
assert call(sock, "POST", "/v1/apply", {"toml": defs})[0] == 200
random.seed(3)
for b in range(100):
    keys = [f"r{b * 10000 + i}" for i in range(10000)]
    df = {"machine_id": keys, "event_timestamp": [T0] * len(keys)}
    for f in FIELDS: df[f] = [round(random.random() * 100, 3) for _ in keys]
    st, r = call(sock, "POST", "/v1/push", {"feature_view": "stats", "df": df, "to": "online"}); assert st == 200, r[:300]
p.terminate(); p.wait()
for moted in moteds:
    for _ in range(2):
        open(d + "/log", "w").close()
        p, sock = start(moted, d)
        time.sleep(0.3)
        log = open(d + "/log").read().strip().split("\n")
        rebuilt = [l for l in log if "event=cache_rebuilt" in l][-1]
        rss = [l for l in open(f"/proc/{p.pid}/status") if l.startswith("VmRSS")][0].split()[1]
        print(moted, " ".join(kv for kv in rebuilt.split() if kv.startswith(("ms=", "rows="))), f"RSS {int(rss)/1024:.0f} MB")
        p.terminate(); p.wait()
shutil.rmtree(d)
