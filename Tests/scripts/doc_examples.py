#!/usr/bin/env python3
"""Runs the examples of a Markdown page against a running moted and checks what they print.

    doc_examples.py PAGE --workdir DIR --port PORT [--record]

Fenced blocks are read in order by their info string:
  ```LANG file=PATH      written to DIR/PATH (a file the next examples use)
  ```sh run              run with bash -e in DIR
  ```python run          run with this interpreter (the client venv's python) in DIR
  ```swift source=PATH   must equal PATH in the repository (an example target the test built)
  ```text output         what the run block before it prints, compared exactly
Blocks without these words are prose. The page's TCP port 8000 (`localhost:8000`,
`TCP-LISTEN:8000`) is replaced by --port, so the examples run beside anything on 8000.
`examples/` of the repository is linked into DIR. Background processes a block starts (the
socat bridge) are stopped at the end. With --record, output blocks are rewritten with what
ran (review the diff before committing). Exit status 1 on the first mismatch or failure.
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile

FENCE = re.compile(r"^```(\w+)?([^\n]*)\n(.*?)^```\s*$", re.S | re.M)


def blocks(text):
    for m in FENCE.finditer(text):
        lang = m.group(1) or ""
        words = dict(w.split("=", 1) if "=" in w else (w, "") for w in m.group(2).split())
        yield lang, words, m.group(3), m.span(3)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("page")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--port", required=True)
    ap.add_argument("--record", action="store_true")
    args = ap.parse_args()
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    page = os.path.join(repo, args.page) if not os.path.isabs(args.page) else args.page
    text = open(page).read()
    os.makedirs(args.workdir, exist_ok=True)
    link = os.path.join(args.workdir, "examples")
    if not os.path.exists(link):
        os.symlink(os.path.join(repo, "examples"), link)
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env.setdefault("PYTHONWARNINGS", "ignore")

    def localize(code):
        return code.replace("localhost:8000", f"localhost:{args.port}").replace("TCP-LISTEN:8000", f"TCP-LISTEN:{args.port}")

    groups = []
    last = None  # (name, stdout) of the last run block
    edits = []
    failures = 0
    try:
        for lang, words, code, span in blocks(text):
            if "file" in words:
                path = os.path.join(args.workdir, words["file"])
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w") as f:
                    f.write(localize(code))
            elif "source" in words:
                source = open(os.path.join(repo, words["source"])).read()
                if source != code:
                    print(f"FAIL: the swift block differs from {words['source']}")
                    failures += 1
            elif "run" in words:
                if lang == "python":
                    cmd = [sys.executable, "-c", localize(code)]
                elif lang in ("sh", "bash", "shell"):
                    cmd = ["bash", "-e", "-o", "pipefail", "-c", localize(code)]
                else:
                    raise SystemExit(f"cannot run a {lang} block")
                # Output goes to files, not pipes: a background process the block leaves
                # running (the bridge) would hold a pipe open after the block ends.
                with tempfile.TemporaryFile("w+") as fout, tempfile.TemporaryFile("w+") as ferr:
                    p = subprocess.Popen(cmd, cwd=args.workdir, env=env, stdout=fout, stderr=ferr, text=True,
                                         start_new_session=True)
                    groups.append(p.pid)
                    p.wait(timeout=300)
                    fout.seek(0)
                    ferr.seek(0)
                    out, err = fout.read(), ferr.read()
                name = code.strip().splitlines()[0][:70]
                if p.returncode != 0:
                    print(f"FAIL: block '{name}' exited {p.returncode}\n--- stdout\n{out}--- stderr\n{err}")
                    return 1
                print(f"ran: {name}")
                last = (name, out)
            elif lang == "text" and "output" in words:
                if last is None:
                    raise SystemExit("an output block with no run block before it")
                name, out = last
                if args.record:
                    edits.append((span, out))
                elif out != code:
                    print(f"FAIL: block '{name}' printed\n{out}--- the page shows\n{code}---")
                    failures += 1
                last = None
    finally:
        for pgid in groups:
            try:
                os.killpg(pgid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    if args.record and edits:
        for (start, end), out in reversed(edits):
            text = text[:start] + out + text[end:]
        open(page, "w").write(text)
        print(f"recorded {len(edits)} output blocks into {page}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
