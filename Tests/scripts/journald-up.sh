#!/bin/bash
# Makes sure a systemd-journald answers on /run/systemd/journal/socket, starting one by hand
# when none does (machines without systemd as PID 1). Idempotent. Prints "reuse" or the PID.
set -euo pipefail
SOCK=/run/systemd/journal/socket
answers() { python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.connect(sys.argv[1])' "$SOCK" 2>/dev/null; }
if answers; then echo reuse; exit 0; fi
J=/lib/systemd/systemd-journald
[ -x $J ] || { echo "$J missing (apt-get install systemd)" >&2; exit 1; }
[ -s /etc/machine-id ] || systemd-machine-id-setup >/dev/null
LOG=${TMPDIR:-/tmp}/mote-journald.log
setsid $J </dev/null >>"$LOG" 2>&1 &
PID=$!
for _ in $(seq 200); do answers && [ -S /run/systemd/journal/stdout ] && break; sleep 0.05; done
answers || { echo "journald did not come up; see $LOG" >&2; exit 1; }
echo "$PID"
