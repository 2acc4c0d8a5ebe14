"""Serial line errors through the real daemon: a SLIP line gets a frame with a bad escape and an
oversize frame, a line-mode line a line longer than its buffer, and the SLIP device is unplugged
once; `/health` (`serial`) and `/metrics` (`outpost_serial_errors_total`) count each while the
daemon runs, not only in its exit line.

Pseudo-terminals stand in for the devices (no socat needed). Loopback only; a few seconds.
"""
import os
import shutil
import tempfile
import time
import unittest

from outpost_peer import CON, GET, POST, SCALE, Daemon, Peer, code_text, request, senml_json, slip_encode, uint_option
from test_interop import PtyDevice


def metrics_text(peer):
    """GET /metrics block by block (Block2, 1024-byte blocks)."""
    body = b""
    following = None  # the next block in the server's block size (it may send smaller ones)
    for _ in range(4096):
        extra = [(23, uint_option(following))] if following is not None else []
        _, code, _, _, options, payload = peer.exchange(request(CON, GET, peer.next_mid(), "/metrics", extra=extra))
        assert code_text(code) == "2.05", code_text(code)
        body += payload
        block = options.get(23)
        if not block or not int.from_bytes(block[0], "big") & 8:
            break
        szx = int.from_bytes(block[0], "big") & 7
        following = (len(body) >> (szx + 4)) << 4 | szx
    return body.decode()


class SerialCounterTests(unittest.TestCase):
    def setUp(self):
        self.directory = tempfile.mkdtemp(prefix="outpost-serial-")

    def tearDown(self):
        shutil.rmtree(self.directory, ignore_errors=True)

    def wait_serial(self, peer, predicate, timeout=10):
        deadline = time.time() + timeout * SCALE
        serial = None
        while time.time() < deadline:
            serial = peer.health().get("serial")
            if serial and predicate(serial):
                return serial
            time.sleep(0.1)
        self.fail("serial counters never got there: %s" % serial)

    def test_errors_show_in_health_and_metrics_while_running(self):
        slip = PtyDevice(os.path.join(self.directory, "tty-slip"))
        text = PtyDevice(os.path.join(self.directory, "tty-line"))
        with Daemon("--serial", slip.link + "@115200:slip", "--serial", text.link + "@115200:line") as daemon:
            peer = Peer(daemon.port)
            try:
                self.wait_serial(peer, lambda s: s["open"] == 2)
                # ESC followed by a plain byte: a bad escape (RFC 1055 allows only ESC_END, ESC_ESC).
                slip.write(b"\xc0\x40\xdb\x01\x02\xc0")
                # A frame longer than the largest datagram.
                slip.write(b"\xc0" + b"\x41" * 5000 + b"\xc0")
                # A text line longer than the line buffer, then a good line.
                text.write(b"x" * 10000 + b"\n")
                text.write(b'[{"bn":"line-ok/","n":"temperature","u":"Cel","v":20}]\n')
                # A good SLIP request still goes through afterwards.
                slip.write(slip_encode(request(CON, POST, 0x1234, "/readings", token=b"\x05",
                                               payload=senml_json("slip-ok"), content_format=110)))
                serial = self.wait_serial(peer, lambda s: s["bad_escapes"] >= 1 and s["oversize_frames"] >= 1
                                          and s["lines_too_long"] >= 1)
                self.assertEqual((serial["bad_escapes"], serial["oversize_frames"], serial["lines_too_long"]), (1, 1, 1))
                self.assertEqual(serial["losses"], 0)
                # Unplugging the SLIP device is a loss; the line is shown not open, not as degraded.
                slip.unplug()
                serial = self.wait_serial(peer, lambda s: s["losses"] >= 1)
                self.assertEqual(serial["open"], 1)
                self.assertEqual(peer.health()["status"], "ok")
                metrics = metrics_text(peer)
                for kind, value in (("bad_escape", 1), ("oversize_frame", 1), ("line_too_long", 1), ("line_lost", 1)):
                    self.assertIn('outpost_serial_errors_total{kind="%s"} %d\n' % (kind, value), metrics)
                self.assertGreaterEqual(peer.health()["counters"]["readings_accepted"], 2)
                print("\nserial counters: %s" % serial)
            finally:
                peer.close()
            self.assertEqual(daemon.stop(), 0)
        text.unplug()


if __name__ == "__main__":
    unittest.main()
