"""The log and the uplink through the real daemon process (issue 4): SIGKILL at random moments,
an upstream outage, a full log with each policy, and a file-size limit.

Environment (besides outpost_peer's): OUTPOST_TOOL, the outpost-tool binary (the collector).
Every test is bounded in time and uses loopback only. fdatasync failures: the core's file-I/O seam
covers the log's side (LogStoreTests, LogRecoveryTests); here an LD_PRELOAD library
(build/interop/libfail_sync_preload.so) makes the real daemon's fdatasync fail mid-run, to check
that it stops with a clear message and acknowledges nothing of the failed commit, on UDP or on a
serial line (host daemon only: the preload cannot enter qemu).
"""
import json
import os
import random
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from outpost_peer import (ACK, CON, POST, RUNNER, SCALE, Daemon, Peer, code_text, parse, request, senml_json,
                          slip_encode, slip_frames)

TOOL = os.environ.get("OUTPOST_TOOL", "")


def reading(value, sensor):
    return json.dumps([{"bn": sensor + ":", "n": "temperature", "u": "Cel", "v": value}]).encode()


class Collector:
    """`outpost-tool collect` on a free loopback port, writing JSON lines."""

    def __init__(self, out, outage=None, images=None):
        args = [TOOL, "collect", "--listen", "127.0.0.1:0", "--out", out]
        if outage:
            args += ["--outage", outage]
        if images:
            args += ["--images", images]
        self.out = out
        self.log_file = tempfile.NamedTemporaryFile(prefix="outpost-collect-", suffix=".log", delete=False)
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=self.log_file)
        self.started = time.time()
        deadline = time.time() + 20 * SCALE
        self.port = None
        while time.time() < deadline and self.port is None:
            match = re.search(r"listening on 127\.0\.0\.1:(\d+)", self.log())
            if match:
                self.port = int(match.group(1))
            elif self.process.poll() is not None:
                raise RuntimeError("collector exited: " + self.log())
            time.sleep(0.05)
        if self.port is None:
            self.process.kill()
            raise RuntimeError("collector did not start: " + self.log())

    def log(self):
        with open(self.log_file.name, "r", errors="replace") as f:
            return f.read()

    def records(self):
        if not os.path.exists(self.out):
            return []
        with open(self.out) as f:
            return [json.loads(line) for line in f if line.strip()]

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        os.unlink(self.log_file.name)


class Sender:
    """Sends CON readings with unique values, a window of them in flight, and records which were
    acknowledged (2.04 ACK). The value (a whole number of degrees) is the reading's identity."""

    def __init__(self, sensors=16, window=8):
        self.sensors = sensors
        self.window = window
        self.next_value = 1000
        self.sent = set()
        self.acked = set()
        self.refused = 0

    def burst(self, port, seconds):
        """Sends windows of readings to `port` for about `seconds`; stops early when the daemon is gone."""
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
                    datagram = request(CON, POST, mid, "/readings", token=os.urandom(4),
                                       payload=reading(value, "kill-%02d" % (value % self.sensors)), content_format=110)
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
                        return False  # ICMP port unreachable: the daemon is gone
                    mtype, code, mid, _, _, _ = parse(data)
                    if mid in pending and mtype == ACK:
                        if code_text(code) == "2.04":
                            self.acked.add(pending[mid])
                        elif code_text(code) == "5.03":
                            self.refused += 1
                        del pending[mid]
                if pending:
                    return False  # unanswered: the daemon was killed mid-window
            return True
        finally:
            peer.close()


def reading_values(records):
    """Whole-degree values of the reading records at the collector, with repeats."""
    values = []
    for record in records:
        if record.get("type") == "reading" and str(record.get("sensor", "")).startswith("kill-"):
            values.append(int(round(record["values"]["temperature"])))
    return values


def wait_drained(daemon, timeout):
    """Polls /health until the uplink's backlog is 0 and its cursor reached the last durable record."""
    peer = Peer(daemon.port)
    deadline = time.time() + timeout * SCALE
    health = None
    try:
        while time.time() < deadline:
            health = peer.health()
            uplink, log = health.get("uplink"), health.get("log")
            if uplink and log and uplink["backlog"] == 0 and uplink["cursor"] >= log["durable_sequence"] > 0:
                return health
            time.sleep(0.2)
    finally:
        peer.close()
    raise AssertionError("the backlog did not drain in time: %s" % json.dumps(health))


@unittest.skipUnless(TOOL, "OUTPOST_TOOL (outpost-tool for the collector) not set")
class StoreTests(unittest.TestCase):
    def setUp(self):
        self.directory = tempfile.mkdtemp(prefix="outpost-store-")

    def tearDown(self):
        shutil.rmtree(self.directory, ignore_errors=True)

    def test_kill_restart_then_forward_loses_nothing_acknowledged(self):
        rng = random.Random(int(os.environ.get("OUTPOST_KILL_SEED", "0")) or None)
        sender = Sender()
        kills = 0
        recoveries = []
        for _ in range(4):
            with Daemon("--data-dir", self.directory, "--durability", "sync", "--log-size", "4M") as daemon:
                recoveries.append(re.search(r"recovered (\d+) records", daemon.log()).group(1))
                # The kill comes at a random moment while windows of readings are in flight.
                killer_at = time.time() + rng.uniform(0.2, 1.2)
                while time.time() < killer_at:
                    if not sender.burst(daemon.port, min(0.05, max(0.0, killer_at - time.time()))):
                        break
                daemon.process.send_signal(signal.SIGKILL)
                daemon.process.wait()
                kills += 1
                # The readings still in flight when it died: some were answered, some not.
                sender.burst(daemon.port, 0.05)
        self.assertGreaterEqual(kills, 3)
        out = os.path.join(self.directory, "collected.jsonl")
        collector = Collector(out)
        try:
            upstream = "coap://127.0.0.1:%d/ingest" % collector.port
            with Daemon("--data-dir", self.directory, "--durability", "sync", "--log-size", "4M",
                        "--upstream", upstream) as daemon:
                wait_drained(daemon, 60)
                self.assertEqual(daemon.stop(), 0)
        finally:
            collector.stop()
        values = reading_values(Collector.records(collector))
        found = set(values)
        lost = sender.acked - found
        duplicates_of_acked = len([v for v in values if v in sender.acked]) - len(sender.acked & found)
        print("\nkill test: sent %d, acknowledged %d, found at the collector %d (acknowledged %d), "
              "never acknowledged but logged %d, duplicates of acknowledged %d, lost %d, kills %d, recovered %s"
              % (len(sender.sent), len(sender.acked), len(found), len(sender.acked & found),
                 len(found - sender.acked), duplicates_of_acked, len(lost), kills, "/".join(recoveries)))
        self.assertGreater(len(sender.acked), 100, "the client got too few readings through")
        self.assertEqual(lost, set(), "acknowledged readings missing at the collector")
        self.assertEqual(duplicates_of_acked, 0, "the collector deduplicates by (node, seq)")
        self.assertTrue(found - sender.acked <= sender.sent - sender.acked, "a reading nobody sent")

    def test_upstream_outage_mid_run_delivers_everything_after(self):
        out = os.path.join(self.directory, "outage.jsonl")
        collector = Collector(out, outage="1-4")
        sender = Sender(window=4)
        try:
            upstream = "coap://127.0.0.1:%d/ingest" % collector.port
            with Daemon("--data-dir", self.directory, "--upstream", upstream) as daemon:
                # Readings before, during and after the outage window (seconds since the collector started).
                end = collector.started + 5.5
                while time.time() < end:
                    self.assertTrue(sender.burst(daemon.port, 0.2))
                    time.sleep(0.05)
                health = wait_drained(daemon, 60)
                self.assertEqual(daemon.stop(), 0)
        finally:
            records = collector.records()
            collector.stop()
        found = set(reading_values(records))
        print("\noutage test: sent %d, acknowledged %d, found at the collector %d, retransmissions %d, timeouts %d"
              % (len(sender.sent), len(sender.acked), len(found & sender.acked),
                 health["uplink"]["retransmissions"], health["uplink"]["timeouts"]))
        self.assertEqual(sender.acked - found, set())
        self.assertGreater(health["uplink"]["retransmissions"] + health["uplink"]["timeouts"], 0,
                           "the outage was not noticed by the uplink")

    def fill(self, *flags, count=3000):
        """Runs the daemon with a small log and sends `count` readings; returns (sender, health, log)."""
        sender = Sender(window=8)
        with Daemon("--data-dir", self.directory, "--log-size", "32K", *flags) as daemon:
            deadline = time.time() + 60 * SCALE
            while len(sender.sent) < count and time.time() < deadline:
                self.assertTrue(sender.burst(daemon.port, 0.1), "the daemon stopped answering")
            health = Peer(daemon.port).health()
            self.assertEqual(daemon.stop(), 0)
            return sender, health, daemon.log()

    def test_log_full_drop_oldest_keeps_accepting_and_counts_losses(self):
        sender, health, _ = self.fill("--when-full", "drop-oldest")
        self.assertEqual(len(sender.acked), len(sender.sent), "drop-oldest never refuses")
        self.assertEqual(health["log"]["when_full"], "drop-oldest")
        self.assertGreater(health["log"]["dropped_readings"], 0, "a 32 KiB log must have dropped readings")
        print("\ndrop-oldest: sent %d, acknowledged %d, dropped %d" % (
            len(sender.sent), len(sender.acked), health["log"]["dropped_readings"]))

    def test_log_full_reject_new_answers_5_03_then_recovers_with_uplink(self):
        sender, health, _ = self.fill("--when-full", "reject-new")
        self.assertGreater(len(sender.acked), 100, "reject-new takes readings until the log is full")
        self.assertGreater(sender.refused, 0, "a full reject-new log answers 5.03")
        self.assertTrue(health["log"]["refusing"])
        self.assertEqual(health["log"]["dropped_readings"], 0)
        self.assertEqual(health["log"]["not_logged"], 0, "every accepted reading was logged")
        self.assertGreater(health["counters"]["busy_log"], 0)
        # Every acknowledged reading is still in the log: a collector gets all of them, and once
        # it has, the forwarded segments are reused and readings are accepted again.
        out = os.path.join(self.directory, "reject.jsonl")
        collector = Collector(out)
        try:
            upstream = "coap://127.0.0.1:%d/ingest" % collector.port
            with Daemon("--data-dir", self.directory, "--log-size", "32K", "--when-full", "reject-new",
                        "--upstream", upstream) as daemon:
                wait_drained(daemon, 60)
                after = Sender(window=1)
                after.next_value = 900000
                after.burst(daemon.port, 0.3)
                self.assertGreater(len(after.acked), 0, "readings accepted again after the uplink freed space")
                self.assertEqual(daemon.stop(), 0)
        finally:
            records = collector.records()
            collector.stop()
        self.assertEqual(sender.acked - set(reading_values(records)), set())
        print("\nreject-new: sent %d, acknowledged %d, refused 5.03 %d; all acknowledged forwarded" % (
            len(sender.sent), len(sender.acked), sender.refused))

    def test_file_size_limit_behaves_like_reject_new(self):
        # 64 KiB of file size allowed, a 1 MiB log wanted: the file cannot be created (EFBIG, like
        # ENOSPC). The daemon must run on, refuse readings with 5.03, and exit cleanly.
        prlimit = shutil.which("prlimit")
        self.assertIsNotNone(prlimit, "prlimit (util-linux) is needed")
        import outpost_peer
        saved = outpost_peer.RUNNER
        outpost_peer.RUNNER = [prlimit, "--fsize=65536"] + saved
        try:
            with Daemon("--data-dir", self.directory, "--log-size", "1M") as daemon:
                self.assertIn("no space", daemon.log())
                sender = Sender(window=2)
                self.assertTrue(sender.burst(daemon.port, 0.3))
                self.assertEqual(len(sender.acked), 0, "nothing may be acknowledged without a log")
                self.assertGreater(sender.refused, 0)
                health = Peer(daemon.port).health()
                self.assertEqual(health["log"]["state"], "unavailable")
                self.assertTrue(health["log"]["refusing"])
                self.assertEqual(daemon.stop(), 0, "a full disk must not crash the daemon")
        finally:
            outpost_peer.RUNNER = saved

    def test_fdatasync_failure_stops_and_acknowledges_nothing_of_the_failed_commit(self):
        preload = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "build", "interop",
                                               "libfail_sync_preload.so"))
        if RUNNER or not os.path.exists(preload):
            self.skipTest("needs the host daemon and build/interop/libfail_sync_preload.so")
        import test_interop  # the pseudo-terminal device (a module import: its tests do not run twice)
        device = test_interop.PtyDevice(os.path.join(self.directory, "tty"))
        flag = os.path.join(self.directory, "fail-sync")
        env = {"LD_PRELOAD": preload, "OUTPOST_FAIL_SYNC_FLAG": flag}
        try:
            with Daemon("--data-dir", self.directory, "--log-size", "1M", "--durability", "sync",
                        "--serial", device.link + "@115200:slip", env=env) as daemon:
                self.assertTrue(daemon.wait_log(r"serial \S+ slip 115200 open"), daemon.log())
                # Before the fault: a CON reading over the line is acknowledged (the commit worked).
                device.write(slip_encode(request(CON, POST, 0x0101, "/readings", token=b"\x01",
                                                 payload=senml_json("sync-1", value=20.0), content_format=110)))
                frames = device.read_frames(1)
                self.assertEqual([code_text(parse(f)[1]) for f in frames], ["2.04"])
                # The disk starts failing: the next commit fails, the daemon stops (fail-stop), and
                # neither the serial nor the UDP reading of that tick is acknowledged.
                open(flag, "w").close()
                device.write(slip_encode(request(CON, POST, 0x0102, "/readings", token=b"\x02",
                                                 payload=senml_json("sync-2", value=20.5), content_format=110)))
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                sock.settimeout(0.5 * SCALE)
                sock.sendto(request(CON, POST, 0x0103, "/readings", token=b"\x03",
                                    payload=senml_json("sync-3", value=21.0), content_format=110),
                            ("127.0.0.1", daemon.port))
                status = daemon.process.wait(timeout=10 * SCALE)
                self.assertNotEqual(status, 0, "an fdatasync failure must stop the daemon with a failure status")
                self.assertRegex(daemon.log(), r"fdatasync|Input/output error|EIO", daemon.log())
                self.assertEqual(slip_frames(device.read_for(0.3)), [], "no serial ACK for a failed commit")
                with self.assertRaises((socket.timeout, ConnectionRefusedError)):
                    sock.recvfrom(2048)
                sock.close()
        finally:
            device.close()


if __name__ == "__main__":
    unittest.main()
