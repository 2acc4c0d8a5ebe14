"""Plain CoAP by choice, through the real daemon (docs/SECURITY.md, docs/CONFIG.md): a listener is
`open` (the default), `read-only` (GET only: a POST is answered 4.03 Forbidden, not 4.05, since
the resource does take POST elsewhere and it is this listener that may not write), or limited to
an allow-list of CIDR prefixes (datagrams from other sources are dropped unanswered and counted).
A plain listener on a non-loopback address without an allow-list logs a warning. A GET from a
plain source, CON as well as NON, is answered with at most --amplification-factor times the
request's bytes (RFC 7252 §11.3): libcoap's coap-client-notls still reads /health and /metrics
whole, block by block.

Environment: outpost_peer's (OUTPOST_BIN, ...). Loopback only; a few seconds.
"""
import json
import os
import shutil
import socket
import subprocess
import time
import unittest

from outpost_peer import CON, GET, POST, SCALE, Daemon, Peer, code_text, parse, request, senml_json

COAP_CLIENT = shutil.which(os.environ.get("COAP_CLIENT", "coap-client-notls")) or shutil.which("coap-client")


def post(port, sensor, bind=None):
    peer = Peer(port)
    if bind:
        peer.socket.bind((bind, 0))
    peer.socket.settimeout(1.0)
    try:
        reply = peer.exchange(request(CON, POST, peer.next_mid(), "/readings", content_format=110,
                                      payload=senml_json(sensor)))
        return code_text(reply[1]), reply[5]
    except socket.timeout:
        return None, b""
    finally:
        peer.close()


def metrics_drops(port):
    peer = Peer(port)
    try:
        drops = {}
        for line in peer.get("/metrics")[5].decode().splitlines():
            if line.startswith("outpost_source_drops_total{"):
                drops[line.split('"')[1]] = int(line.split()[-1])
        return drops
    finally:
        peer.close()


class AccessTest(unittest.TestCase):
    def test_read_only_listener_refuses_post_with_403_and_serves_get(self):
        with Daemon(listen=("127.0.0.1:0,read-only", "127.0.0.1:0")) as daemon:
            self.assertIn("read-only)", daemon.log())
            code, payload = post(daemon.ports[0], "ro-1")
            self.assertEqual(code, "4.03", payload)
            self.assertIn(b"read-only", payload)
            peer = Peer(daemon.ports[0])
            self.assertEqual(peer.health()["sensors"], 0, "nothing was written")
            peer.close()
            # The open listener of the same daemon takes it.
            self.assertEqual(post(daemon.ports[1], "ro-1")[0], "2.04")
            self.assertEqual(metrics_drops(daemon.ports[0])["read_only"], 1)
            self.assertEqual(daemon.stop(), 0)

    def test_allow_list_drops_sources_outside_it(self):
        with Daemon(listen=("127.0.0.1:0,allow=127.0.0.2/32", "127.0.0.1:0,allow=127.0.0.0/8,allow=[fd00::]/8")) as daemon:
            code, _ = post(daemon.ports[0], "al-1")  # from 127.0.0.1: not on the list
            self.assertIsNone(code, "a source outside the allow-list gets no answer")
            self.assertEqual(post(daemon.ports[0], "al-2", bind="127.0.0.2")[0], "2.04")
            self.assertEqual(post(daemon.ports[1], "al-3")[0], "2.04", "127.0.0.0/8 holds 127.0.0.1")
            self.assertGreaterEqual(metrics_drops(daemon.ports[1])["not_allowed"], 1)
            self.assertNotIn("has no allow-list", daemon.log())
            self.assertEqual(daemon.stop(), 0)

    def test_plain_listener_on_every_address_warns(self):
        with Daemon(listen=("0.0.0.0:0",)) as daemon:
            self.assertRegex(daemon.log(), r"outpost: warning: plain CoAP on 0\.0\.0\.0:\d+ has no allow-list")
            self.assertEqual(daemon.stop(), 0)
        with Daemon(listen=("0.0.0.0:0,allow=127.0.0.0/8",)) as daemon:
            self.assertNotIn("has no allow-list", daemon.log())
            self.assertEqual(daemon.stop(), 0)
        with Daemon(listen=("127.0.0.1:0",)) as daemon:
            self.assertNotIn("has no allow-list", daemon.log(), "loopback needs no warning")
            self.assertEqual(daemon.stop(), 0)

    def test_con_get_answers_stay_within_the_amplification_limit(self):
        with Daemon() as daemon:  # --amplification-factor 4, the default
            port = daemon.port
            # Some sensors, so /metrics and /health are several KiB.
            for i in range(8):
                self.assertEqual(post(port, "amp-%d" % i)[0], "2.04")
            # A raw CON GET: its piggybacked answer is at most 4x the request, the first block.
            peer = Peer(port)
            peer.socket.settimeout(2.0)
            datagram = request(CON, GET, peer.next_mid(), "/metrics", token=b"\x01\x02")
            peer.send(datagram)
            answer = peer.receive()
            self.assertLessEqual(len(answer), 4 * len(datagram), "CON: at most 4x the request")
            reply = parse(answer)
            self.assertEqual(code_text(reply[1]), "2.05")
            self.assertIn(23, reply[4], "a Block2 transfer in small blocks")
            peer.close()
            before = metrics_drops(port)["amplification"]
            self.assertGreater(before, 0)
            if not COAP_CLIENT:
                self.fail("coap-client-notls (libcoap3-bin) is not installed")
            url = "coap://127.0.0.1:%d" % port
            # libcoap follows the server's smaller blocks and reads both bodies whole.
            result = subprocess.run([COAP_CLIENT, "-B", str(int(30 * SCALE)), "-m", "get", url + "/health"],
                                    capture_output=True, timeout=60 * SCALE)
            self.assertEqual(result.returncode, 0, result.stderr)
            health = json.loads(result.stdout)
            self.assertEqual(health["sensors"], 8)
            result = subprocess.run([COAP_CLIENT, "-B", str(int(60 * SCALE)), "-m", "get", url + "/metrics"],
                                    capture_output=True, timeout=120 * SCALE)
            self.assertEqual(result.returncode, 0, result.stderr)
            lines = result.stdout.decode().strip().splitlines()
            self.assertGreater(len(lines), 50)
            self.assertTrue(lines[-1].startswith("outpost_tick_latency_seconds_count "), "the whole body arrived")
            for line in lines:
                self.assertTrue(line.startswith("# ") or len(line.split(" ")) == 2, "spliced body: %r" % line)
            # Each small block was a request of the source's bucket (200/s, two seconds held):
            # let it refill before reading /metrics once more the same way.
            time.sleep(2.5 * SCALE)
            after = metrics_drops(port)["amplification"]
            self.assertGreaterEqual(after - before, 2, "libcoap's first blocks were cut too")
            # With the limit off, the same CON GET gets a full-size block.
            self.assertEqual(daemon.stop(), 0)
        with Daemon("--amplification-factor", "0") as daemon:
            peer = Peer(daemon.port)
            peer.socket.settimeout(2.0)
            datagram = request(CON, GET, peer.next_mid(), "/metrics", token=b"\x01\x02")
            peer.send(datagram)
            self.assertGreater(len(peer.receive()), 4 * len(datagram))
            peer.close()
            self.assertEqual(daemon.stop(), 0)

    def test_bad_listener_options_are_refused(self):
        for value in ("127.0.0.1:0,everyone", "127.0.0.1:0,allow=10.0.0.0/33", "127.0.0.1:0,allow=",
                      "127.0.0.1:0," + ",".join(["allow=10.0.0.0/8"] * 9)):
            with self.assertRaises(RuntimeError) as caught:
                Daemon(listen=(value,))
            self.assertIn("exited at start-up (2)", str(caught.exception))
            self.assertIn("wants HOST:PORT[,open|,read-only][,allow=CIDR]", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
