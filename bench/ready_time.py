#!/usr/bin/env python3
"""Start-to-READY time of moted: plays systemd's notify socket, starts moted, and measures
from spawn to the READY=1 datagram. Also reads idle RSS after a pause.
usage: ready_time.py MOTED [runs]"""
import os, socket, subprocess, sys, tempfile, time, statistics

moted = sys.argv[1]
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 10
times = []
rss = []
for run in range(runs):
    d = tempfile.mkdtemp(prefix="mote-ready-")
    ns = os.path.join(d, "notify.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(ns)
    s.settimeout(10)
    env = dict(os.environ, NOTIFY_SOCKET=ns)
    t0 = time.monotonic()
    p = subprocess.Popen([moted, "--state-dir", d + "/state", "--socket", d + "/mote.sock", "--log-stderr",
                          "--log-level", "warning"], env=env, stderr=subprocess.DEVNULL)
    while True:
        msg = s.recv(4096).decode()
        if "READY=1" in msg.split("\n"):
            times.append((time.monotonic() - t0) * 1000)
            break
    if run == runs - 1:
        time.sleep(5)
        with open(f"/proc/{p.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS"):
                    rss.append(int(line.split()[1]) / 1024)
    p.terminate()
    p.wait()
    s.close()
    subprocess.run(["rm", "-rf", d])
times.sort()
print(f"ready_ms median={statistics.median(times):.1f} min={times[0]:.1f} max={times[-1]:.1f} runs={runs} (first run includes creating the databases: {times[0]:.1f})")
print(f"idle_rss_mb={rss[0]:.1f} (VmRSS 5 s after READY)")
