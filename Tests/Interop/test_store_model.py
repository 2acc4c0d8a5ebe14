"""Models at run time through the real daemon: `--model FILE` (and `[daemon] model`), the model's
identity in /health, a SIGHUP that swaps in another model whole, and models that do not fit the
profile refused with a message that says what does not fit, at start-up (exit 2) and on reload
(the running model stays).

Environment (besides outpost_peer's): OUTPOST_TOOL, the outpost-tool binary (gen, train, score).
Loopback only; the test takes a few seconds.
"""
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import tempfile
import time
import unittest

from outpost_peer import ACK, BIN, CON, POST, RUNNER, SCALE, Daemon, Peer, code_text, request

TOOL = os.environ.get("OUTPOST_TOOL", "")


def tool(*args):
    run = subprocess.run([TOOL, *args], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, (args, run.stderr)
    return run


def profile_info():
    run = subprocess.run(list(RUNNER) + [BIN, "--profile-info"], capture_output=True, text=True, timeout=60 * SCALE)
    return dict(line.split(" ", 1) for line in run.stdout.splitlines() if " " in line)


def crc_of(path):
    with open(path, "rb") as f:
        return struct.unpack("<I", f.read()[-4:])[0]


def pack(sensor, temperature, humidity):
    return json.dumps([{"bn": sensor + "/", "n": "temperature", "u": "Cel", "v": temperature},
                       {"n": "humidity", "u": "%RH", "v": humidity}]).encode()


@unittest.skipUnless(TOOL and BIN, "OUTPOST_TOOL and OUTPOST_BIN not set")
class ModelFileTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.info = profile_info()
        cls.profile = cls.info.get("profile", "")
        cls.trees_max = int(cls.info.get("model_file_trees", "0"))
        cls.directory = tempfile.mkdtemp(prefix="outpost-model-")
        if cls.trees_max == 0:
            return
        d = cls.directory
        cls.train_csv = os.path.join(d, "train.csv")
        tool("gen", "--sensors", "20", "--duration", "120", "--rate", "1", "--seed", "5", "--out", cls.train_csv)
        features = "temperature,humidity"
        cls.model_a = os.path.join(d, "a.opm")
        cls.model_b = os.path.join(d, "b.opm")
        tool("train", "--input", cls.train_csv, "--out", cls.model_a, "--features", features, "--trees", "10",
             "--seed", "1", "--profile", cls.profile)
        tool("train", "--input", cls.train_csv, "--out", cls.model_b, "--features", features, "--trees", "12",
             "--sample-size", "64", "--seed", "2", "--profile", cls.profile)
        cls.too_many = os.path.join(d, "big.opm")
        tool("train", "--input", cls.train_csv, "--out", cls.too_many, "--features", features,
             "--trees", str(cls.trees_max + 20), "--sample-size", "16", "--profile", cls.profile)
        cls.other_profile = os.path.join(d, "other.opm")
        tool("train", "--input", cls.train_csv, "--out", cls.other_profile, "--features", features, "--trees", "5",
             "--profile", "high" if cls.profile != "high" else "medium")
        cls.version1 = os.path.join(d, "v1.opm")
        tool("train", "--input", cls.train_csv, "--out", cls.version1, "--features", features, "--trees", "5")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.directory, ignore_errors=True)

    def setUp(self):
        if self.trees_max == 0:
            self.skipTest("profile %s takes no model file" % self.profile)

    def expected_score(self, model, temperature, humidity):
        """outpost-tool score's score of one row, in the thousandths /sensors/{id} shows."""
        csv = os.path.join(self.directory, "row.csv")
        with open(csv, "w") as f:
            f.write("temperature,humidity\n%s,%s\n" % (temperature, humidity))
        line = tool("score", "--model", model, "--input", csv).stdout.splitlines()[1]
        q16 = int(round(float(line.split(",")[0]) * 65536))
        return ((q16 * 1000 + 32768) // 65536) / 1000  # Server.thousandths

    def post_and_score(self, peer, sensor, temperature, humidity):
        datagram = request(CON, POST, peer.next_mid(), "/readings", payload=pack(sensor, temperature, humidity),
                           content_format=110)
        mtype, code, _, _, _, _ = peer.exchange(datagram)
        self.assertEqual((mtype, code_text(code)), (ACK, "2.04"))
        reply = peer.get("/sensors/" + sensor)
        self.assertEqual(code_text(reply[1]), "2.05")
        return json.loads(reply[5])["score"]

    def copy(self, source, target):
        # Written beside and renamed, as an operator's deploy would: the daemon never reads half a file.
        shutil.copyfile(source, target + ".tmp")
        os.replace(target + ".tmp", target)

    def hup(self, daemon, pattern):
        mark = len(daemon.log())
        daemon.process.send_signal(signal.SIGHUP)
        deadline = time.time() + 10 * SCALE
        while time.time() < deadline:
            tail = daemon.log()[mark:]
            if re.search(pattern, tail):
                return tail
            time.sleep(0.05)
        self.fail("no %r after SIGHUP: %s" % (pattern, daemon.log()[mark:]))

    def test_model_flag_health_and_sighup_swap(self):
        live = os.path.join(self.directory, "live.opm")
        self.copy(self.model_a, live)
        with Daemon("--model", live) as daemon:
            self.assertRegex(daemon.log(), r"model .*live\.opm: model taken \(10 trees, \d+ nodes, 2 features, crc32c 0x%08x\)" % crc_of(self.model_a))
            peer = Peer(daemon.port)
            try:
                model = peer.health()["model"]
                self.assertEqual((model["origin"], model["crc32c"], model["trees"], model["features"]),
                                 ("file", crc_of(self.model_a), 10, 2))
                self.assertGreater(model["loaded_s"], 1_700_000_000)
                self.assertEqual((model["files_taken"], model["files_refused"]), (1, 0))
                reading = (31.5, 22.0)  # warm and dry: scored differently by the two models
                score_a = self.post_and_score(peer, "s1", *reading)
                self.assertAlmostEqual(score_a, self.expected_score(self.model_a, *reading), places=3)

                self.copy(self.model_b, live)
                self.hup(daemon, r"model taken \(12 trees.*swapped in whole")
                model = peer.health()["model"]
                self.assertEqual((model["origin"], model["crc32c"], model["trees"]), ("file", crc_of(self.model_b), 12))
                self.assertEqual((model["files_taken"], model["files_refused"]), (2, 0))
                score_b = self.post_and_score(peer, "s1", *reading)
                self.assertAlmostEqual(score_b, self.expected_score(self.model_b, *reading), places=3)
                self.assertNotEqual(score_a, score_b)

                # A model too large for the profile: refused, and model B keeps scoring.
                self.copy(self.too_many, live)
                tail = self.hup(daemon, r"refused: the running model stays")
                self.assertIn("model has %d trees, profile %s holds %d (refused: the running model stays)"
                              % (self.trees_max + 20, self.profile, self.trees_max), tail)
                # A damaged file, and one that is gone: the same.
                with open(self.model_b, "rb") as f:
                    damaged = bytearray(f.read())
                damaged[100] ^= 0x40
                with open(live, "wb") as f:
                    f.write(damaged)
                tail = self.hup(daemon, r"refused: the running model stays")
                self.assertIn("model checksum mismatch (CRC-32C): the file is damaged", tail)
                os.unlink(live)
                tail = self.hup(daemon, r"refused: the running model stays")
                self.assertIn("cannot read it", tail)
                model = peer.health()["model"]
                self.assertEqual((model["crc32c"], model["files_taken"], model["files_refused"]), (crc_of(self.model_b), 2, 3))
                self.assertEqual(self.post_and_score(peer, "s1", *reading), score_b)
            finally:
                peer.close()
            self.assertEqual(daemon.stop(), 0)

    def test_config_key_path_change_is_live(self):
        config = os.path.join(self.directory, "outpost.conf")
        with open(config, "w") as f:
            f.write('[daemon]\nmodel = "%s"\n' % self.model_a)
        with Daemon("--config", config) as daemon:
            peer = Peer(daemon.port)
            try:
                self.assertEqual(peer.health()["model"]["crc32c"], crc_of(self.model_a))
                with open(config, "w") as f:
                    f.write('[daemon]\nmodel = "%s"\n' % self.model_b)
                tail = self.hup(daemon, r"model taken \(12 trees")
                self.assertIn("[daemon] model path changed", tail)
                self.assertIn("b.opm: model taken", tail)
                self.assertEqual(peer.health()["model"]["crc32c"], crc_of(self.model_b))
            finally:
                peer.close()
            self.assertEqual(daemon.stop(), 0)

    def test_without_model_the_baked_one_runs(self):
        with Daemon() as daemon:
            peer = Peer(daemon.port)
            try:
                model = peer.health()["model"]
            finally:
                peer.close()
            self.assertEqual(daemon.stop(), 0)
        baked = self.info.get("forest_trees")
        if baked:
            self.assertEqual((model["origin"], model["trees"], model["loaded_s"]), ("baked", int(baked), 0))
        else:
            self.assertEqual(model["origin"], "none")

    @unittest.skipIf(RUNNER, "needs a dynamically linked daemon run natively (LD_PRELOAD)")
    def test_reloads_allocate_nothing(self):
        """SIGHUP reloads (taken, too many trees, gone, another profile) and scoring with the swapped
        models, under the malloc family interposer (Tests/Interop/tools/malloc_preload.c): no
        allocation after start-up."""
        here = os.path.dirname(os.path.abspath(__file__))
        root = os.path.join(here, "..", "..")
        preload = os.path.join(self.directory, "libmalloc_preload.so")
        subprocess.run(["gcc", "-shared", "-fPIC", "-O2", os.path.join(root, "Sources", "CMallocCounter", "malloc_counter.c"),
                        os.path.join(here, "tools", "malloc_preload.c"), "-I", os.path.join(root, "Sources", "CMallocCounter", "include"),
                        "-o", preload], check=True, timeout=60)
        report = os.path.join(self.directory, "alloc.count")
        live = os.path.join(self.directory, "alloc.opm")
        self.copy(self.model_a, live)
        with Daemon("--model", live, env={"LD_PRELOAD": preload, "OUTPOST_MALLOC_REPORT": report}) as daemon:
            peer = Peer(daemon.port)
            try:
                for round, (source, pattern) in enumerate([(self.model_b, "model taken"), (self.too_many, "refused"),
                                                           (self.model_a, "model taken"), (None, "refused"),
                                                           (self.other_profile, "refused"), (self.model_b, "model taken")]):
                    if source:
                        self.copy(source, live)
                    else:
                        os.unlink(live)
                    self.hup(daemon, pattern)
                    self.post_and_score(peer, "s%d" % round, 25.0 + round, 40.0)
                    peer.health()
            finally:
                peer.close()
            self.assertEqual(daemon.stop(), 0)
        with open(report) as f:
            line = f.read().strip()
        print("\n  6 model reloads (3 taken, 3 refused) with readings in between: %s" % line)
        self.assertEqual(line, "allocations_after_startup 0")

    def start_refused(self, model):
        run = subprocess.run(list(RUNNER) + [BIN, "--listen", "127.0.0.1:0", "--model", model],
                             capture_output=True, text=True, timeout=30 * SCALE)
        self.assertEqual(run.returncode, 2, run.stderr)
        return run.stderr

    def test_mismatched_models_are_refused_at_start_with_what_does_not_fit(self):
        err = self.start_refused(self.too_many)
        self.assertIn("model has %d trees, profile %s holds %d (refused)" % (self.trees_max + 20, self.profile, self.trees_max), err)
        err = self.start_refused(self.other_profile)
        self.assertRegex(err, r"model was made for profile (high|medium), this build is profile %s \(refused\)" % self.profile)
        err = self.start_refused(self.version1)
        self.assertIn("model format version 1 names no profile", err)
        err = self.start_refused(self.train_csv)
        self.assertIn("not an Outpost model file (bad magic", err)
        err = self.start_refused(os.path.join(self.directory, "missing.opm"))
        self.assertIn("cannot read it", err)
        # A model on an input the gateway does not detect on.
        odd = os.path.join(self.directory, "odd.csv")
        with open(self.train_csv) as source, open(odd, "w") as target:
            for i, line in enumerate(source):
                target.write(line.rstrip("\n") + (",co2\n" if i == 0 else ",%d\n" % (400 + i % 50)))
        odd_model = os.path.join(self.directory, "odd.opm")
        tool("train", "--input", odd, "--out", odd_model, "--features", "temperature,co2", "--trees", "5",
             "--profile", self.profile)
        err = self.start_refused(odd_model)
        self.assertIn("model feature 1 'co2' is not a quantity this gateway detects on (temperature, humidity, "
                      "pressure, vibration, power_consumption) (refused)", err)


if __name__ == "__main__":
    unittest.main()
