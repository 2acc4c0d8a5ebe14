"""The uplink through the real daemon to a strict SenML receiver (senml_strict.StrictReceiver):
every record type the daemon logs arrives as valid SenML (RFC 8428 §4, §6) and is taken; a record
the receiver refuses for good is set aside behind a marker while the rest goes on, and raises the
gateway's own `uplink_rejected` alert (in /alerts, in /health's reasons, and forwarded upstream as
valid SenML like every alert); after a 60 s
outage (the receiver dropping everything, or `outpost-tool collect` stopped and started again on its
port) the first forward comes within 5 s of the upstream's return; /health's forward lag is right
during the outage, on the alerts-first path too; under batch durability the cursor never passes
the durable sequence.

Environment (besides outpost_peer's): OUTPOST_TOOL, the outpost-tool binary (for `log dump`).
Loopback only; every wait is bounded.
"""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

from outpost_peer import BIN, CON, POST, RUNNER, SCALE, Daemon, Peer, code_text, request, senml_json, uint_option
from senml_strict import Invalid, StrictReceiver, check_pack

TOOL = os.environ.get("OUTPOST_TOOL", "")
REJECT = 0x96  # 4.22 Unprocessable Entity


def post(peer, sensor, value):
    """One CON POST of a temperature reading; returns the answer's code text."""
    reply = peer.exchange(request(CON, POST, peer.next_mid(), "/readings", token=os.urandom(4),
                                  payload=senml_json(sensor, value=value), content_format=110))
    return code_text(reply[1])


def get_all(peer, path):
    """GET `path`, following Block2 (RFC 7959) to the end of the body. Asks for 1024-byte blocks
    and takes the smaller size a server answers with (a low-profile firmware's datagrams are
    smaller), counting the next block number in that size."""
    body, szx = b"", 6
    for _ in range(256):
        number = len(body) >> (szx + 4)
        reply = peer.exchange(request(CON, 1, peer.next_mid(), path, token=os.urandom(4),
                                      extra=[(23, uint_option((number << 4) | szx))]))
        block = reply[4].get(23)
        if not block:
            return reply[5]
        value = int.from_bytes(block[0], "big")
        szx = value & 7
        assert (value >> 4) << (szx + 4) == len(body), "block %d of size %d at offset %d" % (value >> 4, 16 << szx, len(body))
        body += reply[5]
        if not value & 8:
            return body
    raise AssertionError("more than 256 blocks")


def wait_for(predicate, timeout, step=0.1):
    deadline = time.time() + timeout * SCALE
    while time.time() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(step)
    return predicate()


class StrictCheckerTests(unittest.TestCase):
    """The checker itself refuses what RFC 8428 forbids (so a pass below means something)."""

    def test_checker_refuses_each_broken_rule(self):
        import cbor2
        good = [{-2: "node/", 0: "s/temperature", 1: "Cel", 2: 21.5, 6: 1767225600, "seq": 1}]
        check_pack(cbor2.dumps(good))
        cases = {
            "two value fields": [{-2: "n/", 0: "a", 2: 1, 3: "x", "seq": 1}],
            "no value field": [{-2: "n/", 0: "a", "seq": 1}],
            "name character": [{-2: "n/", 0: "a#b", 2: 1}],
            "name start": [{-2: "_n/", 0: "a", 2: 1}],
            "must understand": [{-2: "n/", 0: "a", 2: 1, "x_": 1}],
            "text registered label": [{"bn": "n/", 0: "a", 2: 1}],
            "unknown integer label": [{-2: "n/", 0: "a", 2: 1, 99: 1}],
            "v type": [{-2: "n/", 0: "a", 2: "1"}],
            "vs type": [{-2: "n/", 0: "a", 3: 1}],
            "unit": [{-2: "n/", 0: "a", 1: "degC", 2: 1}],
            "seq type": [{-2: "n/", 0: "a", 2: 1, "seq": -1}],
            "bver": [{-1: 11, -2: "n/", 0: "a", 2: 1}],
            "not array": {-2: "n/"},
        }
        for what, pack in cases.items():
            with self.assertRaises(Invalid, msg=what):
                check_pack(cbor2.dumps(pack))


class NodeIdTests(unittest.TestCase):
    def test_node_id_must_start_with_a_letter_or_digit(self):
        # It starts every SenML name the uplink sends (RFC 8428 §4.5.1).
        for bad in ("_gw", "-gw", ":gw", "#1"):
            result = subprocess.run(RUNNER + [BIN, "--node-id", bad], capture_output=True, timeout=10 * SCALE)
            self.assertEqual(result.returncode, 2, bad)
            self.assertIn(b"starting with a letter or digit", result.stderr, bad)


@unittest.skipUnless(TOOL, "OUTPOST_TOOL (outpost-tool for log dump) not set")
class StrictUplinkTests(unittest.TestCase):
    def setUp(self):
        self.directory = tempfile.mkdtemp(prefix="outpost-uplink-strict-")

    def tearDown(self):
        shutil.rmtree(self.directory, ignore_errors=True)

    def test_every_record_type_is_valid_senml_and_a_refused_record_is_set_aside(self):
        # The receiver refuses, as an ingest with its own rules would, any pack holding a record of
        # sensor "poison": 4.22, which retrying cannot fix.
        receiver = StrictReceiver(refuse=lambda r: (REJECT, "unknown device") if "/poison/" in r["name"] else None)
        try:
            upstream = "coap://127.0.0.1:%d/ingest" % receiver.port
            # A node id with a byte outside the SenML name characters: escaped. (Sensor names that
            # arrive as SenML already are valid names; escaped sensor names: SenMLEncoderTests.)
            with Daemon("--data-dir", self.directory, "--upstream", upstream, "--node-id", "gw#1") as daemon:
                peer = Peer(daemon.port)
                try:
                    # Down while the records are written, so they leave together in larger
                    # batches: the refused one is found by halves.
                    receiver.down = True
                    sent = []
                    for i in range(6):
                        self.assertEqual(post(peer, "plain-1", 20 + i), "2.04")
                        sent.append(("plain-1", 20 + i))
                    self.assertEqual(post(peer, "poison", 21.0), "2.04")
                    # 60 °C breaks the reference alert bound: an alert is raised, then normal
                    # readings clear it.
                    self.assertEqual(post(peer, "hot-1", 60.0), "2.04")
                    for i in range(8):
                        self.assertEqual(post(peer, "hot-1", 21.0 + i / 10), "2.04")
                    for i in range(6, 12):
                        self.assertEqual(post(peer, "plain-1", 20 + i), "2.04")
                    receiver.down = False
                    health = wait_for(lambda: (lambda h: h if h["uplink"]["backlog"] == 0 and h["uplink"]["records_rejected"] >= 1 else None)(peer.health()), 20)
                    # The set-aside raises the gateway's alert (at the next status refresh), which
                    # is logged and forwarded like any alert: wait until it is in /alerts and the
                    # uplink has drained again.
                    gateway_alerts = wait_for(lambda: [a for a in json.loads(get_all(peer, "/alerts"))["alerts"]
                                                       if a["kind"] == "uplink_rejected"], 10)
                    alerts_body = json.loads(get_all(peer, "/alerts"))
                    drained = wait_for(lambda: (lambda h: h if h["uplink"]["backlog"] == 0 else None)(peer.health()), 20)
                    metrics = get_all(peer, "/metrics").decode()
                finally:
                    peer.close()
                self.assertEqual(daemon.stop(), 0)
            records, _ = receiver.snapshot()
        finally:
            receiver.stop()
        print("\nstrict receiver: %d log records taken in %d packs, invalid packs %d, refused packs %d (%s)"
              % (len(records), receiver.packs, len(receiver.invalid), len(receiver.refused),
                 ", ".join(sorted(set(r for _, r in receiver.refused)))))
        self.assertEqual(receiver.invalid, [], "every pack is valid SenML")
        self.assertGreaterEqual(len(receiver.refused), 3, "a batch of several records was narrowed down by halves")
        self.assertTrue(health, "the backlog drained and the refused record was set aside")
        self.assertEqual(health["uplink"]["records_rejected"], 1)
        self.assertIn("outpost_uplink_records_rejected_total 1\n", metrics)
        # The gateway's alert: raised once, named by the node id, still open (cleared only a minute
        # after the last refusal: ServerUplinkRejectionAlertTests), while /health says why.
        self.assertEqual(len(gateway_alerts), 1, alerts_body)
        self.assertEqual(gateway_alerts[0]["event"], "raised")
        self.assertEqual(gateway_alerts[0]["sensor"], "gw#1")
        self.assertEqual(gateway_alerts[0]["severity"], "major")
        self.assertEqual(gateway_alerts[0]["value"], 1, "records set aside so far")
        self.assertGreaterEqual(alerts_body["active"], 1)
        self.assertTrue(drained, "the alert was forwarded too")
        self.assertEqual(drained["status"], "degraded")
        self.assertIn("records_rejected", drained["reasons"])
        nodes = {node for node, _ in records}
        self.assertEqual(nodes, {"gw:231/"}, "the node id escaped ('#' is 0x23)")
        by_kind = {}
        for (_, seq), group in records.items():
            names = [r["name"] for r in group]
            if any("/log/" in n for n in names):
                by_kind.setdefault("marker", []).append(group)
            elif any("/alert/" in n for n in names):
                by_kind.setdefault("alert", []).append(group)
            else:
                by_kind.setdefault("reading", []).append(group)
        readings = {(r["name"], r["v"]) for g in by_kind["reading"] for r in g}
        for sensor, value in sent:
            self.assertIn(("gw:231/%s/temperature" % sensor, value), readings)
        self.assertFalse(any("/poison/" in name for name, _ in readings), "the refused record was never taken")
        # Alerts: a state record (vs) and a value record (v, u, thr) under one seq. The gateway's
        # own alert is named by the node id (escaped like the base name) and its value, a count of
        # records, has no unit.
        self.assertGreaterEqual(len(by_kind["alert"]), 2)
        gateway_state = "gw:231/gw:231/alert/uplink_rejected"
        for group in by_kind["alert"]:
            states = [r for r in group if "vs" in r]
            values = [r for r in group if "v" in r]
            self.assertEqual(len(states), 1, group)
            self.assertEqual(len(values), 1, group)
            self.assertTrue(values[0]["name"].endswith("/value"))
            if states[0]["name"] == gateway_state:
                self.assertNotIn("u", values[0])
                self.assertEqual(values[0]["v"], 1)
                self.assertEqual(values[0]["thr"], 0)
            else:
                self.assertEqual(values[0]["u"], "Cel")
            self.assertIn("thr", values[0])
        raised = [g for g in by_kind["alert"] if any(r.get("vs", "").startswith("raised:") for r in g)]
        self.assertEqual(len(raised), 2, "hot-1's threshold alert and the gateway's")
        upstream_gateway = [r for g in raised for r in g if r["name"] == gateway_state]
        self.assertEqual(len(upstream_gateway), 1, raised)
        self.assertEqual(upstream_gateway[0]["vs"], "raised:major")
        # The marker names the refused record's sequence.
        markers = [r for g in by_kind["marker"] for r in g]
        rejected = [r for r in markers if r["name"] == "gw:231/log/rejected_by_upstream"]
        self.assertEqual(len(rejected), 1, markers)
        self.assertEqual(rejected[0]["mark"], 4)
        # `outpost-tool log dump` shows it too, and that sequence is the poison reading.
        dump = subprocess.run([TOOL, "log", "dump", os.path.join(self.directory, "outpost.log")],
                              capture_output=True, timeout=30, check=True).stdout.decode()
        lines = [json.loads(line) for line in dump.splitlines() if line.strip()]
        marker_lines = [l for l in lines if l.get("code") == "rejected_by_upstream"]
        self.assertEqual(len(marker_lines), 1, dump)
        poison = [l for l in lines if l.get("sensor") == "poison"]
        gateway_lines = [l for l in lines if l.get("kind") == "uplink_rejected"]
        self.assertEqual(len(gateway_lines), 1, dump)
        self.assertEqual(gateway_lines[0].get("sensor"), "gw#1", gateway_lines[0])
        self.assertEqual(marker_lines[0]["value"], poison[0]["seq"])
        self.assertEqual(rejected[0]["v"], poison[0]["seq"])

    def test_outage_of_60_s_first_forward_within_5_s_and_lag_shown(self):
        receiver = StrictReceiver()
        try:
            upstream = "coap://127.0.0.1:%d/ingest" % receiver.port
            with Daemon("--data-dir", self.directory, "--upstream", upstream, "--durability", "batch") as daemon:
                peer = Peer(daemon.port)
                try:
                    self.assertEqual(post(peer, "pre-1", 20.0), "2.04")
                    self.assertTrue(wait_for(lambda: peer.health()["uplink"]["backlog"] == 0, 10))
                    receiver.down = True
                    down_at = time.time()
                    self.assertEqual(post(peer, "out-1", 21.0), "2.04")
                    # An alert during the outage: the alerts-first path runs too.
                    self.assertEqual(post(peer, "out-hot", 60.0), "2.04")
                    lags = []
                    cursor_over_durable = 0
                    # 60 s down, readings every few seconds; /health checked as it goes.
                    while time.time() - down_at < 60:
                        self.assertEqual(post(peer, "out-1", 21.5), "2.04")
                        health = peer.health()
                        if health["uplink"]["cursor"] > health["log"]["durable_sequence"]:
                            cursor_over_durable += 1
                        lags.append((time.time() - down_at, health["uplink"]["forward_lag_ms"], health["uplink"]["backlog"]))
                        time.sleep(3)
                    before = len(receiver.arrivals)
                    receiver.down = False
                    up_at = time.time()
                    arrived = wait_for(lambda: len(receiver.snapshot()[1]) > before, 15, step=0.02)
                    first_ms = (receiver.snapshot()[1][before][0] - up_at) * 1000 if arrived else None
                    self.assertTrue(wait_for(lambda: peer.health()["uplink"]["backlog"] == 0, 20))
                    health = peer.health()
                finally:
                    peer.close()
                self.assertEqual(daemon.stop(), 0)
        finally:
            receiver.stop()
        print("\noutage 60 s: first forward %.0f ms after the upstream came back; pings during the outage %d; lag at %.0f s: %d ms (backlog %d)"
              % (first_ms if first_ms is not None else -1, receiver.pings_while_down, lags[-1][0], lags[-1][1], lags[-1][2]))
        self.assertIsNotNone(first_ms, "nothing forwarded after the upstream came back")
        self.assertLess(first_ms, 5000 * SCALE)
        self.assertGreater(receiver.pings_while_down, 10, "the uplink probed the upstream during the outage")
        self.assertEqual(receiver.invalid, [])
        self.assertEqual(cursor_over_durable, 0, "the cursor never passed the durable sequence")
        # The lag grows with the outage: the oldest pending record is from its start.
        for elapsed, lag, backlog in lags[3:]:
            self.assertGreater(backlog, 0)
            self.assertGreaterEqual(lag, (elapsed - 2) * 1000, "forward_lag_ms at %.1f s" % elapsed)
        self.assertEqual(health["uplink"]["forward_lag_ms"], 0)


def free_port():
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def start_collector(port, out, log):
    """`outpost-tool collect` on 127.0.0.1:`port`; returns the process once it listens."""
    process = subprocess.Popen([TOOL, "collect", "--listen", "127.0.0.1:%d" % port, "--out", out],
                               stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.time() + 20 * SCALE
    while time.time() < deadline:
        with open(log.name, errors="replace") as f:
            if "listening on" in f.read():
                return process
        if process.poll() is not None:
            raise RuntimeError("collector exited")
        time.sleep(0.02)
    process.kill()
    raise RuntimeError("collector did not start")


def collected(out):
    if not os.path.exists(out):
        return []
    with open(out) as f:
        return [json.loads(line) for line in f if line.strip()]


@unittest.skipUnless(TOOL, "OUTPOST_TOOL (outpost-tool for the collector) not set")
class CollectorRestartTests(unittest.TestCase):
    def setUp(self):
        self.directory = tempfile.mkdtemp(prefix="outpost-uplink-restart-")

    def tearDown(self):
        shutil.rmtree(self.directory, ignore_errors=True)

    def test_collector_stopped_60_s_then_started_again_first_forward_within_5_s(self):
        port = free_port()
        first_out = os.path.join(self.directory, "first.jsonl")
        second_out = os.path.join(self.directory, "second.jsonl")
        log = tempfile.NamedTemporaryFile(prefix="outpost-collect-", suffix=".log", delete=False)
        collector = start_collector(port, first_out, log)
        try:
            with Daemon("--data-dir", self.directory, "--upstream", "coap://127.0.0.1:%d/ingest" % port) as daemon:
                peer = Peer(daemon.port)
                try:
                    values = []
                    for i in range(5):
                        self.assertEqual(post(peer, "restart-1", 100 + i), "2.04")
                        values.append(100 + i)
                    self.assertTrue(wait_for(lambda: peer.health()["uplink"]["backlog"] == 0, 10))
                    collector.terminate()
                    collector.wait(timeout=10)
                    stopped = time.time()
                    i = 105
                    while time.time() - stopped < 60:
                        self.assertEqual(post(peer, "restart-1", i), "2.04")
                        values.append(i)
                        i += 1
                        time.sleep(2)
                    collector = start_collector(port, second_out, log)
                    back = time.time()
                    self.assertTrue(wait_for(lambda: len(collected(second_out)) > 0, 15, step=0.02))
                    first_ms = (time.time() - back) * 1000
                    self.assertTrue(wait_for(lambda: peer.health()["uplink"]["backlog"] == 0, 20))
                finally:
                    peer.close()
                self.assertEqual(daemon.stop(), 0)
        finally:
            collector.terminate()
            collector.wait(timeout=10)
            os.unlink(log.name)
        print("\ncollector stopped 60 s: first record collected %.0f ms after it listened again" % first_ms)
        self.assertLess(first_ms, 5000 * SCALE)
        got = {int(round(r["values"]["temperature"])) for r in collected(first_out) + collected(second_out)
               if r.get("type") == "reading"}
        self.assertEqual(set(values) - got, set(), "every acknowledged reading reached the collector")


if __name__ == "__main__":
    unittest.main()
