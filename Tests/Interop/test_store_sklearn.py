"""From scikit-learn to the gateway: an IsolationForest fitted in the project venv on generated
data, saved with joblib, exported by scripts/export_sklearn.py, converted by `outpost-tool
import`, scored by `outpost-tool score` (the core evaluator) within 1e-3 of sklearn's
-score_samples on a held-out set, and run by the real daemon with --model like a trained model.

Environment (besides outpost_peer's): OUTPOST_TOOL, the outpost-tool binary. Needs numpy,
scikit-learn and joblib (scripts/ensure-tools.sh venv puts them in build/venv). Loopback only; a
few seconds.
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

from outpost_peer import ACK, BIN, CON, POST, RUNNER, SCALE, Daemon, Peer, code_text, request

TOOL = os.environ.get("OUTPOST_TOOL", "")
EXPORT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "export_sklearn.py")
FEATURES = ["temperature", "humidity", "pressure", "vibration", "power_consumption"]
UNITS = {"temperature": "Cel", "humidity": "%RH", "pressure": "hPa", "vibration": "m/s2", "power_consumption": "W"}

try:
    import joblib
    import numpy
    from sklearn.ensemble import IsolationForest
except ImportError:  # the venv group of scripts/ensure-tools.sh installs them
    IsolationForest = None


def data(rng, rows, spread=1.0):
    """Rows of the five quantities on the core's grid (3 decimals), a few far off."""
    columns = [rng.normal(22, 2 * spread, rows), rng.normal(50, 6 * spread, rows), rng.normal(1013, 4 * spread, rows),
               numpy.abs(rng.normal(0.5, 0.2 * spread, rows)), rng.normal(100, 10 * spread, rows)]
    x = numpy.round(numpy.column_stack(columns), 3)
    return x


def write_csv(path, x):
    with open(path, "w") as f:
        f.write(",".join(FEATURES) + "\n")
        for row in x:
            f.write(",".join("%.3f" % v for v in row) + "\n")


def run(args, check=True):
    result = subprocess.run(args, capture_output=True, text=True, timeout=300)
    if check:
        assert result.returncode == 0, (args, result.stderr)
    return result


@unittest.skipUnless(TOOL, "OUTPOST_TOOL not set")
@unittest.skipIf(IsolationForest is None, "scikit-learn, joblib and numpy are not installed (scripts/ensure-tools.sh venv)")
class SklearnImportTests(unittest.TestCase):
    def setUp(self):
        self.directory = tempfile.mkdtemp(prefix="outpost-sklearn-")
        self.rng = numpy.random.default_rng(14)
        self.train = data(self.rng, 3000)
        self.test_x = data(self.rng, 1500, spread=2.0)
        self.test_csv = os.path.join(self.directory, "test.csv")
        write_csv(self.test_csv, self.test_x)

    def tearDown(self):
        shutil.rmtree(self.directory, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.directory, name)

    def round_trip(self, forest, name, profile=None):
        """Fits, saves, exports, imports and scores; returns (model path, our scores, anomalies)."""
        forest.fit(self.train)
        joblib.dump(forest, self.path(name + ".joblib"))
        exported = run([sys.executable, EXPORT, self.path(name + ".joblib")])
        with open(self.path(name + ".json"), "w") as f:
            f.write(exported.stdout)
        document = json.loads(exported.stdout)
        self.assertEqual((document["format"], document["version"]), ("outpost-sklearn-isolation-forest", 1))
        self.assertEqual(document["max_samples"], forest.max_samples_)
        self.assertEqual(document["offset"], forest.offset_)
        model = self.path(name + ".opm")
        args = [TOOL, "import", self.path(name + ".json"), "--features", ",".join(FEATURES), "--out", model]
        if profile:
            args += ["--profile", profile]
        run(args)
        scored = run([TOOL, "score", "--model", model, "--input", self.test_csv]).stdout.splitlines()
        self.assertEqual(scored[0], "score,anomaly")
        ours = numpy.array([float(line.split(",")[0]) for line in scored[1:]])
        flags = numpy.array([line.split(",")[1] == "1" for line in scored[1:]])
        return model, ours, flags

    def compare(self, forest, ours, flags, label):
        expected = -forest.score_samples(self.test_x)
        error = numpy.abs(ours - expected).max()
        print("\nsklearn import (%s): %d rows, max |score - (-score_samples)| = %.2e" % (label, len(ours), error))
        self.assertLess(error, 1e-3)
        # Decisions: sklearn flags score_samples < offset_; the model flags s >= -offset_. They
        # may differ only on rows within rounding of the threshold.
        sklearn_flags = forest.predict(self.test_x) == -1
        threshold = -forest.offset_
        for i in numpy.nonzero(sklearn_flags != flags)[0]:
            self.assertLess(abs(expected[i] - threshold), 1e-3, "row %d decided differently far from the threshold" % i)
        self.assertGreater(int(sklearn_flags.sum()), 0, "the test set should hold some anomalies")

    def test_scores_match_score_samples(self):
        forest = IsolationForest(n_estimators=60, max_samples=200, contamination=0.05, random_state=3)
        _, ours, flags = self.round_trip(forest, "plain")
        self.compare(forest, ours, flags, "60 trees, max_samples 200, contamination 0.05")

    def test_feature_subsets_map_to_their_columns(self):
        # max_features < 1: each tree sees a subset of the columns (estimators_features_).
        forest = IsolationForest(n_estimators=40, max_samples=128, max_features=0.6, random_state=9)
        _, ours, flags = self.round_trip(forest, "subset")
        self.compare(forest, ours, flags, "40 trees, max_features 0.6, offset -0.5")

    def test_daemon_takes_the_imported_model(self):
        info = run(list(RUNNER) + [BIN, "--profile-info"]).stdout if BIN else ""
        fields = dict(line.split(" ", 1) for line in info.splitlines() if " " in line)
        if int(fields.get("model_file_trees", "0")) == 0:
            self.skipTest("no daemon, or its profile takes no model file")
        forest = IsolationForest(n_estimators=50, max_samples=256, random_state=5)
        model, ours, _ = self.round_trip(forest, "daemon", profile=fields["profile"])
        with open(model, "rb") as f:
            crc = struct.unpack("<I", f.read()[-4:])[0]
        with Daemon("--model", model) as daemon:
            peer = Peer(daemon.port)
            try:
                health = peer.health()["model"]
                self.assertEqual((health["origin"], health["crc32c"], health["trees"], health["features"]),
                                 ("file", crc, 50, 5))
                expected = -forest.score_samples(self.test_x[:20])
                for i in range(20):
                    row = self.test_x[i]
                    records = [{"bn": "rig/", "n": FEATURES[0], "u": UNITS[FEATURES[0]], "v": float(row[0])}]
                    records += [{"n": f, "u": UNITS[f], "v": float(v)} for f, v in zip(FEATURES[1:], row[1:])]
                    datagram = request(CON, POST, peer.next_mid(), "/readings", payload=json.dumps(records).encode(),
                                       content_format=110)
                    mtype, code, _, _, _, _ = peer.exchange(datagram)
                    self.assertEqual((mtype, code_text(code)), (ACK, "2.04"))
                    reply = peer.get("/sensors/rig")
                    score = json.loads(reply[5])["score"]
                    # /sensors shows thousandths of the same Q16 score outpost-tool printed.
                    q16 = int(round(ours[i] * 65536))
                    self.assertEqual(score, ((q16 * 1000 + 32768) // 65536) / 1000, i)
                    self.assertLess(abs(score - expected[i]), 1.5e-3, i)
            finally:
                peer.close()
            self.assertEqual(daemon.stop(), 0)

    def test_bad_inputs_get_clear_errors(self):
        joblib.dump({"not": "a forest"}, self.path("dict.joblib"))
        result = run([sys.executable, EXPORT, self.path("dict.joblib")], check=False)
        self.assertEqual(result.returncode, 2)
        self.assertIn("not an IsolationForest but dict", result.stderr)
        result = run([sys.executable, EXPORT, self.path("missing.joblib")], check=False)
        self.assertEqual(result.returncode, 2)
        joblib.dump(IsolationForest(), self.path("unfitted.joblib"))
        result = run([sys.executable, EXPORT, self.path("unfitted.joblib")], check=False)
        self.assertIn("not fitted", result.stderr)

        forest = IsolationForest(n_estimators=3, max_samples=32, random_state=1).fit(self.train)
        joblib.dump(forest, self.path("small.joblib"))
        document = json.loads(run([sys.executable, EXPORT, self.path("small.joblib")]).stdout)
        cases = {
            "wrong count": (document, "a,b", "--features names 2 inputs; "),
            "not json": ("{", ",".join(FEATURES), "not JSON"),
            "format": (dict(document, format="x"), ",".join(FEATURES), '"format" is not'),
            "cycle": (dict(document, trees=[dict(document["trees"][0],
                                                 children_left=[0] + document["trees"][0]["children_left"][1:])]),
                      ",".join(FEATURES), "reached twice"),
        }
        for label, (body, features, message) in cases.items():
            with open(self.path("bad.json"), "w") as f:
                f.write(body if isinstance(body, str) else json.dumps(body))
            result = run([TOOL, "import", self.path("bad.json"), "--features", features, "--out", self.path("bad.opm")],
                         check=False)
            self.assertEqual(result.returncode, 2, label)
            self.assertIn(message, result.stderr, label)
            self.assertFalse(os.path.exists(self.path("bad.opm")), label)


if __name__ == "__main__":
    unittest.main()
