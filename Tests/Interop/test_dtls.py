"""coaps: CoAP over DTLS 1.2 with pre-shared keys, against the real daemon and a real client.

The client is libcoap's `coap-client-openssl` (Debian libcoap3-bin: OpenSSL's DTLS, an
implementation independent of the daemon's mbedTLS) with `-u IDENTITY -k KEY`. The tests:
POST SenML and GET /health over DTLS; a wrong key and an unknown identity fail the handshake; an
identity posting a sensor outside its patterns gets 4.03 (counted in /health); the key file is read
again on SIGHUP (a broken one is refused with FILE:LINE and the keys in force stay); an observer of
/alerts over DTLS gets its notification through its session; the start-up refusals. A second class drives CHAL's DTLS server in-process (Tests/Interop/tools/dtls_probe.c):
sessions through the cookie exchange, steady-state records counted by the malloc counter, replay,
a full table, wrong keys.

Environment: OUTPOST_BIN (the daemon; with OUTPOST_RUNNER for a firmware under qemu).
Run: cd Tests/Interop && OUTPOST_BIN=... python -m unittest -v test_dtls
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

from outpost_peer import BIN, RUNNER, SCALE, Daemon, Peer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
CLIENT = shutil.which("coap-client-openssl")

KEY_A = b"key-of-sensor-a!"
KEY_B = b"key-of-sensor-b!"


def key_file(path, lines):
    with open(path, "w") as f:
        f.write("# identities of the test\n")
        for line in lines:
            f.write(line + "\n")


def identity_line(identity, key, patterns):
    return "%s:%s:%s" % (identity, key.hex(), patterns)


def pack(sensor, value=21.5):
    return json.dumps([{"bn": sensor + "/", "n": "temperature", "u": "Cel", "v": value}])


@unittest.skipIf(CLIENT is None, "coap-client-openssl is not installed (scripts/ensure-tools.sh tls)")
@unittest.skipIf(not BIN, "OUTPOST_BIN is not set")
class DTLSDaemonTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="outpost-dtls-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.keys = os.path.join(self.dir, "keys.psk")
        key_file(self.keys, [identity_line("sensor-a", KEY_A, "field-a-*"),
                             identity_line("sensor-b", KEY_B, "field-b-1, field-b-2")])

    def start(self, *extra):
        daemon = Daemon("--listen-dtls", "127.0.0.1:0", "--psk-file", self.keys, *extra)
        self.addCleanup(daemon.__exit__)
        match = re.search(r"listening \(coaps, DTLS 1\.2 PSK\) on 127\.0\.0\.1:(\d+) with (\d+) identities", daemon.log())
        self.assertIsNotNone(match, daemon.log())
        daemon.dtls_port = int(match.group(1))
        return daemon

    def client(self, daemon, identity, key, method, path, payload=None):
        """coap-client-openssl over DTLS; returns (exit status, its output)."""
        args = [CLIENT, "-m", method, "-u", identity, "-k", key.decode(), "-B", str(int(5 * SCALE))]
        if payload is not None:
            body = os.path.join(self.dir, "body.json")
            with open(body, "w") as f:
                f.write(payload)
            args += ["-t", "110", "-f", body]
        args.append("coaps://127.0.0.1:%d%s" % (daemon.dtls_port, path))
        result = subprocess.run(args, capture_output=True, text=True, timeout=20 * SCALE)
        return result.returncode, result.stdout + result.stderr

    def plain_health(self, daemon):
        peer = Peer(daemon.port)
        try:
            return peer.health()
        finally:
            peer.close()

    def stop_summary(self, daemon):
        self.assertEqual(daemon.stop(), 0)
        match = re.search(r"outpost: dtls: (.*)", daemon.log())
        self.assertIsNotNone(match, daemon.log())
        return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(1))}

    def test_post_and_get_health_over_dtls(self):
        daemon = self.start()
        for i in range(3):
            status, out = self.client(daemon, "sensor-a", KEY_A, "post", "/readings", pack("field-a-%d" % i, 20 + i))
            self.assertEqual(status, 0, out)
            self.assertNotRegex(out, r"[45]\.\d\d", out)
        status, out = self.client(daemon, "sensor-a", KEY_A, "get", "/health")
        self.assertEqual(status, 0, out)
        health = json.loads(out[out.index("{"):])
        self.assertEqual(health["counters"]["readings_accepted"], 3)
        self.assertEqual(health["sensors"], 3)
        # The same state seen over plain CoAP.
        plain = self.plain_health(daemon)
        self.assertEqual(plain["counters"]["readings_accepted"], 3)
        # The listener's figures in /health and /metrics (the clients closed their sessions).
        dtls = plain["dtls"]
        self.assertEqual(dtls["session_capacity"], 16)
        self.assertEqual(dtls["handshakes_ok"], 4, dtls)
        self.assertEqual(dtls["handshakes_failed"], 0, dtls)
        self.assertGreaterEqual(dtls["cookies_sent"], 4, dtls)
        self.assertLessEqual(dtls["sessions_established"], dtls["sessions_open"])
        self.assertLessEqual(dtls["sessions_open"], 16)
        self.assertEqual(dtls["evicted"], 0)
        peer = Peer(daemon.port)
        try:
            metrics = peer.get("/metrics")[5].decode()
        finally:
            peer.close()
        self.assertIn('outpost_dtls_handshakes_total{result="ok"} 4\n', metrics)
        self.assertIn('outpost_dtls_handshakes_total{result="failed"} 0\n', metrics)
        self.assertIn("outpost_dtls_session_capacity 16\n", metrics)
        self.assertRegex(metrics, r'outpost_dtls_sessions\{state="open"\} \d+\n')
        summary = self.stop_summary(daemon)
        self.assertEqual(summary["handshakes"], 4, summary)
        self.assertGreaterEqual(summary["cookies"], 4, "every client went through the cookie exchange")
        self.assertEqual(summary["handshake_failures"], 0)
        self.assertEqual(summary["messages"], 4)

    def test_wrong_key_fails_the_handshake(self):
        daemon = self.start()
        # (coap-client exits 0 whatever happened: its messages and the daemon's counts tell.)
        status, out = self.client(daemon, "sensor-a", b"not-the-right-k!", "post", "/readings", pack("field-a-1"))
        self.assertIn("bad record mac", out)
        self.assertIn("cannot send CoAP pdu", out)
        status, out = self.client(daemon, "intruder", KEY_A, "get", "/health")
        self.assertRegex(out, r"(?i)alert", out)
        self.assertNotIn("{", out, "no /health body")
        health = self.plain_health(daemon)
        self.assertEqual(health["counters"]["readings_received"], 0)
        self.assertEqual(health["dtls"]["handshakes_failed"], 2, health["dtls"])
        self.assertEqual(health["dtls"]["handshakes_ok"], 0, health["dtls"])
        self.assertEqual(health["dtls"]["sessions_established"], 0, health["dtls"])
        summary = self.stop_summary(daemon)
        self.assertEqual(summary["handshakes"], 0, summary)
        self.assertEqual(summary["handshake_failures"], 2, summary)
        self.assertEqual(summary["messages"], 0)

    def test_identity_posting_another_identitys_sensor_gets_403(self):
        daemon = self.start()
        status, out = self.client(daemon, "sensor-b", KEY_B, "post", "/readings", pack("field-a-1"))
        self.assertIn("4.03", out)
        self.assertIn("identity may not write this sensor", out)
        status, out = self.client(daemon, "sensor-b", KEY_B, "post", "/readings", pack("field-b-3"))
        self.assertIn("4.03", out, "field-b-3 is not one of sensor-b's names")
        status, out = self.client(daemon, "sensor-b", KEY_B, "post", "/readings", pack("field-b-2"))
        self.assertNotIn("4.03", out)
        health = self.plain_health(daemon)
        self.assertEqual(health["counters"]["forbidden_writes"], 2)
        self.assertEqual(health["counters"]["readings_accepted"], 1)
        # Plain CoAP is not scoped: the same sensor name is taken there.
        peer = Peer(daemon.port)
        from outpost_peer import CON, POST, request, parse, code_text
        reply = peer.exchange(request(CON, POST, peer.next_mid(), "/readings", payload=pack("field-a-1").encode(), content_format=110))
        peer.close()
        self.assertEqual(code_text(reply[1]), "2.04")
        self.assertEqual(self.stop_summary(daemon)["forbidden"], 2)

    def test_observer_over_dtls_gets_its_notification_through_its_session(self):
        """Observe on /alerts over coaps: the notification of an alert raised by a plain CoAP POST
        reaches the DTLS observer, encrypted through its session after the tick's commit."""
        daemon = self.start("--data-dir", self.dir)
        args = [CLIENT, "-m", "get", "-u", "sensor-a", "-k", KEY_A.decode(), "-s", str(int(6 * SCALE)), "-w",
                "coaps://127.0.0.1:%d/alerts" % daemon.dtls_port]
        observer = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.addCleanup(lambda: observer.poll() is None and observer.kill())
        deadline = time.time() + 5 * SCALE
        while time.time() < deadline and self.plain_health(daemon)["observers"] < 1:
            time.sleep(0.05)
        self.assertEqual(self.plain_health(daemon)["observers"], 1, "the DTLS client registered")
        # 60 °C is above the reference alert bound: the POST raises a threshold alert.
        peer = Peer(daemon.port)
        from outpost_peer import CON, POST, request, code_text
        reply = peer.exchange(request(CON, POST, peer.next_mid(), "/readings", payload=pack("hot-1", 60.0).encode(),
                                      content_format=110))
        peer.close()
        self.assertEqual(code_text(reply[1]), "2.04")
        out, _ = observer.communicate(timeout=20 * SCALE)
        self.assertIn("hot-1", out, out)
        health = self.plain_health(daemon)
        self.assertGreaterEqual(health["counters"]["notifications"], 1, health)
        summary = self.stop_summary(daemon)
        self.assertEqual(summary["handshakes"], 1, summary)
        self.assertEqual(health["observers"], 0, "the client deregistered at the end of -s")
        # The answer to that deregistration may find the session already closed: libcoap sends its
        # close_notify right behind it, and answers leave only after the tick's commit.
        self.assertLessEqual(summary["send_failures"], 1, summary)
        self.assertEqual(summary["withheld"], 0, summary)
        self.assertEqual(summary["queue_full"], 0, summary)

    def test_key_file_is_read_again_on_sighup(self):
        daemon = self.start()
        status, out = self.client(daemon, "sensor-b", KEY_B, "post", "/readings", pack("field-a-7"))
        self.assertIn("4.03", out)
        # A broken file: refused with its line, the keys in force stay.
        key_file(self.keys, [identity_line("sensor-a", KEY_A, "field-a-*"), "sensor-b:zz:field-a-*"])
        daemon.process.send_signal(signal.SIGHUP)
        self.assertTrue(daemon.wait_log(r"psk file .*keys\.psk:3: the key must be hexadecimal"), daemon.log())
        status, out = self.client(daemon, "sensor-b", KEY_B, "post", "/readings", pack("field-a-7"))
        self.assertIn("4.03", out)
        # A good file: sensor-b now writes field-a-*, and a new identity exists.
        key_file(self.keys, [identity_line("sensor-a", KEY_A, "field-a-1"), identity_line("sensor-b", KEY_B, "field-a-*"),
                             identity_line("sensor-c", b"key-of-sensor-c!", "c")])
        daemon.process.send_signal(signal.SIGHUP)
        self.assertTrue(daemon.wait_log(r"psk file reloaded: 3 identities"), daemon.log())
        status, out = self.client(daemon, "sensor-b", KEY_B, "post", "/readings", pack("field-a-7"))
        self.assertEqual(status, 0, out)
        self.assertNotIn("4.03", out)
        status, out = self.client(daemon, "sensor-c", b"key-of-sensor-c!", "post", "/readings", pack("c"))
        self.assertNotIn("4.03", out)
        status, out = self.client(daemon, "sensor-a", KEY_A, "post", "/readings", pack("field-a-2"))
        self.assertIn("4.03", out, "sensor-a lost field-a-* in the new file")
        self.assertEqual(self.plain_health(daemon)["counters"]["readings_accepted"], 2)
        summary = self.stop_summary(daemon)
        self.assertEqual(summary["key_reloads"], 1)
        self.assertEqual(summary["key_reloads_refused"], 1)


@unittest.skipIf(not BIN, "OUTPOST_BIN is not set")
class DTLSStartupTest(unittest.TestCase):
    def run_daemon(self, *flags):
        result = subprocess.run(list(RUNNER) + [BIN, "--listen", "127.0.0.1:0", *flags], capture_output=True, text=True,
                                timeout=20 * SCALE)
        return result.returncode, result.stderr

    def test_listen_dtls_needs_a_key_file(self):
        status, err = self.run_daemon("--listen-dtls", "127.0.0.1:0")
        self.assertEqual(status, 2, err)
        self.assertIn("--listen-dtls ([coap] listen_dtls) needs --psk-file", err)

    def test_bad_key_file_is_refused_with_its_line(self):
        with tempfile.TemporaryDirectory() as d:
            keys = os.path.join(d, "keys.psk")
            key_file(keys, [identity_line("a", KEY_A, "x"), "b:%s:" % KEY_B.hex()])
            status, err = self.run_daemon("--listen-dtls", "127.0.0.1:0", "--psk-file", keys)
            self.assertEqual(status, 2, err)
            self.assertIn("keys.psk:3: no sensor patterns", err)
            status, err = self.run_daemon("--listen-dtls", "127.0.0.1:0", "--psk-file", os.path.join(d, "missing.psk"))
            self.assertEqual(status, 2, err)
            self.assertIn("missing.psk: cannot read it", err)

    def test_keys_from_the_configuration_file(self):
        with tempfile.TemporaryDirectory() as d:
            keys = os.path.join(d, "keys.psk")
            key_file(keys, [identity_line("a", KEY_A, "x"), identity_line("b", KEY_B, "y*")])
            conf = os.path.join(d, "outpost.conf")
            with open(conf, "w") as f:
                f.write("[coap]\nlisten_dtls = 127.0.0.1:0\npsk_file = \"%s\"\n" % keys)
            daemon = Daemon("--config", conf)
            try:
                self.assertRegex(daemon.log(), r"listening \(coaps, DTLS 1\.2 PSK\) on 127\.0\.0\.1:\d+ with 2 identities from .*keys\.psk")
                self.assertEqual(daemon.stop(), 0)
            finally:
                daemon.__exit__()

    def test_malformed_listener_is_refused(self):
        status, err = self.run_daemon("--listen-dtls", "nowhere:x", "--psk-file", "/dev/null")
        self.assertEqual(status, 2, err)
        self.assertIn("wants HOST[:PORT]", err)


@unittest.skipIf(not BIN or RUNNER, "needs a dynamically linked daemon run natively (LD_PRELOAD)")
class DTLSAllocationTest(unittest.TestCase):
    """The daemon with the malloc family interposed (Tests/Interop/tools/malloc_preload.c): DTLS
    sessions are set up (the library allocates then), SIGUSR2 restarts the count, and every later
    reading over those sessions must allocate nothing, through the whole daemon."""

    SESSIONS = 8
    READINGS = 100

    def test_readings_over_established_sessions_allocate_nothing(self):
        d = tempfile.mkdtemp(prefix="outpost-dtls-alloc-")
        self.addCleanup(shutil.rmtree, d, True)
        counter_sources = [os.path.join(ROOT, "Sources", "CMallocCounter", "malloc_counter.c"),
                           os.path.join(HERE, "tools", "malloc_preload.c")]
        preload = os.path.join(d, "libmalloc_preload.so")
        subprocess.run(["gcc", "-shared", "-fPIC", "-O2", *counter_sources, "-I",
                        os.path.join(ROOT, "Sources", "CMallocCounter", "include"), "-o", preload], check=True, timeout=60)
        load = os.path.join(d, "dtls_load")
        subprocess.run(["gcc", "-O1", os.path.join(HERE, "tools", "dtls_load.c"), "-lmbedtls", "-lmbedx509", "-lmbedcrypto",
                        "-o", load], check=True, timeout=60)
        keys = os.path.join(d, "keys.psk")
        key_file(keys, [identity_line("sensor-a", KEY_A, "field-a-*")])
        report = os.path.join(d, "count")
        daemon = Daemon("--listen-dtls", "127.0.0.1:0", "--psk-file", keys, "--data-dir", d, "--log-size", "1M",
                        env={"LD_PRELOAD": preload, "OUTPOST_MALLOC_REPORT": report})
        self.addCleanup(daemon.__exit__)
        port = int(re.search(r"listening \(coaps[^)]*\) on 127\.0\.0\.1:(\d+)", daemon.log()).group(1))
        result = subprocess.run([load, "127.0.0.1", str(port), "sensor-a", KEY_A.decode(), str(self.SESSIONS),
                                 str(self.READINGS), str(daemon.process.pid)], capture_output=True, text=True, timeout=120)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        total = self.SESSIONS * self.READINGS
        self.assertIn("acked %d of %d" % (total, total), result.stdout)
        self.assertEqual(daemon.stop(), 0, daemon.log())
        with open(report) as f:
            line = f.read().strip()
        print("\n  %d DTLS sessions, %d readings after they were up: %s" % (self.SESSIONS, total, line))
        self.assertEqual(line, "allocations_after_startup 0")
        summary = re.search(r"outpost: dtls: (.*)", daemon.log()).group(1)
        self.assertIn("handshakes=%d " % self.SESSIONS, summary)
        self.assertIn("messages=%d " % (total + self.SESSIONS), summary)


class DTLSProbeTest(unittest.TestCase):
    """CHAL's DTLS server driven in-process by mbedTLS clients (Tests/Interop/tools/dtls_probe.c)."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="outpost-dtls-probe-")
        cls.probe = os.path.join(cls.dir, "dtls_probe")
        chal = os.path.join(ROOT, "Sources", "CHAL")
        sources = [os.path.join(HERE, "tools", "dtls_probe.c"), os.path.join(ROOT, "Sources", "CMallocCounter", "malloc_counter.c")]
        sources += [os.path.join(chal, f) for f in sorted(os.listdir(chal)) if f.endswith(".c")]
        subprocess.run(["gcc", "-O1", "-DCHAL_WITH_MBEDTLS", "-I", os.path.join(chal, "include"),
                        "-I", os.path.join(ROOT, "Sources", "CMallocCounter", "include"), *sources,
                        "-lmbedtls", "-lmbedx509", "-lmbedcrypto", "-o", cls.probe], check=True, timeout=120)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_sessions_steady_state_and_refusals(self):
        result = subprocess.run([self.probe, "16", "50"], capture_output=True, text=True, timeout=120)
        out = result.stdout
        print("\n" + out, end="")
        self.assertEqual(result.returncode, 0, out + result.stderr)
        self.assertIn("established 16 of 16", out)
        self.assertIn("cookies_sent 16\n", out, "each client was sent one HelloVerifyRequest before any state")
        self.assertIn("sessions 16 up 16", out)
        self.assertIn("records 800 of 800", out)
        self.assertIn("identities ok", out)
        self.assertIn("steady_allocations 0\n", out, "records of sessions that are up allocated")
        self.assertIn("replay dropped", out)
        self.assertIn("garbage dropped", out)
        self.assertIn("table_full refused refused 1", out)
        self.assertIn("after_close_notify up 15", out)
        # sensor-b (index 9) came back with its session: abbreviated handshake, same identity.
        self.assertIn("resumption ok resumed 1 record ok identity 9", out)
        self.assertRegex(out, r"wrong_key refused event 4 text .*Finished did not verify")
        self.assertRegex(out, r"unknown_identity refused event 4 text .*unknown PSK identity 'intruder'")


if __name__ == "__main__":
    unittest.main()
