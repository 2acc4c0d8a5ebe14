#!/usr/bin/env bash
# The HTTP figures of `make bench` (called by scripts/bench.sh; prints `name value` lines, or
# `name missing reason`, on standard output; progress on standard error).
#
#   http_metrics_scrape_us_p50, _p99    GET /metrics (keep-alive, like Prometheus) round trip with
#                                       the whole body read, scraped every 100 ms while the daemon
#                                       ingests a No-Response flood (udp_ingest_noresponse's load)
#                                       with 50 sensors in its table
#   http_ingest_noresponse_readings_per_s           that flood's ingest rate with no scraper
#   http_ingest_noresponse_scraped_readings_per_s   the same with a scrape every second
#   http_ingest_scrape_ratio            scraped / unscraped (target >= 0.95)
#
# The daemon is the x86_64 medium firmware with --http. The two ingest runs alternate within each
# of BENCH_HTTP_ROUNDS rounds (default 8), in ABBA order (unscraped first in odd rounds, scraped
# first in even ones); the rates are the medians over the rounds and the ratio is the median of
# the rounds' own ratios (a scraped run against the unscraped run next to it), so a slow spell of
# the shared machine in one run does not decide the figure. The spread of the rounds' ratios goes
# to standard error.
# Environment: MAKE, BENCH_UDP_SECONDS (default 3), BENCH_HTTP_ROUNDS.
set -uo pipefail
cd "$(dirname "$0")/.."

MAKE=${MAKE:-make}
SECONDS_PER_RUN=${BENCH_UDP_SECONDS:-3}
ROUNDS=${BENCH_HTTP_ROUNDS:-8}
OUT=build/interop
FIRMWARE=build/firmware/x86_64-medium/outpost
PY=build/venv/bin/python

note() { echo "bench-http: $*" >&2; }
missing_all() {
    for name in http_metrics_scrape_us_p50 http_metrics_scrape_us_p99 http_ingest_noresponse_readings_per_s \
        http_ingest_noresponse_scraped_readings_per_s http_ingest_scrape_ratio; do
        echo "$name missing $1"
    done
    exit 0
}

scripts/ensure-tools.sh peers venv >&2 || missing_all "tools missing (scripts/ensure-tools.sh peers venv)"
scripts/build-interop-tools.sh >&2 || missing_all "the load tools did not build"
"$MAKE" --no-print-directory "$FIRMWARE" >&2 || missing_all "the x86_64 medium firmware did not build"

log="$OUT/bench-http.log"
: > "$log"
"$FIRMWARE" --listen 127.0.0.1:0 --http 127.0.0.1:0 2> "$log" &
pid=$!
port="" http=""
for _ in $(seq 100); do
    port=$(grep -oE 'listening on 127\.0\.0\.1:[0-9]+' "$log" | head -1 | cut -d: -f2)
    http=$(grep -oE 'HTTP on 127\.0\.0\.1:[0-9]+' "$log" | head -1 | cut -d: -f2)
    grep -q "outpost: ready" "$log" && [ -n "$port" ] && [ -n "$http" ] && break
    sleep 0.05
done
[ -n "$http" ] || missing_all "the daemon did not start ($log)"

# readings -> readings_received of the daemon's /health (over HTTP)
readings() {
    "$PY" -c "import json, sys, urllib.request; print(json.load(urllib.request.urlopen('http://127.0.0.1:%s/health' % sys.argv[1]))['counters']['readings_received'])" "$http"
}

# scrape INTERVAL_S DURATION_S -> one scrape latency in microseconds per line
scrape() {
    "$PY" - "$http" "$1" "$2" <<'PY'
import http.client, sys, time
port, interval, duration = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
conn.connect()
# Python's start-up is over: the caller starts the flood only now, so it does not compete with it.
print("ready", flush=True)
end = time.monotonic() + duration
while time.monotonic() < end:
    start = time.perf_counter()
    conn.request("GET", "/metrics")
    body = conn.getresponse().read()
    took = time.perf_counter() - start
    assert body.endswith(b"\n") and b"outpost_build_info" in body
    print(int(took * 1e6), flush=True)
    time.sleep(max(0.0, interval - took))
PY
}

# wait_ready FILE: until the scraper wrote its "ready" line (at most 3 s)
wait_ready() {
    for _ in $(seq 60); do
        grep -q ready "$1" 2>/dev/null && return 0
        sleep 0.05
    done
}

# ingest SCRAPE_INTERVAL (0: none) -> readings/s of one No-Response flood
ingest() {
    local before after flood scraper=""
    before=$(readings)
    if [ "$1" != 0 ]; then
        scrape "$1" "$SECONDS_PER_RUN" > "$OUT/bench-http-scrapes-ingest.txt" &
        scraper=$!
        wait_ready "$OUT/bench-http-scrapes-ingest.txt"
    fi
    flood=$("$OUT/coap_load" flood 127.0.0.1 "$port" "$SECONDS_PER_RUN" single-nr)
    [ -n "$scraper" ] && wait "$scraper"
    sleep 0.5
    after=$(readings)
    python3 -c "import sys; print((int(sys.argv[2]) - int(sys.argv[1])) / float(sys.argv[3]))" "$before" "$after" \
        "$(awk '$1 == "seconds" {print $2}' <<< "$flood")"
}


# 50 sensors, so /metrics carries the per-sensor families a real gateway has.
"$OUT/coap_load" window 127.0.0.1 "$port" 2000 mix > /dev/null 2>&1 || true
plain=()
scraped=()
: > "$OUT/bench-http-scrapes.txt"
for round in $(seq "$ROUNDS"); do
    # ABBA: the order flips every round, so a machine that slows down (or speeds up) over the
    # run does not favour whichever of the two always goes first.
    if [ $((round % 2)) -eq 1 ]; then
        a=$(ingest 0)
        b=$(ingest 1)
    else
        b=$(ingest 1)
        a=$(ingest 0)
    fi
    # The latency samples: a scrape every 100 ms during a flood.
    scrape 0.1 "$SECONDS_PER_RUN" > "$OUT/bench-http-scrapes-round.txt" &
    sampler=$!
    wait_ready "$OUT/bench-http-scrapes-round.txt"
    "$OUT/coap_load" flood 127.0.0.1 "$port" "$SECONDS_PER_RUN" single-nr > /dev/null
    wait "$sampler"
    grep -v ready "$OUT/bench-http-scrapes-round.txt" >> "$OUT/bench-http-scrapes.txt"
    note "round $round: ingest $a readings/s unscraped, $b scraped every 1 s"
    plain+=("$a")
    scraped+=("$b")
done
size=$(curl -s "http://127.0.0.1:$http/metrics" 2>/dev/null | wc -c)
kill -TERM "$pid"
wait "$pid" || note "the daemon did not exit 0"
note "/metrics is $size bytes; $(wc -l < "$OUT/bench-http-scrapes.txt") latency samples"

python3 - "$OUT/bench-http-scrapes.txt" <<'PY'
import sys
samples = sorted(int(line) for line in open(sys.argv[1]) if line.strip())
if not samples:
    print("http_metrics_scrape_us_p50 missing no samples")
    print("http_metrics_scrape_us_p99 missing no samples")
else:
    pick = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))]
    print("http_metrics_scrape_us_p50", pick(0.50))
    print("http_metrics_scrape_us_p99", pick(0.99))
PY
python3 - "${plain[*]}" "${scraped[*]}" <<'PY'
import statistics, sys
plain = [float(x) for x in sys.argv[1].split()]
scraped = [float(x) for x in sys.argv[2].split()]
print("http_ingest_noresponse_readings_per_s", statistics.median(plain))
print("http_ingest_noresponse_scraped_readings_per_s", statistics.median(scraped))
ratios = sorted(b / a for a, b in zip(plain, scraped) if a > 0)
print("bench-http: the rounds' ratios: " + " ".join("%.3f" % r for r in ratios), file=sys.stderr)
print("http_ingest_scrape_ratio", statistics.median(ratios))
PY
