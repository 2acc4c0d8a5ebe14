"""Exactly once across retransmissions through the real daemon: 20 sensors send CON readings at 5/s
each (100 requests/s), retransmitting every unanswered one with the same message ID after 2, 4, 8
and 16 s (RFC 7252 §4.2); the daemon is stopped with SIGSTOP for 30 s mid-run, then continued.
Every reading must be in the log exactly once (`outpost-tool log dump`).

Environment (besides outpost_peer's): OUTPOST_TOOL, the outpost-tool binary. Loopback only; the
test takes about 70 s.
"""
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from outpost_peer import ACK, CON, POST, SCALE, Daemon, Peer, code_text, parse, request

TOOL = os.environ.get("OUTPOST_TOOL", "")
SENSORS = 20
RATE_PER_SENSOR = 5
# Retransmission delays after the previous transmission (ACK_TIMEOUT 2 s doubling, MAX_RETRANSMIT 4).
BACKOFF_S = (2, 4, 8, 16)
# Readings carry whole-second timestamps from here on, one second apart per sensor, so
# (sensor, timestamp) identifies a reading in the log.
BASE_S = 1_800_000_000


class Fleet:
    """20 sensors, one UDP socket (port) each, with their CON readings in flight."""

    def __init__(self, port):
        self.port = port
        self.sockets = []
        for _ in range(SENSORS):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", 0))
            s.setblocking(False)
            self.sockets.append(s)
        self.mids = [(i * 3001) & 0xFFFF for i in range(SENSORS)]
        self.count = [0] * SENSORS
        # (sensor, mid) -> [datagram, identity, transmissions, next retransmission time]
        self.pending = {}
        self.acked = set()
        self.sent = set()
        self.transmissions = 0
        self.gave_up = 0
        self.other_answers = 0

    def send_new(self, sensor, now):
        self.mids[sensor] = (self.mids[sensor] + 1) & 0xFFFF
        mid = self.mids[sensor]
        timestamp = BASE_S + self.count[sensor]
        self.count[sensor] += 1
        identity = ("dup-%02d" % sensor, timestamp * 1000)
        payload = json.dumps([{"bn": "dup-%02d:" % sensor, "bt": timestamp, "n": "temperature", "u": "Cel",
                               "v": 21.5}]).encode()
        datagram = request(CON, POST, mid, "/readings", token=os.urandom(4), payload=payload, content_format=110)
        self.pending[(sensor, mid)] = [datagram, identity, 0, now + BACKOFF_S[0]]
        self.sent.add(identity)
        self.transmit(sensor, datagram)

    def transmit(self, sensor, datagram):
        self.transmissions += 1
        try:
            self.sockets[sensor].sendto(datagram, ("127.0.0.1", self.port))
        except OSError:
            pass

    def retransmit_due(self, now):
        for (sensor, mid), entry in list(self.pending.items()):
            if now < entry[3]:
                continue
            if entry[2] == len(BACKOFF_S):
                del self.pending[(sensor, mid)]  # gave up: never acknowledged
                self.gave_up += 1
                continue
            self.transmit(sensor, entry[0])
            entry[2] += 1
            entry[3] = now + (BACKOFF_S[entry[2]] if entry[2] < len(BACKOFF_S) else 2 * BACKOFF_S[-1])

    def receive(self, timeout):
        ready, _, _ = select.select(self.sockets, [], [], max(0.0, timeout))
        for s in ready:
            sensor = self.sockets.index(s)
            while True:
                try:
                    data = s.recv(2048)
                except OSError:
                    break
                mtype, code, mid, _, _, _ = parse(data)
                entry = self.pending.pop((sensor, mid), None)
                if mtype == ACK and code_text(code) == "2.04" and entry is not None:
                    self.acked.add(entry[1])
                elif entry is None:
                    pass  # the answer to a retransmission of one already answered
                else:
                    self.other_answers += 1

    def close(self):
        for s in self.sockets:
            s.close()


@unittest.skipUnless(TOOL, "OUTPOST_TOOL (outpost-tool for the log dump) not set")
class DuplicateStoreTests(unittest.TestCase):
    def setUp(self):
        self.directory = tempfile.mkdtemp(prefix="outpost-dup-")

    def tearDown(self):
        shutil.rmtree(self.directory, ignore_errors=True)

    def run_fleet(self, fleet, daemon, seconds, stop_at=None, stop_for=0):
        """Sends at 100 requests/s for `seconds`; SIGSTOPs the daemon at `stop_at` s for `stop_for` s."""
        start = time.time()
        interval = 1.0 / (SENSORS * RATE_PER_SENSOR)
        next_send = start
        sensor = 0
        stopped = False
        while True:
            now = time.time()
            elapsed = now - start
            if stop_at is not None and not stopped and elapsed >= stop_at:
                daemon.process.send_signal(signal.SIGSTOP)
                stopped = True
            if stopped and stop_at is not None and elapsed >= stop_at + stop_for:
                daemon.process.send_signal(signal.SIGCONT)
                stop_at = None
            if elapsed >= seconds:
                break
            while next_send <= now:
                fleet.send_new(sensor, now)
                sensor = (sensor + 1) % SENSORS
                next_send += interval
            fleet.retransmit_due(now)
            fleet.receive(min(next_send - time.time(), 0.01))

    def test_sigstop_thirty_seconds_under_retransmissions_stores_each_reading_once(self):
        with Daemon("--data-dir", self.directory, "--durability", "sync", "--log-size", "16M") as daemon:
            fleet = Fleet(daemon.port)
            try:
                self.run_fleet(fleet, daemon, seconds=50, stop_at=10, stop_for=30)
                # Drain: keep retransmitting what is unanswered until it is answered or given up.
                deadline = time.time() + 40 * SCALE
                while fleet.pending and time.time() < deadline:
                    fleet.retransmit_due(time.time())
                    fleet.receive(0.05)
                peer = Peer(daemon.port)
                health = peer.health()
                peer.close()
            finally:
                fleet.close()
            self.assertEqual(daemon.stop(), 0)
        dump = subprocess.run([TOOL, "log", "dump", os.path.join(self.directory, "outpost.log")],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(dump.returncode, 0, dump.stderr)
        stored = {}
        for line in dump.stdout.splitlines():
            record = json.loads(line)
            if record.get("type") == "reading" and str(record.get("sensor", "")).startswith("dup-"):
                key = (record["sensor"], record["ts_ms"])
                stored[key] = stored.get(key, 0) + 1
        twice = {k: n for k, n in stored.items() if n > 1}
        counters = health["counters"]
        print("\nduplicates test: sent %d readings in %d transmissions, acknowledged %d, gave up %d, other answers %d; "
              "stored %d distinct in %d records, stored more than once %d; /health duplicates %d, "
              "duplicate_evictions %d"
              % (len(fleet.sent), fleet.transmissions, len(fleet.acked), fleet.gave_up, fleet.other_answers,
                 len(stored), sum(stored.values()), len(twice), counters["duplicates"],
                 counters.get("duplicate_evictions", -1)))
        self.assertGreater(fleet.transmissions, len(fleet.sent), "the stall caused retransmissions")
        self.assertGreater(counters["duplicates"], 0, "retransmissions were recognised")
        self.assertEqual(twice, {}, "readings stored more than once")
        self.assertEqual(fleet.acked - set(stored), set(), "acknowledged readings missing from the log")
        self.assertTrue(set(stored) <= fleet.sent, "a reading nobody sent")
        self.assertGreater(len(fleet.acked), 0.9 * len(fleet.sent), "too few readings got through")


if __name__ == "__main__":
    unittest.main()
