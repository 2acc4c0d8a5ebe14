#!/usr/bin/env bash
# `make test`: everything CI checks, in order, each step timed, ending with a summary.
#
#   tools     scripts/ensure-tools.sh (installs the cross gcc, qemu-user, peers, chromium, dpkg tools on a fresh CI machine)
#   build     swift build
#   unit      swift test (the whole suite, once)
#   firmware  make -j2 firmware-set (aarch64, armv7, x86_64 x low/medium/high, aarch64-test; nm check)
#   deb       Tests/Interop/test_deb.py: make deb for amd64/arm64/armhf (dpkg-deb --info/--contents checks),
#             the amd64 package installed with dpkg -i, its --self-test and --version, dpkg -r/-P (root only)
#   qemu      make qemu-test (self-test and byte-identical replay under qemu-user)
#   interop   scripts/interop-test.sh (libcoap, aiocoap, serial ptys, zero allocations via real sockets)
#   fuzz      scripts/fuzz.sh 3 (a short smoke run of every fuzzer), when the script exists
#
# Every step runs even when an earlier one failed, so one run shows all that is broken; a step
# that needs an earlier one's output fails on its own. Logs: build/test/<step>.log.
# Environment: SWIFT, SWIFTPM_FLAGS, MAKE (set by the Makefile).
set -uo pipefail
cd "$(dirname "$0")/.."

SWIFT=${SWIFT:-swift}
MAKE=${MAKE:-make}
read -r -a SWIFTPM <<< "${SWIFTPM_FLAGS:-}"
LOGS=build/test
mkdir -p "$LOGS"

declare -a STEP_NAMES=() STEP_STATES=() STEP_SECONDS=()
failures=0
started_s=$(date +%s)

# step NAME COMMAND... : runs the command, output to the console and to build/test/NAME.log.
step() {
    local name=$1
    shift
    echo
    echo "==== make test: $name: $*"
    local begin_s status
    begin_s=$(date +%s)
    "$@" 2>&1 | tee "$LOGS/$name.log"
    status=${PIPESTATUS[0]}
    STEP_NAMES+=("$name")
    STEP_SECONDS+=($(($(date +%s) - begin_s)))
    if [ "$status" -eq 0 ]; then
        STEP_STATES+=(PASS)
    else
        STEP_STATES+=("FAIL (exit $status, $LOGS/$name.log)")
        failures=$((failures + 1))
    fi
}

step tools scripts/ensure-tools.sh cross qemu peers venv tls browser deb operator
step build "$SWIFT" build "${SWIFTPM[@]}"
step unit "$SWIFT" test "${SWIFTPM[@]}"
step firmware "$MAKE" --no-print-directory -j2 firmware-set
step deb env MAKE="$MAKE" bash -c 'cd Tests/Interop && timeout 1800 python3 -m unittest -v test_deb'
step qemu "$MAKE" --no-print-directory qemu-test SWIFTPM_FLAGS="${SWIFTPM_FLAGS:-}"
step interop env SWIFT="$SWIFT" SWIFTPM_FLAGS="${SWIFTPM_FLAGS:-}" MAKE="$MAKE" scripts/interop-test.sh
if [ -f scripts/fuzz.sh ]; then
    step fuzz env SWIFT="$SWIFT" SWIFTPM_FLAGS="${SWIFTPM_FLAGS:-}" bash scripts/fuzz.sh 3
fi

# Pull the per-suite line of XCTest and the qemu checks into the summary, so the reader need not
# scroll.
echo
echo "==================== make test summary ===================="
for i in "${!STEP_NAMES[@]}"; do
    printf '  %-10s %5ss  %s\n' "${STEP_NAMES[$i]}" "${STEP_SECONDS[$i]}" "${STEP_STATES[$i]}"
done
if [ -f "$LOGS/unit.log" ]; then
    # XCTest's last "Executed N tests" line is the whole suite; Swift Testing reports on its own.
    { grep -E "^[[:space:]]*Executed [0-9]+ tests?" "$LOGS/unit.log" | tail -1 | sed 's/^[[:space:]]*/XCTest: /'
      grep -E "Test run with [0-9]+ tests?" "$LOGS/unit.log" | tail -1 | sed 's/^[^A-Za-z]*/Swift Testing: /'
    } | sed 's/^/    unit: /'
fi
if [ -f "$LOGS/firmware.log" ]; then
    built=$(ls build/firmware/*-*/outpost 2>/dev/null | wc -l)
    echo "    firmware: $built binaries in build/firmware/ (each passed the nm check: no Swift allocation entry points)"
fi
if [ -f "$LOGS/deb.log" ]; then
    grep -E '^deb: ' "$LOGS/deb.log" | sed 's/^/    /'
fi
if [ -f "$LOGS/qemu.log" ]; then
    grep -E '^qemu-test: (FAILED|all)' "$LOGS/qemu.log" | sed 's/^/    /'
fi
if [ -f "$LOGS/interop.log" ]; then
    grep -E '^interop: (PASS|FAIL|FAILED|all)' "$LOGS/interop.log" | sed 's/^/    /'
fi
total_s=$(($(date +%s) - started_s))
echo "  total      ${total_s}s"
if [ "$failures" -ne 0 ]; then
    echo "make test: FAILED ($failures of ${#STEP_NAMES[@]} steps)"
    exit 1
fi
echo "make test: PASSED (${#STEP_NAMES[@]} steps)"
