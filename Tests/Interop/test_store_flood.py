"""Fair service under a flood, through the real daemon (docs/SECURITY.md, "Fair service").

On a freshly started daemon, one source (127.0.0.1) sends as fast as it can from a separate
process: NON readings under ever new sensor names, random datagrams, Block1 uploads that never
finish, Observe registrations on /alerts and NON GET /metrics. From the same moment a new honest
sensor on another loopback address (127.0.0.2) posts CON readings at 10/s, retransmitting an
unanswered one after 2, 4, 8 and 16 s (RFC 7252 §4.2, ACK_TIMEOUT 2 s, here without the random
factor). Checked: at least 99 % of the honest readings are acknowledged (2.04) within their first
transmission's timeout (2 s), and every one within the retransmission window; the flood's
datagrams are dropped and counted by reason.

The drop-oldest variant runs the same flood against a small log (--when-full drop-oldest) and
checks with `outpost-tool log dump` that every honest reading that was acknowledged is in the log:
the flood never pushes the honest sensor's unforwarded records out.

Run as a script with --bench to print `honest_ack_ratio_under_flood RATIO` for `make bench`.
Environment: outpost_peer's (OUTPOST_BIN, ...), OUTPOST_TOOL for the drop-oldest variant.
Loopback only; each case takes about 15 s.
"""
import json
import multiprocessing
import os
import random
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

from outpost_peer import (ACK, CON, GET, NON, OBSERVE, POST, SCALE, Daemon, Peer, code_text, message, parse,
                          request, senml_json, uint_option)

TOOL = os.environ.get("OUTPOST_TOOL", "")
HONEST_RATE_PER_S = 10
HONEST_SECONDS = 10
ACK_TIMEOUT_S = 2.0
BACKOFF_S = (2, 4, 8, 16)
HONEST_HOST = "127.0.0.2"
BASE_S = 1_800_000_000


def flood(port, seconds, counter, known_names):
    """The hostile source: every kind of datagram the issue lists, as fast as one process sends.
    With `known_names` its readings cycle over 40 sensor names (so they fill the log) instead of
    ever new ones."""
    # Four ports of one address: one source, which may try to hold several Block1 slots.
    sockets = []
    for _ in range(4):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        s.connect(("127.0.0.1", port))
        s.setblocking(False)
        sockets.append(s)
    rng = random.Random(7)
    mid = 0
    sent = 0
    end = time.time() + seconds
    n = 0
    while time.time() < end:
        for _ in range(64):
            n += 1
            mid = (mid + 1) & 0xFFFF
            kind = n % 8
            if kind < 4:
                data = request(NON, POST, mid, "/readings", token=b"", content_format=110,
                               payload=senml_json("flood-%d" % (n % 40 if known_names else n), value=n % 50))
            elif kind == 4:
                data = bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 40)))
            elif kind == 5:
                # Block 0 of a 2 KiB upload, more to come, never continued (a new token each time).
                data = request(CON, POST, mid, "/readings", token=n.to_bytes(4, "big"), content_format=110,
                               payload=b"[" + b" " * 63, extra=[(27, uint_option(0 << 4 | 1 << 3 | 2))])
            elif kind == 6:
                data = request(CON, GET, mid, "/alerts", token=n.to_bytes(4, "big"), extra=[(OBSERVE, b"")])
            else:
                data = request(NON, GET, mid, "/metrics", token=b"")
            try:
                sockets[(n // 8) % 4].send(data)
                sent += 1
            except (BlockingIOError, ConnectionRefusedError):
                pass
        # Drain what the daemon answers (5.03s, RSTs), so the sockets do not fill.
        for s in sockets:
            try:
                while True:
                    s.recv(2048)
            except (BlockingIOError, ConnectionRefusedError):
                pass
    counter.value = sent


class Honest:
    """One CON sensor on 127.0.0.2, readings at a fixed rate, each retransmitted until answered."""

    def __init__(self, port):
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind((HONEST_HOST, 0))
        self.address = ("127.0.0.1", port)
        self.mid = int.from_bytes(os.urandom(2), "big")
        self.pending = {}   # mid -> [datagram, first_sent, next_retransmit, attempts, index]
        self.acked = {}     # index -> (latency_s, code)
        self.codes = {}

    def post(self, index, now):
        self.mid = (self.mid + 1) & 0xFFFF
        payload = json.dumps([{"bn": "honest:", "n": "temperature", "u": "Cel", "v": 20 + index % 5,
                               "t": BASE_S + index}]).encode()
        data = request(CON, POST, self.mid, "/readings", token=index.to_bytes(2, "big"), content_format=110,
                       payload=payload)
        self.socket.sendto(data, self.address)
        self.pending[self.mid] = [data, now, now + BACKOFF_S[0], 0, index]

    def poll(self, until):
        while True:
            timeout = max(0.0, until - time.time())
            ready, _, _ = select.select([self.socket], [], [], timeout)
            if not ready:
                break
            data, _ = self.socket.recvfrom(2048)
            now = time.time()
            try:
                mtype, code, mid, _, _, _ = parse(data)
            except ValueError:
                continue
            entry = self.pending.get(mid)
            if mtype != ACK or entry is None:
                continue
            text = code_text(code)
            self.codes[text] = self.codes.get(text, 0) + 1
            if text == "2.04":
                del self.pending[mid]
                self.acked[entry[4]] = now - entry[1]
            else:
                # A refusal is not an acknowledgement: try again at the next backoff step.
                pass
        now = time.time()
        for mid, entry in list(self.pending.items()):
            if now >= entry[2]:
                if entry[3] == len(BACKOFF_S):
                    continue  # gave up (counted as unacknowledged)
                self.socket.sendto(entry[0], self.address)
                entry[3] += 1
                entry[2] = now + (BACKOFF_S[entry[3]] if entry[3] < len(BACKOFF_S) else 30)


def run_flood(daemon, flood_seconds, known_names=False):
    """Runs the flood and the honest sensor from the same moment; returns the figures."""
    counter = multiprocessing.Value("q", 0)
    flooder = multiprocessing.Process(target=flood, args=(daemon.port, flood_seconds, counter, known_names))
    honest = Honest(daemon.port)
    count = HONEST_RATE_PER_S * HONEST_SECONDS
    start = time.time()
    flooder.start()
    for index in range(count):
        due = start + index / HONEST_RATE_PER_S
        honest.poll(due)
        honest.post(index, time.time())
    # The retransmission window of the last reading, cut short once all are answered.
    deadline = time.time() + sum(BACKOFF_S) * SCALE
    while honest.pending and time.time() < deadline:
        honest.poll(time.time() + 0.05)
    flooder.join(timeout=flood_seconds + 10)
    latencies = sorted(honest.acked.values())
    within = sum(1 for v in latencies if v <= ACK_TIMEOUT_S)
    figures = {
        "honest_sent": count,
        "honest_acked": len(latencies),
        "honest_acked_within_ack_timeout": within,
        "honest_ack_ratio_under_flood": within / count,
        "honest_latency_ms_p50": 1000 * latencies[len(latencies) // 2] if latencies else None,
        "honest_latency_ms_p99": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else None,
        "honest_latency_ms_max": 1000 * latencies[-1] if latencies else None,
        "honest_codes": honest.codes,
        "flood_datagrams": counter.value,
        "flood_datagrams_per_s": counter.value / flood_seconds,
    }
    honest.socket.close()
    return figures, honest


def source_drops(port):
    """The daemon's per-reason drop counters from /metrics (asked from a third address)."""
    peer = Peer(port)
    peer.socket.bind(("127.0.0.3", 0))
    try:
        reply = peer.get("/metrics")
        drops = {}
        for line in reply[5].decode().splitlines():
            if line.startswith("outpost_source_drops_total{"):
                reason = line.split('"')[1]
                drops[reason] = int(line.split()[-1])
        return drops, peer.health()
    finally:
        peer.close()


def print_figures(title, figures, drops, out=sys.stdout):
    print("%s: honest %d/%d acknowledged within %.0f s (ratio %.4f), %d/%d in the retransmission window; "
          "latency p50 %.1f ms p99 %.1f ms max %.1f ms; codes %s; flood %d datagrams (%.0f/s); source drops %s"
          % (title, figures["honest_acked_within_ack_timeout"], figures["honest_sent"], ACK_TIMEOUT_S,
             figures["honest_ack_ratio_under_flood"], figures["honest_acked"], figures["honest_sent"],
             figures["honest_latency_ms_p50"] or -1, figures["honest_latency_ms_p99"] or -1,
             figures["honest_latency_ms_max"] or -1, figures["honest_codes"], figures["flood_datagrams"],
             figures["flood_datagrams_per_s"], drops), file=out, flush=True)


class FloodTest(unittest.TestCase):
    def test_a_new_honest_sensor_is_served_through_a_flood(self):
        with Daemon() as daemon:
            figures, _ = run_flood(daemon, HONEST_SECONDS)
            drops, health = source_drops(daemon.port)
            print_figures("flood", figures, drops)
            self.assertGreaterEqual(figures["honest_ack_ratio_under_flood"], 0.99, figures)
            self.assertEqual(figures["honest_acked"], figures["honest_sent"], figures)
            # The flood was met by the fairness rules, and the daemon stayed up.
            self.assertGreater(figures["flood_datagrams"], 10_000, figures)
            self.assertGreater(drops.get("sensor_share", 0), 0, drops)
            self.assertGreater(drops.get("block1_share", 0), 0, drops)
            self.assertGreater(drops.get("observe_share", 0), 0, drops)
            self.assertGreater(drops.get("rate_requests", 0) + drops.get("rate_readings", 0), 0, drops)
            self.assertLess(health["sensors"], health["sensor_capacity"], "the reserve kept places free")
            self.assertIsNone(daemon.process.poll(), daemon.log())
            self.assertEqual(daemon.stop(), 0)

    @unittest.skipUnless(TOOL, "OUTPOST_TOOL (outpost-tool) needed to read the log")
    def test_drop_oldest_never_drops_the_honest_sensors_records(self):
        directory = tempfile.mkdtemp(prefix="outpost-flood-")
        try:
            with Daemon("--data-dir", directory, "--log-size", "256K", "--when-full", "drop-oldest",
                        "--durability", "batch") as daemon:
                figures, honest = run_flood(daemon, HONEST_SECONDS, known_names=True)
                drops, _ = source_drops(daemon.port)
                print_figures("flood, drop-oldest 256K log", figures, drops)
                self.assertEqual(daemon.stop(), 0)
            dump = subprocess.run([TOOL, "log", "dump", os.path.join(directory, "outpost.log")],
                                  capture_output=True, text=True, timeout=60)
            self.assertEqual(dump.returncode, 0, dump.stderr)
            logged = set()
            flood_records = 0
            for line in dump.stdout.splitlines():
                record = json.loads(line)
                if record.get("type") != "reading":
                    continue
                if record.get("sensor", "").startswith("honest"):
                    logged.add(record["ts_ms"] // 1000 - BASE_S)
                elif record.get("sensor", "").startswith("flood-"):
                    flood_records += 1
            missing = sorted(set(honest.acked) - logged)
            print("flood, drop-oldest: %d honest readings acknowledged, %d of them in the log, %d flood records "
                  "in the log; missing %s" % (len(honest.acked), len(set(honest.acked) & logged), flood_records,
                                             missing[:10]), flush=True)
            self.assertTrue(honest.acked, figures)
            self.assertEqual(missing, [], "acknowledged honest readings pushed out of the log")
            self.assertGreater(drops.get("log_share", 0), 0, "the flood filled the log's half: %s" % drops)
        finally:
            shutil.rmtree(directory, ignore_errors=True)


def bench():
    """`make bench`: one flood run, the ratio on standard output as `name value`."""
    with Daemon() as daemon:
        figures, _ = run_flood(daemon, HONEST_SECONDS)
        drops, _ = source_drops(daemon.port)
        print_figures("bench flood", figures, drops, out=sys.stderr)
        daemon.stop()
    print("honest_ack_ratio_under_flood %.4f" % figures["honest_ack_ratio_under_flood"])


if __name__ == "__main__":
    if "--bench" in sys.argv:
        bench()
    else:
        unittest.main()
