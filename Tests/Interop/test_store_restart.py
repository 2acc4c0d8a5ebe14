"""State after a restart through the real daemon: readings that raise alerts, a clean stop, a new
start on the same log: `/sensors`, `/sensors/{id}` and `/alerts` show what they showed before, and
nothing is raised again (the log gains no alert records across the restart).

Environment (besides outpost_peer's): OUTPOST_TOOL, the outpost-tool binary (log dump). Loopback
only; the test takes a few seconds.
"""
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from outpost_peer import ACK, CON, POST, Daemon, Peer, code_text, request, uint_option

BLOCK2 = 23

TOOL = os.environ.get("OUTPOST_TOOL", "")


def pack(sensor, temperature, battery=None):
    records = [{"bn": sensor + "/", "n": "temperature", "u": "Cel", "v": temperature}]
    if battery is not None:
        records.append({"n": "battery", "u": "%EL", "v": battery})
    return json.dumps(records).encode()


def get_json(peer, path):
    """GETs `path` block by block (Block2, 1024-byte blocks) and decodes the JSON body."""
    body = b""
    following = None  # the next block in the server's block size (it may send smaller ones)
    for _ in range(4096):
        extra = [(BLOCK2, uint_option(following))] if following is not None else []
        _, code, _, _, options, payload = peer.exchange(request(CON, 1, peer.next_mid(), path, extra=extra))
        assert code_text(code) == "2.05", (path, code_text(code), payload)
        body += payload
        block = options.get(BLOCK2)
        if not block or not int.from_bytes(block[0], "big") & 8:
            break
        szx = int.from_bytes(block[0], "big") & 7
        following = (len(body) >> (szx + 4)) << 4 | szx
    return json.loads(body)


def alert_records(path):
    dump = subprocess.run([TOOL, "log", "dump", path], capture_output=True, text=True, timeout=60)
    assert dump.returncode == 0, dump.stderr
    records = [json.loads(line) for line in dump.stdout.splitlines() if line.strip()]
    return [r for r in records if r.get("type") in ("alert", "alert_cleared")]


@unittest.skipUnless(TOOL, "OUTPOST_TOOL (outpost-tool for the log dump) not set")
class RestartStateTests(unittest.TestCase):
    def setUp(self):
        self.directory = tempfile.mkdtemp(prefix="outpost-restart-")
        self.log_path = os.path.join(self.directory, "outpost.log")

    def tearDown(self):
        shutil.rmtree(self.directory, ignore_errors=True)

    def snapshot(self, peer):
        return {path: get_json(peer, path) for path in ("sensors", "alerts", "sensors/hot", "sensors/batt")}

    def test_restart_shows_the_same_sensors_and_alerts(self):
        flags = ("--data-dir", self.directory, "--durability", "sync")
        with Daemon(*flags) as daemon:
            peer = Peer(daemon.port)
            try:
                # hot: too warm for a while (a threshold alert stays open); batt: battery low, then
                # recovered (raised and cleared); calm: nothing to report.
                for step in range(6):
                    for sensor, temperature, battery in (("hot", 22 if step < 1 else 47, None),
                                                         ("batt", 21, 12 if step < 3 else 60), ("calm", 20.5, 90)):
                        datagram = request(CON, POST, peer.next_mid(), "/readings",
                                           payload=pack(sensor, temperature, battery), content_format=110)
                        mtype, code, _, _, _, _ = peer.exchange(datagram)
                        self.assertEqual((mtype, code_text(code)), (ACK, "2.04"))
                before = self.snapshot(peer)
            finally:
                peer.close()
            self.assertEqual(daemon.stop(), 0)
        alerts_before = alert_records(self.log_path)
        self.assertGreaterEqual(before["alerts"]["active"], 1, json.dumps(before["alerts"]))
        self.assertIn("threshold", before["sensors/hot"]["alerts"])
        kinds = [(a["type"], a["sensor"], a["kind"]) for a in alerts_before]
        self.assertIn(("alert", "batt", "low_battery"), kinds)
        self.assertIn(("alert_cleared", "batt", "low_battery"), kinds)

        with Daemon(*flags) as daemon:
            restored = re.search(r"restored (\d+) sensors from (\d+) readings and (\d+) alert events \((\d+) alerts open",
                                 daemon.log())
            self.assertIsNotNone(restored, daemon.log())
            peer = Peer(daemon.port)
            try:
                after = self.snapshot(peer)
                health = peer.health()
            finally:
                peer.close()
            self.assertEqual(daemon.stop(), 0)
        print("\nrestart test: restored %s sensors from %s readings and %s alert events (%s open); "
              "alerts in the log before %d, after %d"
              % (restored.group(1), restored.group(2), restored.group(3), restored.group(4),
                 len(alerts_before), len(alert_records(self.log_path))))
        self.assertEqual(after["sensors"], before["sensors"])
        self.assertEqual(after["alerts"], before["alerts"])
        for sensor in ("sensors/hot", "sensors/batt"):
            for key in ("online", "status", "values", "battery", "last_reading_ms", "last_seen_ms", "alerts"):
                self.assertEqual(after[sensor][key], before[sensor][key], (sensor, key))
        self.assertEqual(int(restored.group(4)), before["alerts"]["active"])
        self.assertEqual(alert_records(self.log_path), alerts_before, "nothing raised or written again")
        self.assertEqual(health["counters"]["alerts_raised"], 0)


if __name__ == "__main__":
    unittest.main()
