#!/usr/bin/env python3
"""Fleet polls, timed: a release moted following `fleet` on a central MLflow server that
Tests/scripts/fleet_scientist.py has filled (run it first, with the oracle venv's python).
Reports the time of a poll that deploys a first version (fetch, import; no champion yet), of
one that gates a better version on the box's 1 200 labelled rows and deploys it, of one that
rejects a worse one, and of a poll with nothing new (median of 20), with moted's RSS.

usage: fleet_poll.py MOTED MOTECTL TRACKING_URL SCIENTIST_OUTDIR
"""
import json, os, shutil, socket, statistics, subprocess, sys, tempfile, time, urllib.error, urllib.request

MOTED, MOTECTL, URL, OUT = sys.argv[1:5]
D = tempfile.mkdtemp(prefix="mote-fleet-bench-")
SOCK = D + "/m.sock"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def call(method, path, body=b""):
    s = socket.socket(socket.AF_UNIX)
    s.connect(SOCK)
    s.sendall(f"{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
              f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    out = b""
    while chunk := s.recv(1 << 16):
        out += chunk
    return json.loads(out.split(b"\r\n\r\n", 1)[1] or b"null")


def alias(version):
    body = json.dumps({"name": "failure", "alias": "fleet", "version": str(version)}).encode()
    urllib.request.urlopen(urllib.request.Request(URL + "/api/2.0/mlflow/registered-models/alias", body, {"content-type": "application/json"}))


def poll():
    started = time.perf_counter()
    status = call("POST", "/v1/fleet/poll?wait=true")
    took = time.perf_counter() - started
    row = next((m for m in status["models"] if m["model"] == "failure"), {})
    d = row.get("last_decision") or {}
    return took, d.get("decision") + ("" if d.get("decision") == "deployed" else ": " + d.get("reason", ""))


def rss(pid):
    return int(open(f"/proc/{pid}/status").read().split("VmRSS:")[1].split()[0]) / 1024


# The startup poll finds no alias (a run before this one left it set).
try:
    urllib.request.urlopen(urllib.request.Request(URL + "/api/2.0/mlflow/registered-models/alias", json.dumps({"name": "failure", "alias": "fleet"}).encode(),
                                                  {"content-type": "application/json"}, method="DELETE"))
except urllib.error.HTTPError:
    pass
with open(D + "/moted.toml", "w") as f:
    f.write(f'[sync]\nurl = "{URL}"\ndevice_id = "bench"\n[fleet]\nenabled = true\ninterval = "1h"\n')
p = subprocess.Popen([MOTED, "--config", D + "/moted.toml", "--state-dir", D + "/state", "--socket", SOCK, "--log-stderr", "--log-level", "warning"],
                     stderr=open(D + "/moted.log", "w"))
while not os.path.exists(SOCK):
    time.sleep(0.02)
time.sleep(0.2)
# The definitions of the import and fleet tests, and the scientist's labelled rows.
test = open(os.path.join(REPO, "Tests/MoteIntegrationTests/ImportTests.swift")).read()
definitions = test.split('static let definitions = """')[1].split('"""')[0]
with open(D + "/defs.toml", "w") as f:
    f.write("\n".join(line[8:] for line in definitions.split("\n")))
subprocess.run([MOTECTL, "apply", "--socket", SOCK, "-f", D + "/defs.toml"], check=True, capture_output=True)
rows = [line.strip().split(",") for line in open(os.path.join(OUT, "data.csv")).readlines()[1:]]
start = int(time.time()) - 86_400
keys = [r[0] for r in rows]
sensors = {"machine_id": keys, "event_timestamp": [start + i * 10 for i in range(len(rows))]}
for c in range(6):
    sensors[f"f{c}"] = [float(r[1 + c]) for r in rows]
call("POST", "/v1/push", json.dumps({"feature_view": "sensors", "df": sensors}).encode())
labels = {"machine_id": keys, "event_timestamp": [start + i * 10 + 1 for i in range(len(rows))], "failed": [int(r[7]) for r in rows]}
call("POST", "/v1/push", json.dumps({"feature_view": "labels", "df": labels}).encode())
versions = json.load(open(os.path.join(OUT, "manifest.json")))["versions"]
before = rss(p.pid)
for name, what in [("stump", "first version, no champion"), ("strong", "gated against the champion, better"), ("noise", "gated, worse")]:
    alias(versions[name])
    took, decision = poll()
    print(f"poll that fetches and decides ({what}): {took * 1000:.0f} ms -> {decision}")
idle = [poll()[0] for _ in range(20)]
print(f"poll with nothing new: median {statistics.median(idle) * 1000:.1f} ms over 20")
print(f"moted RSS: {before:.0f} MiB before the first version, {rss(p.pid):.0f} MiB after the polls")
p.terminate()
p.wait()
shutil.rmtree(D)
