#!/usr/bin/env bash
# The UDP figures of `make bench` (called by scripts/bench.sh; prints `name value` lines, or
# `name missing reason`, on standard output; progress on standard error).
#
#   udp_raw_ceiling_datagrams_per_s  a minimal C recvmmsg receiver (udp_sink) fed by coap_load's
#                                    sendmmsg flood of single-reading NON datagrams
#   udp_ingest_readings_per_s        the daemon fed by the same flood: readings it took per second
#   udp_ingest_ratio                 ingest / ceiling (target >= 0.7)
#   udp_ingest_noresponse_readings_per_s, udp_raw_ceiling_noresponse_datagrams_per_s,
#   udp_ingest_noresponse_ratio      the same flood with No-Response = 2 (RFC 7967) in every
#                                    datagram, so the daemon sends no 2.04 back: telemetry sensors
#                                    that discard the answer anyway. The ceiling is measured with
#                                    the same (3 bytes longer) datagrams.
#   udp_pack50_readings_per_s        the same with SenML-CBOR packs of 50 readings per datagram
#   con_rtt_us_p50, con_rtt_us_p99   one CON POST at a time, round trip to the ACK
#   firmware_rss_kib_medium          VmHWM of the daemon after all of the above (target <= 2048)
#
# Each rate is received / flood duration, measured BENCH_UDP_ROUNDS times (default 5), best kept
# for the ceiling and the ingest alike (the machine is shared: both vary by +-10 % between rounds). The daemon measured is the x86_64 medium firmware (Embedded Swift,
# build/firmware/x86_64-medium/outpost); the host SwiftPM daemon's ingest is added as
# udp_ingest_readings_per_s_host.
# Environment: SWIFT, SWIFTPM_FLAGS, MAKE, BENCH_UDP_SECONDS (default 3), BENCH_UDP_ROUNDS.
set -uo pipefail
cd "$(dirname "$0")/.."

SWIFT=${SWIFT:-swift}
MAKE=${MAKE:-make}
read -r -a SWIFTPM <<< "${SWIFTPM_FLAGS:-}"
SECONDS_PER_RUN=${BENCH_UDP_SECONDS:-3}
ROUNDS=${BENCH_UDP_ROUNDS:-5}
OUT=build/interop
FIRMWARE=build/firmware/x86_64-medium/outpost
PY=build/venv/bin/python

note() { echo "bench-udp: $*" >&2; }
missing_all() {
    for name in udp_raw_ceiling_datagrams_per_s udp_ingest_readings_per_s udp_ingest_noresponse_readings_per_s \
        udp_pack50_readings_per_s \
        con_rtt_us_p50 con_rtt_us_p99 firmware_rss_kib_medium; do
        echo "$name missing $1"
    done
    exit 0
}

scripts/ensure-tools.sh peers venv >&2 || missing_all "tools missing (scripts/ensure-tools.sh peers venv)"
scripts/build-interop-tools.sh >&2 || missing_all "the load tools did not build"
"$MAKE" --no-print-directory "$FIRMWARE" >&2 || missing_all "the x86_64 medium firmware did not build"

# readings PORT -> readings_received of the daemon's /health
readings() {
    "$PY" - "$1" <<'PY'
import sys
sys.path.insert(0, "Tests/Interop")
from outpost_peer import Peer
print(Peer(int(sys.argv[1])).health()["counters"]["readings_received"])
PY
}

# field NAME TEXT -> the value of a `name value` line
field() { awk -v n="$1" '$1 == n {print $2}' <<< "$2"; }

# best OLD NEW -> the larger (python does the floating point)
best() { python3 -c "import sys; print(max(float(sys.argv[1]), float(sys.argv[2])))" "$1" "$2"; }

# ceiling_once KIND -> datagrams/s the C sink received from a flood of KIND
ceiling_once() {
    local sink_log="$OUT/bench-sink.log"
    "$OUT/udp_sink" 0 500 > "$sink_log" &
    local sink=$! port=""
    for _ in $(seq 50); do
        port=$(awk '$1 == "port" {print $2}' "$sink_log")
        [ -n "$port" ] && break
        sleep 0.05
    done
    local flood
    flood=$("$OUT/coap_load" flood 127.0.0.1 "$port" "$SECONDS_PER_RUN" "$1")
    wait "$sink"
    python3 -c "import sys; print(float(sys.argv[1]) / float(sys.argv[2]))" \
        "$(awk '$1 == "received" {print $2}' "$sink_log")" "$(field seconds "$flood")"
}

# start_daemon BINARY LOG -> sets DAEMON_PID and DAEMON_PORT
start_daemon() {
    : > "$2"
    "$1" --listen 127.0.0.1:0 2> "$2" &
    DAEMON_PID=$!
    DAEMON_PORT=""
    for _ in $(seq 100); do
        DAEMON_PORT=$(grep -oE 'listening on 127\.0\.0\.1:[0-9]+' "$2" | head -1 | cut -d: -f2)
        grep -q "outpost: ready" "$2" && [ -n "$DAEMON_PORT" ] && return 0
        sleep 0.05
    done
    return 1
}

# ingest_once KIND -> readings/s the running daemon took from a flood of KIND
ingest_once() {
    local before after flood
    before=$(readings "$DAEMON_PORT")
    flood=$("$OUT/coap_load" flood 127.0.0.1 "$DAEMON_PORT" "$SECONDS_PER_RUN" "$1")
    sleep 0.5  # let the daemon finish what its socket buffer still holds
    after=$(readings "$DAEMON_PORT")
    python3 -c "import sys; print((int(sys.argv[2]) - int(sys.argv[1])) / float(sys.argv[3]))" "$before" "$after" \
        "$(field seconds "$flood")"
}

ceiling=0
ingest=0
ceiling_nr=0
ingest_nr=0
pack=0
start_daemon "$FIRMWARE" "$OUT/bench-firmware.log" || missing_all "the firmware daemon did not start ($OUT/bench-firmware.log)"
# The four floods take turns within each round, so a slow spell of the machine hits all of them.
for round in $(seq "$ROUNDS"); do
    c=$(ceiling_once single)
    i=$(ingest_once single)
    cn=$(ceiling_once single-nr)
    n=$(ingest_once single-nr)
    note "round $round: ceiling $c datagrams/s, firmware ingest $i readings/s; with No-Response: ceiling $cn, ingest $n"
    ceiling=$(best "$ceiling" "$c")
    ingest=$(best "$ingest" "$i")
    ceiling_nr=$(best "$ceiling_nr" "$cn")
    ingest_nr=$(best "$ingest_nr" "$n")
done
for round in $(seq "$ROUNDS"); do
    p=$(ingest_once pack50)
    note "round $round: packs of 50: $p readings/s"
    pack=$(best "$pack" "$p")
done
rtt=$("$OUT/coap_load" rtt 127.0.0.1 "$DAEMON_PORT" 5000)
rss=$(awk '/^VmHWM:/ {print $2}' "/proc/$DAEMON_PID/status")
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID" || note "the firmware daemon did not exit 0"

echo "udp_raw_ceiling_datagrams_per_s $ceiling"
echo "udp_ingest_readings_per_s $ingest"
echo "udp_ingest_ratio $(python3 -c "import sys; print(float(sys.argv[1]) / float(sys.argv[2]))" "$ingest" "$ceiling")"
echo "udp_raw_ceiling_noresponse_datagrams_per_s $ceiling_nr"
echo "udp_ingest_noresponse_readings_per_s $ingest_nr"
echo "udp_ingest_noresponse_ratio $(python3 -c "import sys; print(float(sys.argv[1]) / float(sys.argv[2]))" "$ingest_nr" "$ceiling_nr")"
echo "udp_pack50_readings_per_s $pack"
echo "con_rtt_us_p50 $(field rtt_us_p50 "$rtt")"
echo "con_rtt_us_p99 $(field rtt_us_p99 "$rtt")"
echo "firmware_rss_kib_medium $rss"

# The host daemon (SwiftPM release build) for comparison.
if "$SWIFT" build "${SWIFTPM[@]}" -c release --product outpost >&2; then
    host_bin="$("$SWIFT" build "${SWIFTPM[@]}" -c release --show-bin-path)/outpost"
    if start_daemon "$host_bin" "$OUT/bench-host.log"; then
        host=0
        for round in $(seq "$ROUNDS"); do host=$(best "$host" "$(ingest_once single)"); done
        kill -TERM "$DAEMON_PID"
        wait "$DAEMON_PID"
        echo "udp_ingest_readings_per_s_host $host"
    else
        echo "udp_ingest_readings_per_s_host missing the host daemon did not start"
    fi
else
    echo "udp_ingest_readings_per_s_host missing the host daemon did not build"
fi
