"""Quantities the gateway does not detect on, through the real daemon: libcoap's
coap-client-notls posts SenML packs holding `co2` (ppm) and `voltage` (V) next to a temperature;
the pack is taken (2.04), the values are in the log as `quantity_value` records (`outpost-tool log
dump`), reach the RFC 8428-strict upstream receiver (senml_strict.StrictReceiver) with their own
names, units and values, and are counted per name in /metrics; with an MQTT upstream (mosquitto on
loopback) they are published on the readings topic in SenML-JSON and in the Influx line protocol. A record in a unit outside the SenML
registry is counted as an unknown quantity and not kept.

Not here (not built): quantities declared in the configuration and detected on (a threshold on
co2 raising an alert); see the session report.

Environment (besides outpost_peer's): OUTPOST_TOOL, the outpost-tool binary (for `log dump`);
COAP_CLIENT (default coap-client-notls). Loopback only; every wait is bounded.
"""
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from outpost_peer import SCALE, Daemon, Peer
from senml_strict import StrictReceiver
from test_store_uplink_strict import get_all, wait_for
from test_store_mqtt import MOSQUITTO, Broker, Subscriber, paho

TOOL = os.environ.get("OUTPOST_TOOL", "")
COAP_CLIENT = os.environ.get("COAP_CLIENT", "coap-client-notls")


def coap_post(url, payload):
    """POSTs SenML JSON with libcoap's client; returns (exit status, standard output)."""
    # coap-client -e percent-decodes: a literal % is written %25.
    result = subprocess.run([COAP_CLIENT, "-B", str(int(5 * SCALE)), "-m", "post", "-t", "110", "-e",
                             payload.replace("%", "%25"), url + "/readings"],
                            capture_output=True, timeout=15 * SCALE)
    return result.returncode, result.stdout


def metric(text, name):
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split(" ")[1])
    return None


@unittest.skipUnless(TOOL, "OUTPOST_TOOL (outpost-tool for log dump) not set")
@unittest.skipIf(shutil.which(COAP_CLIENT) is None, "%s is not installed (scripts/ensure-tools.sh)" % COAP_CLIENT)
class QuantityTests(unittest.TestCase):
    def setUp(self):
        self.directory = tempfile.mkdtemp(prefix="outpost-quantities-")

    def tearDown(self):
        shutil.rmtree(self.directory, ignore_errors=True)

    def test_unknown_quantities_are_logged_forwarded_and_counted(self):
        receiver = StrictReceiver()
        t0 = int(time.time())
        try:
            upstream = "coap://127.0.0.1:%d/ingest" % receiver.port
            with Daemon("--data-dir", self.directory, "--upstream", upstream, "--node-id", "gw-q") as daemon:
                url = "coap://127.0.0.1:%d" % daemon.port
                peer = Peer(daemon.port)
                try:
                    before = peer.health()["counters"]
                    packs = [
                        '[{"bn":"room-1/","bt":%d,"n":"temperature","u":"Cel","v":21.5},'
                        '{"n":"co2","u":"ppm","v":415},{"n":"voltage","u":"V","v":3.3}]' % t0,
                        '[{"bn":"room-1/","bt":%d,"n":"co2","u":"ppm","v":1250}]' % (t0 + 1),
                        '[{"bn":"meter-7/","bt":%d,"n":"voltage","u":"V","v":229.75},'
                        '{"n":"length","u":"furlong","v":1}]' % t0,
                    ]
                    for pack in packs:
                        status, out = coap_post(url, pack)
                        self.assertEqual(status, 0, out)
                    health = wait_for(lambda: (lambda h: h if h["uplink"]["backlog"] == 0
                                               and h["counters"]["packs_accepted"] - before["packs_accepted"] == 3 else None)(peer.health()), 20)
                    metrics = get_all(peer, "/metrics").decode()
                finally:
                    peer.close()
                self.assertEqual(daemon.stop(), 0)
            records, _ = receiver.snapshot()
        finally:
            receiver.stop()
        self.assertTrue(health, "every pack taken and forwarded")
        self.assertEqual(health["counters"]["readings_received"] - before["readings_received"], 1, "one temperature reading")
        self.assertEqual(health["counters"]["unknown_quantities"] - before["unknown_quantities"], 1, "the furlong only")
        # /metrics: per name, nothing past the name table.
        self.assertEqual(metric(metrics, 'outpost_quantity_values_total{quantity="co2"}'), 2, metrics)
        self.assertEqual(metric(metrics, 'outpost_quantity_values_total{quantity="voltage"}'), 2, metrics)
        self.assertEqual(metric(metrics, 'outpost_quantity_values_total{quantity="_other"}'), 0, metrics)
        self.assertIsNone(metric(metrics, 'outpost_quantity_values_total{quantity="length"}'))
        # The strict receiver: valid SenML, each value with its own name and unit.
        self.assertEqual(receiver.invalid, [], "every pack is valid SenML")
        got = sorted((r["name"], r.get("u"), r["v"], r["t"]) for group in records.values() for r in group
                     if r["name"].split("/")[-1] in ("co2", "voltage", "length"))
        self.assertEqual(got, sorted([
            ("gw-q/room-1/co2", "ppm", 415, t0), ("gw-q/room-1/voltage", "V", 3.3, t0),
            ("gw-q/room-1/co2", "ppm", 1250, t0 + 1), ("gw-q/meter-7/voltage", "V", 229.75, t0),
        ]))
        temperatures = [r for group in records.values() for r in group if r["name"] == "gw-q/room-1/temperature"]
        self.assertEqual([(r["u"], r["v"]) for r in temperatures], [("Cel", 21.5)])
        # The log: record type 10, exact decimal values.
        dump = subprocess.run([TOOL, "log", "dump", os.path.join(self.directory, "outpost.log")],
                              capture_output=True, timeout=30, check=True).stdout.decode()
        lines = [json.loads(line) for line in dump.splitlines() if line.strip()]
        values = sorted((l["sensor"], l["quantity"], l["unit"], l["value"], l["ts_ms"]) for l in lines if l["type"] == "quantity_value")
        self.assertEqual(values, sorted([
            ("room-1", "co2", "ppm", 415.0, t0 * 1000), ("room-1", "voltage", "V", 3.3, t0 * 1000),
            ("room-1", "co2", "ppm", 1250.0, (t0 + 1) * 1000), ("meter-7", "voltage", "V", 229.75, t0 * 1000),
        ]), dump)
        stats = subprocess.run([TOOL, "log", "stats", os.path.join(self.directory, "outpost.log")],
                               capture_output=True, timeout=30, check=True).stdout.decode()
        self.assertIn("records_quantity_value: 4\n", stats)


@unittest.skipIf(paho is None, "paho-mqtt is not installed (scripts/ensure-tools.sh venv)")
@unittest.skipUnless(os.path.exists(MOSQUITTO), "mosquitto is not installed")
@unittest.skipIf(shutil.which(COAP_CLIENT) is None, "%s is not installed (scripts/ensure-tools.sh)" % COAP_CLIENT)
class QuantityMQTTTests(unittest.TestCase):
    def setUp(self):
        self.directory = tempfile.mkdtemp(prefix="outpost-quantities-mqtt-")
        self.broker_dir = os.path.join(self.directory, "broker")
        os.mkdir(self.broker_dir)

    def tearDown(self):
        shutil.rmtree(self.directory, ignore_errors=True)

    def published(self, uplink_format):
        broker = Broker(self.broker_dir)
        subscriber = Subscriber(broker.port, "outpost/#", client_id="quantities-" + uplink_format)
        data = os.path.join(self.directory, "data-" + uplink_format)
        os.mkdir(data)
        try:
            with Daemon("--data-dir", data, "--node-id", "gw-m", "--upstream", "mqtt://127.0.0.1:%d" % broker.port,
                        "--uplink-format", uplink_format) as daemon:
                url = "coap://127.0.0.1:%d" % daemon.port
                status, out = coap_post(url, '[{"bn":"room-2/","bt":1767225600,"n":"co2","u":"ppm","v":415.5},'
                                             '{"n":"voltage","u":"V","v":12}]')
                self.assertEqual(status, 0, out)
                messages = wait_for(lambda: (lambda m: m if len(m) >= 2 else None)(
                    [(t, p) for t, p, _ in subscriber.snapshot() if t.endswith("/readings")]), 20)
                self.assertEqual(daemon.stop(), 0)
        finally:
            subscriber.close()
            broker.stop()
        self.assertTrue(messages, "both values published")
        return messages

    def test_values_are_published_on_the_readings_topic(self):
        messages = self.published("senml-json")
        self.assertEqual({t for t, _ in messages}, {"outpost/gw-m/readings"})
        records = [r for _, p in messages for r in json.loads(p)]
        got = sorted((r["n"], r["u"], r["v"], r["t"]) for r in records if "n" in r)
        self.assertEqual(got, [("room-2/co2", "ppm", 415.5, 1767225600), ("room-2/voltage", "V", 12, 1767225600)])
        influx = self.published("influx")
        lines = b"\n".join(p for _, p in influx).decode()
        self.assertIn("co2", lines)
        self.assertIn("415.5", lines)
        self.assertIn("voltage", lines)


if __name__ == "__main__":
    unittest.main()
