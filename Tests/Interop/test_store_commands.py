"""Commands to sensors through the real daemon (docs/RESOURCES.md "Commands", docs/HTTP.md):
a command POSTed over HTTP reaches a real libcoap client observing `/commands/<sensor>`
(`coap-client-notls -s`), which ACKs the CON notification, and the delivery shows in
`/api/commands` and `/metrics`; a command accepted before a SIGKILL is delivered after the
restart (rebuilt from the log, and `outpost-tool log dump` / `report` read the new records); a
command nobody fetches expires (`--command-expiry`); and a line-mode serial sensor gets its
command written on its line (a pseudo-terminal).

Environment: outpost_peer's (OUTPOST_BIN, ...), OUTPOST_TOOL (outpost-tool, for the log dump and
the report; those checks are skipped without it), coap-client-notls on PATH (libcoap3-bin).
Loopback only; about fifteen seconds.
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

from outpost_peer import BIN, RUNNER, SCALE
from test_http import HTTPDaemon, post_reading
from test_interop import PtyDevice

TOOL = os.environ.get("OUTPOST_TOOL", "")
TOKEN = "c0mmand-token"


class Observer:
    """`coap-client-notls -s SECONDS -m get coap://127.0.0.1:PORT/commands/SENSOR`: libcoap
    registers, prints every notification's payload and ACKs the CON ones."""

    def __init__(self, port, sensor, seconds):
        self.out = tempfile.NamedTemporaryFile(prefix="coap-client-", suffix=".out", delete=False)
        self.process = subprocess.Popen(
            ["coap-client-notls", "-s", str(seconds), "-m", "get", "coap://127.0.0.1:%d/commands/%s" % (port, sensor)],
            stdout=self.out, stderr=subprocess.STDOUT)

    def text(self):
        with open(self.out.name, "rb") as f:
            return f.read().decode(errors="replace")

    def wait_for(self, needle, timeout):
        deadline = time.time() + timeout * SCALE
        while time.time() < deadline:
            if needle in self.text():
                return True
            time.sleep(0.05)
        return False

    def close(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        os.unlink(self.out.name)


class CommandTests(unittest.TestCase):
    def setUp(self):
        if not shutil.which("coap-client-notls"):
            self.fail("coap-client-notls (libcoap3-bin) is not installed: scripts/ensure-tools.sh peers")
        self.directory = tempfile.mkdtemp(prefix="outpost-commands-")
        self.token_file = os.path.join(self.directory, "token")
        with open(self.token_file, "w") as f:
            f.write(TOKEN + "\n")
        self.data = os.path.join(self.directory, "data")
        os.mkdir(self.data)

    def tearDown(self):
        shutil.rmtree(self.directory, ignore_errors=True)

    def daemon(self, *flags):
        return HTTPDaemon("--http-token-file", self.token_file, "--data-dir", self.data, "--durability", "sync", *flags)

    def command(self, d, sensor, body, content_type="text/plain"):
        status, _, answer = d.get("/api/sensors/%s/command" % sensor, "POST", body,
                                  {"Authorization": "Bearer " + TOKEN, "Content-Type": content_type})
        self.assertEqual(status, 202, answer)
        return json.loads(answer)

    def events(self, d):
        status, _, body = d.get("/api/commands")
        self.assertEqual(status, 200)
        return json.loads(body)

    def wait_event(self, d, predicate, timeout=10):
        deadline = time.time() + timeout * SCALE
        seen = None
        while time.time() < deadline:
            seen = self.events(d)
            if any(predicate(e) for e in seen["events"]):
                return seen
            time.sleep(0.1)
        self.fail("no such command event: %s" % seen)

    def metric(self, d, result):
        text = d.get("/metrics")[2].decode()
        match = re.search(r'^outpost_commands_total\{result="%s"\} (\d+)$' % result, text, re.M)
        self.assertIsNotNone(match, text)
        return int(match.group(1))

    def test_observer_gets_the_command_and_its_ack_delivers_it(self):
        with self.daemon() as d:
            self.assertEqual(post_reading(d.port, "valve-1", 20.0), "2.04")
            observer = Observer(d.port, "valve-1", 8)
            try:
                time.sleep(0.5 * SCALE)  # registered before the command comes
                answer = self.command(d, "valve-1", b"open-valve")
                self.assertEqual((answer["sensor"], answer["content_format"]), ("valve-1", 0))
                self.assertTrue(observer.wait_for("open-valve", 5), observer.text())
                seen = self.wait_event(d, lambda e: e["event"] == "delivered" and e["id"] == answer["command"])
                event = [e for e in seen["events"] if e["id"] == answer["command"]][0]
                self.assertEqual((event["sensor"], event["via"]), ("valve-1", "observe"))
                self.assertEqual(seen["pending"], [])
                self.assertEqual(self.metric(d, "delivered"), 1)
                # JSON commands keep their Content-Format (50) for the sensor.
                self.command(d, "valve-1", b'{"close":true}', "application/json")
                self.assertTrue(observer.wait_for('{"close":true}', 5), observer.text())
                self.wait_event(d, lambda e: e["event"] == "delivered" and e["id"] == answer["command"] + 1)
            finally:
                observer.close()
            status, _, body = d.get("/api/sensors/valve-1")
            self.assertEqual(json.loads(body)["commands_pending"], 0)
            self.assertEqual(d.stop(), 0)

    def test_a_command_survives_sigkill_and_is_delivered_after_restart(self):
        with self.daemon() as d:
            self.assertEqual(post_reading(d.port, "valve-2", 20.0), "2.04")
            first = self.command(d, "valve-2", b"after-the-crash")["command"]
            d.process.send_signal(signal.SIGKILL)
            d.process.wait()
        with self.daemon() as d:
            self.assertTrue(d.wait_log(r"1 commands pending"), d.log())
            self.assertEqual([c["id"] for c in self.events(d)["pending"]], [first])
            self.assertEqual(self.metric(d, "accepted"), 0, "restored, not accepted again")
            observer = Observer(d.port, "valve-2", 6)
            try:
                self.assertTrue(observer.wait_for("after-the-crash", 5), observer.text())
                self.wait_event(d, lambda e: e["event"] == "delivered" and e["id"] == first)
            finally:
                observer.close()
            # A new command gets the next id: ids come back from the log.
            self.assertEqual(self.command(d, "valve-2", b"next")["command"], first + 1)
            self.assertEqual(d.stop(), 0)
        with self.daemon() as d:
            self.assertTrue(d.wait_log(r"1 commands pending"), d.log())  # "next" only
            self.assertEqual(d.stop(), 0)
        if TOOL:
            log = os.path.join(self.data, "outpost.log")
            dump = subprocess.run([TOOL, "log", "dump", log], capture_output=True, text=True, timeout=30)
            self.assertEqual(dump.returncode, 0, dump.stderr)
            records = [json.loads(line) for line in dump.stdout.splitlines()]
            commands = [r for r in records if r["type"].startswith("command")]
            self.assertEqual([(r["type"], r["id"]) for r in commands],
                             [("command", first), ("command_delivered", first), ("command", first + 1)])
            self.assertEqual(commands[0]["bytes_hex"], b"after-the-crash".hex())
            self.assertEqual(commands[0]["origin"], "http")
            self.assertEqual(commands[1]["via"], "observe")
            stats = subprocess.run([TOOL, "log", "stats", log], capture_output=True, text=True, timeout=30)
            self.assertIn("records_command: 2\n", stats.stdout)
            self.assertIn("records_command_delivered: 1\n", stats.stdout)
            page = os.path.join(self.directory, "report.html")
            report = subprocess.run([TOOL, "report", log, "--out", page], capture_output=True, text=True, timeout=60)
            self.assertEqual(report.returncode, 0, report.stderr)
            with open(page) as f:
                html = f.read()
            # The command records are counted with the rest, not charted, and break nothing.
            self.assertIn("<svg", html)
            self.assertIn("valve-2", html)

    def test_an_undelivered_command_expires(self):
        with self.daemon("--command-expiry", "1") as d:
            self.assertEqual(post_reading(d.port, "valve-3", 20.0), "2.04")
            answer = self.command(d, "valve-3", b"too-late")
            seen = self.wait_event(d, lambda e: e["event"] == "expired" and e["id"] == answer["command"], timeout=6)
            self.assertEqual(seen["pending"], [])
            self.assertEqual(self.metric(d, "expired"), 1)
            self.assertEqual(d.stop(), 0)
        with self.daemon() as d:
            self.assertTrue(d.wait_log(r"0 commands pending"), d.log())
            self.assertEqual(d.stop(), 0)

    def test_bad_expiry_is_refused(self):
        for value in ["0", "604801", "soon"]:
            r = subprocess.run(list(RUNNER) + [BIN, "--command-expiry", value], capture_output=True, text=True, timeout=30 * SCALE)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn("wants seconds, 1 to 604800", r.stderr)

    def test_a_line_mode_serial_sensor_gets_its_command_on_its_line(self):
        line = PtyDevice(os.path.join(self.directory, "tty-line"))
        with self.daemon("--serial", line.link + "@115200:line") as d:
            deadline = time.time() + 10 * SCALE
            while time.time() < deadline and "pump-1" not in d.get("/api/sensors")[2].decode():
                line.write(b'[{"bn":"pump-1/","n":"temperature","u":"Cel","v":21.5}]\n')
                time.sleep(0.2)
            answer = self.command(d, "pump-1", b"\x01on", "application/octet-stream")
            expected = ("!command %d pump-1 42 016f6e\n" % answer["command"]).encode()
            self.assertIn(expected, bytes(line.read_for(3)))
            seen = self.wait_event(d, lambda e: e["id"] == answer["command"])
            self.assertEqual([e["via"] for e in seen["events"] if e["id"] == answer["command"]], ["serial_line"])
            self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main()
