"""The configuration file through the real daemon process (docs/CONFIG.md): a bad file refused at
start with FILE:LINE and exit 2, flags over the file, SIGHUP applying a new uplink rate and forward
mode while readings keep being acknowledged, SIGHUP with a bad or missing file keeping the running
configuration, and `<N>` priority prefixes when standard error is the journal (JOURNAL_STREAM).

Environment: outpost_peer's (OUTPOST_BIN, OUTPOST_RUNNER, OUTPOST_TIMEOUT_SCALE). The upstream is a
minimal CoAP server in this file (it acknowledges every POST and Block1 block), so no other tool is
needed. Loopback only; every wait is bounded.
"""
import json
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

from outpost_peer import ACK, BIN, CON, POST, RUNNER, SCALE, Daemon, Peer, code_text, message, parse, request

BLOCK1 = 27
# The malloc counter the interop suite preloads (scripts/build-interop-tools.sh).
PRELOAD = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "build", "interop", "libmalloc_preload.so"))


def reading(value, sensor="cfg-1"):
    return json.dumps([{"bn": sensor + ":", "n": "temperature", "u": "Cel", "v": value}]).encode()


class Upstream:
    """A loopback CoAP server that answers every CON POST: 2.31 Continue for a Block1 block with
    more to come, 2.04 Changed otherwise. Counts the completed batches."""

    def __init__(self):
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.settimeout(0.1)
        self.port = self.socket.getsockname()[1]
        self.batches = 0
        # While set, every POST is refused with 4.00 (the uplink backs off: its link is down).
        self.refuse = False
        self.running = True
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while self.running:
            try:
                data, peer = self.socket.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                mtype, code, mid, token, options, _ = parse(data)
            except (ValueError, IndexError):
                continue
            if mtype != CON or code != POST:
                continue
            if self.refuse:
                self.socket.sendto(message(ACK, 4 << 5, mid, token), peer)
                continue
            block = options.get(BLOCK1, [None])[0]
            more = block is not None and int.from_bytes(block, "big") & 0x08
            if more:
                reply = message(ACK, (2 << 5) | 31, mid, token, [(BLOCK1, block)])
            else:
                self.batches += 1
                reply = message(ACK, (2 << 5) | 4, mid, token, [(BLOCK1, block)] if block is not None else [])
            self.socket.sendto(reply, peer)

    def stop(self):
        self.running = False
        self.thread.join(timeout=2)
        self.socket.close()


def post_readings(port, first, count, sensor=lambda value: "cfg-1", pause=0.0):
    """CON-POSTs `count` readings one by one (sensor named by `sensor(value)`, `pause` seconds
    apart); returns how many were acknowledged 2.04."""
    peer = Peer(port)
    acked = 0
    try:
        for value in range(first, first + count):
            if pause:
                time.sleep(pause)
            reply = peer.exchange(request(CON, POST, peer.next_mid(), "/readings", token=os.urandom(4),
                                          payload=reading(value, sensor(value)), content_format=110))
            if reply[0] == ACK and code_text(reply[1]) == "2.04":
                acked += 1
    finally:
        peer.close()
    return acked


def health(port):
    peer = Peer(port)
    try:
        return peer.health()
    finally:
        peer.close()


class ConfigTests(unittest.TestCase):
    def setUp(self):
        self.directory = tempfile.mkdtemp(prefix="outpost-config-")
        self.conf = os.path.join(self.directory, "outpost.conf")

    def tearDown(self):
        shutil.rmtree(self.directory, ignore_errors=True)

    def write(self, text):
        # Written beside and renamed, as an editor or a deployment tool does: a reload never sees half.
        with open(self.conf + ".new", "w") as f:
            f.write(text)
        os.replace(self.conf + ".new", self.conf)

    def run_once(self, *flags, env=None):
        merged = dict(os.environ)
        merged.update(env or {})
        return subprocess.run(list(RUNNER) + [BIN] + list(flags), capture_output=True, text=True,
                              timeout=30 * SCALE, env=merged)

    def test_bad_file_at_start_is_refused_with_file_line_and_exit_2(self):
        cases = [
            ("[daemon]\nnode_id = gw\n\n[uplink]\nrate = fast\n",
             r"outpost\.conf:5: \[uplink\] rate 'fast': wants records per second"),
            ("[daemon]\ncolour = red\n", r"outpost\.conf:2: unknown key 'colour' in \[daemon\]"),
            ("# comment\n[colours]\n", r"outpost\.conf:2: unknown section .*'\[colours\]'"),
            ("[coap]\nlisten = nowhere\n", r"outpost\.conf:2: \[coap\] listen 'nowhere': wants HOST:PORT"),
            ("[daemon]\nnode_id = a\nnode_id = b\n", r"outpost\.conf:3: \[daemon\] node_id: set twice .*first set on line 2"),
            ("[log]\nsize = 1G\n", r"outpost\.conf:2: \[log\] size '1G': wants BYTES"),
        ]
        for text, pattern in cases:
            self.write(text)
            result = self.run_once("--config", self.conf, "--listen", "127.0.0.1:0")
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertRegex(result.stderr, pattern)
            self.assertNotIn("outpost: ready", result.stderr)
        result = self.run_once("--config", os.path.join(self.directory, "missing.conf"))
        self.assertEqual(result.returncode, 2)
        self.assertIn("missing.conf: cannot read the configuration file: no such file or directory", result.stderr)
        # A cross-option check on the combined result: the file's upstream needs a data_dir.
        self.write("[uplink]\nupstream = coap://127.0.0.1:9/x\n")
        result = self.run_once("--config", self.conf, "--listen", "127.0.0.1:0")
        self.assertEqual(result.returncode, 2)
        self.assertIn("outpost: --upstream ([uplink] upstream) needs --data-dir ([daemon] data_dir)", result.stderr)

    def test_flags_override_the_file(self):
        self.write("[daemon]\nnode_id = from-file\n[coap]\nlisten = 127.0.0.1:1\n")
        # --listen (Daemon's default 127.0.0.1:0) replaces the file's unusable port 1 listener list.
        with Daemon("--config", self.conf) as daemon:
            self.assertEqual(health(daemon.port)["node_id"], "from-file")
            self.assertEqual(len(daemon.ports), 1)
            self.assertEqual(daemon.stop(), 0)
        with Daemon("--config", self.conf, "--node-id", "from-flag") as daemon:
            self.assertEqual(health(daemon.port)["node_id"], "from-flag")
            self.assertEqual(daemon.stop(), 0)

    def test_sighup_changes_the_uplink_rate_while_serving(self):
        upstream = Upstream()
        try:
            base = ("[daemon]\nnode_id = cfg\ndata_dir = \"%s\"\n[uplink]\nupstream = coap://127.0.0.1:%d/ingest\n"
                    % (self.directory, upstream.port))
            self.write(base + "rate = 1\n")
            with Daemon("--config", self.conf) as daemon:
                self.assertEqual(post_readings(daemon.port, 100, 120), 120)
                # At 1 record/s (after the bucket's first 32) the backlog stays.
                time.sleep(1.5 * SCALE)
                before = health(daemon.port)["uplink"]
                self.assertGreater(before["backlog"], 40, json.dumps(before))

                self.write(base + "rate = 0   # unlimited\nforward = raw\n")
                daemon.process.send_signal(signal.SIGHUP)
                self.assertTrue(daemon.wait_log(r"reload: \[uplink\] rate 1 -> 0 records/s \(applied\)"), daemon.log())
                self.assertTrue(daemon.wait_log(r"reload: \S+outpost\.conf read: 1 applied, 0 need a restart"), daemon.log())
                # Serving goes on, and the backlog drains at the new rate.
                self.assertEqual(post_readings(daemon.port, 1000, 20), 20)
                deadline = time.time() + 15 * SCALE
                after = None
                while time.time() < deadline:
                    after = health(daemon.port)["uplink"]
                    if after["backlog"] == 0:
                        break
                    time.sleep(0.1)
                self.assertEqual(after["backlog"], 0, json.dumps(after))
                self.assertGreater(after["records_forwarded"], before["records_forwarded"] + 100)

                # The forward mode changes live too; a restart-only key is reported, not applied.
                self.write(base.replace("node_id = cfg", "node_id = other") + "rate = 0\nforward = alerts\n")
                daemon.process.send_signal(signal.SIGHUP)
                self.assertTrue(daemon.wait_log(r"reload: \[uplink\] forward raw -> alerts \(applied\)"), daemon.log())
                self.assertTrue(daemon.wait_log(r"reload: \[daemon\] node_id changed: needs a restart"), daemon.log())
                state = health(daemon.port)
                self.assertEqual(state["uplink"]["mode"], "alerts")
                self.assertEqual(state["node_id"], "cfg")
                self.assertEqual(post_readings(daemon.port, 2000, 5), 5)
                self.assertEqual(daemon.stop(), 0)
                self.assertIn("outpost: stopped by SIGTERM", daemon.log())
        finally:
            upstream.stop()
        self.assertGreater(upstream.batches, 0)

    def test_state_changes_are_reported_and_rate_limited(self):
        upstream = Upstream()
        try:
            self.write("[daemon]\ndata_dir = \"%s\"\n[uplink]\nupstream = coap://127.0.0.1:%d/up\n"
                       % (self.directory, upstream.port))
            with Daemon("--config", self.conf) as daemon:
                self.assertEqual(post_readings(daemon.port, 1, 5), 5)
                deadline = time.time() + 10 * SCALE
                while upstream.batches == 0 and time.time() < deadline:
                    time.sleep(0.05)
                self.assertGreater(upstream.batches, 0)
                # The upstream refuses: the uplink backs off and says it is down; then it comes back.
                upstream.refuse = True
                self.assertEqual(post_readings(daemon.port, 10, 5), 5)
                self.assertTrue(daemon.wait_log(r"(?m)^outpost: uplink down: the upstream did not answer"), daemon.log())
                upstream.refuse = False
                self.assertTrue(daemon.wait_log(r"(?m)^outpost: uplink up \(backlog \d+ records\)", timeout=20), daemon.log())

                # Fill the sensor table, then keep sending from new sensors, one refusal per tick or
                # so: at most 5 'sensor table full' lines in the minute, however many refusals.
                capacity = health(daemon.port)["sensor_capacity"]
                post_readings(daemon.port, 100, capacity, sensor=lambda v: "fill-%d" % v)
                post_readings(daemon.port, 10_000, 15, sensor=lambda v: "new-%d" % v, pause=0.15)
                self.assertTrue(daemon.wait_log(r"sensor table full \(\d+ sensors"), daemon.log())
                time.sleep(0.3 * SCALE)
                lines = re.findall(r"(?m)^outpost: sensor table full .*\((\d+) so far\)$", daemon.log())
                self.assertEqual(len(lines), 5, daemon.log())
                self.assertEqual(sorted(int(n) for n in lines), [int(n) for n in lines], "counts only grow")
                self.assertEqual(daemon.stop(), 0)
        finally:
            upstream.stop()

    def test_sighup_with_a_bad_or_missing_file_keeps_the_running_configuration(self):
        self.write("[daemon]\nnode_id = keep\nlog_level = info\n")
        with Daemon("--config", self.conf) as daemon:
            self.assertEqual(post_readings(daemon.port, 1, 3), 3)
            self.write("[daemon]\nnode_id = keep\nlog_level = loud\n")
            daemon.process.send_signal(signal.SIGHUP)
            self.assertTrue(daemon.wait_log(
                r"outpost\.conf:3: \[daemon\] log_level 'loud': wants error, warning, notice, info or debug "
                r"\(reload refused: the running configuration stays\)"), daemon.log())
            self.assertEqual(post_readings(daemon.port, 10, 3), 3)
            os.unlink(self.conf)
            daemon.process.send_signal(signal.SIGHUP)
            self.assertTrue(daemon.wait_log(r"cannot read the configuration file: no such file or directory \(reload refused"),
                            daemon.log())
            self.assertIsNone(daemon.process.poll(), "SIGHUP must never end the daemon")
            self.assertEqual(post_readings(daemon.port, 20, 3), 3)
            # A good file again: the level changes (debug is more than info: applied).
            self.write("[daemon]\nnode_id = keep\nlog_level = debug\n")
            daemon.process.send_signal(signal.SIGHUP)
            self.assertTrue(daemon.wait_log(r"reload: \[daemon\] log_level info -> debug \(applied\)"), daemon.log())
            self.assertEqual(health(daemon.port)["node_id"], "keep")
            self.assertEqual(daemon.stop(), 0)

    def test_sighup_without_a_config_file_does_not_stop_the_daemon(self):
        with Daemon() as daemon:
            for _ in range(3):
                daemon.process.send_signal(signal.SIGHUP)
            self.assertTrue(daemon.wait_log(r"reload: SIGHUP without --config: nothing to read again"), daemon.log())
            self.assertEqual(post_readings(daemon.port, 1, 2), 2)
            self.assertEqual(daemon.stop(), 0)
            self.assertIn("outpost: stopped by SIGTERM", daemon.log())

    @unittest.skipUnless(os.path.exists(PRELOAD) and not RUNNER, "build/interop/libmalloc_preload.so (scripts/build-interop-tools.sh) "
                         "and a host binary needed")
    def test_reloads_and_state_lines_allocate_nothing(self):
        """With every malloc after start-up counted: good, bad and missing files on SIGHUP, the
        uplink going down and up, and readings in between."""
        report = os.path.join(self.directory, "malloc.count")
        upstream = Upstream()
        try:
            base = ("[daemon]\ndata_dir = \"%s\"\n[uplink]\nupstream = coap://127.0.0.1:%d/up\n"
                    % (self.directory, upstream.port))
            self.write(base + "rate = 1\n")
            env = {"LD_PRELOAD": PRELOAD, "OUTPOST_MALLOC_REPORT": report}
            with Daemon("--config", self.conf, env=env) as daemon:
                self.assertEqual(post_readings(daemon.port, 1, 40), 40)
                for text in (base + "rate = 0\nforward = summaries\n", base + "rate = x\n", None,
                             base.replace("[uplink]", "[daemon]\nlog_level = debug\n[uplink]") + "rate = 3\n"):
                    if text is None:
                        os.unlink(self.conf)
                    else:
                        self.write(text)
                    daemon.process.send_signal(signal.SIGHUP)
                    time.sleep(0.3 * SCALE)
                    self.assertEqual(post_readings(daemon.port, 100, 5), 5)
                upstream.refuse = True
                self.assertEqual(post_readings(daemon.port, 200, 5), 5)
                self.assertTrue(daemon.wait_log(r"uplink down"), daemon.log())
                upstream.refuse = False
                self.assertTrue(daemon.wait_log(r"uplink up", timeout=20), daemon.log())
                self.assertEqual(len(re.findall(r"reload: ", daemon.log())) >= 4, True, daemon.log())
                self.assertEqual(daemon.stop(), 0)
        finally:
            upstream.stop()
        with open(report) as f:
            counts = re.findall(r"allocations_after_startup (\d+)", f.read())
        self.assertEqual(counts, ["0"])

    def start_with_journal(self, stream_value):
        """Runs the daemon with stderr in a file and JOURNAL_STREAM=`stream_value(file)`; returns
        (process, path). The file's device and inode stand in for the journal's stream."""
        path = os.path.join(self.directory, "stderr.log")
        with open(path, "w") as f:
            st = os.fstat(f.fileno())
            env = dict(os.environ)
            env["JOURNAL_STREAM"] = stream_value(st)
            process = subprocess.Popen(list(RUNNER) + [BIN, "--listen", "127.0.0.1:0", "--config", self.conf],
                                       stdout=subprocess.DEVNULL, stderr=f, env=env)
        deadline = time.time() + 20 * SCALE
        while time.time() < deadline and "outpost: ready" not in open(path).read():
            self.assertIsNone(process.poll(), open(path).read())
            time.sleep(0.05)
        return process, path

    def test_journal_stream_gives_priority_prefixes(self):
        # With a log, so the recovery line is among those checked.
        self.write("[daemon]\nlog_level = info\ndata_dir = \"%s\"\n" % self.directory)
        process, path = self.start_with_journal(lambda st: "%d:%d" % (st.st_dev, st.st_ino))
        try:
            self.write("[daemon]\nlog_level = bogus\ndata_dir = \"%s\"\n" % self.directory)
            process.send_signal(signal.SIGHUP)
            deadline = time.time() + 10 * SCALE
            while time.time() < deadline and "reload refused" not in open(path).read():
                time.sleep(0.05)
            process.send_signal(signal.SIGTERM)
            self.assertEqual(process.wait(timeout=10 * SCALE), 0)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        lines = open(path).read().splitlines()
        self.assertTrue(lines)
        for line in lines:
            self.assertRegex(line, r"^<[3-7]>outpost: ", "every line carries a priority under the journal")
        text = "\n".join(lines)
        self.assertRegex(text, r"(?m)^<5>outpost: listening on 127\.0\.0\.1:\d+ ")
        self.assertRegex(text, r"(?m)^<5>outpost: ready \(arena ")
        self.assertRegex(text, r"(?m)^<5>outpost: log \S+outpost\.log recovered 0 records")
        self.assertRegex(text, r"(?m)^<4>outpost: \S*outpost\.conf:2: \[daemon\] log_level 'bogus'")
        self.assertRegex(text, r"(?m)^<5>outpost: log: last_sequence=")
        self.assertRegex(text, r"(?m)^<5>outpost: stopped by SIGTERM: ")

    def test_journal_stream_of_another_file_gives_plain_lines(self):
        self.write("[daemon]\nlog_level = info\n")
        process, path = self.start_with_journal(lambda st: "%d:%d" % (st.st_dev, st.st_ino + 1))
        process.send_signal(signal.SIGTERM)
        self.assertEqual(process.wait(timeout=10 * SCALE), 0)
        text = open(path).read()
        self.assertRegex(text, r"(?m)^outpost: ready \(arena ")
        self.assertNotRegex(text, r"(?m)^<\d>")


if __name__ == "__main__":
    unittest.main()
