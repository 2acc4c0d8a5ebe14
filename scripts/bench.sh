#!/usr/bin/env bash
# `make bench`: runs the host benchmarks (outpost-bench, -c release), adds the stripped firmware
# sizes, writes build/bench/results.json (one flat JSON object, name -> number) and prints a table.
#
# A figure that could not be measured (no baked model yet, a firmware that did not build) is left
# out of the JSON and shown as "missing" in the table with the reason; it is never invented.
# Environment: SWIFT, SWIFTPM_FLAGS, MAKE (set by the Makefile), BENCH_ARGS (passed to
# outpost-bench, e.g. "--readings 200000 --repetitions 7").
set -euo pipefail
cd "$(dirname "$0")/.."

SWIFT=${SWIFT:-swift}
MAKE=${MAKE:-make}
read -r -a SWIFTPM <<< "${SWIFTPM_FLAGS:-}"
read -r -a BENCH <<< "${BENCH_ARGS:-}"
OUT=build/bench
mkdir -p "$OUT"

echo "bench: building outpost-bench (release)"
"$SWIFT" build "${SWIFTPM[@]}" -c release --product outpost-bench
bench_bin="$("$SWIFT" build "${SWIFTPM[@]}" -c release --show-bin-path)/outpost-bench"

echo "bench: building the firmware set for the size figures"
firmware_ok=1
"$MAKE" --no-print-directory -j2 firmware-set || firmware_ok=0

echo "bench: running $bench_bin ${BENCH[*]}"
"$bench_bin" "${BENCH[@]}" > "$OUT/figures.txt"

for arch in aarch64 armv7 x86_64; do
    for profile in low medium high; do
        name="firmware_stripped_bytes_${arch}_${profile}"
        stripped="build/firmware/$arch-$profile/outpost.stripped"
        # Only a binary that is up to date (its make rule succeeded) gives a size.
        if [ -f "$stripped" ] && "$MAKE" --no-print-directory -q "build/firmware/$arch-$profile/outpost" 2>/dev/null; then
            echo "$name $(stat -c %s "$stripped")" >> "$OUT/figures.txt"
        else
            echo "$name missing firmware did not build (make firmware ARCH=$arch PROFILE=$profile)" >> "$OUT/figures.txt"
        fi
    done
done

# What is left of each stripped-size budget (the Makefile's FIRMWARE_BUDGETS, ARCH-PROFILE:BYTES;
# make firmware-budget fails, and with it firmware-set above, when one is negative).
for entry in $(sed -n 's/^FIRMWARE_BUDGETS := //p' Makefile); do
    name=${entry%%:*}
    stripped="build/firmware/$name/outpost.stripped"
    if [ -f "$stripped" ]; then
        echo "firmware_budget_spare_bytes_${name/-/_} $((${entry##*:} - $(stat -c %s "$stripped")))" >> "$OUT/figures.txt"
    fi
done

# One on-board retrain of the high profile (100 trees from 1 000 readings) on the aarch64 firmware
# under qemu-user (`outpost --bench-retrain`, best of 5), with the malloc counter preloaded (built
# for aarch64): retrain_allocations_high_qemu_aarch64 counts every heap allocation of the builds.
# qemu-user translates the code, so the time is the emulator's, not a board's; the x86_64 figure
# is outpost-bench's retrain_ms_high.
retrain_fw="build/firmware/aarch64-high/outpost"
if [ -x "$retrain_fw" ] && command -v qemu-aarch64-static > /dev/null && command -v aarch64-linux-gnu-gcc > /dev/null; then
    echo "bench: on-board retrain under qemu-aarch64 ($retrain_fw --bench-retrain)"
    preload="$PWD/$OUT/libmalloc_preload-aarch64.so"
    report="$PWD/$OUT/retrain-aarch64.malloc"
    rm -f "$report"
    if aarch64-linux-gnu-gcc -shared -fPIC -O2 Sources/CMallocCounter/malloc_counter.c Tests/Interop/tools/malloc_preload.c \
            -ISources/CMallocCounter/include -o "$preload" \
        && retrain_out=$(timeout 300 qemu-aarch64-static -L /usr/aarch64-linux-gnu -E LD_PRELOAD="$preload" \
            -E OUTPOST_MALLOC_REPORT="$report" "$retrain_fw" --bench-retrain) \
        && grep -q '^allocations_after_startup ' "$report"; then
        echo "retrain_ms_high_qemu_aarch64 $(sed -n 's/^retrain_ms_high //p' <<< "$retrain_out")" >> "$OUT/figures.txt"
        echo "retrain_allocations_high_qemu_aarch64 $(sed -n 's/^allocations_after_startup //p' "$report")" >> "$OUT/figures.txt"
    else
        echo "retrain_ms_high_qemu_aarch64 missing the run failed ($retrain_fw --bench-retrain under qemu-aarch64-static)" >> "$OUT/figures.txt"
    fi
else
    echo "retrain_ms_high_qemu_aarch64 missing no aarch64 high firmware, qemu-aarch64-static or aarch64-linux-gnu-gcc" >> "$OUT/figures.txt"
fi

# The UDP figures (ingest vs the raw recvmmsg ceiling, packs, CON RTT, firmware RSS under load).
if [ -x scripts/bench-udp.sh ]; then
    echo "bench: UDP figures (scripts/bench-udp.sh)"
    SWIFT="$SWIFT" SWIFTPM_FLAGS="${SWIFTPM_FLAGS:-}" MAKE="$MAKE" scripts/bench-udp.sh >> "$OUT/figures.txt"
fi

# The HTTP figures (/metrics scrape latency under the No-Response flood, ingest with and without a 1 s scrape).
if [ -x scripts/bench-http.sh ]; then
    echo "bench: HTTP figures (scripts/bench-http.sh)"
    MAKE="$MAKE" scripts/bench-http.sh >> "$OUT/figures.txt"
fi

# The DTLS figures (ingest over established sessions vs plain UDP, RSS with every session up).
if [ -x scripts/bench-dtls.sh ]; then
    echo "bench: DTLS figures (scripts/bench-dtls.sh)"
    MAKE="$MAKE" scripts/bench-dtls.sh >> "$OUT/figures.txt"
fi

# The log and uplink figures through the daemon (durable CON readings/s, drain rate after an outage).
if [ -x scripts/bench-log.sh ]; then
    echo "bench: log and uplink figures (scripts/bench-log.sh)"
    SWIFT="$SWIFT" SWIFTPM_FLAGS="${SWIFTPM_FLAGS:-}" MAKE="$MAKE" scripts/bench-log.sh >> "$OUT/figures.txt"
fi

# Fair service under a flood (Tests/Interop/test_store_flood.py --bench, docs/SECURITY.md §7): the
# share of a new honest sensor's CON readings (10/s) acknowledged within their first 2 s timeout
# while one source floods the x86_64 medium firmware from the same moment (1.0 = all of them).
if [ -f Tests/Interop/test_store_flood.py ]; then
    echo "bench: flood figure (Tests/Interop/test_store_flood.py --bench)"
    flood_bin="$PWD/build/firmware/x86_64-medium/outpost"
    if [ -x "$flood_bin" ]; then
        flood_out=$(cd Tests/Interop && OUTPOST_BIN="$flood_bin" timeout 120 python3 test_store_flood.py --bench) \
            && grep -E '^honest_ack_ratio_under_flood ' <<< "$flood_out" >> "$OUT/figures.txt" \
            || echo "honest_ack_ratio_under_flood missing the flood run failed (python3 Tests/Interop/test_store_flood.py --bench)" >> "$OUT/figures.txt"
    else
        echo "honest_ack_ratio_under_flood missing the x86_64 medium firmware did not build" >> "$OUT/figures.txt"
    fi
fi

python3 - "$OUT/figures.txt" "$OUT/results.json" <<'PY'
import json, sys

figures, missing = {}, {}
with open(sys.argv[1]) as f:
    for line in f:
        parts = line.rstrip("\n").split(" ", 2)
        if len(parts) >= 2 and parts[1] == "missing":
            missing[parts[0]] = parts[2] if len(parts) > 2 else ""
        elif len(parts) == 2:
            value = float(parts[1])
            figures[parts[0]] = int(value) if value.is_integer() and "bytes" in parts[0] else value
        else:
            sys.exit(f"bench: unreadable figure line: {line!r}")
with open(sys.argv[2], "w") as f:
    json.dump(figures, f, indent=2, sort_keys=True)
    f.write("\n")

width = max(len(n) for n in list(figures) + list(missing))
print()
print(f"{'figure':<{width}}  value")
for name in sorted(set(figures) | set(missing)):
    if name in figures:
        value = figures[name]
        text = f"{value:,}" if isinstance(value, int) else f"{value:,.3f}"
        print(f"{name:<{width}}  {text}")
    else:
        print(f"{name:<{width}}  missing: {missing[name]}")
print()
print(f"bench: wrote {sys.argv[2]} ({len(figures)} figures, {len(missing)} missing)")
PY

[ "$firmware_ok" = 1 ] || { echo "bench: some firmware did not build or is over its size budget (make firmware-budget)" >&2; exit 1; }
