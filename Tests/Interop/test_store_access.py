"""Plain CoAP by choice, through the real daemon (docs/SECURITY.md, docs/CONFIG.md): a listener is
`open` (the default), `read-only` (GET only: a POST is answered 4.03 Forbidden, not 4.05, since
the resource does take POST elsewhere and it is this listener that may not write), or limited to
an allow-list of CIDR prefixes (datagrams from other sources are dropped unanswered and counted).
A plain listener on a non-loopback address without an allow-list logs a warning.

Environment: outpost_peer's (OUTPOST_BIN, ...). Loopback only; a few seconds.
"""
import socket
import unittest

from outpost_peer import CON, POST, Daemon, Peer, code_text, request, senml_json


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

    def test_bad_listener_options_are_refused(self):
        for value in ("127.0.0.1:0,everyone", "127.0.0.1:0,allow=10.0.0.0/33", "127.0.0.1:0,allow=",
                      "127.0.0.1:0," + ",".join(["allow=10.0.0.0/8"] * 9)):
            with self.assertRaises(RuntimeError) as caught:
                Daemon(listen=(value,))
            self.assertIn("exited at start-up (2)", str(caught.exception))
            self.assertIn("wants HOST:PORT[,open|,read-only][,allow=CIDR]", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
