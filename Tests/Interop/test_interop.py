"""Interop tests against the real daemon (scripts/interop-test.sh runs them).

LibcoapTests run against the host daemon and, in `make qemu-test`, the aarch64 firmware under
qemu-user; the others run against the host daemon. Every test starts its own daemon on a free
loopback port, so the tests are independent of each other and of other daemons on the machine.
"""
import asyncio
import os
import pty
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import tty
import unittest

import cbor2

from outpost_peer import (ACK, CON, GET, NON, OBSERVE, POST, RST, SCALE, BIN, RUNNER, Daemon, Peer, code_text,
                          message, parse, request, senml_json, slip_encode, slip_frames)

COAP_CLIENT = os.environ.get("COAP_CLIENT", "coap-client-notls")


def coap_client(*args, timeout=10):
    """Runs libcoap's client; returns (exit status, standard output)."""
    result = subprocess.run([COAP_CLIENT, "-B", str(int(5 * SCALE))] + list(args), capture_output=True,
                            timeout=timeout * SCALE)
    return result.returncode, result.stdout


class LibcoapTests(unittest.TestCase):
    """libcoap's coap-client-notls (Debian libcoap3-bin) against the daemon."""

    def setUp(self):
        # No amplification limit: these tests read bodies in large blocks from libcoap and count
        # the requests; the limit (CON GETs in small blocks) is tested in test_store_access.py.
        self.daemon = Daemon("--node-id", "interop", "--amplification-factor", "0")
        self.url = "coap://127.0.0.1:%d" % self.daemon.port
        self.peer = Peer(self.daemon.port)

    def tearDown(self):
        self.peer.close()
        status = self.daemon.stop()
        self.daemon.__exit__()
        self.assertEqual(status, 0, "daemon did not stop cleanly")

    def test_discovers_well_known_core(self):
        status, out = coap_client("-m", "get", self.url + "/.well-known/core")
        self.assertEqual(status, 0)
        text = out.decode()
        for link in ("</readings>", "</health>", "</sensors>", "</alerts>", "</metrics>"):
            self.assertIn(link, text)
        alerts = [part for part in text.split(",") if part.startswith("</alerts>")][0]
        self.assertIn("obs", alerts)
        self.assertIn('ct="110 112"', text)

    def test_posts_senml_json(self):
        before = self.peer.health()["counters"]
        payload = '[{"bn":"lib-json:","n":"temperature","u":"Cel","v":22.5},{"n":"humidity","u":"%RH","v":40}]'
        # coap-client -e percent-decodes: a literal % is written %25.
        status, _ = coap_client("-m", "post", "-t", "110", "-e", payload.replace("%", "%25"), self.url + "/readings")
        self.assertEqual(status, 0)
        after = self.peer.health()["counters"]
        self.assertEqual(after["readings_received"] - before["readings_received"], 1)
        self.assertEqual(after["packs_accepted"] - before["packs_accepted"], 1)
        self.assertEqual(after["invalid_packs"], before["invalid_packs"])

    def test_non_post_with_no_response_is_taken_and_not_answered(self):
        # RFC 7967: No-Response (258) = 2 declines the 2.xx answer. coap-client waits its -B second
        # for an answer that never comes, then exits 0; the daemon took the reading all the same.
        before = self.peer.health()["counters"]
        payload = '[{"bn":"lib-nr:","n":"temperature","u":"Cel","v":21.5}]'
        status, out = coap_client("-B", "1", "-N", "-m", "post", "-t", "110", "-O", "258,0x02", "-e", payload,
                                  self.url + "/readings")
        self.assertEqual(status, 0)
        self.assertEqual(out, b"", "no response was printed")
        after = self.peer.health()["counters"]
        self.assertEqual(after["readings_received"] - before["readings_received"], 1)
        self.assertEqual(after["responses_suppressed"] - before["responses_suppressed"], 1)

    def test_posts_senml_cbor(self):
        before = self.peer.health()["counters"]
        pack = [{-2: "lib-cbor:", 0: "temperature", 1: "Cel", 2: 23.25, 6: -2},
                {0: "temperature", 1: "Cel", 2: 23.5, 6: -1}]
        with tempfile.NamedTemporaryFile(suffix=".cbor", delete=False) as f:
            f.write(cbor2.dumps(pack))
        try:
            status, _ = coap_client("-m", "post", "-t", "112", "-f", f.name, self.url + "/readings")
        finally:
            os.unlink(f.name)
        self.assertEqual(status, 0)
        after = self.peer.health()["counters"]
        self.assertEqual(after["readings_received"] - before["readings_received"], 2)
        self.assertEqual(after["packs_accepted"] - before["packs_accepted"], 1)

    def test_bad_senml_gets_4_00_with_diagnostic(self):
        reply = self.peer.exchange(request(CON, POST, self.peer.next_mid(), "/readings", payload=b'[{"bn":"x:"',
                                           content_format=110))
        self.assertEqual(code_text(reply[1]), "4.00")
        self.assertTrue(len(reply[5]) > 0, "4.00 carries a diagnostic payload")
        reply = self.peer.exchange(request(CON, POST, self.peer.next_mid(), "/readings", payload=b"x",
                                           content_format=0))
        self.assertEqual(code_text(reply[1]), "4.15")

    def test_reads_health(self):
        status, out = coap_client("-m", "get", "-A", "50", self.url + "/health")
        self.assertEqual(status, 0)
        import json
        health = json.loads(out)
        self.assertEqual(health["status"], "ok")
        self.assertEqual(health["node_id"], "interop")
        self.assertIn("readings_received", health["counters"])

    def test_block2_of_changing_bodies_completes(self):
        """/metrics and /health count the requests they answer, so they change between block
        requests. libcoap restarts a transfer whose ETag changes, and used to loop forever; the
        server now sends a transfer's later blocks from a copy taken at block 0. Both must arrive
        whole, quickly and in few requests: /metrics in the largest blocks the profile allows (256
        bytes on low), /health forced into 64-byte blocks."""
        import json
        from outpost_peer import uint_option

        def metrics():
            # Block by block on a raw socket (Block2 = option 23, 256-byte blocks), not via libcoap.
            body, number = b"", 0
            for _ in range(100):
                reply = self.peer.exchange(request(CON, GET, self.peer.next_mid(), "/metrics", token=os.urandom(2),
                                                   extra=[(23, uint_option(number << 4 | 4))]))
                self.assertEqual(code_text(reply[1]), "2.05")
                body += reply[5]
                block = int.from_bytes(reply[4][23][0], "big") if 23 in reply[4] else 0
                if not block & 8:
                    break
                number += 1
            return {line.split(" ")[0]: float(line.split(" ")[1])
                    for line in body.decode().splitlines() if line and not line.startswith("#")}

        before = metrics()
        started = time.time()
        status, out = coap_client("-m", "get", self.url + "/metrics", timeout=10)
        self.assertEqual(status, 0)
        lines = out.decode().strip().splitlines()
        self.assertTrue(lines[-1].startswith("outpost_tick_latency_seconds_count "), "the whole body arrived")
        for line in lines:
            self.assertTrue(line.startswith("# ") or len(line.split(" ")) == 2, "spliced body: %r" % line)
        status, out = coap_client("-m", "get", "-b", "64", "-A", "50", self.url + "/health", timeout=10)
        elapsed = time.time() - started
        self.assertEqual(status, 0)
        health = json.loads(out)
        self.assertEqual(health["node_id"], "interop")
        after = metrics()
        self.assertLess(elapsed, 4 * SCALE, "libcoap restarted the transfers")
        # About 15 blocks of /metrics, 10 of /health and the raw fetches: a restart loop is thousands.
        self.assertLess(after["outpost_datagrams_total"] - before["outpost_datagrams_total"], 150)
        taken = 'outpost_block2_snapshots_total{result="taken"}'
        self.assertGreaterEqual(after[taken] - before[taken], 2, "both transfers came from a copy")

    def test_retransmitted_con_is_processed_once(self):
        before = self.peer.health()["counters"]
        datagram = request(CON, POST, self.peer.next_mid(), "/readings", token=b"\x77\x01",
                           payload=senml_json("retransmit", value=20.0), content_format=110)
        # The same datagram twice from the same socket: a retransmission (same message ID).
        first = self.peer.exchange(datagram)
        second = self.peer.exchange(datagram)
        self.assertEqual(first[0], ACK)
        self.assertEqual(code_text(first[1]), "2.04")
        self.assertEqual(first, second, "the retransmission gets the same response")
        after = self.peer.health()["counters"]
        self.assertEqual(after["readings_received"] - before["readings_received"], 1)
        self.assertEqual(after["duplicates"] - before["duplicates"], 1)
        # A new message ID with the same payload is a new reading.
        self.peer.exchange(request(CON, POST, self.peer.next_mid(), "/readings", payload=senml_json("retransmit"),
                                   content_format=110))
        self.assertEqual(self.peer.health()["counters"]["readings_received"] - after["readings_received"], 1)

    def test_ping_and_malformed_messages(self):
        mid = self.peer.next_mid()
        reply = self.peer.exchange(message(CON, 0, mid))
        self.assertEqual((reply[0], reply[2]), (RST, mid), "an empty CON is answered with RST")
        mid = self.peer.next_mid()
        # Token length 9 is a format error: RST for a CON.
        reply = self.peer.exchange(bytes([0x49, 0x01, mid >> 8, mid & 255]) + b"\x00" * 9)
        self.assertEqual((reply[0], reply[2]), (RST, mid))
        # A NON format error is dropped: nothing comes back, the next request still works.
        self.peer.send(bytes([0x59, 0x01, 0, 1]) + b"\x00" * 9)
        self.peer.send(b"\x00")
        self.assertEqual(self.peer.health()["status"], "ok")


class AiocoapTests(unittest.TestCase):
    """aiocoap (PyPI), an independent implementation: Observe on /alerts."""

    def test_observer_gets_notification_when_alert_raised(self):
        import aiocoap

        with Daemon() as daemon:
            async def run():
                context = await aiocoap.Context.create_client_context()
                try:
                    uri = "coap://127.0.0.1:%d/alerts" % daemon.port
                    observation = context.request(aiocoap.Message(code=aiocoap.GET, uri=uri, observe=0))
                    first = await asyncio.wait_for(observation.response, 10 * SCALE)
                    self.assertEqual(str(first.code), "2.05 Content")
                    self.assertIsNotNone(first.opt.observe, "the daemon registered the observer")
                    notifications = observation.observation.__aiter__()
                    # 60 °C is above the reference alert bound: the POST raises a threshold alert.
                    post = aiocoap.Message(code=aiocoap.POST, uri="coap://127.0.0.1:%d/readings" % daemon.port,
                                           payload=senml_json("hot-1", value=60.0), content_format=110)
                    answer = await asyncio.wait_for(context.request(post).response, 10 * SCALE)
                    self.assertEqual(str(answer.code), "2.04 Changed")
                    notification = await asyncio.wait_for(notifications.__anext__(), 10 * SCALE)
                    self.assertEqual(str(notification.code), "2.05 Content")
                    self.assertIn(b"hot-1", notification.payload)
                    self.assertGreater(notification.opt.observe, first.opt.observe)
                    observation.observation.cancel()
                finally:
                    await context.shutdown()

            asyncio.run(run())
            status = daemon.stop()
        self.assertEqual(status, 0)


class FlagTests(unittest.TestCase):
    """The command line: help, refusals with exit 2, signals, IPv6, a busy port."""

    def run_daemon(self, *args, timeout=10):
        return subprocess.run(RUNNER + [BIN] + list(args), capture_output=True, timeout=timeout * SCALE)

    def test_help_documents_every_flag(self):
        result = self.run_daemon("--help")
        self.assertEqual(result.returncode, 0)
        text = result.stdout.decode()
        for flag in ("--listen HOST:PORT", "--serial DEVICE[@BAUD][:slip|:line]", "--data-dir DIR", "--node-id NAME",
                     "--help", "[::1]:5683", "127.0.0.1:5683", "115200", ":line"):
            self.assertIn(flag, text)

    def test_bad_flags_and_values_exit_2_with_message(self):
        cases = [
            (["--bogus"], "unknown flag"),
            (["--listen"], "needs a value"),
            (["--listen", "127.0.0.1"], "HOST:PORT"),
            (["--listen", "127.0.0.1:70000"], "HOST:PORT"),
            (["--listen", "300.1.1.1:5683"], "HOST:PORT"),
            (["--listen", "[::1:5683"], "HOST:PORT"),
            (["--listen", "example.invalid:5683"], "HOST:PORT"),
            (["--serial", "/dev/ttyS0@12345"], "BAUD"),
            (["--serial", "/dev/ttyS0@"], "BAUD"),
            (["--serial", ""], "DEVICE"),
            (["--node-id", "two words"], "printable ASCII"),
            (["--node-id", "x" * 33], "printable ASCII"),
            (["--data-dir", "/nonexistent/outpost-data"], "no such file or directory"),
            (["--listen", "127.0.0.1:0"] * 9, "at most 8"),
        ]
        for args, expected in cases:
            with self.subTest(args=args):
                result = self.run_daemon(*args)
                self.assertEqual(result.returncode, 2, result.stderr)
                self.assertIn(expected, result.stderr.decode())
                self.assertIn("outpost:", result.stderr.decode())

    def test_mqtt_options_refused_by_profile(self):
        """The MQTT options: the low build refuses each as it is read (no MQTT uplink in it) and its
        --help names them in one line; other builds take them and ask for an mqtt:// upstream."""
        version = self.run_daemon("--version").stdout.decode()
        low = "profile=low" in version
        help_text = self.run_daemon("--help").stdout.decode()
        cases = [["--mqtt-batch", "4"], ["--mqtt-user", "u"], ["--uplink-format", "influx"], ["--mqtt-prefix", "p"]]
        for args in cases:
            with self.subTest(args=args):
                result = self.run_daemon(*args)
                self.assertEqual(result.returncode, 2, result.stderr)
                expected = "is not in this build" if low else "need --upstream mqtt://"
                self.assertIn(expected, result.stderr.decode())
        if low:
            self.assertIn("not in the low profile (refused)", help_text)
            self.assertNotIn("--mqtt-batch N", help_text)
            result = self.run_daemon("--image-max-bytes", "100")
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertIn("is not in this build", result.stderr.decode())
        else:
            self.assertIn("--mqtt-batch N", help_text)
            self.assertNotIn("not in the low profile (refused)", help_text)

    def test_sigint_and_sigterm_stop_cleanly(self):
        for sig, name in ((signal.SIGINT, "SIGINT"), (signal.SIGTERM, "SIGTERM")):
            with self.subTest(signal=name), Daemon() as daemon:
                Peer(daemon.port).health()
                self.assertEqual(daemon.stop(sig), 0)
                self.assertIn("stopped by " + name, daemon.log())

    def test_ipv6_and_several_listeners(self):
        try:
            probe = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            probe.bind(("::1", 0))
            probe.close()
        except OSError:
            self.skipTest("no IPv6 loopback on this machine")
        with Daemon(listen=("127.0.0.1:0", "[::1]:0")) as daemon:
            self.assertEqual(len(daemon.ports), 2)
            self.assertEqual(Peer(daemon.ports[0]).health()["status"], "ok")
            six = Peer(daemon.ports[1], host="::1", family=socket.AF_INET6)
            reply = six.exchange(request(CON, POST, six.next_mid(), "/readings", payload=senml_json("v6-sensor"),
                                         content_format=110))
            self.assertEqual(code_text(reply[1]), "2.04")
            self.assertEqual(six.health()["counters"]["readings_received"], 1)
            self.assertEqual(daemon.stop(), 0)

    def test_busy_port_is_refused(self):
        with Daemon() as first:
            result = self.run_daemon("--listen", "127.0.0.1:%d" % first.port)
            self.assertEqual(result.returncode, 1)
            self.assertIn("address already in use", result.stderr.decode())
            self.assertEqual(first.stop(), 0)


class PtyDevice:
    """A pseudo-terminal whose slave is reachable through a symlink (the "device" path), so the
    test can unplug it (close the master) and plug in a new one under the same path."""

    def __init__(self, link):
        self.link = link
        self.plug()

    def plug(self):
        self.master, slave = pty.openpty()
        tty.setraw(slave)
        name = os.ttyname(slave)
        os.close(slave)
        os.set_blocking(self.master, False)
        temporary = self.link + ".new"
        if os.path.lexists(temporary):
            os.unlink(temporary)
        os.symlink(name, temporary)
        os.replace(temporary, self.link)

    def unplug(self):
        os.close(self.master)
        self.master = None

    def write(self, data):
        view = memoryview(data)
        while view:
            try:
                n = os.write(self.master, view)
                view = view[n:]
            except BlockingIOError:
                time.sleep(0.01)

    def read_for(self, seconds):
        data = bytearray()
        deadline = time.time() + seconds * SCALE
        while time.time() < deadline:
            try:
                chunk = os.read(self.master, 65536)
                if chunk:
                    data += chunk
                    continue
            except (BlockingIOError, OSError):
                pass
            time.sleep(0.02)
        return bytes(data)

    def read_frames(self, count, timeout=5):
        data = bytearray()
        deadline = time.time() + timeout * SCALE
        while time.time() < deadline:
            if len(slip_frames(bytes(data))) >= count and data.endswith(b"\xc0"):
                break
            try:
                data += os.read(self.master, 65536)
            except (BlockingIOError, OSError):
                time.sleep(0.02)
        return slip_frames(bytes(data))

    def close(self):
        if self.master is not None:
            os.close(self.master)


class SerialTests(unittest.TestCase):
    """Serial lines through a pseudo-terminal pair: SLIP frames with CoAP, line mode, unplugging."""

    def setUp(self):
        self.directory = tempfile.mkdtemp(prefix="outpost-serial-")

    def tearDown(self):
        shutil.rmtree(self.directory, ignore_errors=True)

    def test_slip_coap_answered_on_the_line_and_garbage_dropped(self):
        device = PtyDevice(os.path.join(self.directory, "tty-slip"))
        with Daemon("--serial", device.link + "@115200:slip") as daemon:
            self.assertTrue(daemon.wait_log(r"serial \S+ slip 115200 open"), daemon.log())
            mid = 0x1234
            post = request(CON, POST, mid, "/readings", token=b"\x05", payload=senml_json("slip-1", value=21.0),
                           content_format=110)
            device.write(slip_encode(post))
            frames = device.read_frames(1)
            self.assertEqual(len(frames), 1)
            reply = parse(frames[0])
            self.assertEqual((reply[0], code_text(reply[1]), reply[2], reply[3]), (ACK, "2.04", mid, b"\x05"))
            # Garbage between frames, a bad escape, an oversize frame: each is dropped, and the
            # decoder resynchronises at the next END so the following request is answered.
            device.write(b"\xc0\x01\x02\x03\xc0")                 # a 3-byte frame: not CoAP, dropped
            device.write(b"\xc0\x40\x01\xdb\x00\x99\xc0")         # bad escape: frame dropped
            device.write(b"\xc0" + b"\x41" * 3000 + b"\xc0")     # longer than maxDatagramBytes: dropped
            health = request(CON, GET, 0x2222, "/health", token=b"\x06")
            device.write(slip_encode(health))
            frames = device.read_frames(1)
            replies = [parse(frame) for frame in frames]
            self.assertIn((ACK, "2.05", 0x2222), [(r[0], code_text(r[1]), r[2]) for r in replies])
            self.assertEqual(Peer(daemon.port).health()["counters"]["readings_received"], 1)
            self.assertEqual(daemon.stop(), 0)
            log = daemon.log()
            self.assertRegex(log, r"bad_escapes=1 oversize=1")
        device.close()

    def test_line_mode_senml_and_csv_rows(self):
        device = PtyDevice(os.path.join(self.directory, "tty-line"))
        with Daemon("--serial", device.link + "@9600:line") as daemon:
            self.assertTrue(daemon.wait_log(r"serial \S+ line 9600 open"), daemon.log())
            device.write(b"# a comment\n")
            device.write(b"sensor_id,timestamp_ms,temperature,humidity,pressure,vibration,power_consumption,"
                         b"battery_level,latitude,longitude,label\n")
            device.write(senml_json("line-1", value=22.0) + b"\n")
            device.write(b"line-2,1767225600000,24.773,56.139,1015.727,0.462,118.729,53.967,47.764289,6.721842\r\n")
            device.write(b"this is not a reading\n")
            device.write(b"[" + b" " * 5000 + b"]\n")  # longer than the line buffer: dropped whole
            device.write(senml_json("line-3", value=23.0) + b"\n")
            peer = Peer(daemon.port)
            deadline = time.time() + 5 * SCALE
            while time.time() < deadline and peer.health()["counters"]["readings_received"] < 3:
                time.sleep(0.05)
            counters = peer.health()["counters"]
            self.assertEqual(counters["readings_received"], 3)
            self.assertEqual(counters["invalid_lines"], 1)
            self.assertEqual(daemon.stop(), 0)
            self.assertRegex(daemon.log(), r"lines=\d+ accepted=3 invalid=1 too_long=1")
        device.close()

    def test_unplugged_device_is_reopened_without_disturbing_udp(self):
        device = PtyDevice(os.path.join(self.directory, "tty-usb"))
        with Daemon("--serial", device.link + ":slip") as daemon:
            self.assertTrue(daemon.wait_log(r"open"), daemon.log())
            peer = Peer(daemon.port)
            device.unplug()
            self.assertTrue(daemon.wait_log(r"lost"), daemon.log())
            # While the device is away, UDP is served as before.
            for i in range(20):
                reply = peer.exchange(request(CON, POST, peer.next_mid(), "/readings",
                                              payload=senml_json("udp-during-outage", value=20 + i % 3),
                                              content_format=110))
                self.assertEqual(code_text(reply[1]), "2.04")
            time.sleep(0.5)
            device.plug()
            self.assertTrue(daemon.wait_log(r"serial \S+ open\n"), daemon.log())
            mid = 0x4321
            device.write(slip_encode(request(CON, POST, mid, "/readings", token=b"\x09",
                                             payload=senml_json("slip-after", value=21.0), content_format=110)))
            frames = device.read_frames(1)
            self.assertTrue(any(parse(f)[2] == mid and code_text(parse(f)[1]) == "2.04" for f in frames), frames)
            self.assertEqual(peer.health()["counters"]["readings_received"], 21)
            self.assertEqual(daemon.stop(), 0)
            self.assertRegex(daemon.log(), r"opens=2 losses=1")
        device.close()

    def test_device_missing_at_start_is_retried(self):
        link = os.path.join(self.directory, "tty-later")
        with Daemon("--serial", link + "@57600") as daemon:
            self.assertIn("not there yet", daemon.log())
            self.assertEqual(Peer(daemon.port).health()["status"], "ok")
            device = PtyDevice(link)
            self.assertTrue(daemon.wait_log(r"serial \S+ open\n", timeout=10), daemon.log())
            device.write(slip_encode(request(CON, GET, 0x0101, "/health")))
            frames = device.read_frames(1)
            self.assertTrue(frames and code_text(parse(frames[0])[1]) == "2.05")
            self.assertEqual(daemon.stop(), 0)
            device.close()


if __name__ == "__main__":
    unittest.main()
