#!/usr/bin/env bash
# Runs the firmware of the boards under qemu-user and checks it against the host build.
#
# For each profile in QEMU_PROFILES (medium, low) and each firmware in aarch64 and armv7 (under
# qemu-user) and x86_64 (native):
#   1. `outpost --self-test` must exit 0 and print "N passed, 0 failed" with N > 0;
#   2. `outpost replay FIXTURE.csv` must write output byte-identical to the host daemon of the same
#      profile (SwiftPM build with `--traits <profile>`), which itself must be non-empty JSON lines;
#   3. `outpost --config FILE` reads configuration files the same way as the host daemon: a good file
#      (node id, listen address, log level) starts it with that node id, SIGHUP reads it again
#      (nothing changed) and it stops cleanly on SIGTERM; bad files are refused with the same FILE:LINE messages and exit status 2;
#   3b. medium: `outpost replay FIXTURE.csv --model MODEL.opm` with a model file trained on the host
#      (`outpost-tool train --profile medium`), read through CHAL into the model slots: byte-identical
#      to the host daemon, and different from the baked model's replay (the file model ran);
#   4. the aarch64 firmware serving CoAP on a loopback port passes the libcoap and aiocoap interop
#      checks and the MQTT upstream to mosquitto (scripts/interop-firmware.sh).
# The fixture comes from `outpost-tool gen --seed 7 --sensors 10 --duration 900`, so it is the same
# on every machine. A check that cannot run (a missing binary, an unsupported command) fails: this
# script never reports success for something it did not see work.
#
# Environment: SWIFT, SWIFTPM_FLAGS, MAKE (set by the Makefile), QEMU_PROFILES, QEMU_TIMEOUT_S.
set -uo pipefail
cd "$(dirname "$0")/.."

SWIFT=${SWIFT:-swift}
MAKE=${MAKE:-make}
read -r -a SWIFTPM <<< "${SWIFTPM_FLAGS:-}"
PROFILES=(${QEMU_PROFILES:-medium low})
TIMEOUT_S=${QEMU_TIMEOUT_S:-600}
OUT=build/qemu-test
FIXTURE=build/fixtures/gen-seed7-sensors10-duration900.csv

declare -a RESULT_NAMES=()
declare -a RESULT_STATES=()
failures=0

record() { # name, PASS|FAIL, detail
    RESULT_NAMES+=("$1")
    RESULT_STATES+=("$2${3:+  ($3)}")
    if [ "$2" != PASS ]; then failures=$((failures + 1)); fi
    echo "qemu-test: $2 $1${3:+: $3}"
}

# The command that runs firmware `arch`'s binary on this machine.
runner() {
    case "$1" in
        aarch64) echo "qemu-aarch64-static -L /usr/aarch64-linux-gnu" ;;
        armv7) echo "qemu-arm-static -L /usr/arm-linux-gnueabihf" ;;
        x86_64 | host) echo "" ;;
    esac
}

rm -rf "$OUT"
mkdir -p "$OUT" build/fixtures build/host

# ---- build what is compared -------------------------------------------------------------------
firmware=()
for p in "${PROFILES[@]}"; do
    for a in aarch64 armv7 x86_64; do firmware+=("build/firmware/$a-$p/outpost"); done
done
echo "qemu-test: building firmware ${firmware[*]}"
"$MAKE" --no-print-directory --keep-going -j2 "${firmware[@]}" || echo "qemu-test: some firmware did not build (checks below fail)"
# A binary left from an earlier build is not the firmware of these sources: hide it from the
# checks unless make says it is up to date.
for binary in "${firmware[@]}"; do
    if [ -e "$binary" ] && ! "$MAKE" --no-print-directory -q "$binary" 2>/dev/null; then
        echo "qemu-test: $binary is out of date (its build failed): not testing it"
        mkdir -p "$OUT/stale"
        mv "$binary" "$OUT/stale/$(basename "$(dirname "$binary")")-outpost"
    fi
done

echo "qemu-test: building outpost-tool and the host daemon per profile"
tool_ok=1
"$SWIFT" build "${SWIFTPM[@]}" --product outpost-tool || tool_ok=0
bin_path=$("$SWIFT" build "${SWIFTPM[@]}" --show-bin-path)
for p in "${PROFILES[@]}"; do
    traits=()
    [ "$p" != medium ] && traits=(--traits "$p")
    rm -f "build/host/$p/outpost"
    mkdir -p "build/host/$p"
    if "$SWIFT" build "${SWIFTPM[@]}" --product outpost "${traits[@]}"; then
        cp "$bin_path/outpost" "build/host/$p/outpost"
    fi
done
# Leave SwiftPM's daemon as the default (medium) build, as `swift build` would.
if [ "${PROFILES[*]}" != medium ]; then "$SWIFT" build "${SWIFTPM[@]}" --product outpost >/dev/null || true; fi

# ---- the fixture ------------------------------------------------------------------------------
if [ "$tool_ok" = 1 ] && timeout "$TIMEOUT_S" "$bin_path/outpost-tool" gen --seed 7 --sensors 10 --duration 900 > "$FIXTURE.tmp" \
    && [ "$(wc -l < "$FIXTURE.tmp")" -gt 1 ]; then
    mv "$FIXTURE.tmp" "$FIXTURE"
    record "fixture (outpost-tool gen --seed 7 --sensors 10 --duration 900)" PASS "$(($(wc -l < "$FIXTURE") - 1)) rows"
else
    rm -f "$FIXTURE.tmp" "$FIXTURE"
    record "fixture (outpost-tool gen --seed 7 --sensors 10 --duration 900)" FAIL "outpost-tool gen did not produce a CSV"
fi

# ---- checks -----------------------------------------------------------------------------------
# self_test NAME RUNNER BINARY LOG
self_test() {
    local name=$1 run=$2 binary=$3 log=$4
    if [ ! -x "$binary" ]; then record "$name --self-test" FAIL "no binary $binary"; return; fi
    local status=0
    timeout "$TIMEOUT_S" $run "$binary" --self-test > "$log" 2>&1 || status=$?
    local line
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -1 || true)
    if [ "$status" -ne 0 ]; then
        record "$name --self-test" FAIL "exit $status, see $log"
    elif ! [[ "$line" =~ ^([0-9]+)\ passed,\ 0\ failed$ ]] || [ "${BASH_REMATCH[1]}" -eq 0 ]; then
        record "$name --self-test" FAIL "no 'N passed, 0 failed' line with N > 0, see $log"
    else
        record "$name --self-test" PASS "$line"
    fi
}

# replay NAME RUNNER BINARY OUTPUT -> 0 when it ran and exited 0
replay() {
    local name=$1 run=$2 binary=$3 output=$4
    if [ ! -x "$binary" ]; then record "$name replay" FAIL "no binary $binary"; return 1; fi
    if [ ! -f "$FIXTURE" ]; then record "$name replay" FAIL "no fixture"; return 1; fi
    local status=0
    timeout "$TIMEOUT_S" $run "$binary" replay "$FIXTURE" > "$output" 2> "$output.stderr" || status=$?
    if [ "$status" -ne 0 ]; then
        record "$name replay" FAIL "exit $status, see $output.stderr"
        return 1
    fi
    return 0
}

# replay_model NAME RUNNER BINARY OUTPUT -> 0 when `replay FIXTURE --model MODEL` ran and exited 0
MODEL=build/fixtures/model-medium.opm
replay_model() {
    local name=$1 run=$2 binary=$3 output=$4
    if [ ! -x "$binary" ]; then record "$name replay --model" FAIL "no binary $binary"; return 1; fi
    if [ ! -f "$MODEL" ]; then record "$name replay --model" FAIL "no model file"; return 1; fi
    local status=0
    timeout "$TIMEOUT_S" $run "$binary" replay "$FIXTURE" --model "$MODEL" > "$output" 2> "$output.stderr" || status=$?
    if [ "$status" -ne 0 ] || ! grep -q 'model taken' "$output.stderr"; then
        record "$name replay --model" FAIL "exit $status or no 'model taken' line, see $output.stderr"
        return 1
    fi
    return 0
}

# config_run RUNNER BINARY OUTPUT: runs the daemon with the good configuration file until it is
# ready, stops it with SIGTERM, then runs it with each bad file. OUTPUT gets what must be the same on
# every target: the start line (port masked), the exit statuses and the refusal messages.
CONFIG_DIR=build/fixtures/config
mkdir -p "$CONFIG_DIR"
printf '# qemu-test: read by the host and by each firmware\n[daemon]\nnode_id = "qemu-cfg"  # quoted\nlog_level = notice\n[coap]\nlisten = 127.0.0.1:0\n' > "$CONFIG_DIR/good.conf"
printf '[daemon]\nnode_id = qemu-cfg\n\n[uplink]\nrate = fast\n' > "$CONFIG_DIR/bad-value.conf"
printf '[daemon]\ncolour = red\n' > "$CONFIG_DIR/bad-key.conf"
printf '[log]\nsize = 16K\nsize = 32K\n' > "$CONFIG_DIR/bad-twice.conf"
{ printf '[daemon]\n# '; head -c 300 /dev/zero | tr '\0' x; printf '\n'; } > "$CONFIG_DIR/bad-long.conf"
config_run() {
    local run=$1 binary=$2 output=$3
    : > "$output"
    local log="$output.daemon.log"
    $run "$binary" --config "$CONFIG_DIR/good.conf" > /dev/null 2> "$log" &
    local pid=$! waited=0
    while ! grep -q '^outpost: ready' "$log" 2>/dev/null && kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 600 ]; do
        sleep 0.1
        waited=$((waited + 1))
    done
    # SIGHUP reads the same file again: nothing changes, and the daemon goes on.
    kill -HUP "$pid" 2>/dev/null
    waited=0
    while ! grep -q '^outpost: reload: ' "$log" 2>/dev/null && kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 100 ]; do
        sleep 0.1
        waited=$((waited + 1))
    done
    kill -TERM "$pid" 2>/dev/null
    local status=0
    wait "$pid" || status=$?
    grep -E '^outpost: (listening on|configuration|reload: )' "$log" | sed -E 's/127\.0\.0\.1:[0-9]+/127.0.0.1:PORT/' >> "$output"
    echo "good.conf exit $status" >> "$output"
    local bad
    for bad in bad-value bad-key bad-twice bad-long; do
        status=0
        timeout "$TIMEOUT_S" $run "$binary" --config "$CONFIG_DIR/$bad.conf" --listen 127.0.0.1:0 >/dev/null 2>> "$output" || status=$?
        echo "$bad.conf exit $status" >> "$output"
    done
}

# config_check NAME RUNNER BINARY OUTPUT HOST_OUTPUT: runs config_run and compares with the host's.
config_check() {
    local name=$1 run=$2 binary=$3 output=$4 host=$5
    if [ ! -x "$binary" ]; then record "$name --config" FAIL "no binary $binary"; return; fi
    config_run "$run" "$binary" "$output"
    if ! grep -q 'node qemu-cfg)$' "$output" || ! grep -q '^good.conf exit 0$' "$output" \
        || ! grep -q 'read: 0 applied, 0 need a restart$' "$output"; then
        record "$name --config" FAIL "the good file did not start it as node qemu-cfg, reload on SIGHUP and stop with 0, see $output"
    elif [ "$(grep -c ' exit 2$' "$output")" -ne 4 ] || [ "$(grep -c '\.conf:[0-9]*: ' "$output")" -ne 4 ]; then
        record "$name --config" FAIL "a bad file was not refused with FILE:LINE and exit 2, see $output"
    elif [ -n "$host" ] && ! cmp -s "$host" "$output"; then
        record "$name --config" FAIL "differs from the host: $(diff "$host" "$output" | head -3 | tr '\n' ' ')"
    else
        record "$name --config" PASS "$(grep -c ' exit ' "$output") files read, same as the host"
    fi
}

for p in "${PROFILES[@]}"; do
    dir="$OUT/$p"
    mkdir -p "$dir"
    self_test "host-$p" "" "build/host/$p/outpost" "$dir/host.selftest.log"
    config_check "host-$p" "" "build/host/$p/outpost" "$dir/host.config.txt" ""
    host_ok=0
    if replay "host-$p" "" "build/host/$p/outpost" "$dir/host.jsonl"; then
        lines=$(wc -l < "$dir/host.jsonl")
        bad=$(grep -cv '^{.*}$' "$dir/host.jsonl" || true)
        if [ "$lines" -eq 0 ]; then
            record "host-$p replay" FAIL "no output"
        elif [ "$bad" -ne 0 ]; then
            record "host-$p replay" FAIL "$bad of $lines lines are not JSON objects, see $dir/host.jsonl"
        else
            record "host-$p replay" PASS "$lines JSON lines"
            host_ok=1
        fi
    fi
    for a in x86_64 aarch64 armv7; do
        binary="build/firmware/$a-$p/outpost"
        self_test "$a-$p" "$(runner $a)" "$binary" "$dir/$a.selftest.log"
        config_check "$a-$p" "$(runner $a)" "$binary" "$dir/$a.config.txt" "$dir/host.config.txt"
        if replay "$a-$p" "$(runner $a)" "$binary" "$dir/$a.jsonl"; then
            if [ "$host_ok" != 1 ]; then
                record "$a-$p replay = host" FAIL "no valid host output to compare with"
            elif cmp -s "$dir/host.jsonl" "$dir/$a.jsonl"; then
                record "$a-$p replay = host" PASS "byte-identical, $(wc -c < "$dir/$a.jsonl") bytes"
            else
                first=$(cmp "$dir/host.jsonl" "$dir/$a.jsonl" 2>&1 | head -1)
                record "$a-$p replay = host" FAIL "differs: $first"
                diff "$dir/host.jsonl" "$dir/$a.jsonl" | head -6
            fi
        fi
    done
    # A model file at run time (medium: the low profile runs no forest).
    [ "$p" = medium ] || continue
    rm -f "$MODEL"
    if [ "$tool_ok" = 1 ] && [ -f "$FIXTURE" ]; then
        "$bin_path/outpost-tool" train --input "$FIXTURE" --out "$MODEL" --trees 30 --seed 3 --profile medium 2> "$dir/model.train.log" || rm -f "$MODEL"
    fi
    model_ok=0
    if replay_model "host-$p" "" "build/host/$p/outpost" "$dir/host.model.jsonl"; then
        if [ ! -s "$dir/host.model.jsonl" ] || cmp -s "$dir/host.model.jsonl" "$dir/host.jsonl"; then
            record "host-$p replay --model" FAIL "no output, or the same as the baked model's (the file model did not run)"
        else
            record "host-$p replay --model" PASS "$(wc -l < "$dir/host.model.jsonl") JSON lines, not the baked model's"
            model_ok=1
        fi
    fi
    for a in x86_64 aarch64 armv7; do
        if replay_model "$a-$p" "$(runner $a)" "build/firmware/$a-$p/outpost" "$dir/$a.model.jsonl"; then
            if [ "$model_ok" != 1 ]; then
                record "$a-$p replay --model = host" FAIL "no valid host output to compare with"
            elif cmp -s "$dir/host.model.jsonl" "$dir/$a.model.jsonl"; then
                record "$a-$p replay --model = host" PASS "byte-identical, $(wc -c < "$dir/$a.model.jsonl") bytes"
            else
                record "$a-$p replay --model = host" FAIL "differs: $(cmp "$dir/host.model.jsonl" "$dir/$a.model.jsonl" 2>&1 | head -1)"
            fi
        fi
    done
done

# ---- CoAP interop with the firmware (libcoap, aiocoap) ------------------------------------------
# The aarch64 firmware serves UDP on a loopback port under qemu-user; the libcoap and aiocoap checks
# of the host (Tests/Interop, LibcoapTests and AiocoapTests) run against it. Medium only: the low
# profile's 256-byte datagrams put /health into Block2, which libcoap cannot follow while the
# server's body changes between blocks (reported to the server side; see the daemon's notes).
for p in "${PROFILES[@]}"; do
    [ "$p" = medium ] || continue
    binary="build/firmware/aarch64-$p/outpost"
    if [ ! -x "$binary" ]; then
        record "aarch64-$p CoAP and MQTT interop (libcoap, aiocoap, mosquitto)" FAIL "no binary $binary"
        continue
    fi
    if summary=$(scripts/interop-firmware.sh aarch64 "$p" 2>&1); then
        record "aarch64-$p CoAP and MQTT interop (libcoap, aiocoap, mosquitto)" PASS "$(echo "$summary" | grep -E '^Ran ' | head -1)"
    else
        echo "$summary" | head -20
        record "aarch64-$p CoAP and MQTT interop (libcoap, aiocoap, mosquitto)" FAIL "see build/interop/python-aarch64-$p.log"
    fi
done

# ---- summary ----------------------------------------------------------------------------------
echo
echo "qemu-test summary (logs and outputs in $OUT/)"
for i in "${!RESULT_NAMES[@]}"; do
    printf '  %-44s %s\n' "${RESULT_NAMES[$i]}" "${RESULT_STATES[$i]}"
done
if [ "$failures" -ne 0 ]; then
    echo "qemu-test: FAILED ($failures of ${#RESULT_NAMES[@]} checks)"
    exit 1
fi
echo "qemu-test: all ${#RESULT_NAMES[@]} checks passed"
