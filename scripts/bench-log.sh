#!/usr/bin/env bash
# The log and uplink figures of `make bench` through the real daemon (called by scripts/bench.sh;
# prints `name value` lines, or `name missing reason`, on standard output; progress on stderr).
#
#   con_durable_readings_per_s  CON single-reading POSTs answered per second with --durability sync
#                               (every ACK after the fdatasync covering it): BENCH_LOG_CLIENTS
#                               `coap_load inflight` clients (default 16), each keeping 32 CON
#                               exchanges in flight over 64 sensors (a new one leaves as each ACK
#                               arrives), so 512 in flight: a gateway's sensors report
#                               independently, and one fdatasync per tick covers all that
#                               arrived while the previous one ran. Compare with
#                               udp_raw_ceiling_datagrams_per_s (scripts/bench-udp.sh):
#                               con_durable_ratio when that figure exists. con_durable_syncs is the
#                               number of fdatasyncs the daemon made for those readings (all
#                               rounds).
#   con_nolog_readings_per_s    the same clients against a daemon without a log (rounds take turns):
#                               con_durable_over_nolog_ratio is what durability itself costs.
#   drain_records_per_s         records the uplink forwarded per second once the upstream came
#                               back after an outage (collect --outage 0-S, S = BENCH_DRAIN_OUTAGE_S,
#                               default 60), --uplink-rate off: BENCH_DRAIN_READINGS CON readings
#                               (default 200000) are logged during the outage; the rate is measured
#                               from the first forwarded record to an empty backlog.
#   mqtt_drain_records_per_s    the same with --upstream mqtt:// to Debian's mosquitto on loopback
#                               (no subscriber: the broker's PUBACK is the acknowledgement): the
#                               readings are logged while no broker listens, then mosquitto starts
#                               and the rate is measured from the first acknowledged record to an
#                               empty backlog (SenML-JSON, one QoS 1 message per record, window 100).
#                               The daemon is outpost-dynamic (the same objects, dynamically linked)
#                               under the malloc counter, which also gives
#   allocations_per_record_mqtt heap allocations after start-up divided by the records forwarded
#                               (0 in steady state: connects, reconnects and publishes included).
#   mqtt_drain_vs_coap_drain_ratio  mqtt_drain_records_per_s / drain_records_per_s of this run.
#   mqtt_drain_records_per_s_batched  the same MQTT drain with --mqtt-batch 32 (runs of up to 32
#                               readings as one SenML-JSON pack per QoS 1 message), with
#   allocations_per_record_mqtt_batched  its allocations per record, and
#   mqtt_batched_vs_unbatched_drain_ratio  mqtt_drain_records_per_s_batched / mqtt_drain_records_per_s.
#
# The daemon is the x86_64 medium firmware (Embedded Swift), the log a file under build/bench.
# Environment: MAKE, SWIFT, SWIFTPM_FLAGS, BENCH_LOG_CLIENTS, BENCH_LOG_READINGS (per client,
# default 12500), BENCH_DRAIN_OUTAGE_S, BENCH_DRAIN_READINGS.
set -uo pipefail
cd "$(dirname "$0")/.."

SWIFT=${SWIFT:-swift}
MAKE=${MAKE:-make}
read -r -a SWIFTPM <<< "${SWIFTPM_FLAGS:-}"
CLIENTS=${BENCH_LOG_CLIENTS:-16}
PER_CLIENT=${BENCH_LOG_READINGS:-12500}
OUTAGE_S=${BENCH_DRAIN_OUTAGE_S:-60}
DRAIN_READINGS=${BENCH_DRAIN_READINGS:-200000}
OUT=build/interop
DATA=build/bench/log-data
FIRMWARE=build/firmware/x86_64-medium/outpost
PY=build/venv/bin/python

note() { echo "bench-log: $*" >&2; }
missing_all() {
    for name in con_nolog_readings_per_s con_durable_readings_per_s drain_records_per_s mqtt_drain_records_per_s \
        allocations_per_record_mqtt mqtt_drain_records_per_s_batched allocations_per_record_mqtt_batched; do
        echo "$name missing $1"
    done
    exit 0
}

scripts/ensure-tools.sh peers venv >&2 || missing_all "tools missing (scripts/ensure-tools.sh peers venv)"
scripts/build-interop-tools.sh >&2 || missing_all "the load tools did not build"
"$MAKE" --no-print-directory "$FIRMWARE" >&2 || missing_all "the x86_64 medium firmware did not build"
tool_bin=""
if "$SWIFT" build "${SWIFTPM[@]}" -c release --product outpost-tool >&2; then
    tool_bin="$("$SWIFT" build "${SWIFTPM[@]}" -c release --show-bin-path)/outpost-tool"
fi

# start_daemon LOG FLAGS... -> sets DAEMON_PID and DAEMON_PORT
start_daemon() {
    local log=$1
    shift
    : > "$log"
    "$FIRMWARE" --listen 127.0.0.1:0 "$@" 2> "$log" &
    DAEMON_PID=$!
    DAEMON_PORT=""
    for _ in $(seq 200); do
        DAEMON_PORT=$(grep -oE 'listening on 127\.0\.0\.1:[0-9]+' "$log" | head -1 | cut -d: -f2)
        grep -q "outpost: ready" "$log" && [ -n "$DAEMON_PORT" ] && return 0
        sleep 0.05
    done
    return 1
}

# con_clients NAME -> CON readings/s the running daemon answered to the CLIENTS window clients
# (their outputs in $OUT/bench-log-NAME-<i>.txt), or `missing ...` when a response was lost.
con_clients() {
    local pids=()
    for i in $(seq "$CLIENTS"); do
        "$OUT/coap_load" inflight 127.0.0.1 "$DAEMON_PORT" "$PER_CLIENT" 32 > "$OUT/bench-log-$1-$i.txt" &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid"; done
    python3 - "$OUT" "$CLIENTS" "$1" <<'PY'
import sys
responses, seconds, missing = 0, 0.0, 0
for i in range(1, int(sys.argv[2]) + 1):
    fields = dict(line.split() for line in open("%s/bench-log-%s-%d.txt" % (sys.argv[1], sys.argv[3], i)) if line.strip())
    responses += int(fields["responses"])
    missing += int(fields["missing"])
    seconds = max(seconds, float(fields["seconds"]))
print(responses / seconds if seconds > 0 and missing == 0 else "missing %d responses lost" % missing)
PY
}

# ---- CON readings per second, without a log and with durable ACKs ---------------------------------
# Two daemons, one without a log (what the round trips themselves cost: one ACK per reading) and
# one with --durability sync; the client rounds take turns between them, BENCH_LOG_ROUNDS times
# (default 3), and the best round of each counts (the machine is shared: rounds vary by +-20 %).
ROUNDS=${BENCH_LOG_ROUNDS:-3}
rm -rf "$DATA"
mkdir -p "$DATA"
nolog=0
con=0
if start_daemon "$OUT/bench-log-con-nolog.log" && nolog_pid=$DAEMON_PID && nolog_port=$DAEMON_PORT \
        && start_daemon "$OUT/bench-log-con.log" --data-dir "$DATA" --durability sync --log-size 256M; then
    durable_pid=$DAEMON_PID
    durable_port=$DAEMON_PORT
    for round in $(seq "$ROUNDS"); do
        DAEMON_PORT=$nolog_port
        n=$(con_clients con-nolog)
        DAEMON_PORT=$durable_port
        d=$(con_clients con)
        note "round $round: CON without a log $n readings/s, durable $d readings/s"
        if [[ "$n" == missing* ]] || [[ "$d" == missing* ]]; then nolog="$n"; con="$d"; break; fi
        nolog=$(python3 -c "import sys; print(max(float(sys.argv[1]), float(sys.argv[2])))" "$nolog" "$n")
        con=$(python3 -c "import sys; print(max(float(sys.argv[1]), float(sys.argv[2])))" "$con" "$d")
    done
    kill -TERM "$nolog_pid" "$durable_pid"
    wait "$nolog_pid" || note "the daemon without a log did not exit 0 (see $OUT/bench-log-con-nolog.log)"
    wait "$durable_pid" || note "the durable daemon did not exit 0 (see $OUT/bench-log-con.log)"
    echo "con_nolog_readings_per_s $nolog"
    echo "con_durable_readings_per_s $con"
    if [[ "$con" != missing* ]] && [[ "$nolog" != missing* ]]; then
        echo "con_durable_over_nolog_ratio $(python3 -c "import sys; print(float(sys.argv[1]) / float(sys.argv[2]))" "$con" "$nolog")"
    fi
    ceiling=$(awk '$1 == "udp_raw_ceiling_datagrams_per_s" && $2 != "missing" {print $2}' build/bench/figures.txt 2>/dev/null | tail -1)
    if [ -n "$ceiling" ] && [[ "$con" != missing* ]]; then
        echo "con_durable_ratio $(python3 -c "import sys; print(float(sys.argv[1]) / float(sys.argv[2]))" "$con" "$ceiling")"
    fi
    syncs=$(grep -oE 'syncs=[0-9]+' "$OUT/bench-log-con.log" | head -1 | cut -d= -f2)
    [ -n "$syncs" ] && echo "con_durable_syncs $syncs"
    echo "con_durable_clients $CLIENTS"
    note "CON durable: $con readings/s ($(grep -E '^outpost: log:' "$OUT/bench-log-con.log"))"
else
    [ -n "${nolog_pid:-}" ] && kill -TERM "$nolog_pid" 2>/dev/null
    echo "con_nolog_readings_per_s missing a daemon did not start ($OUT/bench-log-con-nolog.log)"
    echo "con_durable_readings_per_s missing a daemon did not start ($OUT/bench-log-con.log)"
fi

# drain_rate PORT STARTED OUTAGE_S -> records/s from the first forwarded record to an empty backlog
drain_rate() {
    "$PY" - "$1" "$2" "$3" <<'PY'
import sys, time
sys.path.insert(0, "Tests/Interop")
from outpost_peer import Peer
peer = Peer(int(sys.argv[1]))
outage_end = float(sys.argv[2]) + float(sys.argv[3])
first_time = first_count = None
deadline = outage_end + 600
while time.time() < deadline:
    health = peer.health()
    uplink = health["uplink"]
    forwarded = uplink["records_forwarded"]
    now = time.time()
    if first_time is None and forwarded > 0:
        first_time, first_count = now, forwarded
    if first_time is not None and uplink["backlog"] == 0:
        print((forwarded - first_count) / max(now - first_time, 1e-3) if now > first_time else "missing drained at once")
        sys.stderr.write("bench-log: drained %d records in %.2f s after the outage (first ack %.1f s after its end)\n"
                         % (forwarded, now - first_time, first_time - outage_end))
        break
    time.sleep(0.05)
else:
    print("missing the backlog did not drain")
PY
}

# ---- MQTT drain after a broker outage, and its allocations ------------------------------------------
# mqtt_drain SUFFIX [DAEMON FLAGS...]: the figures named with SUFFIX ("" or "_batched").
mqtt_drain() {
    local suffix=$1
    shift
    local dynamic=build/firmware/x86_64-medium/outpost-dynamic
    local mosquitto=/usr/sbin/mosquitto
    if [ ! -x "$mosquitto" ]; then
        echo "mqtt_drain_records_per_s$suffix missing mosquitto not installed (scripts/ensure-tools.sh peers)"
        echo "allocations_per_record_mqtt$suffix missing mosquitto not installed"
        return
    fi
    if ! "$MAKE" --no-print-directory "$dynamic" >&2; then
        echo "mqtt_drain_records_per_s$suffix missing outpost-dynamic did not build"
        echo "allocations_per_record_mqtt$suffix missing outpost-dynamic did not build"
        return
    fi
    if [ ! -f "$OUT/libmalloc_preload.so" ]; then
        gcc -shared -fPIC -O2 Sources/CMallocCounter/malloc_counter.c Tests/Interop/tools/malloc_preload.c \
            -ISources/CMallocCounter/include -o "$OUT/libmalloc_preload.so" >&2
    fi
    rm -rf "$DATA"
    mkdir -p "$DATA/broker"
    local port
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    printf 'listener %s 127.0.0.1\nallow_anonymous true\nmax_inflight_messages 0\n' "$port" > "$DATA/broker/mosquitto.conf"
    local report="$OUT/bench-log-mqtt$suffix-alloc.count"
    rm -f "$report"
    : > "$OUT/bench-log-mqtt.log"
    OUTPOST_MALLOC_REPORT="$PWD/$report" LD_PRELOAD="$PWD/$OUT/libmalloc_preload.so" \
        "$dynamic" --listen 127.0.0.1:0 --data-dir "$DATA" --log-size 256M --node-id bench \
        --upstream "mqtt://127.0.0.1:$port" "$@" 2> "$OUT/bench-log-mqtt.log" &
    DAEMON_PID=$!
    DAEMON_PORT=""
    for _ in $(seq 200); do
        DAEMON_PORT=$(grep -oE 'listening on 127\.0\.0\.1:[0-9]+' "$OUT/bench-log-mqtt.log" | head -1 | cut -d: -f2)
        grep -q "outpost: ready" "$OUT/bench-log-mqtt.log" && [ -n "$DAEMON_PORT" ] && break
        sleep 0.05
    done
    if [ -z "$DAEMON_PORT" ]; then
        kill "$DAEMON_PID" 2>/dev/null
        echo "mqtt_drain_records_per_s$suffix missing the daemon did not start ($OUT/bench-log-mqtt.log)"
        echo "allocations_per_record_mqtt$suffix missing the daemon did not start"
        return
    fi
    "$OUT/coap_load" inflight 127.0.0.1 "$DAEMON_PORT" "$DRAIN_READINGS" 32 > "$OUT/bench-log-mqtt-load.txt"
    note "logged $DRAIN_READINGS readings with no broker; starting mosquitto"
    "$mosquitto" -c "$DATA/broker/mosquitto.conf" 2> "$OUT/bench-log-mosquitto.log" &
    local broker=$!
    local rate
    rate=$(drain_rate "$DAEMON_PORT" "$(date +%s.%N)" 0)
    local forwarded
    forwarded=$("$PY" -c "
import sys; sys.path.insert(0, 'Tests/Interop')
from outpost_peer import Peer
print(Peer(int(sys.argv[1])).health()['uplink']['records_forwarded'])" "$DAEMON_PORT")
    kill -TERM "$DAEMON_PID"
    wait "$DAEMON_PID" || note "the MQTT daemon did not exit 0 (see $OUT/bench-log-mqtt.log)"
    kill -TERM "$broker"
    wait "$broker" 2>/dev/null
    echo "mqtt_drain_records_per_s$suffix $rate"
    if [ -z "$suffix" ]; then MQTT_DRAIN=$rate; else MQTT_DRAIN_BATCHED=$rate; fi
    local count
    count=$(awk '/allocations_after_startup/ {print $2}' "$report" 2>/dev/null)
    if [ -n "$count" ] && [ "${forwarded:-0}" -gt 0 ]; then
        echo "allocations_per_record_mqtt$suffix $(python3 -c "import sys; print(int(sys.argv[1]) / int(sys.argv[2]))" "$count" "$forwarded")"
        note "MQTT$suffix: $forwarded records forwarded, $count allocations after start-up"
    else
        echo "allocations_per_record_mqtt$suffix missing no malloc report or nothing forwarded"
    fi
}

# ---- drain rate after an upstream outage ----------------------------------------------------------
if [ -z "$tool_bin" ]; then
    echo "drain_records_per_s missing outpost-tool did not build"
    mqtt_drain ""
    mqtt_drain _batched --mqtt-batch 32
    exit 0
fi
rm -rf "$DATA"
mkdir -p "$DATA"
collect_log="$OUT/bench-log-collect.log"
"$tool_bin" collect --listen 127.0.0.1:0 --out "$DATA/collected.jsonl" --outage "0-$OUTAGE_S" 2> "$collect_log" &
collector=$!
collect_port=""
for _ in $(seq 200); do
    collect_port=$(grep -oE 'listening on 127\.0\.0\.1:[0-9]+' "$collect_log" | head -1 | cut -d: -f2)
    [ -n "$collect_port" ] && break
    sleep 0.05
done
if [ -z "$collect_port" ] || ! start_daemon "$OUT/bench-log-drain.log" --data-dir "$DATA" --log-size 256M \
        --upstream "coap://127.0.0.1:$collect_port/ingest"; then
    kill "$collector" 2>/dev/null
    echo "drain_records_per_s missing the collector or the daemon did not start"
    mqtt_drain ""
    mqtt_drain _batched --mqtt-batch 32
    exit 0
fi
started=$(date +%s.%N)
"$OUT/coap_load" inflight 127.0.0.1 "$DAEMON_PORT" "$DRAIN_READINGS" 32 > "$OUT/bench-log-drain-load.txt"
note "logged $DRAIN_READINGS readings during the outage; waiting for its end ($OUTAGE_S s) and the drain"
drain=$("$PY" - "$DAEMON_PORT" "$started" "$OUTAGE_S" <<'PY'
import sys, time
sys.path.insert(0, "Tests/Interop")
from outpost_peer import Peer
peer = Peer(int(sys.argv[1]))
outage_end = float(sys.argv[2]) + float(sys.argv[3])
first_time = first_count = None
deadline = outage_end + 600
while time.time() < deadline:
    health = peer.health()
    uplink = health["uplink"]
    forwarded = uplink["records_forwarded"]
    now = time.time()
    if first_time is None and forwarded > 0:
        first_time, first_count = now, forwarded
    if first_time is not None and uplink["backlog"] == 0:
        print((forwarded - first_count) / max(now - first_time, 1e-3) if now > first_time else "missing drained at once")
        sys.stderr.write("bench-log: drained %d records in %.2f s after the outage (first ack %.1f s after its end)\n"
                         % (forwarded, now - first_time, first_time - outage_end))
        break
    time.sleep(0.05)
else:
    print("missing the backlog did not drain")
PY
)
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID" || note "the daemon did not exit 0 (see $OUT/bench-log-drain.log)"
kill -TERM "$collector"
wait "$collector"
echo "drain_records_per_s $drain"
MQTT_DRAIN=""
MQTT_DRAIN_BATCHED=""
mqtt_drain ""
mqtt_drain _batched --mqtt-batch 32
if python3 -c "import sys; float(sys.argv[1]); float(sys.argv[2])" "$MQTT_DRAIN_BATCHED" "$MQTT_DRAIN" 2>/dev/null; then
    echo "mqtt_batched_vs_unbatched_drain_ratio $(python3 -c "import sys; print(round(float(sys.argv[1]) / float(sys.argv[2]), 3))" "$MQTT_DRAIN_BATCHED" "$MQTT_DRAIN")"
else
    echo "mqtt_batched_vs_unbatched_drain_ratio missing a drain figure is missing"
fi
# The MQTT drain against the CoAP drain of the same run (the target: at least 1).
if python3 -c "import sys; float(sys.argv[1]); float(sys.argv[2])" "$drain" "$MQTT_DRAIN" 2>/dev/null; then
    echo "mqtt_drain_vs_coap_drain_ratio $(python3 -c "import sys; print(round(float(sys.argv[1]) / float(sys.argv[2]), 3))" "$MQTT_DRAIN" "$drain")"
else
    echo "mqtt_drain_vs_coap_drain_ratio missing a drain figure is missing"
fi
