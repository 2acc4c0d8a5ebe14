"""Learning on the board through the real daemon (docs/CONFIG.md §9): a high-profile gateway
samples the readings it judges normal and, on its schedule, builds a forest from them in its
static arena and swaps it in whole — /health then shows origin `learned`, the model's age and the
rows it was learned from; a schedule with too few samples keeps the running model and says so;
two gateways given the same readings and seed learn byte-identical models (the same CRC-32C);
bad values of the flags are refused, and a profile that does not learn refuses them.

Runs the x86_64 high firmware (built here with make when missing; OUTPOST_HIGH_BIN overrides);
the medium daemon of OUTPOST_BIN, when it is one, for the refusal. Loopback only; about 20 s.
"""
import json
import os
import random
import subprocess
import time
import unittest

import outpost_peer
from outpost_peer import CON, POST, SCALE, Daemon, Peer, code_text, request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HIGH_BIN = os.environ.get("OUTPOST_HIGH_BIN", os.path.join(ROOT, "build", "firmware", "x86_64-high", "outpost"))


def ensure_high():
    """The high firmware, built with make when it is not there yet."""
    if not os.access(HIGH_BIN, os.X_OK) and "OUTPOST_HIGH_BIN" not in os.environ:
        subprocess.run(["make", "--no-print-directory", "firmware", "ARCH=x86_64", "PROFILE=high"], cwd=ROOT,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=1800)
    return os.access(HIGH_BIN, os.X_OK)


class Client(Peer):
    """A peer whose socket is closed at the end of a `with` block."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.socket.close()


class HighDaemon(Daemon):
    """The daemon helper on the high firmware, whatever OUTPOST_BIN is."""

    def __init__(self, *flags, **kwargs):
        saved = outpost_peer.BIN
        outpost_peer.BIN = HIGH_BIN
        try:
            super().__init__(*flags, **kwargs)
        finally:
            outpost_peer.BIN = saved


def post_normal(peer, sensor, rng):
    """One reading of all five quantities in the ranges the baked models were trained on (CON, must be 2.04)."""
    pack = [
        {"bn": sensor + ":", "n": "temperature", "u": "Cel", "v": round(rng.uniform(20, 30), 2)},
        {"n": "humidity", "u": "%RH", "v": round(rng.uniform(40, 70), 2)},
        {"n": "pressure", "u": "Pa", "v": round(rng.uniform(100500, 102000), 1)},
        {"n": "vibration", "u": "m/s2", "v": round(rng.uniform(0.3, 0.7), 3)},
        {"n": "power_consumption", "u": "W", "v": round(rng.uniform(80, 120), 2)},
    ]
    reply = peer.exchange(request(CON, POST, peer.next_mid(), "/readings", token=os.urandom(4),
                                  payload=json.dumps(pack).encode(), content_format=110))
    assert code_text(reply[1]) == "2.04", (code_text(reply[1]), reply[5])


def model(peer):
    return peer.health()["model"]


def wait_model(peer, predicate, timeout):
    deadline = time.time() + timeout * SCALE
    current = model(peer)
    while time.time() < deadline and not predicate(current):
        time.sleep(0.1)
        current = model(peer)
    return current


@unittest.skipUnless(ensure_high(), "the x86_64 high firmware did not build")
class RetrainTest(unittest.TestCase):
    def feed(self, daemon, count, seed=11):
        rng = random.Random(seed)
        with Client(daemon.port) as peer:
            for i in range(count):
                post_normal(peer, "room-%d" % (i % 4), rng)

    def test_learned_model_is_swapped_in(self):
        with HighDaemon("--retrain-every", "3", "--retrain-window", "200", "--retrain-seed", "7") as daemon:
            self.assertTrue(daemon.wait_log(r"learning on the board every 3 s from the last 200 normal readings \(seed 7\)"))
            with Client(daemon.port) as peer:
                before = model(peer)
                self.assertEqual(before["origin"], "baked")
                self.assertEqual(before["learn"], "sampling")
                self.assertEqual(before["learned_samples"], 0)
                self.feed(daemon, 150)
                sampled = model(peer)["sample_rows"]
                self.assertGreaterEqual(sampled, 64, "most quiet readings are judged normal and sampled")
                after = wait_model(peer, lambda m: m["origin"] == "learned", 15)
                self.assertEqual(after["origin"], "learned", after)
                self.assertGreaterEqual(after["learned_samples"], 64)
                self.assertLessEqual(after["learned_samples"], 150)
                self.assertGreaterEqual(after["learned_models"], 1)
                self.assertNotEqual(after["crc32c"], before["crc32c"])
                self.assertEqual(after["trees"], 100)
                self.assertEqual(after["features"], before["features"], "the learned model reads the running model's inputs")
                self.assertLess(after["age_ms"], 10_000 * SCALE)
                self.assertIn(after["learn"], ("sampling", "building"))
                # The learned model scores readings: quiet ones stay normal, a wild one is an anomaly.
                anomalies = peer.health()["counters"]["anomalies"]
                self.feed(daemon, 20, seed=12)
                rng = random.Random(5)
                pack = [{"bn": "room-x:", "n": "temperature", "u": "Cel", "v": 33.0},
                        {"n": "humidity", "u": "%RH", "v": 80.0}, {"n": "pressure", "u": "Pa", "v": 99000},
                        {"n": "vibration", "u": "m/s2", "v": 3.0}, {"n": "power_consumption", "u": "W", "v": 400}]
                reply = peer.exchange(request(CON, POST, peer.next_mid(), "/readings", token=os.urandom(4),
                                              payload=json.dumps(pack).encode(), content_format=110))
                self.assertEqual(code_text(reply[1]), "2.04")
                del rng
                self.assertGreaterEqual(peer.health()["counters"]["anomalies"], anomalies + 1)
            self.assertTrue(daemon.wait_log(r"learned model taken \(100 trees, \d+ nodes from \d+ normal readings, crc32c 0x[0-9a-f]{8}"))
            self.assertEqual(daemon.stop(), 0)

    def test_too_few_samples_keep_the_running_model(self):
        with HighDaemon("--retrain-every", "1") as daemon:
            with Client(daemon.port) as peer:
                self.feed(daemon, 10)
                state = wait_model(peer, lambda m: m["learn_skipped"] >= 1, 10)
                self.assertEqual(state["learn"], "too few samples")
                self.assertEqual(state["origin"], "baked")
                self.assertEqual(state["learned_models"], 0)
            self.assertTrue(daemon.wait_log(r"learning skipped: \d+ normal readings sampled, a build needs 64"))
            self.assertEqual(daemon.stop(), 0)

    def test_same_readings_and_seed_learn_the_same_model(self):
        crcs = []
        for _ in range(2):
            with HighDaemon("--retrain-every", "5", "--retrain-seed", "3") as daemon:
                started = time.time()
                self.feed(daemon, 120, seed=21)
                if time.time() - started > 4:
                    self.skipTest("feeding took longer than the first period: the samples would differ")
                with Client(daemon.port) as peer:
                    learned = wait_model(peer, lambda m: m["origin"] == "learned", 20)
                    self.assertEqual(learned["origin"], "learned")
                    crcs.append((learned["crc32c"], learned["learned_samples"]))
                daemon.stop()
        self.assertEqual(crcs[0], crcs[1])

    def test_off_and_bad_values(self):
        with HighDaemon("--retrain-every", "0") as daemon:
            with Client(daemon.port) as peer:
                self.assertEqual(model(peer)["learn"], "off")
            self.assertEqual(daemon.stop(), 0)
        for flags, message in [(["--retrain-window", "10"], "wants a row count, 64 to"),
                               (["--retrain-every", "90000"], "wants seconds, 0 (no learning on the board) to 86400"),
                               (["--retrain-window", "1001"], "wants a row count, 64 to"), (["--retrain-seed", "x"], "wants a seed")]:
            run = subprocess.run([HIGH_BIN, "--listen", "127.0.0.1:0"] + flags, capture_output=True, text=True, timeout=30 * SCALE)
            self.assertEqual(run.returncode, 2, (flags, run.stderr))
            self.assertIn(message, run.stderr)

    @unittest.skipUnless(outpost_peer.BIN and not outpost_peer.RUNNER, "no OUTPOST_BIN")
    def test_a_profile_that_does_not_learn_refuses_the_flags(self):
        info = subprocess.run([outpost_peer.BIN, "--profile-info"], capture_output=True, text=True, timeout=30)
        if "profile high" in info.stdout:
            self.skipTest("OUTPOST_BIN is a high build")
        run = subprocess.run([outpost_peer.BIN, "--listen", "127.0.0.1:0", "--retrain-every", "5"], capture_output=True,
                             text=True, timeout=30)
        self.assertEqual(run.returncode, 2, run.stderr)
        self.assertIn("only the high profile learns on the board", run.stderr)


if __name__ == "__main__":
    unittest.main()
