#!/usr/bin/env python3
"""Plays the lockout attack against a moted socket and reports what each side saw, as JSON.

Run as root: a child drops to uid/gid 65534 (role none) and opens slow connections (a head
trickled byte by byte, a refused POST whose body never comes); while they are held, the
parent (root) asks for /v1/status. Usage: slow_callers.py SOCKET SLOW_CONNECTIONS
"""
import json
import os
import socket
import sys
import time

path, slow = sys.argv[1], int(sys.argv[2])


def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    return s


def status_of(answer):
    parts = answer.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def read_answer(s):
    data = b""
    try:
        while True:
            piece = s.recv(65536)
            if not piece:
                break
            data += piece
            if b"\r\n\r\n" in data:
                head, _, body = data.partition(b"\r\n\r\n")
                length = [int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
                if length and len(body) >= length[0]:
                    break
    except OSError:
        pass
    return data


def attacker(report):
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)
    out = {}
    # A refused route with a body announced and never sent: answered at its head.
    s = connect()
    started = time.monotonic()
    s.sendall(b"POST /v1/apply HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n")
    answer = read_answer(s)
    out["forbidden_status"] = status_of(answer)
    out["forbidden_seconds"] = time.monotonic() - started
    out["forbidden_code"] = json.loads(answer.partition(b"\r\n\r\n")[2] or b"{}").get("code")
    s.close()
    # Slow heads: the caller's share is held, the rest refused.
    held, refused = [], 0
    for _ in range(slow):
        s = connect()
        try:
            s.sendall(b"GET /v2/health/live HTTP/1.1\r\nHo")
        except OSError:
            pass  # refused and closed before the request went out; the answer is still there to read
        s.settimeout(0.02)
        try:
            answer = s.recv(65536)
        except socket.timeout:
            answer = None
        except OSError:
            answer = b"closed"
        s.settimeout(10)
        if answer and b"too_many_connections_per_uid" in answer:
            refused += 1
        elif answer is None:
            held.append(s)
    out["held"] = len(held)
    out["refused_per_uid"] = refused
    os.write(report, b"held\n")
    started = time.monotonic()
    codes = [status_of(read_answer(s)) for s in held]
    out["held_answers"] = codes
    out["held_seconds"] = time.monotonic() - started
    os.write(report, (json.dumps(out) + "\n").encode())


read_end, write_end = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(read_end)
    try:
        attacker(write_end)
    except BaseException:
        import traceback
        traceback.print_exc()
    finally:
        os._exit(0)
os.close(write_end)
reader = os.fdopen(read_end)
first = reader.readline().strip()
assert first == "held", f"the attacker reported {first!r}"
s = connect()
started = time.monotonic()
s.sendall(b"GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n")
root_status = status_of(read_answer(s))
root_seconds = time.monotonic() - started
report = json.loads(reader.readline())
os.waitpid(pid, 0)
report["root_status"] = root_status
report["root_seconds"] = root_seconds
print(json.dumps(report))
