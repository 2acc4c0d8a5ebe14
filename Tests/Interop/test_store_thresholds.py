"""Threshold rules per quantity and sensor-name pattern, through the real daemon (docs/CONFIG.md
§8): under one configuration a freezer alerts at -5 °C while an oven at 150 °C does not and a
sensor without a rule keeps the reference rules; SIGHUP with new rules takes effect on the next
readings; a bad rule is refused at start (FILE:LINE, exit 2) and on reload (the running rules
stay); the flag does the same as the key.

Loopback only; the test takes a few seconds.
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import unittest

from outpost_peer import BIN, CON, POST, RUNNER, SCALE, Daemon, Peer, code_text, request

FREEZER = "freezer-* temperature warn_above=-15 alert_above=-10"
OVEN = "oven-* temperature warn_above=250 alert_above=280 critical_above=320"


def post(peer, sensor, celsius):
    payload = json.dumps([{"bn": sensor + "/", "n": "temperature", "u": "Cel", "v": celsius}]).encode()
    reply = peer.exchange(request(CON, POST, peer.next_mid(), "/readings", token=os.urandom(4),
                                  payload=payload, content_format=110))
    assert code_text(reply[1]) == "2.04", (code_text(reply[1]), reply[5])


def status(peer, sensor):
    reply = peer.get("/sensors/" + sensor)
    assert code_text(reply[1]) == "2.05", code_text(reply[1])
    return json.loads(reply[5])["status"]


def feed(peer, sensor, celsius, count=3):
    """A few readings (more than any profile's debounce), then the sensor's status."""
    for _ in range(count):
        post(peer, sensor, celsius)
    return status(peer, sensor)


def threshold_alerts(peer, sensor):
    alerts = json.loads(peer.get("/alerts")[5])["alerts"]
    return [a for a in alerts if a["sensor"] == sensor and a["kind"] in ("threshold", "critical")]


class ThresholdRuleTests(unittest.TestCase):
    def setUp(self):
        self.directory = tempfile.mkdtemp(prefix="outpost-thresholds-")
        self.conf = os.path.join(self.directory, "outpost.conf")

    def tearDown(self):
        shutil.rmtree(self.directory, ignore_errors=True)

    def write(self, text):
        with open(self.conf + ".new", "w") as f:
            f.write(text)
        os.replace(self.conf + ".new", self.conf)

    def rules(self, *rules):
        return "[thresholds]\n" + "".join('rule = "%s"\n' % r for r in rules)

    def test_freezer_and_oven_by_their_own_rules_and_sighup(self):
        self.write(self.rules(FREEZER, OVEN))
        with Daemon("--config", self.conf) as daemon:
            peer = Peer(daemon.port)
            try:
                self.assertEqual(feed(peer, "freezer-1", -5), "alert")
                self.assertEqual(feed(peer, "freezer-2", -20), "normal")
                self.assertEqual(feed(peer, "oven-1", 150), "normal")
                self.assertEqual(feed(peer, "kitchen", 50), "alert", "no rule: the reference alert above 45 °C")
                self.assertTrue([a for a in threshold_alerts(peer, "freezer-1") if a["event"] == "raised"])
                self.assertFalse(threshold_alerts(peer, "oven-1"))
                raised = [a for a in threshold_alerts(peer, "freezer-1") if a["event"] == "raised"][0]
                self.assertEqual(raised["threshold"], -10)
                # The freezer's rule is dropped, the oven's tightened: live on SIGHUP.
                self.write(self.rules("oven-* temperature alert_above=120"))
                daemon.process.send_signal(signal.SIGHUP)
                self.assertTrue(daemon.wait_log(r"reload: \[thresholds\] rule 2 -> 1 rules \(applied\)"), daemon.log())
                self.assertTrue(daemon.wait_log(r"reload: \S+outpost\.conf read: 1 applied, 0 need a restart"), daemon.log())
                self.assertEqual(feed(peer, "freezer-1", -5), "normal")
                self.assertTrue([a for a in threshold_alerts(peer, "freezer-1") if a["event"] == "cleared"])
                self.assertEqual(feed(peer, "oven-1", 150), "alert")
                # A bad rule on reload: refused, the running rules stay.
                self.write(self.rules("oven-* temperature high=3"))
                daemon.process.send_signal(signal.SIGHUP)
                self.assertTrue(daemon.wait_log(
                    r"outpost\.conf:2: \[thresholds\] rule 'oven-\* temperature high=3': field: warn_above.* \(reload refused"), daemon.log())
                self.assertEqual(feed(peer, "oven-1", 150), "alert")
                self.assertEqual(feed(peer, "oven-1", 100), "normal")
            finally:
                peer.close()
            self.assertEqual(daemon.stop(), 0, daemon.log())

    def test_sensors_restored_from_the_log_keep_their_rules(self):
        self.write("[daemon]\ndata_dir = %s\n" % self.directory + self.rules(FREEZER, OVEN))
        with Daemon("--config", self.conf) as daemon:
            peer = Peer(daemon.port)
            try:
                self.assertEqual(feed(peer, "freezer-1", -20), "normal")
                self.assertEqual(feed(peer, "oven-1", 150), "normal")
            finally:
                peer.close()
            self.assertEqual(daemon.stop(), 0, daemon.log())
        # Restarted on the same log: both sensors are known before their first reading.
        with Daemon("--config", self.conf) as daemon:
            peer = Peer(daemon.port)
            try:
                self.assertEqual(feed(peer, "oven-1", 150), "normal", "the oven rule holds for a restored sensor")
                self.assertEqual(feed(peer, "freezer-1", -5), "alert")
            finally:
                peer.close()
            self.assertEqual(daemon.stop(), 0, daemon.log())

    def test_flags_replace_the_files_rules(self):
        self.write(self.rules(OVEN))
        with Daemon("--config", self.conf, "--threshold", FREEZER) as daemon:
            peer = Peer(daemon.port)
            try:
                self.assertEqual(feed(peer, "freezer-1", -5), "alert")
                self.assertEqual(feed(peer, "oven-1", 150), "alert", "the flag replaced the file's oven rule")
            finally:
                peer.close()
            self.assertEqual(daemon.stop(), 0, daemon.log())

    def test_bad_rules_are_refused_at_start(self):
        self.write("[daemon]\nnode_id = gw\n" + self.rules(FREEZER, "fr*zer temperature alert_above=1"))
        run = subprocess.run(list(RUNNER) + [BIN, "--listen", "127.0.0.1:0", "--config", self.conf],
                             capture_output=True, text=True, timeout=30 * SCALE)
        self.assertEqual(run.returncode, 2, run.stderr)
        self.assertRegex(run.stderr, r"outpost\.conf:5: \[thresholds\] rule 'fr\*zer temperature alert_above=1': pattern:")
        run = subprocess.run(list(RUNNER) + [BIN, "--listen", "127.0.0.1:0", "--threshold", "oven-* temperature"],
                             capture_output=True, text=True, timeout=30 * SCALE)
        self.assertEqual(run.returncode, 2, run.stderr)
        self.assertRegex(run.stderr, r"'oven-\* temperature': wants at least one FIELD=VALUE")
        # More rules than the profile holds (16; the test profile 2).
        flags = []
        for i in range(17):
            flags += ["--threshold", "s%d temperature alert_above=1" % i]
        run = subprocess.run(list(RUNNER) + [BIN, "--listen", "127.0.0.1:0"] + flags,
                             capture_output=True, text=True, timeout=30 * SCALE)
        self.assertEqual(run.returncode, 2, run.stderr)
        self.assertIn("given too often", run.stderr)


if __name__ == "__main__":
    unittest.main()
