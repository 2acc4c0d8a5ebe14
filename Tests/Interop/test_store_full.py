"""A full log and a log that cannot be written, through the real daemon process.

- A file-size limit lowered below the log's size while the daemon runs (`prlimit --pid`): writes
  past it fail with EFBIG. The daemon must keep answering: readings it cannot store get 5.03
  promptly, `/health` answers and shows the log out of space, and once the limit is lifted the
  readings are accepted again and nothing acknowledged is missing from the log.
- The kill test with a log small enough to fill, readings timestamped years in the past and
  frequent alerts: no acknowledged reading is lost while the log has room; after it filled (the
  upstream in an outage), `dropped_readings` is exactly the acknowledged readings that never
  reached the collector; alert copies in the log stay bounded by one per (sensor, alert kind)
  (docs/LOG_FORMAT.md §7).

Environment as test_store.py (OUTPOST_BIN, OUTPOST_TOOL, optional runner). Every test is bounded in
time and uses loopback only.
"""
import collections
import json
import os
import random
import re
import select
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import outpost_peer
from outpost_peer import CON, POST, SCALE, Daemon, Peer, code_text, parse, request
from test_store import TOOL, Collector, Sender, wait_drained

# 2010-01-01T00:00:00Z: readings carry timestamps years before the gateway's clock.
PAST_S = 1_262_304_000
ALERT_KINDS = 6


class PastSender(Sender):
    """A Sender whose readings carry an absolute SenML time years in the past (`PAST_S + value`,
    so (sensor, time) identifies a reading at the collector and in the log) and whose first
    `alarm_sensors` sensors alternate between a normal temperature and one above the alert
    threshold (45 °C), raising and clearing threshold alerts all the time; the next
    `latched_sensors` stay above it, so their threshold alert is raised once and stays open (the
    oldest state in a full log, which drops must carry forward)."""

    def __init__(self, sensors=12, window=8, alarm_sensors=6, latched_sensors=3):
        super().__init__(sensors=sensors, window=window)
        self.alarm_sensors = alarm_sensors
        self.latched_sensors = latched_sensors
        # Per sensor: excursion readings sent (each may open one episode per alert kind).
        self.excursions = collections.Counter()
        self.sensor_of = {}

    def sensor(self, value):
        return "full-%02d" % (value % self.sensors)

    def payload(self, value):
        index = value % self.sensors
        sensor = self.sensor(value)
        temperature = 20.0
        if index < self.alarm_sensors and (value // self.sensors) % 2 == 0:
            temperature = 50.0
            self.excursions[sensor] += 1
        elif self.alarm_sensors <= index < self.alarm_sensors + self.latched_sensors:
            temperature = 50.0
            if self.excursions[sensor] == 0:
                self.excursions[sensor] = 1
        self.sensor_of[value] = sensor
        return json.dumps([{"bn": sensor + ":", "bt": PAST_S + value, "n": "temperature", "u": "Cel",
                            "v": temperature}]).encode()

    def burst(self, port, seconds):
        """As Sender.burst, with this sender's payloads."""
        peer = Peer(port)
        peer.socket.setblocking(False)
        end = time.time() + seconds
        try:
            while time.time() < end:
                pending = {}
                for _ in range(self.window):
                    value = self.next_value
                    self.next_value += 1
                    mid = peer.next_mid()
                    pending[mid] = value
                    datagram = request(CON, POST, mid, "/readings", token=os.urandom(4), payload=self.payload(value),
                                       content_format=110)
                    self.sent.add(value)
                    try:
                        peer.send(datagram)
                    except OSError:
                        return False
                wait_until = time.time() + 0.5 * SCALE
                while pending and time.time() < wait_until:
                    ready, _, _ = select.select([peer.socket], [], [], max(0, wait_until - time.time()))
                    if not ready:
                        break
                    try:
                        data = peer.receive()
                    except OSError:
                        return False
                    mtype, code, mid, _, _, _ = parse(data)
                    if mid in pending:
                        if code_text(code) == "2.04":
                            self.acked.add(pending[mid])
                        elif code_text(code) == "5.03":
                            self.refused += 1
                        del pending[mid]
                if pending:
                    return False
            return True
        finally:
            peer.close()


def dump(path):
    """The log's records as `outpost-tool log dump` decodes them (the daemon must be stopped)."""
    result = subprocess.run([TOOL, "log", "dump", path], capture_output=True, text=True, timeout=60 * SCALE)
    if result.returncode != 0:
        raise AssertionError("log dump failed: " + result.stderr)
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def reading_keys(records, time_field):
    """(sensor, whole seconds) of the reading records of `full-` sensors."""
    keys = []
    for record in records:
        if record.get("type") == "reading" and str(record.get("sensor", "")).startswith("full-"):
            keys.append((record["sensor"], int(round(float(record[time_field]) / (1000 if time_field == "ts_ms" else 1)))))
    return keys


def stopped_dropped_readings(daemon):
    """Stops the daemon cleanly and returns the `dropped_readings` its exit line reports: the
    process's final count (appends after the last /health, such as offline alerts raised once
    the readings stopped, can still roll the head and drop)."""
    if daemon.stop() != 0:
        raise AssertionError("unclean stop: " + daemon.log()[-2000:])
    match = re.search(r"outpost: log: .*dropped_readings=(\d+)", daemon.log())
    if not match:
        raise AssertionError("no log summary at the stop: " + daemon.log()[-2000:])
    return int(match.group(1))


def post(peer, value, sensor, timeout):
    """One CON reading; returns (code text or "timeout", seconds taken, message ID)."""
    mid = peer.next_mid()
    payload = json.dumps([{"bn": sensor + ":", "n": "temperature", "u": "Cel", "v": value}]).encode()
    datagram = request(CON, POST, mid, "/readings", token=os.urandom(4), payload=payload, content_format=110)
    return exchange(peer, datagram, mid, timeout) + (mid, datagram)


def exchange(peer, datagram, mid, timeout):
    start = time.time()
    peer.send(datagram)
    deadline = start + timeout
    while time.time() < deadline:
        ready, _, _ = select.select([peer.socket], [], [], max(0, deadline - time.time()))
        if not ready:
            break
        mtype, code, got, _, _, _ = parse(peer.receive())
        if got == mid:
            return code_text(code), time.time() - start
    return "timeout", time.time() - start


def timed_health(port, timeout):
    """GET /health: (decoded JSON or None on timeout, seconds taken)."""
    peer = Peer(port)
    peer.socket.settimeout(timeout)
    start = time.time()
    try:
        reply = peer.get("/health")
        return json.loads(reply[5]), time.time() - start
    except OSError:
        return None, time.time() - start
    finally:
        peer.close()


@unittest.skipUnless(TOOL, "OUTPOST_TOOL (outpost-tool, for log dump and the collector) not set")
class FileSizeLimitTests(unittest.TestCase):
    def setUp(self):
        self.directory = tempfile.mkdtemp(prefix="outpost-full-")

    def tearDown(self):
        shutil.rmtree(self.directory, ignore_errors=True)

    def prlimit(self, pid, soft):
        """Sets the soft file-size limit of `pid` (the hard limit stays unlimited, so it can be
        raised again without privileges)."""
        subprocess.run([self.tool, "--pid", str(pid), "--fsize=%s:unlimited" % soft], check=True, timeout=10)

    def test_file_size_limit_reached_while_running_refuses_with_5_03_and_health_answers(self):
        self.tool = shutil.which("prlimit")
        self.assertIsNotNone(self.tool, "prlimit (util-linux) is needed")
        budget = 1.0 * SCALE
        with Daemon("--data-dir", self.directory, "--log-size", "1M", "--durability", "sync") as daemon:
            # The log (1 MiB, preallocated) already exists; from now on no write may reach past
            # 64 KiB: the head segment (from offset 4096, 64 KiB long) hits EFBIG part-way.
            self.prlimit(daemon.process.pid, "65536")
            peer = Peer(daemon.port)
            self.addCleanup(peer.close)
            acked = []
            first_refusal = None
            unanswered = []
            for i in range(4000):
                code, seconds, mid, datagram = post(peer, 20.0 + (i % 1000) / 1000, "limit-%d" % (i % 4), budget)
                if code == "2.04":
                    acked.append((i, mid, datagram))
                    continue
                if code == "timeout":
                    # The reading of the tick whose commit met EFBIG: not acknowledged (its
                    # record waits in the page buffer), the sensor would retransmit.
                    unanswered.append((i, mid, datagram))
                    self.assertLessEqual(len(unanswered), 2, "the daemon stopped answering readings")
                    continue
                self.assertEqual(code, "5.03", "reading %d answered %s" % (i, code))
                first_refusal = i
                break
            self.assertIsNotNone(first_refusal, "the file-size limit was never reached")
            self.assertTrue(daemon.wait_log(r"out of space while running", timeout=2), daemon.log())
            # While the condition lasts: every reading is refused promptly, /health answers.
            for j in range(20):
                code, seconds, _, _ = post(peer, 21.0, "limit-0", budget)
                self.assertEqual(code, "5.03", "refusal %d" % j)
                self.assertLess(seconds, budget)
            health, seconds = timed_health(daemon.port, budget)
            self.assertIsNotNone(health, "/health did not answer within %.1f s" % budget)
            self.assertEqual(health["log"]["state"], "no_space")
            self.assertTrue(health["log"]["refusing"])
            self.assertEqual(daemon.process.poll(), None, "the daemon must run on")
            # The limit is lifted: the buffered records are written at the next tick and
            # readings are accepted again; a retransmission of an unanswered reading is answered.
            self.prlimit(daemon.process.pid, "unlimited")
            deadline = time.time() + 5 * SCALE
            accepted = None
            while time.time() < deadline and accepted is None:
                code, _, mid, datagram = post(peer, 22.0, "limit-1", budget)
                if code == "2.04":
                    accepted = (mid, datagram)
                else:
                    time.sleep(0.1)
            self.assertIsNotNone(accepted, "readings not accepted after the limit was lifted")
            self.assertTrue(daemon.wait_log(r"writes succeed again", timeout=2), daemon.log())
            for i, mid, datagram in unanswered:
                code, _ = exchange(peer, datagram, mid, budget)
                self.assertEqual(code, "2.04", "retransmission of reading %d" % i)
            health, _ = timed_health(daemon.port, budget)
            self.assertEqual(health["log"]["state"], "ready")
            self.assertFalse(health["log"]["refusing"])
            self.assertEqual(daemon.stop(), 0)
        # Every acknowledged reading is in the log.
        records = dump(os.path.join(self.directory, "outpost.log"))
        logged = [r for r in records if r.get("type") == "reading" and str(r.get("sensor", "")).startswith("limit-")]
        self.assertGreaterEqual(len(logged), len(acked) + len(unanswered) + 1)
        print("\nfile-size limit: %d acknowledged before the limit, refused from reading %d, %d unanswered "
              "(answered on retransmission), %d readings in the log"
              % (len(acked), first_refusal, len(unanswered), len(logged)))


@unittest.skipUnless(TOOL, "OUTPOST_TOOL (outpost-tool, for log dump and the collector) not set")
class FullLogKillTests(unittest.TestCase):
    """One run shared by the tests below (it takes a while): kills while the log has room, then a
    fill during an upstream outage, then a drain."""

    LOG_SIZE = "128K"
    # Readings sent while the log must have room: with their alerts (up to three records each
    # while offline alerts flap) well within the 128 KiB log's ~2 700 records.
    PHASE1_READINGS = 200
    results = None

    @classmethod
    def setUpClass(cls):
        cls.directory = tempfile.mkdtemp(prefix="outpost-full-kill-")
        try:
            cls.results = cls.run_scenario()
        except Exception as error:  # reported by every test that needs the results
            cls.failure = error

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.directory, ignore_errors=True)

    @classmethod
    def run_scenario(cls):
        rng = random.Random(int(os.environ.get("OUTPOST_KILL_SEED", "0")) or None)
        path = os.path.join(cls.directory, "outpost.log")
        sender = PastSender()
        flags = ("--data-dir", cls.directory, "--durability", "sync", "--log-size", cls.LOG_SIZE,
                 "--when-full", "drop-oldest")
        # Phase 1: kills at random moments while the log has room (no upstream).
        kills = 0
        for _ in range(3):
            with Daemon(*flags) as daemon:
                killer_at = time.time() + rng.uniform(0.1, 0.4)
                while time.time() < killer_at and len(sender.sent) < cls.PHASE1_READINGS - sender.window:
                    if not sender.burst(daemon.port, 0.001):
                        break
                daemon.process.send_signal(signal.SIGKILL)
                daemon.process.wait()
                kills += 1
                sender.burst(daemon.port, 0.05)
        logged = set(reading_keys(dump(path), "ts_ms"))
        acked_phase1 = {(sender.sensor_of[v], PAST_S + v) for v in sender.acked}
        lost_with_room = acked_phase1 - logged
        # Phase 2: the upstream is in an outage while the log fills many times over, then the
        # daemon stops cleanly and the full log is inspected (the copies are at their peak).
        # Phase 3: a new process drains it once the outage is over. Each process's counters cover
        # the drops it made.
        outage_s = 16
        out = os.path.join(cls.directory, "collected.jsonl")
        collector = Collector(out, outage="0-%d" % outage_s)
        try:
            upstream = "coap://127.0.0.1:%d/ingest" % collector.port
            with Daemon(*flags, "--upstream", upstream) as daemon:
                stop_at = collector.started + outage_s - 5
                while time.time() < stop_at and len(sender.sent) < 9000:
                    if not sender.burst(daemon.port, 0.2):
                        raise AssertionError("the daemon stopped answering: " + daemon.log()[-2000:])
                filled = timed_health(daemon.port, 5 * SCALE)[0]
                filled_dropped = stopped_dropped_readings(daemon)
            full_log = dump(path)
            with Daemon(*flags, "--upstream", upstream) as daemon:
                drained = wait_drained(daemon, 90)
                drained_dropped = stopped_dropped_readings(daemon)
        finally:
            records = collector.records()
            collector.stop()
        return dict(sender=sender, kills=kills, lost_with_room=lost_with_room, phase1_acked=len(acked_phase1), phase1=acked_phase1,
                    filled=filled, drained=drained, collected=records, full_log=full_log,
                    dropped=filled_dropped + drained_dropped)

    def need(self):
        if self.results is None:
            raise self.failure

    def test_kill_then_fill_loses_nothing_with_room_and_counts_drops_exactly(self):
        self.need()
        r = self.results
        sender, collected = r["sender"], r["collected"]
        found = collections.Counter(reading_keys(collected, "time"))
        acked = {(sender.sensor_of[v], PAST_S + v) for v in sender.acked}
        dropped = r["dropped"]
        # /health said as much while the log was full (the drops after it: the offline alerts
        # raised once the readings stopped may roll the head once more before the stop).
        self.assertLessEqual(r["filled"]["log"]["dropped_readings"] + r["drained"]["log"]["dropped_readings"], dropped)
        lost = acked - set(found)
        duplicates = sum(n - 1 for n in found.values() if n > 1)
        log_alerts = [x for x in r["full_log"] if x.get("type", "").startswith("alert")]
        copies = [x for x in log_alerts if x.get("copied")]
        print("\nkill test (full log): sent %d, acknowledged %d, found at the collector %d (acknowledged %d), "
              "dropped_readings %d, acknowledged and not found %d, duplicates %d, kills %d, acknowledged before "
              "the fill %d (lost with room %d), alert records at the collector %d, in the full log %d (copies %d)"
              % (len(sender.sent), len(sender.acked), len(found), len(acked & set(found)), dropped, len(lost),
                 duplicates, r["kills"], r["phase1_acked"], len(r["lost_with_room"]),
                 len([x for x in collected if x.get("type") == "alert"]), len(log_alerts), len(copies)))
        self.assertGreaterEqual(r["kills"], 3)
        self.assertGreater(r["phase1_acked"], 50, "too few readings before the fill")
        self.assertEqual(r["lost_with_room"], set(), "acknowledged readings lost while the log had room")
        self.assertGreater(dropped, 0, "the log never filled")
        self.assertEqual(len(lost), dropped, "dropped_readings must be exactly the acknowledged readings lost")
        self.assertEqual(duplicates, 0, "the collector deduplicates by (node, seq)")
        self.assertEqual(set(found) - acked <= {(sender.sensor_of[v], PAST_S + v) for v in sender.sent}, True)

    def test_alert_copies_stay_bounded_by_sensor_and_kind(self):
        self.need()
        r = self.results
        sensors = r["sender"].sensors
        copies = collections.Counter()
        for record in r["full_log"]:
            if record.get("type", "").startswith("alert") and record.get("copied"):
                copies[(record["sensor"], record["kind"])] += 1
        readings = len([x for x in r["full_log"] if x.get("type") == "reading"])
        alerts = len([x for x in r["full_log"] if x.get("type", "").startswith("alert")])
        print("\nfull log: %d readings, %d alert records, %d copies over %d (sensor, kind) keys (bound %d)"
              % (readings, alerts, sum(copies.values()), len(copies), sensors * ALERT_KINDS))
        # The latched sensors' open threshold alerts are older than anything else in the log.
        latched = {"full-%02d" % i for i in range(r["sender"].alarm_sensors, r["sender"].alarm_sensors + r["sender"].latched_sensors)}
        self.assertTrue(latched <= {sensor for sensor, _ in copies}, "open alerts not carried: %s" % copies)
        self.assertLessEqual(sum(copies.values()), sensors * ALERT_KINDS)
        self.assertTrue(all(n == 1 for n in copies.values()), "one copy per (sensor, kind) at most: %s" % copies)

    # Offline is judged on the gateway's clock: readings timestamped years in the past must not
    # make a sensor that keeps sending go offline.
    def test_alert_records_per_sensor_bounded_by_episodes(self):
        self.need()
        r = self.results
        excursions = r["sender"].excursions
        per_sensor = collections.Counter()
        offline = collections.Counter()
        for record in r["collected"]:
            if record.get("type") == "alert":
                per_sensor[record["sensor"]] += 1
                if record.get("kind") == "offline":
                    offline[record["sensor"]] += 1
        for sensor, count in sorted(per_sensor.items()):
            # An excursion opens at most one episode per kind it can trigger (threshold,
            # critical, anomaly, anomaly rate), each a raise and a clear; no sensor goes offline
            # while it sends (an episode at most, around a kill).
            self.assertLessEqual(offline[sensor], 2, "offline alerts of %s" % sensor)
            self.assertLessEqual(count, 2 * 4 * (excursions[sensor] + 1) + 2, "alert records of %s" % sensor)


if __name__ == "__main__":
    unittest.main()
