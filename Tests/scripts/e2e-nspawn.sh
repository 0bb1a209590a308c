#!/bin/bash
# End-to-end test of the Debian package under a real systemd (252, bookworm) booted in
# systemd-nspawn, on a host without systemd as PID 1.
# usage: e2e-nspawn.sh ROOTFS DEB
# Checks: apt installs the package (user and groups created, units enabled and started, the
# config a conffile kept across a reinstall), the roles the groups give, socket activation on
# first connect, active (running) with STATUS, reload, a stuck daemon is killed by the watchdog
# and restarted, clean stop, journal fields, security score, remove and purge.
set -euo pipefail
# Every wait below is bounded; a TERM from the test harness still cleans the container up.
trap 'exit 1' TERM INT
ROOT=$(realpath "$1"); DEB=$(realpath "$2")
NAME=mote-e2e-$$
WORK=$(mktemp -d /tmp/mote-e2e.XXXXXX)
LOG=$WORK/nspawn.log
fail() { echo "FAIL: $*"; echo "--- journal:"; $X journalctl -b -u moted.service -u moted.socket --no-pager 2>&1 | tail -40 || true; exit 1; }

# Drop-in for the test: a short watchdog so a stall is caught quickly.
mkdir -p "$WORK/moted.service.d"
printf '[Service]\nWatchdogSec=2s\nRestartSec=500ms\n' > "$WORK/moted.service.d/e2e.conf"

CGS=""
for h in systemd unified; do [ -d /sys/fs/cgroup/$h ] && CGS="$CGS /sys/fs/cgroup/$h/nspawn-$NAME"; done
[ -z "$CGS" ] && [ -f /sys/fs/cgroup/cgroup.controllers ] && CGS="/sys/fs/cgroup/nspawn-$NAME"
T0=$(date +%s%N)
setsid bash -c 'for c in $0; do mkdir -p "$c" && echo $$ > "$c/cgroup.procs"; done; exec systemd-nspawn "$@"' "$CGS" \
  -D "$ROOT" -M "$NAME" --boot --register=no --keep-unit --private-network --console=pipe \
  --resolv-conf=off --timezone=off --link-journal=no --volatile=overlay \
  --bind-ro="$WORK/moted.service.d:/etc/systemd/system/moted.service.d" \
  --bind-ro="$DEB:/srv/mote.deb" \
  </dev/null >"$LOG" 2>&1 &
NSPAWN_PID=$!
cleanup() {
  if [ -n "${INIT_PID:-}" ]; then timeout 10 nsenter -t "$INIT_PID" -a systemctl poweroff 2>/dev/null || true; fi
  for _ in $(seq 150); do kill -0 $NSPAWN_PID 2>/dev/null || break; sleep 0.1; done
  kill -KILL $NSPAWN_PID 2>/dev/null || true
  wait $NSPAWN_PID 2>/dev/null || true
  for c in $CGS; do [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} + 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT

INIT_PID=
for _ in $(seq 600); do
  for c in $(pgrep -P $NSPAWN_PID 2>/dev/null); do [ "$(cat /proc/$c/comm 2>/dev/null)" = systemd ] && INIT_PID=$c; done
  [ -n "$INIT_PID" ] && break
  kill -0 $NSPAWN_PID 2>/dev/null || break; sleep 0.05
done
[ -n "$INIT_PID" ] || { echo "FAIL: container init not found"; cat "$LOG"; exit 1; }
# Every command in the container is bounded, so a stuck unit fails the test instead of hanging it.
X="timeout 60 nsenter -t $INIT_PID -a"
STATE=
BOOT_DEADLINE=$(( $(date +%s) + 120 ))
while [ "$(date +%s)" -lt "$BOOT_DEADLINE" ]; do
  STATE=$(timeout 30 nsenter -t "$INIT_PID" -a systemctl is-system-running --wait 2>&1 || true)
  case "$STATE" in *"Failed to connect"*|offline|"") sleep 0.2;; *) break;; esac
done
case "$STATE" in running|degraded) ;; *) echo "FAIL: container did not boot within 120 s (state '$STATE')"; tail -40 "$LOG"; exit 1;; esac
echo "booted: $STATE in $(( ($(date +%s%N)-T0)/1000000 )) ms"

# 0. apt installs the package: user and groups, units enabled and started, conffile.
OUT=$($X env DEBIAN_FRONTEND=noninteractive apt-get install -y /srv/mote.deb 2>&1) || { echo "$OUT"; fail "apt-get install"; }
grep -q "usermod -aG mote USER" <<< "$OUT" || fail "postinst did not say how to give access: $OUT"
$X id mote >/dev/null || fail "no user mote"
$X getent group mote-admin >/dev/null || fail "no group mote-admin"
for unit in moted.socket moted.service; do
  [ "$($X systemctl is-enabled $unit)" = enabled ] || fail "$unit not enabled"
  [ "$($X systemctl is-active $unit)" = active ] || fail "$unit not started"
done
[ "$($X dpkg-query -W -f='${Conffiles}' mote | awk '{print $1}')" = /etc/mote/moted.toml ] || fail "config is not a conffile"
$X test -f /usr/share/man/man8/moted.8.gz || fail "no moted(8)"
echo "ok: installed with apt, user and groups created, units enabled and running"

# Roles the shipped groups give: mote = write (status, push; no definitions), mote-admin = admin.
$X useradd -m alice
$X usermod -aG mote alice
$X runuser -u alice -- motectl status >/dev/null || fail "a member of mote cannot read the status"
DEFS=$($X mktemp)
$X sh -c "printf '[[entity]]\nname = \"machine\"\njoin_key = \"machine_id\"\n' > $DEFS && chmod 644 $DEFS"
if OUT=$($X runuser -u alice -- motectl apply -f "$DEFS" 2>&1); then fail "a member of mote only applied definitions: $OUT"; fi
grep -q "403" <<< "$OUT" || fail "apply by a member of mote: $OUT"
$X usermod -aG mote-admin alice
$X runuser -u alice -- motectl apply -f "$DEFS" >/dev/null || fail "a member of mote-admin cannot apply definitions"
echo "ok: group mote gives write, mote-admin gives admin"

# A local change to the config survives a reinstall (a conffile).
$X sh -c 'echo "# changed on this box" >> /etc/mote/moted.toml'
$X env DEBIAN_FRONTEND=noninteractive apt-get install -y --reinstall /srv/mote.deb >/dev/null 2>&1 || fail "reinstall"
$X grep -q "changed on this box" /etc/mote/moted.toml || fail "reinstall replaced the changed config"
[ "$($X systemctl is-active moted.service)" = active ] || fail "moted.service not running after the reinstall"
echo "ok: the changed config kept across a reinstall, service restarted"

$X systemctl stop moted.service
[ "$($X systemctl is-active moted.socket)" = active ] || fail "moted.socket not active"
[ "$($X systemctl is-active moted.service || true)" = inactive ] || fail "moted.service still running after stop"
echo "ok: socket listening, service stopped"

# 1. First connection activates the service; the answer comes back on that connection.
OUT=$($X /usr/bin/motectl status -o json) || fail "motectl status failed: $OUT"
grep -q '"listener": "activated fd 3 (api)"' <<< "$OUT" || fail "not socket-activated: $OUT"
[ "$($X systemctl is-active moted.service)" = active ] || fail "moted.service not active"
[ "$($X systemctl show -p Type --value moted.service)" = notify ] || fail "Type is not notify"
SUB=$($X systemctl show -p SubState --value moted.service)
[ "$SUB" = running ] || fail "SubState $SUB"
STATUS=$($X systemctl show -p StatusText --value moted.service)
case "$STATUS" in "serving on /run/mote/mote.sock"*) ;; *) fail "StatusText '$STATUS'";; esac
echo "ok: activated on first connect, active (running), status '$STATUS'"

# The training thread runs at training.nice (10) under the unit's system call filter.
MAIN=$($X systemctl show -p MainPID --value moted.service)
NICE=
for _ in $(seq 50); do NICE=$($X ps -L -o ni= -p "$MAIN" | tr -d ' ' | sort -u | tr '\n' ' '); case " $NICE" in *" 10 "*) break;; esac; sleep 0.1; done
case " $NICE" in *" 10 "*) ;; *) fail "no thread of moted at nice 10 (training.nice): $NICE";; esac
echo "ok: the training thread runs at nice 10"

# 2. Reload: RELOADING=1 ... READY=1, still serving, no restart.
PID1=$($X systemctl show -p MainPID --value moted.service)
$X systemctl reload moted.service || fail "reload"
for _ in $(seq 100); do $X journalctl -b -u moted.service -o json --no-pager | grep '"MOTE_EVENT":"reloaded"' >/dev/null && break; sleep 0.1; done
$X journalctl -b -u moted.service -o json --no-pager | grep '"MOTE_EVENT":"reloaded"' >/dev/null || fail "no reloaded entry"
[ "$($X systemctl show -p MainPID --value moted.service)" = "$PID1" ] || fail "reload restarted the daemon"
$X /usr/bin/motectl status >/dev/null || fail "not serving after reload"
echo "ok: reload"

# 3. A stuck daemon: no watchdog pings, systemd kills it and restarts it.
$X kill -STOP "$PID1"
RESTARTED=
for _ in $(seq 200); do
  PID2=$($X systemctl show -p MainPID --value moted.service)
  NR=$($X systemctl show -p NRestarts --value moted.service)
  if [ "$PID2" != "$PID1" ] && [ "$PID2" != 0 ] && [ "${NR:-0}" -ge 1 ] && [ "$($X systemctl is-active moted.service)" = active ]; then RESTARTED=1; break; fi
  sleep 0.1
done
[ -n "$RESTARTED" ] || fail "watchdog did not restart the stuck daemon (MainPID $PID2, NRestarts $NR)"
$X journalctl -b -u moted.service --no-pager | grep -i 'watchdog timeout' >/dev/null || fail "no watchdog timeout in the journal"
$X /usr/bin/motectl status >/dev/null || fail "not serving after the watchdog restart"
echo "ok: watchdog timeout killed pid $PID1, restarted as $PID2"

# 4. Clean stop.
$X systemctl stop moted.service
RESULT=$($X systemctl show -p Result --value moted.service)
CODE=$($X systemctl show -p ExecMainStatus --value moted.service)
[ "$RESULT" = success ] && [ "$CODE" = 0 ] || fail "stop: Result=$RESULT ExecMainStatus=$CODE"
$X journalctl --sync
J=$($X journalctl -b -u moted.service -o json --no-pager)
echo "$J" | jq -s -e 'any(.[]; .MOTE_EVENT=="stopped" and .SYSLOG_IDENTIFIER=="moted" and ._SYSTEMD_UNIT=="moted.service")' >/dev/null || fail "no stopped entry"
echo "$J" | jq -s -e 'any(.[]; .MOTE_EVENT=="ready" and .PRIORITY=="5" and (.MOTE_STARTUP_MS|length>0) and (.CODE_FILE|length>0))' >/dev/null || fail "ready entry lacks fields"
echo "ok: clean stop (Result=success, status 0), journal fields present"

# 5. The socket survives a service stop (its directory is the socket unit's) and activates again.
$X /usr/bin/motectl status >/dev/null || fail "socket did not re-activate after stop"
echo "ok: re-activated after stop"

SCORE=$($X systemd-analyze security moted.service --no-pager 2>&1 | sed -n 's/.*Overall exposure level for moted.service: \([0-9.]*\).*/\1/p')
echo "exposure (online, in container): $SCORE"
# Remove: units stopped and gone, config kept; purge: config gone, the box's data kept.
$X env DEBIAN_FRONTEND=noninteractive apt-get remove -y mote >/dev/null 2>&1 || fail "apt-get remove"
$X test ! -e /usr/bin/moted || fail "moted still installed after remove"
[ "$($X systemctl is-active moted.service || true)" != active ] || fail "moted.service running after remove"
[ "$($X systemctl is-active moted.socket || true)" != active ] || fail "moted.socket listening after remove"
$X test -f /etc/mote/moted.toml || fail "remove deleted the config"
$X env DEBIAN_FRONTEND=noninteractive apt-get purge -y mote >/dev/null 2>&1 || fail "apt-get purge"
$X test ! -e /etc/mote/moted.toml || fail "purge kept the config"
$X test -d /var/lib/private/mote || $X test -d /var/lib/mote || fail "purge deleted the state directory"
echo "ok: remove stops and removes, keeps the config; purge removes the config, keeps the data"
echo "e2e: all passed"
