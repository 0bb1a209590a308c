#!/usr/bin/env python3
"""Open Inference Protocol throughput for big batches: JSON vs the binary tensor data extension.

    bench/binary_tensors.py MOTED [--rows 1000] [--requests 300]

Starts MOTED (a release build) on a temporary state directory, imports a LightGBM model of 28
numeric inputs and 100 trees (trained here with LightGBM on synthetic rows), then sends the
same 1000-row batch over one keep-alive Unix-socket connection as
  json    one [N, 28] FP64 input as JSON data, outputs as JSON
  binary  the same input as binary FP64 (Inference-Header-Content-Length), outputs as binary
  binary32  FP32 input, binary outputs (what tritonclient sends for float32 arrays)
and reports rows/s (median of 3 rounds) and bytes per request each way. The request bodies
are built once, so the figures are the daemon's (parse, score, render), not Python's.
Needs numpy and lightgbm (the oracle venv: make oracle-venv).
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

import lightgbm as lgb
import numpy as np


def request(sock, path, body, headers):
    head = f"POST {path} HTTP/1.1\r\nHost: mote\r\nContent-Length: {len(body)}\r\n"
    for k, v in headers.items():
        head += f"{k}: {v}\r\n"
    sock.sendall(head.encode() + b"\r\n" + body)
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    header, rest = data.split(b"\r\n\r\n", 1)
    lines = header.decode().split("\r\n")
    status = int(lines[0].split()[1])
    fields = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:]}
    length = int(fields["content-length"])
    while len(rest) < length:
        rest += sock.recv(max(65536, length - len(rest)))
    return status, fields, rest[:length]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("moted")
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--requests", type=int, default=300)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="mote-binbench-")
    sock_path = os.path.join(work, "mote.sock")
    daemon = subprocess.Popen([args.moted, "--state-dir", work + "/state", "--socket", sock_path, "--log-level", "warning"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            if os.path.exists(sock_path):
                break
            time.sleep(0.05)
        rng = np.random.default_rng(3)
        x = rng.normal(size=(20000, 28))
        y = (x[:, 0] + x[:, 1] * x[:, 2] > 0).astype(int)
        booster = lgb.train({"objective": "binary", "num_leaves": 31, "verbose": -1, "seed": 1},
                            lgb.Dataset(x, y), num_boost_round=100)
        model_text = booster.model_to_string().encode()
        s = socket.socket(socket.AF_UNIX)
        s.connect(sock_path)
        status, _, body = request(s, "/v1/models/import?model=bench", model_text, {"Content-Type": "application/octet-stream"})
        assert status == 201, body
        batch = rng.normal(size=(args.rows, 28))
        expected = booster.predict(batch)

        def json_body():
            return json.dumps({"inputs": [{"name": "input", "shape": [args.rows, 28], "datatype": "FP64",
                                           "data": batch.ravel().tolist()}]}).encode(), {"Content-Type": "application/json"}

        def binary_body(datatype, array):
            raw = array.astype("<f8" if datatype == "FP64" else "<f4").tobytes()
            header = json.dumps({"inputs": [{"name": "input", "shape": [args.rows, 28], "datatype": datatype,
                                             "parameters": {"binary_data_size": len(raw)}}],
                                 "parameters": {"binary_data_output": True}}).encode()
            return header + raw, {"Content-Type": "application/octet-stream", "Inference-Header-Content-Length": str(len(header))}

        cases = {"json": json_body(), "binary": binary_body("FP64", batch), "binary32": binary_body("FP32", batch)}
        # Check each answer against LightGBM before timing it.
        for name, (body, headers) in cases.items():
            status, fields, answer = request(s, "/v2/models/bench/infer", body, headers)
            assert status == 200, answer
            if "inference-header-content-length" in fields:
                n = int(fields["inference-header-content-length"])
                meta = json.loads(answer[:n])
                offset = 0
                for out in meta["outputs"]:
                    size = out["parameters"]["binary_data_size"]
                    if out["name"] == "probabilities":
                        p = np.frombuffer(answer[n + offset:n + offset + size], dtype="<f8").reshape(-1, 2)[:, 1]
                    offset += size
            else:
                meta = json.loads(answer)
                p = np.array([o for o in meta["outputs"] if o["name"] == "probabilities"][0]["data"]).reshape(-1, 2)[:, 1]
            reference = booster.predict(batch.astype(np.float32).astype(np.float64)) if name == "binary32" else expected
            assert np.max(np.abs(p - reference)) < 1e-9, (name, np.max(np.abs(p - reference)))
        print(f"machine: {os.cpu_count()} vCPU; {args.rows}-row batches, 28 FP inputs, LightGBM 100 trees x 31 leaves, "
              f"{args.requests} requests per round, one keep-alive connection, median of 3 rounds")
        for name, (body, headers) in cases.items():
            rates = []
            for _ in range(3):
                started = time.perf_counter()
                for _ in range(args.requests):
                    status, _, answer = request(s, "/v2/models/bench/infer", body, headers)
                elapsed = time.perf_counter() - started
                rates.append(args.requests * args.rows / elapsed)
            print(f"{name:9s} {statistics.median(rates):>10,.0f} rows/s   request {len(body):>8,} B   answer {len(answer):>8,} B")
    finally:
        daemon.terminate()
        daemon.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
