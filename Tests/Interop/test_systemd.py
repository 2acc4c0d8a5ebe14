"""The daemon under a service manager: the systemd unit (packaging/outpost.service) passes
`systemd-analyze verify`, and the notify protocol (CHAL's chal_notify.c) through the real process.

The test plays systemd's part: it binds an AF_UNIX datagram socket, passes its name as
$NOTIFY_SOCKET (a path, and an abstract '@' name) with $WATCHDOG_USEC, and reads what the daemon
sends: READY=1 with a STATUS= line after start-up, WATCHDOG=1 at half the watchdog period,
STATUS= when the uplink goes down and comes back, RELOADING=1 then READY=1 around SIGHUP, and
STOPPING=1 at SIGTERM. Bad paths: $WATCHDOG_PID naming another process (no pings), an unusable
$NOTIFY_SOCKET (a warning; the daemon runs on).

Environment: outpost_peer's (OUTPOST_BIN, OUTPOST_RUNNER, OUTPOST_TIMEOUT_SCALE). Loopback only;
every wait is bounded.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from outpost_peer import BIN, SCALE, Daemon
from test_config import PRELOAD, Upstream, post_readings

UNIT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "packaging", "outpost.service"))


class NotifyListener:
    """The service manager's end: a datagram socket; every datagram is kept with its arrival time."""

    def __init__(self, abstract=False):
        self.directory = tempfile.mkdtemp(prefix="outpost-notify-")
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract:
            name = "outpost-test-%d-%d" % (os.getpid(), id(self))
            self.socket.bind("\0" + name)
            self.name = "@" + name
        else:
            self.name = os.path.join(self.directory, "notify")
            self.socket.bind(self.name)
        self.socket.settimeout(0.1)
        self.messages = []  # (monotonic seconds, text)
        self.lock = threading.Lock()
        self.running = True
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while self.running:
            try:
                data = self.socket.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.messages.append((time.monotonic(), data.decode("ascii", "replace")))

    def texts(self):
        with self.lock:
            return [text for _, text in self.messages]

    def wait_for(self, predicate, timeout=10):
        """The first message (after none already checked) for which `predicate` holds, or None."""
        deadline = time.time() + timeout * SCALE
        while time.time() < deadline:
            for text in self.texts():
                if predicate(text):
                    return text
            time.sleep(0.02)
        return None

    def stop(self):
        self.running = False
        self.thread.join(timeout=2)
        self.socket.close()
        shutil.rmtree(self.directory, ignore_errors=True)


def fields(text):
    """A notification's KEY=VALUE lines as a dict."""
    return dict(line.split("=", 1) for line in text.split("\n") if "=" in line)


class UnitFileTests(unittest.TestCase):
    def test_unit_passes_systemd_analyze_verify(self):
        if shutil.which("systemd-analyze") is None:
            self.skipTest("systemd-analyze is not installed (package systemd)")
        self.assertTrue(BIN and os.path.exists(BIN), "OUTPOST_BIN must name the daemon")
        with open(UNIT) as f:
            unit = f.read()
        # The promises the unit makes, line by line.
        for directive in ("Type=notify", "WatchdogSec=", "StateDirectory=outpost", "DynamicUser=yes",
                          "ProtectSystem=strict", "NoNewPrivileges=yes", "PrivateTmp=yes", "ProtectHome=yes",
                          "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX", "SupplementaryGroups=dialout",
                          "ExecReload=/bin/kill -HUP $MAINPID", "ExecStart=/usr/bin/outpost "):
            self.assertIn("\n" + directive, unit)
        directory = tempfile.mkdtemp(prefix="outpost-unit-")
        try:
            # verify checks that ExecStart's binary exists: point it at the daemon under test.
            path = os.path.join(directory, "outpost.service")
            with open(path, "w") as f:
                f.write(unit.replace("/usr/bin/outpost", os.path.abspath(BIN)))
            # The man page is installed by the package, not here: --man=no skips that check.
            result = subprocess.run(["systemd-analyze", "verify", "--man=no", path], capture_output=True, text=True,
                                    timeout=60)
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
            self.assertEqual(result.stderr.strip(), "", "verify printed warnings")
            # A broken copy must fail: the check really looks at the file.
            with open(path, "w") as f:
                f.write(unit.replace("Type=notify", "Type=notifyy"))
            bad = subprocess.run(["systemd-analyze", "verify", "--man=no", path], capture_output=True, text=True,
                                 timeout=60)
            self.assertIn("notifyy", bad.stderr)
        finally:
            shutil.rmtree(directory, ignore_errors=True)


class NotifyTests(unittest.TestCase):
    def setUp(self):
        self.directory = tempfile.mkdtemp(prefix="outpost-systemd-")
        self.conf = os.path.join(self.directory, "outpost.conf")

    def tearDown(self):
        shutil.rmtree(self.directory, ignore_errors=True)

    def write(self, text):
        with open(self.conf, "w") as f:
            f.write(text)

    def test_ready_watchdog_status_reload_stopping(self):
        listener = NotifyListener()
        upstream = Upstream()
        try:
            self.write("[daemon]\ndata_dir = \"%s\"\n[uplink]\nupstream = coap://127.0.0.1:%d/up\n"
                       % (self.directory, upstream.port))
            # 0.6 s watchdog: a ping every 0.3 s.
            env = {"NOTIFY_SOCKET": listener.name, "WATCHDOG_USEC": "600000"}
            with Daemon("--config", self.conf, env=env) as daemon:
                ready = listener.wait_for(lambda t: "READY=1" in t)
                self.assertIsNotNone(ready, daemon.log())
                self.assertRegex(fields(ready).get("STATUS", ""),
                                 r"^serving 1 listener\(s\), 0 sensors; log ready; uplink up; accepting readings$")
                # READY=1 comes after the "ready" line, not before.
                self.assertIn("outpost: ready", daemon.log())

                # Watchdog pings at half the period: over 2.4 s, about 8 of them, 0.3 s apart.
                time.sleep(2.4 * SCALE)
                with listener.lock:
                    pings = [when for when, text in listener.messages if text == "WATCHDOG=1"]
                self.assertGreaterEqual(len(pings), 5, listener.texts())
                self.assertLessEqual(len(pings), 12, listener.texts())
                gaps = [b - a for a, b in zip(pings, pings[1:])]
                gaps.sort()
                median = gaps[len(gaps) // 2]
                self.assertGreater(median, 0.25)
                self.assertLess(median, 0.45 * SCALE)
                # Every ping well inside the period: systemd would not have killed us.
                self.assertLess(max(gaps), 0.6 * SCALE, gaps)

                # A state change: the upstream refuses, the uplink goes down, then comes back.
                self.assertEqual(post_readings(daemon.port, 1, 3), 3)
                upstream.refuse = True
                self.assertEqual(post_readings(daemon.port, 10, 3), 3)
                down = listener.wait_for(lambda t: "uplink down" in t, timeout=20)
                self.assertIsNotNone(down, daemon.log())
                self.assertNotIn("READY=1", down)
                self.assertRegex(fields(down)["STATUS"], r"^serving 1 listener\(s\), 1 sensors; log ready; uplink down")
                upstream.refuse = False
                up_again = listener.wait_for(lambda t: t.startswith("STATUS=") and "uplink up" in t and "1 sensors" in t,
                                             timeout=20)
                self.assertIsNotNone(up_again, daemon.log())

                # SIGHUP: RELOADING=1 (with MONOTONIC_USEC), then READY=1.
                before = len(listener.texts())
                daemon.process.send_signal(signal.SIGHUP)
                deadline = time.time() + 10 * SCALE
                while time.time() < deadline:
                    later = [t for t in listener.texts()[before:] if t != "WATCHDOG=1"]
                    if len(later) >= 2:
                        break
                    time.sleep(0.02)
                later = [t for t in listener.texts()[before:] if t != "WATCHDOG=1"]
                self.assertGreaterEqual(len(later), 2, listener.texts())
                reloading = fields(later[0])
                self.assertEqual(reloading.get("RELOADING"), "1", later)
                self.assertRegex(reloading.get("MONOTONIC_USEC", ""), r"^\d+$")
                self.assertEqual(fields(later[1]).get("READY"), "1", later)
                self.assertTrue(daemon.wait_log(r"outpost: reload: "), daemon.log())

                # SIGTERM: STOPPING=1 is the last thing said, and the exit is clean.
                self.assertEqual(daemon.stop(), 0, daemon.log())
                self.assertIsNotNone(listener.wait_for(lambda t: "STOPPING=1" in t, timeout=2), listener.texts())
                last = listener.texts()[-1]
                self.assertEqual(fields(last).get("STOPPING"), "1", listener.texts())
                self.assertEqual(fields(last).get("STATUS"), "stopping (SIGTERM)")
        finally:
            upstream.stop()
            listener.stop()

    def test_notifications_and_pings_do_not_allocate(self):
        # The malloc counter the interop suite preloads (scripts/build-interop-tools.sh), as test_config uses it.
        if not os.path.exists(PRELOAD):
            self.skipTest("build/interop/libmalloc_preload.so (scripts/build-interop-tools.sh) and a host binary needed")
        listener = NotifyListener()
        upstream = Upstream()
        try:
            self.write("[daemon]\ndata_dir = \"%s\"\n[uplink]\nupstream = coap://127.0.0.1:%d/up\n"
                       % (self.directory, upstream.port))
            report = os.path.join(self.directory, "malloc.count")
            env = {"NOTIFY_SOCKET": listener.name, "WATCHDOG_USEC": "200000", "LD_PRELOAD": PRELOAD,
                   "OUTPOST_MALLOC_REPORT": report}
            with Daemon("--config", self.conf, env=env) as daemon:
                self.assertEqual(post_readings(daemon.port, 1, 10), 10)
                upstream.refuse = True
                self.assertEqual(post_readings(daemon.port, 100, 3), 3)
                self.assertIsNotNone(listener.wait_for(lambda t: "uplink down" in t, timeout=20), daemon.log())
                upstream.refuse = False
                self.assertIsNotNone(listener.wait_for(lambda t: t.startswith("STATUS=") and "uplink up" in t, timeout=20))
                daemon.process.send_signal(signal.SIGHUP)
                self.assertIsNotNone(listener.wait_for(lambda t: "RELOADING=1" in t))
                self.assertEqual(daemon.stop(), 0, daemon.log())
            self.assertGreater(sum(1 for t in listener.texts() if t == "WATCHDOG=1"), 5)
            with open(report) as f:
                self.assertIn("allocations_after_startup 0\n", f.read())
        finally:
            upstream.stop()
            listener.stop()

    def test_abstract_socket_name(self):
        listener = NotifyListener(abstract=True)
        try:
            with Daemon(env={"NOTIFY_SOCKET": listener.name}) as daemon:
                ready = listener.wait_for(lambda t: "READY=1" in t)
                self.assertIsNotNone(ready, daemon.log())
                self.assertIn("log off", fields(ready)["STATUS"])
                self.assertEqual(daemon.stop(signal.SIGINT), 0)
                # The listener thread may still be reading the last datagram.
                self.assertIsNotNone(listener.wait_for(lambda t: "STOPPING=1" in t, timeout=2), listener.texts())
                self.assertEqual(fields(listener.texts()[-1]).get("STATUS"), "stopping (SIGINT)")
                # No WATCHDOG_USEC: no pings.
                self.assertNotIn("WATCHDOG=1", listener.texts())
        finally:
            listener.stop()

    def test_watchdog_meant_for_another_process_is_not_answered(self):
        listener = NotifyListener()
        try:
            env = {"NOTIFY_SOCKET": listener.name, "WATCHDOG_USEC": "200000", "WATCHDOG_PID": "1"}
            with Daemon(env=env) as daemon:
                self.assertIsNotNone(listener.wait_for(lambda t: "READY=1" in t), daemon.log())
                time.sleep(0.8 * SCALE)
                self.assertNotIn("WATCHDOG=1", listener.texts())
                self.assertEqual(daemon.stop(), 0)
        finally:
            listener.stop()

    def test_unusable_notify_socket_is_reported_and_the_daemon_runs_on(self):
        # A relative name is refused (it would depend on the working directory).
        with Daemon(env={"NOTIFY_SOCKET": "relative/notify"}) as daemon:
            self.assertIn("outpost: NOTIFY_SOCKET: not an absolute path or @name, or longer than 107 bytes (running without service manager notifications)",
                          daemon.log())
            self.assertEqual(daemon.stop(), 0)
        # A name nobody listens on: sends fail, counted, and the daemon serves as usual.
        with Daemon(env={"NOTIFY_SOCKET": os.path.join(self.directory, "nobody"), "WATCHDOG_USEC": "100000"}) as daemon:
            time.sleep(0.3 * SCALE)
            self.assertIsNone(daemon.process.poll())
            self.assertEqual(daemon.stop(), 0, daemon.log())


if __name__ == "__main__":
    unittest.main()
