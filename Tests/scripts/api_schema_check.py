#!/usr/bin/env python3
"""Property-based run of the whole API from docs/openapi.yaml against a real moted.

Schemathesis generates requests for every operation (valid and invalid ones) and checks
every answer: no 5xx, the status is one the document lists (errors as `default`), the
content type and the body match the schema. Schemathesis speaks TCP; a small forwarder
carries each connection to moted's Unix socket (moted sees the forwarder's uid).

Usage: api_schema_check.py SOCKET OPENAPI MAX_EXAMPLES REPORT_DIR
"""
import socket
import subprocess
import sys
import threading
from pathlib import Path

socket_path, schema, examples, report_dir = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]


def pump(source, sink):
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            sink.sendall(data)
    except OSError:
        pass
    finally:
        try:
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def serve(listener):
    while True:
        client, _ = listener.accept()
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        upstream.connect(socket_path)
        threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
        threading.Thread(target=pump, args=(upstream, client), daemon=True).start()


listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(64)
port = listener.getsockname()[1]
threading.Thread(target=serve, args=(listener,), daemon=True).start()

st = str(Path(sys.executable).with_name("st"))
command = [
    st, "run", schema,
    "--url", f"http://127.0.0.1:{port}",
    "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
    "--phases", "examples,coverage,fuzzing",
    "--max-examples", examples,
    "--seed", "1515",
    "--workers", "1",
    "--request-timeout", "20",
    "--generation-database", "none",
    "--suppress-health-check", "all",
    "--report", "junit", "--report-dir", report_dir,
    "--warnings", "off",
]
result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
print(result.stdout[-20000:])
sys.exit(result.returncode)
