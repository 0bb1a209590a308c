#!/usr/bin/env python3
"""Restart with a full inbox: 1M rows of 1M new machines pushed in 100 batches of 10 000, the
daemon stopped at once (SIGTERM: the unmerged rows stay in the inbox), then started again;
prints the rows unmerged at the stop and the `event=cache_rebuilt` time of the restart.

    bench/restart_inbox.py MOTED      (a release build)
"""
import json, os, random, socket, subprocess, sys, time, shutil, tempfile
def wait_listening(path):
    """Until the daemon accepts connections (its socket file exists a moment before it listens)."""
    while True:
        try:
            with socket.socket(socket.AF_UNIX) as s: s.connect(path); return
        except OSError: time.sleep(0.01)
MOTED = sys.argv[1]
d = tempfile.mkdtemp(); sock = d + "/m.sock"
F = [f"f{i}" for i in range(10)]
def call(method, url, body=None):
    s = socket.socket(socket.AF_UNIX); s.connect(sock)
    data = json.dumps(body).encode() if body is not None else b""
    s.sendall(f"{method} {url} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode() + data)
    out = b""
    while c := s.recv(1 << 20): out += c
    return json.loads(out.split(b"\r\n\r\n", 1)[1])
def start():
    if os.path.exists(sock): os.remove(sock)
    p = subprocess.Popen([MOTED, "--state-dir", d + "/s", "--socket", sock, "--log-stderr"], stderr=open(d + "/log", "a"))
    wait_listening(sock)
    return p
p = start()
defs = '[[entity]]\nname="machine"\njoin_key="machine_id"\n[[feature_view]]\nname="stats"\nentity="machine"\nfields=[' + ",".join(f'{{name="{f}",type="float64"}}' for f in F) + ']\n'
call("POST", "/v1/apply", {"toml": defs})
random.seed(1)
bodies = []
for b in range(100):
    keys = [f"r{b * 10000 + i}" for i in range(10000)]
    df = {"machine_id": keys, "event_timestamp": [1700000000] * len(keys)}
    for f in F: df[f] = [round(random.random() * 100, 3) for _ in keys]
    bodies.append({"feature_view": "stats", "df": df})
for b in bodies: call("POST", "/v1/push", b)
print("unmerged at stop:", call("GET", "/v1/status")["features"]["unmerged_rows"])
p.terminate(); p.wait()
open(d + "/log", "w").close()
p = start(); time.sleep(0.3)
line = [l for l in open(d + "/log") if "cache_rebuilt" in l][-1]
print(" ".join(kv for kv in line.split() if kv.startswith(("ms=", "rows="))), "unmerged after start:", call("GET", "/v1/status")["features"]["unmerged_rows"])
p.terminate(); p.wait(); shutil.rmtree(d)
