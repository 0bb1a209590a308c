"""The console's pages in Chromium against a release moted: first paint and the time until each
page is drawn with its data (ms from navigation start), for the box Tests/console/fixture.py
makes (2000 machines, two training runs, 1 300 predictions with drift, feedback, a scoring run),
three rounds; and the bytes the console adds to the binary.

usage: console_bench.py CONSOLE_PYTHON   (the venv with Selenium: make console-venv)
"""
import os, re, socket, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib

PYTHON = sys.argv[1]
D = tempfile.mkdtemp(prefix="mote-consolebench-")
open(f"{D}/moted.toml", "w").write('[monitoring]\ninterval = "1s"\nbucket = "1s"\nmin_rows = 50\n')
moted = subprocess.Popen([benchlib.moted, "--config", f"{D}/moted.toml", "--state-dir", f"{D}/state", "--socket", f"{D}/m.sock",
                          "--log-stderr", "--log-level", "error"])
for _ in range(200):
    if os.path.exists(f"{D}/m.sock"): break
    time.sleep(0.05)
try:
    subprocess.run([PYTHON, os.path.join(benchlib.repo, "Tests/console/fixture.py"), benchlib.motectl, f"{D}/m.sock"], check=True, capture_output=True)
    time.sleep(4)  # a few monitoring checks, for the drift history
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    bridge = subprocess.Popen([benchlib.motectl, "ui", "--port", str(port), "--socket", f"{D}/m.sock"], stdout=subprocess.DEVNULL)
    time.sleep(1)
    rounds = {}
    for _ in range(3):
        out = subprocess.run([PYTHON, os.path.join(benchlib.repo, "Tests/console/console_test.py"), "pages", f"http://localhost:{port}", f"{D}/m.sock"],
                             capture_output=True, text=True).stdout
        for path, paint, drawn in re.findall(r"timing (\S+) first_paint_ms=(\S+) drawn_ms=(\S+)", out):
            key = re.sub(r"[0-9a-f]{16,}", "ID", path)
            rounds.setdefault(key, []).append((paint, drawn))
        assert "0 failures" in out, out
    import urllib.request
    sizes = {a: len(urllib.request.urlopen(f"http://localhost:{port}{a}").read()) for a in ["/ui/", "/ui/assets/console.js", "/ui/assets/console.css"]}
    bridge.terminate()
finally:
    moted.terminate(); moted.wait()
print("console files:", ", ".join(f"{a} {n} bytes" for a, n in sizes.items()), f"(total {sum(sizes.values())})")
print("| page | first paint, ms (rounds) | drawn with its data, ms (rounds) |")
print("|---|---|---|")
for path, values in rounds.items():
    print(f"| `{path}` | {', '.join(p for p, _ in values)} | {', '.join(d for _, d in values)} |")
