"""Sensor slots that come back, through the real daemon (docs/CONFIG.md §7): the table filled to
the profile's capacity, the next new sensor refused with 5.03 while every sensor is fresh, then
taken once the longest-silent sensor's offline alert is raised (and logged) and it has been silent
for `evict_after`; the count in /health and /metrics; `evict_after` changed by SIGHUP (0 turns
eviction off, live); bad values refused at start.

Environment (besides outpost_peer's): OUTPOST_TOOL, the outpost-tool binary (log dump). Loopback
only; the test takes a few seconds.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from outpost_peer import BIN, CON, POST, RUNNER, SCALE, Daemon, Peer, code_text, request, uint_option

BLOCK2 = 23
TOOL = os.environ.get("OUTPOST_TOOL", "")


def pack(sensor, temperature=21.5):
    return json.dumps([{"bn": sensor + "/", "n": "temperature", "u": "Cel", "v": temperature}]).encode()


def post(peer, sensor):
    reply = peer.exchange(request(CON, POST, peer.next_mid(), "/readings", token=os.urandom(4),
                                  payload=pack(sensor), content_format=110))
    return code_text(reply[1]), reply[5]


def get_json(peer, path):
    """GETs `path` block by block (Block2, 1024-byte blocks) and decodes the JSON body."""
    body = b""
    following = None  # the next block in the server's block size (it may send smaller ones)
    for _ in range(4096):
        extra = [(BLOCK2, uint_option(following))] if following is not None else []
        _, code, _, _, options, payload = peer.exchange(request(CON, 1, peer.next_mid(), path, extra=extra))
        if code_text(code) != "2.05":
            return code_text(code), None
        body += payload
        block = options.get(BLOCK2)
        if not block or not int.from_bytes(block[0], "big") & 8:
            break
        szx = int.from_bytes(block[0], "big") & 7
        following = (len(body) >> (szx + 4)) << 4 | szx
    return "2.05", json.loads(body)


def metrics_text(peer):
    body = b""
    following = None  # the next block in the server's block size (it may send smaller ones)
    for _ in range(4096):
        extra = [(BLOCK2, uint_option(following))] if following is not None else []
        _, code, _, _, options, payload = peer.exchange(request(CON, 1, peer.next_mid(), "/metrics", extra=extra))
        assert code_text(code) == "2.05", code_text(code)
        body += payload
        block = options.get(BLOCK2)
        if not block or not int.from_bytes(block[0], "big") & 8:
            break
        szx = int.from_bytes(block[0], "big") & 7
        following = (len(body) >> (szx + 4)) << 4 | szx
    return body.decode()


def fill(peer, port, capacity):
    """Registers s0..s{capacity-1}, in that order (s0 heard first). The last places of the table
    are kept for sources holding few sensors (docs/SECURITY.md §7): once `peer`'s source is refused,
    each remaining sensor posts from its own loopback address (127.0.1.N). Returns those peers."""
    extra = []
    for i in range(capacity):
        code, payload = post(peer, "s%d" % i) if not extra else ("5.03", b"")
        if code == "5.03":
            other = Peer(port)
            other.socket.bind(("127.0.1.%d" % (len(extra) + 2), 0))
            extra.append(other)
            code, payload = post(other, "s%d" % i)
        assert code == "2.04", ("s%d" % i, code, payload)
    return extra


class SensorEvictionTests(unittest.TestCase):
    def setUp(self):
        self.directory = tempfile.mkdtemp(prefix="outpost-sensors-")
        self.conf = os.path.join(self.directory, "outpost.conf")

    def tearDown(self):
        shutil.rmtree(self.directory, ignore_errors=True)

    def write(self, text):
        # Written beside and renamed, as an editor does: a reload never reads half a file.
        with open(self.conf + ".new", "w") as f:
            f.write(text)
        os.replace(self.conf + ".new", self.conf)

    def wait_for(self, predicate, timeout=10):
        deadline = time.time() + timeout * SCALE
        while time.time() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.1)
        return predicate()

    def test_full_table_takes_a_new_sensor_after_the_oldest_went_offline(self):
        self.write("[daemon]\ndata_dir = %s\n\n[sensors]\noffline_after = 1\nevict_after = 2\n" % self.directory)
        # No amplification limit: the test reads /alerts often within its 1-s offline time, and
        # the limit's small blocks (test_store_access.py) would make it slower than that.
        with Daemon("--config", self.conf, "--amplification-factor", "0") as daemon:
            peer = Peer(daemon.port)
            extra = []
            try:
                capacity = peer.health()["sensor_capacity"]
                extra = fill(peer, daemon.port, capacity)
                started = time.time()
                # Every sensor was just heard from: none may give its slot away.
                code, payload = post(peer, "late")
                self.assertEqual(code, "5.03", payload)
                self.assertIn(b"sensor table full", payload)
                # All go offline after 1 s; s0, heard first, is the longest silent.
                def offline_count():
                    return sum(1 for a in get_json(peer, "/alerts")[1]["alerts"]
                               if a["kind"] == "offline" and a["event"] == "raised")
                self.assertTrue(self.wait_for(lambda: get_json(peer, "/alerts")[1]["active"] >= capacity))
                self.assertGreater(offline_count(), 0)
                # Offline but not yet silent for evict_after (2 s): still refused.
                if time.time() - started < 1.5:
                    self.assertEqual(post(peer, "late")[0], "5.03")
                time.sleep(max(0, 2.3 - (time.time() - started)))
                code, payload = post(peer, "late")
                self.assertEqual(code, "2.04", payload)
                self.assertEqual(get_json(peer, "/sensors/late")[0], "2.05")
                self.assertEqual(get_json(peer, "/sensors/s0")[0], "4.04", "s0 was the longest silent")
                self.assertEqual(get_json(peer, "/sensors/s1")[0], "2.05")
                late = get_json(peer, "/sensors/late")[1]
                self.assertEqual(late["id"], "late")
                health = peer.health()
                self.assertEqual(health["counters"]["sensors_evicted"], 1)
                self.assertEqual(health["sensors"], capacity)
                self.assertRegex(metrics_text(peer), r"(?m)^outpost_sensors_evicted_total 1$")
                # The newcomer inherits no alert of s0's: no event of its own, none active.
                alerts = get_json(peer, "/alerts")[1]["alerts"]
                self.assertFalse([a for a in alerts if a["sensor"] == "late"], alerts)
                self.assertEqual(get_json(peer, "/alerts")[1]["active"], capacity - 1)
                # A sensor that is talking is never taken: s1 speaks, then the next newcomer takes s2.
                self.assertEqual(post(peer, "s1")[0], "2.04")
                self.assertEqual(post(peer, "later")[0], "2.04")
                self.assertEqual(get_json(peer, "/sensors/s1")[0], "2.05")
                self.assertEqual(get_json(peer, "/sensors/s2")[0], "4.04")
            finally:
                peer.close()
                for other in extra:
                    other.close()
            self.assertEqual(daemon.stop(), 0, daemon.log())
        if TOOL:
            # s0's offline alert was logged under its name before its slot went to `late`.
            dump = subprocess.run([TOOL, "log", "dump", os.path.join(self.directory, "outpost.log")],
                                  capture_output=True, text=True, timeout=60)
            self.assertEqual(dump.returncode, 0, dump.stderr)
            records = [json.loads(line) for line in dump.stdout.splitlines() if line.strip()]
            offline = [r for r in records if r.get("type") == "alert" and r.get("kind") == "offline"]
            self.assertIn("s0", [r.get("sensor") for r in offline], offline[:3])
            readings = [r.get("sensor") for r in records if r.get("type") == "reading"]
            self.assertIn("late", readings)
            self.assertFalse([r for r in offline if r.get("sensor") == "late"])
            # The eviction is a marker naming s0 and why, before late's first reading.
            evicted = [i for i, r in enumerate(records) if r.get("type") == "marker" and r.get("code") == "sensor_evicted"]
            self.assertEqual([(records[i]["sensor"], records[i]["reason"]) for i in evicted],
                             [("s0", "offline"), ("s2", "offline")], records[-5:])
            first_late = min(i for i, r in enumerate(records) if r.get("type") == "reading" and r.get("sensor") == "late")
            self.assertLess(evicted[0], first_late)

    def test_slots_of_a_source_over_its_share_go_back_first(self):
        """One source fills the table beyond its share (the reserve filled from other addresses);
        a new sensor from a source within its share then takes the flooder's longest-silent slot,
        logged as a sensor_evicted marker (reason over_share), while the flooder's own new names
        are still refused."""
        with Daemon("--data-dir", self.directory, "--amplification-factor", "0") as daemon:
            peer = Peer(daemon.port)
            extra = []
            honest = Peer(daemon.port)
            honest.socket.bind(("127.0.2.9", 0))
            try:
                capacity = peer.health()["sensor_capacity"]
                extra = fill(peer, daemon.port, capacity)
                code, payload = post(peer, "flood-new")
                self.assertEqual((code, b"sensor table full" in payload), ("5.03", True), payload)
                code, payload = post(honest, "honest-1")
                self.assertEqual(code, "2.04", payload)
                self.assertEqual(get_json(peer, "/sensors/s0")[0], "4.04", "s0, the flooder's longest silent, went back")
                self.assertEqual(get_json(peer, "/sensors/honest-1")[0], "2.05")
                counters = peer.health()["counters"]
                self.assertEqual(counters["sensors_reclaimed"], 1)
                self.assertEqual(counters["sensors_evicted"], 1)
                self.assertRegex(metrics_text(peer), r"(?m)^outpost_sensors_reclaimed_total 1$")
                # Sensors of the small sources stay.
                for i in range(capacity - len(extra), capacity):
                    self.assertEqual(get_json(peer, "/sensors/s%d" % i)[0], "2.05")
            finally:
                peer.close()
                honest.close()
                for other in extra:
                    other.close()
            self.assertEqual(daemon.stop(), 0, daemon.log())
        if TOOL:
            dump = subprocess.run([TOOL, "log", "dump", os.path.join(self.directory, "outpost.log")],
                                  capture_output=True, text=True, timeout=60)
            self.assertEqual(dump.returncode, 0, dump.stderr)
            records = [json.loads(line) for line in dump.stdout.splitlines() if line.strip()]
            evicted = [r for r in records if r.get("type") == "marker" and r.get("code") == "sensor_evicted"]
            self.assertEqual([(r["sensor"], r["reason"], r["value"]) for r in evicted], [("s0", "over_share", 2)])

    def test_sighup_turns_eviction_off_and_on(self):
        self.write("[sensors]\noffline_after = 1\nevict_after = 0\n")
        with Daemon("--config", self.conf) as daemon:
            peer = Peer(daemon.port)
            extra = []
            try:
                capacity = peer.health()["sensor_capacity"]
                extra = fill(peer, daemon.port, capacity)
                self.assertTrue(self.wait_for(lambda: get_json(peer, "/alerts")[1]["active"] >= capacity))
                time.sleep(1.2)
                # Eviction off: offline sensors keep their slots.
                self.assertEqual(post(peer, "late")[0], "5.03")
                self.write("[sensors]\noffline_after = 1\nevict_after = 1\n")
                daemon.process.send_signal(signal.SIGHUP)
                self.assertTrue(daemon.wait_log(r"reload: \[sensors\] evict_after 0 -> 1 s \(applied\)"), daemon.log())
                self.assertTrue(daemon.wait_log(r"reload: \S+outpost\.conf read: 1 applied, 0 need a restart"), daemon.log())
                self.assertEqual(post(peer, "late")[0], "2.04")
                self.assertEqual(peer.health()["counters"]["sensors_evicted"], 1)
                self.write("[sensors]\noffline_after = 1\nevict_after = 0\n")
                daemon.process.send_signal(signal.SIGHUP)
                self.assertTrue(daemon.wait_log(r"reload: \[sensors\] evict_after 1 -> 0 s \(applied\)"), daemon.log())
                self.assertEqual(post(peer, "later")[0], "5.03")
                self.assertEqual(peer.health()["counters"]["sensors_evicted"], 1)
            finally:
                peer.close()
                for other in extra:
                    other.close()
            self.assertEqual(daemon.stop(), 0, daemon.log())

    def test_bad_values_are_refused_at_start(self):
        for flags, pattern in [
            (["--sensor-evict-after", "-1"], r"'-1': wants seconds, 0 \(never evict\) to 31622400"),
            (["--sensor-offline-after", "0"], r"'0': wants seconds, 1 to 31622400"),
            (["--sensor-offline-after", "1h"], r"'1h': wants seconds, 1 to 31622400"),
        ]:
            run = subprocess.run(list(RUNNER) + [BIN, "--listen", "127.0.0.1:0"] + flags, capture_output=True,
                                 text=True, timeout=30 * SCALE)
            self.assertEqual(run.returncode, 2, run.stderr)
            self.assertRegex(run.stderr, pattern)
        self.write("[sensors]\nevict_after = forever\n")
        run = subprocess.run(list(RUNNER) + [BIN, "--listen", "127.0.0.1:0", "--config", self.conf],
                             capture_output=True, text=True, timeout=30 * SCALE)
        self.assertEqual(run.returncode, 2, run.stderr)
        self.assertRegex(run.stderr, r"outpost\.conf:2: \[sensors\] evict_after 'forever': wants seconds")


if __name__ == "__main__":
    unittest.main()
