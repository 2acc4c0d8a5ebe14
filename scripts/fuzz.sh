#!/usr/bin/env bash
# Builds each libFuzzer target (wire codecs, log recovery, HTTP, the gateway as a state machine) and runs it for SECONDS (default 5) on its seed
# corpus in Fuzz/corpus/<target>/. Exits non-zero when a target fails to build or finds a crash.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     e.g. scripts/fuzz.sh 60 fuzz-coap
#
# Each target builds in its own scratch path (/tmp/sp-fuzz-<target>-<package hash>) with
# `-D OUTPOST_FUZZING`, so libFuzzer supplies `main` (a plain `swift build` links a corpus replay
# `main` instead). Address sanitizer is added unless FUZZ_ASAN=0. FUZZ_PACKAGE_PATH builds from
# another package holding the same targets (e.g. a snapshot while the main tree does not build).
# New corpus entries go to /tmp/fuzz-corpus/<target>/, so the committed seeds stay small; crash
# reproducers land in /tmp/fuzz-artifacts/<target>/.
set -euo pipefail

seconds="${1:-5}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(fuzz-coap fuzz-senml-json fuzz-senml-cbor fuzz-slip fuzz-log-recovery fuzz-dtls fuzz-http fuzz-server fuzz-mqtt)
fi

root="$(cd "$(dirname "$0")/.." && pwd)"
# FUZZ_PACKAGE_PATH: build from another package holding the same targets (e.g. a snapshot).
package="${FUZZ_PACKAGE_PATH:-$root}"
# `--sanitize fuzzer --sanitize address` does not work: SwiftPM passes two `-sanitize=` flags in
# a random order and swiftc keeps only the last, so the build gets either no coverage counters
# (libFuzzer then fuzzes blind) or no ASan. One combined flag, passed last, gives both.
sanitizers=(--sanitize fuzzer)
if [ "${FUZZ_ASAN:-1}" != "0" ]; then
    sanitizers+=(-Xswiftc -sanitize=fuzzer,address)
fi

status=0
for target in "${targets[@]}"; do
    # One scratch path per package and target: builds of another package in the same folder
    # would replace the objects (and their instrumentation) under our feet.
    scratch="/tmp/sp-fuzz-${target}-$(printf '%s' "$package" | cksum | cut -d' ' -f1)"
    work="/tmp/fuzz-corpus/${target}"
    artifacts="/tmp/fuzz-artifacts/${target}/"
    mkdir -p "$work" "$artifacts"
    log="/tmp/fuzz-${target}.log"
    echo "== ${target}: build"
    if [ "$target" = fuzz-dtls ]; then
        # A C target (CHAL's DTLS glue over mbedTLS), built by the toolchain's clang outside SwiftPM.
        binary="/tmp/sp-fuzz-${target}-$(printf '%s' "$package" | cksum | cut -d' ' -f1)/${target}"
        mkdir -p "$(dirname "$binary")"
        asan=""; [ "${FUZZ_ASAN:-1}" != "0" ] && asan=",address"
        if ! clang -g -O1 -fsanitize=fuzzer${asan} -DCHAL_WITH_MBEDTLS -I "$package/Sources/CHAL/include" \
                "$package/Fuzz/fuzz-dtls/fuzz_dtls.c" "$package"/Sources/CHAL/*.c -lmbedtls -lmbedx509 -lmbedcrypto \
                -o "$binary" >"$log" 2>&1; then
            grep -E "error" "$log" | head -20 || true
            echo "== ${target}: build FAILED (log: ${log})"
            status=1
            continue
        fi
    else
    build=(swift build --package-path "$package" --product "$target" --scratch-path "$scratch"
        "${sanitizers[@]}" -Xswiftc -DOUTPOST_FUZZING)
    if ! "${build[@]}" >"$log" 2>&1; then
        grep -E "error" "$log" | head -20 || true
        echo "== ${target}: build FAILED (log: ${log})"
        status=1
        continue
    fi
    binary="$("${build[@]}" --show-bin-path)/${target}"
    fi
    probe="$("$binary" -runs=0 2>&1 || true)"
    if ! grep -q "inline 8-bit counters" <<<"$probe"; then
        # A binary without coverage counters would fuzz blind.
        echo "== ${target}: FAILED, built without coverage counters"
        status=1
        continue
    fi
    echo "== ${target}: fuzz ${seconds}s"
    rc=0
    "$binary" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$artifacts" \
        "$work" "$root/Fuzz/corpus/${target}" >"$log" 2>&1 || rc=$?
    grep -E "stat::number_of_executed_units|stat::average_exec_per_sec|ERROR|SUMMARY|Test unit written|DONE" "$log" || true
    if [ "$rc" -ne 0 ]; then
        echo "== ${target}: FAILED (exit ${rc}; log: ${log}; reproducers in ${artifacts})"
        status=1
    else
        echo "== ${target}: ok"
    fi
done
exit "$status"
