#!/usr/bin/env bash
# The DTLS figures of `make bench` (called by scripts/bench.sh; prints `name value` lines, or
# `name missing reason`, on standard output; progress on standard error).
#
#   dtls_ingest_readings_per_s        readings/s the daemon took from NON single readings sent over
#                                     DTLS_SESSIONS established DTLS 1.2 PSK sessions
#                                     (Tests/Interop/tools/dtls_flood.c: mbedTLS, AES-128-CCM-8, one
#                                     record per datagram, the same SenML message as the UDP flood)
#   dtls_udp_ingest_readings_per_s    the same daemon fed coap_load's plain `single` flood
#                                     (udp_ingest_readings_per_s's load) in the same rounds
#   dtls_ingest_ratio                 DTLS / plain UDP (target >= 0.5): the median of the rounds'
#                                     own ratios, each DTLS run against the UDP run next to it
#   firmware_rss_kib_medium_dtls_idle      VmRSS of a fresh daemon with the DTLS listener open
#   firmware_rss_kib_medium_dtls_sessions  VmRSS with the profile's maximum of sessions up (16)
#   firmware_hwm_kib_medium_dtls_sessions  VmHWM at that moment
#
# The daemon is the x86_64 medium firmware (Embedded Swift, static-pie). The resident memory's
# split (anonymous: heap, arena, stacks; file: the binary's pages) goes to standard error.
# Environment: MAKE, BENCH_UDP_SECONDS (default 3), BENCH_DTLS_ROUNDS (default 5),
# BENCH_DTLS_SESSIONS (default 8).
set -uo pipefail
cd "$(dirname "$0")/.."

MAKE=${MAKE:-make}
SECONDS_PER_RUN=${BENCH_UDP_SECONDS:-3}
ROUNDS=${BENCH_DTLS_ROUNDS:-5}
SESSIONS=${BENCH_DTLS_SESSIONS:-8}
MAX_SESSIONS=16 # the medium profile's dtlsSessionCount
OUT=build/interop
FIRMWARE=build/firmware/x86_64-medium/outpost
PY=build/venv/bin/python
IDENTITY=bench-load
KEY=bench-load-key-1

note() { echo "bench-dtls: $*" >&2; }
missing_all() {
    for name in dtls_ingest_readings_per_s dtls_udp_ingest_readings_per_s dtls_ingest_ratio \
        firmware_rss_kib_medium_dtls_idle firmware_rss_kib_medium_dtls_sessions firmware_hwm_kib_medium_dtls_sessions; do
        echo "$name missing $1"
    done
    exit 0
}

scripts/ensure-tools.sh peers venv tls >&2 || missing_all "tools missing (scripts/ensure-tools.sh peers venv tls)"
scripts/build-interop-tools.sh >&2 || missing_all "the load tools did not build"
[ -x "$OUT/dtls_flood" ] || missing_all "dtls_flood did not build (libmbedtls-dev)"
"$MAKE" --no-print-directory "$FIRMWARE" >&2 || missing_all "the x86_64 medium firmware did not build"

keys="$OUT/bench-dtls.psk"
printf '# make bench (scripts/bench-dtls.sh)\n%s:%s:load-*\n' "$IDENTITY" "$(printf '%s' "$KEY" | od -An -tx1 | tr -d ' \n')" > "$keys"

# start_daemon LOG -> sets DAEMON_PID, DAEMON_PORT (plain CoAP) and DTLS_PORT
start_daemon() {
    : > "$1"
    "$FIRMWARE" --listen 127.0.0.1:0 --listen-dtls 127.0.0.1:0 --psk-file "$keys" 2> "$1" &
    DAEMON_PID=$!
    DAEMON_PORT="" DTLS_PORT=""
    for _ in $(seq 100); do
        DAEMON_PORT=$(grep -oE 'listening on 127\.0\.0\.1:[0-9]+' "$1" | head -1 | cut -d: -f2)
        DTLS_PORT=$(grep -oE 'DTLS 1\.2 PSK\) on 127\.0\.0\.1:[0-9]+' "$1" | head -1 | cut -d: -f2)
        grep -q "outpost: ready" "$1" && [ -n "$DAEMON_PORT" ] && [ -n "$DTLS_PORT" ] && return 0
        sleep 0.05
    done
    return 1
}

stop_daemon() {
    kill -TERM "$DAEMON_PID" 2>/dev/null
    wait "$DAEMON_PID" || note "the daemon did not exit 0"
}

# readings -> readings_received of the daemon's /health (plain CoAP)
readings() {
    "$PY" - "$DAEMON_PORT" <<'PY'
import sys
sys.path.insert(0, "Tests/Interop")
from outpost_peer import Peer
print(Peer(int(sys.argv[1])).health()["counters"]["readings_received"])
PY
}

status_kib() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$DAEMON_PID/status"; }
rollup() { awk '$1 ~ /^(Rss|Anonymous|Private_Dirty|Shared_Clean|Private_Clean):$/ {printf "%s %s kB; ", $1, $2}' "/proc/$DAEMON_PID/smaps_rollup"; }

# rate BEFORE AFTER SECONDS
rate() { python3 -c "import sys; print((int(sys.argv[2]) - int(sys.argv[1])) / float(sys.argv[3]))" "$@"; }

# ---- resident memory: a fresh daemon, then the profile's maximum of sessions up ----------------
log="$OUT/bench-dtls-rss.log"
start_daemon "$log" || missing_all "the daemon did not start ($log)"
sleep 0.3
idle=$(status_kib VmRSS)
note "idle with the DTLS listener open: VmRSS $idle kB ($(rollup))"
holder_out="$OUT/bench-dtls-hold.txt"
"$OUT/dtls_flood" 127.0.0.1 "$DTLS_PORT" "$IDENTITY" "$KEY" "$MAX_SESSIONS" 8 hold > "$holder_out" &
holder=$!
rss="" hwm=""
for _ in $(seq 200); do
    if grep -q "^sessions" "$holder_out" 2>/dev/null; then
        sleep 0.5
        rss=$(status_kib VmRSS)
        hwm=$(status_kib VmHWM)
        note "with $MAX_SESSIONS sessions up: VmRSS $rss kB, VmHWM $hwm kB ($(rollup))"
        break
    fi
    grep -q "^error" "$holder_out" 2>/dev/null && break
    sleep 0.05
done
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
stop_daemon
echo "firmware_rss_kib_medium_dtls_idle $idle"
if [ -n "$rss" ]; then
    echo "firmware_rss_kib_medium_dtls_sessions $rss"
    echo "firmware_hwm_kib_medium_dtls_sessions $hwm"
else
    echo "firmware_rss_kib_medium_dtls_sessions missing the sessions did not come up ($(cat "$holder_out"))"
    echo "firmware_hwm_kib_medium_dtls_sessions missing the sessions did not come up"
fi

# ---- ingest: plain UDP and DTLS floods taking turns on one daemon ------------------------------
log="$OUT/bench-dtls.log"
start_daemon "$log" || { for n in dtls_ingest_readings_per_s dtls_udp_ingest_readings_per_s dtls_ingest_ratio; do echo "$n missing the daemon did not start ($log)"; done; exit 0; }
udp=()
dtls=()
for round in $(seq "$ROUNDS"); do
    before=$(readings)
    flood=$("$OUT/coap_load" flood 127.0.0.1 "$DAEMON_PORT" "$SECONDS_PER_RUN" single)
    sleep 0.5
    u=$(rate "$before" "$(readings)" "$(awk '$1 == "seconds" {print $2}' <<< "$flood")")
    before=$(readings)
    # Each round opens fresh sessions (the last round's closed theirs with close_notify).
    flood=$("$OUT/dtls_flood" 127.0.0.1 "$DTLS_PORT" "$IDENTITY" "$KEY" "$SESSIONS" "$SECONDS_PER_RUN" flood)
    sleep 0.5
    seconds=$(awk '$1 == "seconds" {print $2}' <<< "$flood")
    if [ -z "$seconds" ]; then
        note "round $round: the DTLS flood failed: $flood"
        continue
    fi
    # The handshakes' first CON readings (one per session) are not part of the flood.
    d=$(python3 -c "import sys; print((int(sys.argv[2]) - int(sys.argv[1]) - int(sys.argv[4])) / float(sys.argv[3]))" \
        "$before" "$(readings)" "$seconds" "$SESSIONS")
    note "round $round: plain UDP $u readings/s, DTLS ($SESSIONS sessions) $d readings/s (client sent $(awk '$1 == "sent" {print $2}' <<< "$flood"))"
    udp+=("$u")
    dtls+=("$d")
done
stop_daemon
grep -E "outpost: dtls:" "$log" | tail -1 | sed 's/^/bench-dtls: /' >&2
if [ ${#dtls[@]} -eq 0 ]; then
    for n in dtls_ingest_readings_per_s dtls_udp_ingest_readings_per_s dtls_ingest_ratio; do echo "$n missing no DTLS flood succeeded ($log)"; done
    exit 0
fi
python3 - "${udp[*]}" "${dtls[*]}" <<'PY'
import statistics, sys
udp = [float(x) for x in sys.argv[1].split()]
dtls = [float(x) for x in sys.argv[2].split()]
print("dtls_ingest_readings_per_s", statistics.median(dtls))
print("dtls_udp_ingest_readings_per_s", statistics.median(udp))
print("dtls_ingest_ratio", statistics.median(d / u for u, d in zip(udp, dtls) if u > 0))
PY
