#!/usr/bin/env bash
# Interop and zero-allocation checks against the real daemon (part of `make test`).
#
#   1. Tests/Interop/test_interop.py against the host daemon (SwiftPM release build): libcoap's
#      coap-client-notls (discovery, SenML-JSON/CBOR POSTs, /health), a retransmitted CON processed
#      once, aiocoap observing /alerts, flags and signals, serial lines through pseudo-terminals.
#      test_tls.py: CHAL's TLS client (mbedTLS) against openssl s_server (wrong CA, expired, mutual TLS);
#      test_dtls.py: coaps with libcoap's coap-client-openssl (-u/-k) and CHAL's DTLS server in-process.
#   1b. Tests/Interop/test_store*.py: the log and the uplink (kill test with its counts, upstream
#      outage, full log with each policy, file-size limit).
#   2. Zero allocations through the real socket path, with the log on (--data-dir): 100 000 datagrams (single readings and
#      50-reading packs, CON and NON) over loopback to the running daemon, with the malloc family
#      interposed by LD_PRELOAD (Sources/CMallocCounter + Tests/Interop/tools/malloc_preload.c);
#      counting starts when the daemon calls chal_startup_complete() and the count must be 0. For
#      the host daemon and the x86_64 medium firmware.
#
# Usage: scripts/interop-test.sh [--no-alloc] [--alloc-only]
# Environment: SWIFT, SWIFTPM_FLAGS, MAKE; INTEROP_DATAGRAMS (default 100000).
# Logs and outputs: build/interop/.
set -uo pipefail
cd "$(dirname "$0")/.."

SWIFT=${SWIFT:-swift}
MAKE=${MAKE:-make}
read -r -a SWIFTPM <<< "${SWIFTPM_FLAGS:-}"
DATAGRAMS=${INTEROP_DATAGRAMS:-100000}
OUT=build/interop
run_tests=1
run_alloc=1
for argument in "$@"; do
    case "$argument" in
        --no-alloc) run_alloc=0 ;;
        --alloc-only) run_tests=0 ;;
        *) echo "interop-test: unknown argument $argument" >&2; exit 2 ;;
    esac
done
mkdir -p "$OUT"

declare -a RESULT_NAMES=() RESULT_STATES=()
failures=0
record() { # name, PASS|FAIL, detail
    RESULT_NAMES+=("$1")
    RESULT_STATES+=("$2${3:+  ($3)}")
    if [ "$2" != PASS ]; then failures=$((failures + 1)); fi
    echo "interop: $2 $1${3:+: $3}"
}

scripts/ensure-tools.sh peers venv || { echo "interop: FAILED (tools missing)"; exit 1; }
scripts/build-interop-tools.sh || { echo "interop: FAILED (could not build the load tools)"; exit 1; }

echo "interop: building the host daemon (release)"
host_bin=""
if "$SWIFT" build "${SWIFTPM[@]}" -c release --product outpost; then
    host_bin="$("$SWIFT" build "${SWIFTPM[@]}" -c release --show-bin-path)/outpost"
fi

# outpost-tool (release): the report test (1) and the collector of the store tests (1b).
tool_bin=""
if [ "$run_tests" = 1 ] && "$SWIFT" build "${SWIFTPM[@]}" -c release --product outpost-tool; then
    tool_bin="$("$SWIFT" build "${SWIFTPM[@]}" -c release --show-bin-path)/outpost-tool"
fi

# ---- 1. the python interop suite --------------------------------------------------------------
# test_systemd: the unit file (systemd-analyze verify) and the notify datagrams; test_report:
# outpost-tool report on a log the daemon wrote, checked with an XML parser, and its screenshot.
if [ "$run_tests" = 1 ]; then
    if [ -z "$host_bin" ]; then
        record "python interop suite (host daemon)" FAIL "the host daemon did not build"
    else
        log="$OUT/python-host.log"
        if (cd Tests/Interop && OUTPOST_BIN="$host_bin" OUTPOST_TOOL="$tool_bin" timeout 1500 ../../build/venv/bin/python -W ignore::ResourceWarning \
                -m unittest -v test_interop test_config test_systemd test_report test_tls test_dtls test_http) > "$log" 2>&1; then
            record "python interop suite (host daemon)" PASS "$(grep -E '^Ran [0-9]+ tests' "$log")"
        else
            grep -E '^(FAIL|ERROR):' "$log" | head -20
            record "python interop suite (host daemon)" FAIL "see $log"
        fi
    fi
fi

# ---- 1b. the log and the uplink through the real process (Tests/Interop/test_store.py) -----------
# SIGKILL at random moments then forwarding (prints the kill test's counts), an upstream outage,
# a full log with each policy, a file-size limit. Needs outpost-tool for the collector.
if [ "$run_tests" = 1 ]; then
    if [ -z "$host_bin" ] || [ -z "$tool_bin" ]; then
        record "log and uplink (kill, outage, full)" FAIL "the host daemon or outpost-tool did not build"
    else
        log="$OUT/python-store.log"
        # Every Tests/Interop/test_store*.py module: the kill test and the other process tests of the
        # log, the uplink and recovery.
        store_modules=$(cd Tests/Interop && ls test_store*.py | sed 's/\.py$//' | tr '\n' ' ')
        if (cd Tests/Interop && OUTPOST_BIN="$host_bin" OUTPOST_TOOL="$tool_bin" timeout 1500 ../../build/venv/bin/python \
                -W ignore::ResourceWarning -m unittest -v $store_modules) > "$log" 2>&1; then
            record "log and uplink (kill, outage, full)" PASS "$(grep -E '^Ran [0-9]+ tests' "$log")"
        else
            grep -E '^(FAIL|ERROR):' "$log" | head -20
            record "log and uplink (kill, outage, full)" FAIL "see $log"
        fi
        # The issue's proof: the kill test's counts.
        grep -E '^kill test:' "$log" | sed 's/^/interop: /'
        grep -E '^mqtt (kill test|broker restart|commands):|^mqtts:' "$log" | sed 's/^/interop: /'
    fi
fi

# ---- 2. zero allocations through real sockets -------------------------------------------------
# alloc_check NAME BINARY: runs the daemon with the preloaded counter, sends the datagrams, stops it.
alloc_check() {
    local name=$1 binary=$2
    local log="$OUT/alloc-$name.log" report="$OUT/alloc-$name.count"
    if [ ! -x "$binary" ]; then record "zero allocations: $name" FAIL "no binary $binary"; return; fi
    rm -f "$report"
    : > "$log"
    # With the log on (sync durability, drop-oldest through a 1 MiB file): appends, commits,
    # segment rolls and drops must not allocate either.
    local data="$OUT/alloc-$name.data"
    rm -rf "$data"
    mkdir -p "$data"
    OUTPOST_MALLOC_REPORT="$report" LD_PRELOAD="$PWD/$OUT/libmalloc_preload.so" \
        "$binary" --listen 127.0.0.1:0 --http 127.0.0.1:0 --data-dir "$data" --log-size 1M 2> "$log" &
    local pid=$! port=""
    for _ in $(seq 100); do
        port=$(grep -oE 'listening on 127\.0\.0\.1:[0-9]+' "$log" | head -1 | cut -d: -f2)
        grep -q "outpost: ready" "$log" && [ -n "$port" ] && break
        sleep 0.1
    done
    if [ -z "$port" ]; then
        kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
        record "zero allocations: $name" FAIL "daemon did not start, see $log"
        return
    fi
    local load
    load=$("$OUT/coap_load" window 127.0.0.1 "$port" "$DATAGRAMS" mix 2>&1 | tr '\n' ' ')
    # Read the resources too: the GET paths must not allocate either.
    local health http_port
    http_port=$(grep -oE 'HTTP on 127\.0\.0\.1:[0-9]+' "$log" | head -1 | cut -d: -f2)
    health=$(build/venv/bin/python - "$port" "${http_port:-0}" <<'PY'
import http.client, sys
sys.path.insert(0, "Tests/Interop")
from outpost_peer import Peer, code_text
peer = Peer(int(sys.argv[1]))
for path in ("/.well-known/core", "/sensors", "/sensors/load-01", "/alerts", "/metrics"):
    peer.get(path)
    peer.get(path, accept=60 if path != "/metrics" and path != "/.well-known/core" else None)
# The HTTP side too: scrapes and API calls on a kept-alive connection and on new ones, a refused
# request and an event stream; none of it may allocate.
answered = 0
if int(sys.argv[2]):
    for round in range(20):
        conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[2]), timeout=5)
        for path in ("/metrics", "/health", "/ready", "/api/sensors", "/api/sensors/load-01", "/api/alerts", "/", "/nope"):
            conn.request("GET", path)
            r = conn.getresponse()
            r.read()
            answered += r.status in (200, 404)
        conn.request("POST", "/api/sensors/load-01/command", body=b"x")
        r = conn.getresponse()
        r.read()
        answered += r.status == 401
        conn.close()
    events = http.client.HTTPConnection("127.0.0.1", int(sys.argv[2]), timeout=5)
    events.request("GET", "/api/events")
    answered += events.getresponse().status == 200
    events.close()
counters = peer.health()["counters"]
print(counters["datagrams"], counters["readings_received"], answered)
PY
)
    kill -TERM "$pid"
    local status=0
    wait "$pid" || status=$?
    local count
    count=$(awk '/allocations_after_startup/ {print $2}' "$report" 2>/dev/null)
    read -r datagrams readings answered <<< "$health"
    local detail="$load| daemon: ${datagrams:-?} datagrams, ${readings:-?} readings, ${answered:-?} of 181 HTTP answers, exit $status, allocations after start-up: ${count:-none reported}"
    if [ "$status" = 0 ] && [ "${count:-x}" = 0 ] && [ "${datagrams:-0}" -ge "$DATAGRAMS" ] && [[ "$load" == *"missing 0"* ]] \
        && [ "${answered:-0}" = 181 ]; then
        record "zero allocations: $name" PASS "$detail"
    else
        record "zero allocations: $name" FAIL "$detail; see $log"
    fi
}

if [ "$run_alloc" = 1 ]; then
    if [ -n "$host_bin" ]; then alloc_check host "$host_bin"; else record "zero allocations: host" FAIL "no host daemon"; fi
    # The x86_64 firmware is linked statically (Makefile, LINK_x86_64), which LD_PRELOAD cannot
    # enter: the counter runs outpost-dynamic, the same objects linked against the shared glibc.
    echo "interop: building the x86_64 medium firmware (dynamically linked twin)"
    "$MAKE" --no-print-directory build/firmware/x86_64-medium/outpost-dynamic || true
    alloc_check firmware-x86_64-medium build/firmware/x86_64-medium/outpost-dynamic
fi

echo
echo "interop summary (logs in $OUT/)"
for i in "${!RESULT_NAMES[@]}"; do
    printf '  %-44s %s\n' "${RESULT_NAMES[$i]}" "${RESULT_STATES[$i]}"
done
if [ "$failures" -ne 0 ]; then
    echo "interop: FAILED ($failures of ${#RESULT_NAMES[@]} checks)"
    exit 1
fi
echo "interop: all ${#RESULT_NAMES[@]} checks passed"
