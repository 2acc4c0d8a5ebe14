"""The MQTT upstream through the real daemon process and Debian's mosquitto on loopback: SIGKILL
while CON readings flow with the broker stopped for part of the run, a broker restart mid-stream,
and an independent subscriber (paho-mqtt, clean session 0, QoS 1) that must hold every
acknowledged reading exactly once after dropping repeats of (node, log id, sequence), in log order
per sensor (docs/MQTT.md §6); commands from mosquitto_pub answered on their ack topic; `mqtts://`
against mosquitto's TLS listeners with a CA and certificates made here with openssl (a good one,
a wrong CA, an expired certificate, mutual TLS), with the heap allocations of the steady state
counted through LD_PRELOAD once the connection is up.

Environment (besides outpost_peer's): MOSQUITTO, the broker binary (default /usr/sbin/mosquitto).
Every test is bounded in time and uses loopback only.
"""
import json
import os
import pwd
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from outpost_peer import RUNNER, SCALE, Daemon, Peer
from test_store import Sender

MOSQUITTO = os.environ.get("MOSQUITTO", "/usr/sbin/mosquitto")

try:
    import paho.mqtt.client as paho
except ImportError:  # the venv group of scripts/ensure-tools.sh installs it
    paho = None


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    """mosquitto on a loopback port with persistence in `directory`; stop and start it again on
    the same port (its persistence file keeps sessions and queued messages)."""

    def __init__(self, directory):
        self.directory = directory
        self.port = free_port()
        self.config = os.path.join(directory, "mosquitto.conf")
        with open(self.config, "w") as f:
            # `user`: mosquitto started as root drops to the `mosquitto` user, which could not
            # write the persistence file into the test's directory.
            f.write("listener %d 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location %s/\n"
                    "max_queued_messages 100000\nmax_inflight_messages 0\nuser %s\n"
                    % (self.port, directory, pwd.getpwuid(os.getuid()).pw_name))
        self.log_path = os.path.join(directory, "mosquitto.log")
        self.process = None
        self.start()

    def start(self):
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen([MOSQUITTO, "-c", self.config], stdout=log, stderr=log)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError("mosquitto exited: " + open(self.log_path).read())
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not listen: " + open(self.log_path).read())

    def stop(self):
        """SIGTERM: mosquitto writes its persistence file and exits."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


class Subscriber:
    """A paho-mqtt client with a persistent session (clean session 0) subscribed at QoS 1 to
    `filter`, keeping every message it gets, repeats included."""

    def __init__(self, port, topic_filter, client_id="outpost-checker"):
        self.messages = []
        self.lock = threading.Lock()
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
        self.client.reconnect_delay_set(min_delay=1, max_delay=1)
        self.client.on_connect = lambda c, u, f, rc, p=None: c.subscribe(topic_filter, qos=1)
        self.client.on_message = self.on_message
        self.subscribed = threading.Event()
        self.client.on_subscribe = lambda *a: self.subscribed.set()
        self.client.connect("127.0.0.1", port, keepalive=10)
        self.client.loop_start()
        if not self.subscribed.wait(10):
            raise RuntimeError("subscriber: no SUBACK")

    def on_message(self, client, userdata, message):
        with self.lock:
            self.messages.append((message.topic, bytes(message.payload), message.retain))

    def snapshot(self):
        with self.lock:
            return list(self.messages)

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


# SenML-CBOR labels (RFC 8428 Table 4) the readings use, by their JSON names.
CBOR_LABELS = {-2: "bn", 0: "n", 1: "u", 2: "v", 6: "t"}


def pack_of(payload):
    """A SenML-JSON or SenML-CBOR pack as a list of dicts keyed by the JSON labels."""
    if payload[:1] == b"[":
        return json.loads(payload)
    import cbor2
    return [{CBOR_LABELS.get(k, k): v for k, v in record.items()} for record in cbor2.loads(payload)]


def readings_in(messages):
    """(node, lid, seq, sensor, value) of every kill-* reading in SenML messages (one record or a
    pack of many each), repeats kept."""
    out = []
    for topic, payload, _ in messages:
        if not topic.endswith("/readings"):
            continue
        pack = pack_of(payload)
        node = pack[0]["bn"].rstrip("/")
        lid = pack[0].get("lid", 0)
        for record in pack:
            sensor, _, quantity = record["n"].rpartition("/")
            if sensor.startswith("kill-") and quantity == "temperature":
                out.append((node, lid, record["seq"], sensor, int(round(record["v"]))))
    return out


def wait_drained(daemon, timeout):
    """Polls /health until the upstream's backlog is 0 and its cursor reached the last durable record."""
    peer = Peer(daemon.port)
    deadline = time.time() + timeout * SCALE
    health = None
    try:
        while time.time() < deadline:
            health = peer.health()
            uplink, log = health.get("uplink"), health.get("log")
            if uplink and log and uplink["backlog"] == 0 and uplink["cursor"] >= log["durable_sequence"] > 0:
                return health
            time.sleep(0.2)
    finally:
        peer.close()
    raise AssertionError("the backlog did not drain in time: %s" % json.dumps(health))


# Under CI (CI=true) a missing peer is a failure, not a skip: the project's own files install them.
IN_CI = os.environ.get("CI") == "true"


def require_peers(*extra):
    missing = [name for name, ok in [("paho-mqtt", paho is not None), ("mosquitto", os.path.exists(MOSQUITTO))]
               + list(extra) if not ok]
    if missing:
        raise AssertionError("%s not installed: scripts/ensure-tools.sh peers venv tls" % ", ".join(missing))


@unittest.skipUnless(IN_CI or (paho and os.path.exists(MOSQUITTO)), "paho-mqtt and mosquitto needed (scripts/ensure-tools.sh peers venv)")
class MQTTStoreTests(unittest.TestCase):
    def setUp(self):
        require_peers()
        self.directory = tempfile.mkdtemp(prefix="outpost-mqtt-")
        self.broker_dir = os.path.join(self.directory, "broker")
        os.mkdir(self.broker_dir)
        os.mkdir(os.path.join(self.directory, "data"))
        self.broker = Broker(self.broker_dir)
        self.subscriber = None

    def tearDown(self):
        if self.subscriber:
            self.subscriber.close()
        self.broker.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def daemon(self, node, *extra):
        return Daemon("--data-dir", os.path.join(self.directory, "data"), "--durability", "sync", "--log-size", "4M",
                      "--node-id", node, "--upstream", "mqtt://127.0.0.1:%d" % self.broker.port,
                      "--mqtt-keepalive", "5", *extra)

    def check_exactly_once(self, sender, node):
        """Waits for the subscriber to hold every acknowledged reading; returns the counts."""
        deadline = time.time() + 30 * SCALE
        while True:
            readings = readings_in(self.subscriber.snapshot())
            if sender.acked <= {r[4] for r in readings} or time.time() > deadline:
                break
            time.sleep(0.2)
        first = {}
        for r in readings:
            first.setdefault((r[0], r[1], r[2]), r)
        kept = list(first.values())
        values = [r[4] for r in kept]
        found = set(values)
        lost = sender.acked - found
        repeats = len(readings) - len(kept)
        duplicates = len(values) - len(found)
        # Log order per sensor: after dropping repeats, each sensor's readings arrive with rising
        # sequences, and the sequences follow the order the sender sent its values in.
        disorder = 0
        by_sensor = {}
        for r in kept:
            by_sensor.setdefault(r[3], []).append(r)
        for rows in by_sensor.values():
            sequences = [r[2] for r in rows]
            if sequences != sorted(sequences):
                disorder += 1
            ordered_values = [r[4] for r in sorted(rows, key=lambda r: r[2])]
            if ordered_values != sorted(ordered_values):
                disorder += 1
        self.assertTrue(all(r[0] == node for r in kept))
        self.assertEqual(len({r[1] for r in kept}), 1, "one log, one log id")
        return found, lost, repeats, duplicates, disorder

    def test_kill_with_broker_outage_every_acknowledged_reading_once(self):
        rng = random.Random(int(os.environ.get("OUTPOST_KILL_SEED", "0")) or None)
        node = "gw-kill"
        self.subscriber = Subscriber(self.broker.port, "outpost/%s/readings" % node)
        sender = Sender()
        kills = 0
        broker_down_runs = 0
        for run in range(5):
            # Runs 1 and 2 with the broker stopped: the daemon logs, cannot forward, is killed.
            if run == 1:
                self.broker.stop()
            if run == 3:
                self.broker.start()
            if self.broker.process is None:
                broker_down_runs += 1
            with self.daemon(node) as daemon:
                killer_at = time.time() + rng.uniform(0.3, 1.5)
                while time.time() < killer_at:
                    if not sender.burst(daemon.port, min(0.05, max(0.0, killer_at - time.time()))):
                        break
                daemon.process.send_signal(signal.SIGKILL)
                daemon.process.wait()
                kills += 1
                sender.burst(daemon.port, 0.05)
        with self.daemon(node) as daemon:
            self.assertTrue(daemon.wait_log(r"mqtt connected to the broker", 10), daemon.log())
            wait_drained(daemon, 60)
            self.assertEqual(daemon.stop(), 0)
        found, lost, repeats, duplicates, disorder = self.check_exactly_once(sender, node)
        print("\nmqtt kill test: sent %d, acknowledged %d, at the subscriber %d (acknowledged %d), "
              "never acknowledged but logged %d, repeats dropped %d, duplicates after dropping %d, lost %d, "
              "out of order %d, kills %d (%d with the broker stopped)"
              % (len(sender.sent), len(sender.acked), len(found), len(sender.acked & found),
                 len(found - sender.acked), repeats, duplicates, len(lost), disorder, kills, broker_down_runs))
        self.assertGreater(len(sender.acked), 100, "the client got too few readings through")
        self.assertEqual(lost, set(), "acknowledged readings missing at the subscriber")
        self.assertEqual(duplicates, 0, "a reading under two sequences")
        self.assertEqual(disorder, 0, "readings out of log order")
        self.assertTrue(found - sender.acked <= sender.sent - sender.acked, "a reading nobody sent")

    def test_batch_packs_strict_senml_and_exactly_once_across_kills(self):
        """--mqtt-batch 8 with SenML-CBOR: every message one pack of 1 to 8 records, each pack
        valid for the RFC 8428-strict decoder, full packs of 8 once a backlog drains after a broker
        outage, and SIGKILLs (a pack re-sent with DUP after a restart) leave every acknowledged
        reading exactly once after dropping repeats of (node, log id, sequence)."""
        from senml_strict import Invalid, check_pack
        rng = random.Random(int(os.environ.get("OUTPOST_KILL_SEED", "0")) or None)
        node = "gw-batch"
        batch = 8
        self.subscriber = Subscriber(self.broker.port, "outpost/%s/readings" % node, client_id="batch-checker")
        sender = Sender()
        kills = 0
        for run in range(4):
            if run == 1:
                self.broker.stop()
            if run == 2:
                self.broker.start()
            with self.daemon(node, "--mqtt-batch", str(batch), "--uplink-format", "senml-cbor") as daemon:
                killer_at = time.time() + rng.uniform(0.5, 1.5)
                while time.time() < killer_at:
                    if not sender.burst(daemon.port, min(0.05, max(0.0, killer_at - time.time()))):
                        break
                daemon.process.send_signal(signal.SIGKILL)
                daemon.process.wait()
                kills += 1
        with self.daemon(node, "--mqtt-batch", str(batch), "--uplink-format", "senml-cbor") as daemon:
            self.assertTrue(daemon.wait_log(r"mqtt connected to the broker", 10), daemon.log())
            wait_drained(daemon, 60)
            health = Peer(daemon.port).health()
            self.assertEqual(daemon.stop(), 0)
        found, lost, repeats, duplicates, disorder = self.check_exactly_once(sender, node)
        sizes = []
        for topic, payload, _ in self.subscriber.snapshot():
            try:
                records = check_pack(payload)
            except Invalid as error:
                self.fail("a pack the strict decoder refuses: %s" % error)
            sizes.append(len(records))
            self.assertTrue(all(r["name"].startswith(node + "/") for r in records), "every record resolves to the node")
        print("\nmqtt batch kill test: acknowledged %d, at the subscriber %d, messages %d (records per message: "
              "max %d, mean %.1f, full packs %d), repeats dropped %d, duplicates %d, lost %d, out of order %d, kills %d"
              % (len(sender.acked), len(found), len(sizes), max(sizes), sum(sizes) / len(sizes),
                 sizes.count(batch), repeats, duplicates, len(lost), disorder, kills))
        self.assertGreater(len(sender.acked), 100)
        self.assertTrue(all(1 <= n <= batch for n in sizes), sizes)
        self.assertEqual(max(sizes), batch, "the backlog after the outage drains in full packs")
        self.assertLess(len(sizes), sum(sizes) / 2, "messages carry several records each")
        self.assertEqual(lost, set(), "acknowledged readings missing at the subscriber")
        self.assertEqual(duplicates, 0)
        self.assertEqual(disorder, 0)
        self.assertGreaterEqual(health["uplink"]["records_forwarded"], 1)

    def test_broker_restart_mid_stream_reconnects_within_seconds(self):
        node = "gw-restart"
        self.subscriber = Subscriber(self.broker.port, "outpost/%s/#" % node)
        sender = Sender()
        with self.daemon(node) as daemon:
            self.assertTrue(daemon.wait_log(r"mqtt connected to the broker \(session new\)", 10), daemon.log())
            sender.burst(daemon.port, 1.0)
            self.broker.stop()
            self.assertTrue(daemon.wait_log(r"mqtt connection to the broker lost", 10), daemon.log())
            sender.burst(daemon.port, 1.0)
            time.sleep(3)
            restarted = time.time()
            self.broker.start()
            self.assertTrue(daemon.wait_log(r"connected to the broker \(session resumed\)", 10), daemon.log())
            reconnect_s = time.time() - restarted
            sender.burst(daemon.port, 1.0)
            wait_drained(daemon, 30)
            self.assertEqual(daemon.stop(), 0)
        found, lost, repeats, duplicates, disorder = self.check_exactly_once(sender, node)
        messages = self.subscriber.snapshot()
        statuses = [payload for topic, payload, _ in messages if topic.endswith("/status")]
        print("\nmqtt broker restart: acknowledged %d, at the subscriber %d, reconnected %.1f s after the broker, "
              "repeats dropped %d, lost %d" % (len(sender.acked), len(found), reconnect_s, repeats, len(lost)))
        self.assertLess(reconnect_s, 5.0, "the first retry after the broker returns comes within seconds")
        self.assertEqual(lost, set())
        self.assertEqual(duplicates, 0)
        self.assertEqual(disorder, 0)
        self.assertIn(b"online", statuses)
        # The daemon stopped without DISCONNECT: the broker published its will.
        deadline = time.time() + 5
        while time.time() < deadline and not any(t.endswith("/status") and p == b"offline" for t, p, _ in self.subscriber.snapshot()):
            time.sleep(0.1)
        self.assertIn(b"offline", [p for t, p, _ in self.subscriber.snapshot() if t.endswith("/status")])
        health = [json.loads(p) for t, p, _ in messages if t.endswith("/health")]
        self.assertTrue(health and health[-1]["node"] == node, "a health message")

    def test_retained_status_and_health_for_a_late_subscriber(self):
        node = "gw-retained"
        with self.daemon(node) as daemon:
            self.assertTrue(daemon.wait_log(r"mqtt connected", 10), daemon.log())
            time.sleep(0.5)
            out = subprocess.run(["mosquitto_sub", "-p", str(self.broker.port), "-h", "127.0.0.1", "-v", "-C", "2",
                                  "-W", "5", "-t", "outpost/%s/status" % node, "-t", "outpost/%s/health" % node],
                                 capture_output=True, text=True, timeout=10)
            lines = out.stdout.splitlines()
            self.assertIn("outpost/%s/status online" % node, lines)
            health = [json.loads(l.split(" ", 1)[1]) for l in lines if l.startswith("outpost/%s/health " % node)]
            self.assertEqual(health[0]["state"], "online")
            self.assertIn("backlog", health[0])
            daemon.stop()
        out = subprocess.run(["mosquitto_sub", "-p", str(self.broker.port), "-h", "127.0.0.1", "-C", "1", "-W", "5",
                              "-t", "outpost/%s/status" % node], capture_output=True, text=True, timeout=10)
        self.assertEqual(out.stdout.strip(), "offline", "the will, retained, after the daemon stopped")

    def retained_health(self, node, predicate, timeout):
        """The retained health message a fresh subscriber gets, polled until `predicate` holds."""
        deadline = time.time() + timeout * SCALE
        health = None
        while time.time() < deadline:
            out = subprocess.run(["mosquitto_sub", "-p", str(self.broker.port), "-h", "127.0.0.1", "-C", "1", "-W", "3",
                                  "-t", "outpost/%s/health" % node], capture_output=True, text=True, timeout=10)
            if out.stdout.strip():
                health = json.loads(out.stdout.strip().splitlines()[0])
                if predicate(health):
                    return health
            time.sleep(0.3)
        self.fail("no retained health message as expected: %s" % json.dumps(health))

    def test_retained_health_lists_sensors_and_open_alerts_bounded(self):
        """40 sensors send readings of 1000 degrees and more (past the reference threshold and
        critical bounds: two alerts each) and go silent past --sensor-offline-after (a third): the
        retained health message a fresh subscriber reads counts 40 sensors and 120 open alerts,
        lists 32 and 16 of them and says how many it left out."""
        node = "gw-sensors"
        with self.daemon(node, "--sensor-offline-after", "1") as daemon:
            self.assertTrue(daemon.wait_log(r"mqtt connected", 10), daemon.log())
            sender = Sender(sensors=40, window=40)
            sender.burst(daemon.port, 0.5)
            self.assertEqual(len({v % 40 for v in sender.acked}), 40, "every sensor got a reading in")
            health = self.retained_health(node, lambda h: h.get("sensor_count") == 40 and h.get("alerts_open") == 120, 15)
            daemon.stop()
        print("\nmqtt health: sensor_count %d, listed %d, omitted %d; alerts_open %d, listed %d, omitted %d; %d bytes"
              % (health["sensor_count"], len(health["sensors"]), health["sensors_omitted"], health["alerts_open"],
                 len(health["alerts"]), health["alerts_omitted"], len(json.dumps(health))))
        self.assertEqual(len(health["sensors"]), 32)
        self.assertEqual(health["sensors_omitted"], 8)
        self.assertTrue(set(health["sensors"]) <= {"kill-%02d" % i for i in range(40)}, health["sensors"])
        self.assertEqual(len(set(health["sensors"])), 32)
        self.assertEqual(len(health["alerts"]), 16)
        self.assertEqual(health["alerts_omitted"], 104)
        self.assertEqual({a["kind"] for a in health["alerts"]}, {"threshold", "critical", "offline"}, health["alerts"])
        self.assertTrue(all(a["sensor"].startswith("kill-") for a in health["alerts"]), health["alerts"])
        self.assertEqual(health["node"], node)

    def test_command_puback_only_after_its_record_is_durable(self):
        """SIGKILL the instant the broker logs the daemon's PUBACK of a command: the command must
        be in the log (restored after the restart), because the broker will never deliver it
        again. Three rounds, three commands."""
        node = "gw-cmdkill"
        self.broker.stop()
        with open(self.broker.config, "a") as f:
            f.write("log_type all\nlog_dest stderr\n")
        self.broker.start()
        with self.daemon(node) as daemon:
            self.assertTrue(daemon.wait_log(r"mqtt connected", 10), daemon.log())
            Sender(sensors=1).burst(daemon.port, 0.3)
            daemon.stop()
        pubacks = lambda: len(re.findall(r"Received PUBACK from %s " % node, open(self.broker.log_path).read()))
        for round in range(3):
            with self.daemon(node) as daemon:
                self.assertTrue(daemon.wait_log(r"mqtt connected", 10), daemon.log())
                before = pubacks()
                subprocess.run(["mosquitto_pub", "-p", str(self.broker.port), "-h", "127.0.0.1", "-q", "1",
                                "-t", "outpost/%s/command/kill-00" % node, "-m", "cmd-%d" % round], check=True, timeout=10)
                deadline = time.time() + 10 * SCALE
                while pubacks() == before and time.time() < deadline:
                    time.sleep(0.001)
                daemon.process.send_signal(signal.SIGKILL)
                daemon.process.wait()
                self.assertGreater(pubacks(), before, "the broker got the command's PUBACK")
        with self.daemon(node) as daemon:
            self.assertTrue(daemon.wait_log(r"3 commands pending", 10), daemon.log())
            pending = re.search(r"(\d+) commands pending", daemon.log()).group(1)
            daemon.stop()
        print("\nmqtt command kill: 3 commands acknowledged to the broker then SIGKILL, %s pending after the restart" % pending)

    @unittest.skipIf(RUNNER or not shutil.which("strace"), "strace of the native daemon needed")
    def test_command_puback_leaves_after_the_fdatasync_of_its_record(self):
        """The order of the daemon's system calls (strace): the read that brings the command's
        PUBLISH, then the fdatasync that commits its record (--durability sync), and only then the
        write of the PUBACK. (The SIGKILL test above cannot tell the orders apart: the commit
        follows in microseconds.)"""
        import outpost_peer
        node = "gw-cmdorder"
        trace = os.path.join(self.directory, "strace.txt")
        saved = outpost_peer.RUNNER
        outpost_peer.RUNNER = ["strace", "-f", "-qq", "-xx", "-s", "8192", "-o", trace,
                               "-e", "trace=read,write,recvfrom,sendto,fdatasync,fsync"]
        try:
            with self.daemon(node) as daemon:
                self.assertTrue(daemon.wait_log(r"mqtt connected", 20), daemon.log())
                Sender(sensors=1).burst(daemon.port, 0.3)
                self.subscriber = Subscriber(self.broker.port, "outpost/%s/command/+/ack" % node, client_id="order-checker")
                subprocess.run(["mosquitto_pub", "-p", str(self.broker.port), "-h", "127.0.0.1", "-q", "1",
                                "-t", "outpost/%s/command/kill-00" % node, "-m", "order"], check=True, timeout=10)
                deadline = time.time() + 10 * SCALE
                while not self.subscriber.snapshot() and time.time() < deadline:
                    time.sleep(0.05)
                self.assertTrue(self.subscriber.snapshot(), "the command's queued ack")
                # SIGTERM to the traced daemon itself (strace would hold it back).
                pid = daemon.process.pid
                with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
                    os.kill(int(f.read().split()[0]), signal.SIGTERM)
                daemon.process.wait(timeout=10)
        finally:
            outpost_peer.RUNNER = saved
        lines = open(trace).read().splitlines()
        if os.environ.get("OUTPOST_KEEP_TRACE"):
            shutil.copy(trace, os.environ["OUTPOST_KEEP_TRACE"])
        topic = "".join("\\x%02x" % b for b in ("command/kill-00").encode())
        arrived = next(i for i, line in enumerate(lines) if re.search(r"(read|recvfrom)\(", line) and topic in line)
        puback = next(i for i, line in enumerate(lines[arrived:], arrived)
                      if re.search(r'(write|sendto)\(\d+, "\\x40\\x02', line))
        synced = [i for i in range(arrived, puback) if re.search(r"(fdatasync|fsync)\(", lines[i])]
        print("\nmqtt command order: command read at line %d, fdatasync at %s, PUBACK written at line %d"
              % (arrived, synced, puback))
        self.assertTrue(synced, "no fdatasync between the command's arrival and its PUBACK:\n" + "\n".join(lines[arrived:puback + 1]))

    def test_command_reaches_a_libcoap_observer_and_its_delivery_is_acked(self):
        """mosquitto_pub -> the daemon's command queue -> a libcoap client observing
        /commands/<sensor> (it ACKs the CON notification) -> "delivered" on the ack topic."""
        if not shutil.which("coap-client-notls"):
            self.fail("coap-client-notls (libcoap3-bin) is not installed: scripts/ensure-tools.sh peers")
        from test_store_commands import Observer
        node = "gw-command"
        self.subscriber = Subscriber(self.broker.port, "outpost/%s/command/+/ack" % node)
        with self.daemon(node) as daemon:
            self.assertTrue(daemon.wait_log(r"mqtt connected", 10), daemon.log())
            # A known sensor: it sent a reading first.
            Sender(sensors=1).burst(daemon.port, 0.3)
            observer = Observer(daemon.port, "kill-00", 10)
            try:
                time.sleep(0.5 * SCALE)  # registered before the command comes
                for sensor, body in (("kill-00", "reboot"), ("nobody", "reboot")):
                    subprocess.run(["mosquitto_pub", "-p", str(self.broker.port), "-h", "127.0.0.1", "-q", "1",
                                    "-t", "outpost/%s/command/%s" % (node, sensor), "-m", body], check=True, timeout=10)
                self.assertTrue(observer.wait_for("reboot", 10), observer.text())
                deadline = time.time() + 10 * SCALE
                while time.time() < deadline and len(self.subscriber.snapshot()) < 3:
                    time.sleep(0.1)
            finally:
                observer.close()
            acks = [(t.split("/")[-2], json.loads(p)) for t, p, _ in self.subscriber.snapshot()]
            self.assertEqual(daemon.stop(), 0)
        print("\nmqtt commands: acks %s" % json.dumps(acks, sort_keys=True))
        mine = [a for sensor, a in acks if sensor == "kill-00"]
        self.assertEqual([a["status"] for a in mine], ["queued", "delivered"], acks)
        self.assertEqual(mine[0]["id"], mine[1]["id"], acks)
        self.assertEqual(mine[1]["via"], "observe", acks)
        self.assertIn(("nobody", {"status": "refused", "reason": "unknown_sensor"}), acks)

    @unittest.skipUnless(os.environ.get("OUTPOST_TOOL"), "OUTPOST_TOOL names outpost-tool")
    def test_fleet_lists_every_gateway_the_broker_has_seen(self):
        tool = os.environ["OUTPOST_TOOL"]
        with self.daemon("gw-fleet-b") as gone:
            self.assertTrue(gone.wait_log(r"mqtt connected", 10), gone.log())
            gone.stop()
        with self.daemon("gw-fleet-a") as daemon:
            self.assertTrue(daemon.wait_log(r"mqtt connected", 10), daemon.log())
            Sender(sensors=2).burst(daemon.port, 0.3)
            time.sleep(0.5)
            out = subprocess.run([tool, "fleet", "--broker", "mqtt://127.0.0.1:%d" % self.broker.port, "--wait-ms", "1000",
                                  "--watch", "1", "--count", "2"], capture_output=True, text=True, timeout=20)
            daemon.stop()
        print("\n" + out.stdout)
        self.assertEqual(out.returncode, 0, out.stderr)
        tables = out.stdout.split("gateways\n")
        self.assertEqual(len(tables), 3, out.stdout)  # two tables, each ending "2 gateways"
        rows = {line.split()[0]: line.split() for line in tables[0].splitlines()[1:] if line.strip()}
        self.assertEqual(rows["gw-fleet-a"][1], "online")
        self.assertEqual(rows["gw-fleet-b"][1], "offline", "the retained will of the stopped gateway")
        header = tables[0].splitlines()[0].split()
        self.assertEqual(header[:3], ["node", "status", "backlog"])
        # The second table: the health message after the sensors arrived (published within a second of a change).
        later = {line.split()[0]: line.split() for line in tables[1].splitlines()[1:] if line.strip()}
        row = dict(zip(header, later["gw-fleet-a"]))
        self.assertEqual(row["sensors"], "2", out.stdout)
        # Readings of 1000 degrees and more cross the reference threshold and critical bounds.
        self.assertEqual(row["alerts_open"], "4", out.stdout)
        self.assertEqual(sorted(row["sensor_list"].split(",")), ["kill-00", "kill-01"], out.stdout)
        bad = subprocess.run([tool, "fleet", "--broker", "http://x"], capture_output=True, text=True, timeout=10)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("--broker wants mqtt://HOST:PORT", bad.stderr)

    def test_bad_mqtt_options_are_refused_with_clear_messages(self):
        data = os.path.join(self.directory, "data")
        cases = [
            (["--upstream", "mqtt://127.0.0.1:1883", "--mqtt-ca-file", "/x"], "need --upstream mqtts://"),
            (["--upstream", "mqtts://localhost:8883", "--mqtt-cert-file", "/x"], "go together"),
            (["--upstream", "mqtt://127.0.0.1", ], "wants coap://HOST:PORT/PATH, mqtt://HOST:PORT"),
            (["--upstream", "mqtt://127.0.0.1:1883", "--mqtt-keepalive", "2"], "wants seconds, 5 to 3600"),
            (["--upstream", "mqtt://127.0.0.1:1883", "--mqtt-prefix", "a/#"], "without space, + or #"),
        ]
        for flags, message in cases:
            with self.assertRaises(RuntimeError) as caught:
                Daemon("--data-dir", data, *flags)
            self.assertIn(message, str(caught.exception), flags)


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)


def make_ca(cwd, name):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", name + ".key", "-out", name + ".crt", "-subj", "/CN=" + name, "-days", "2", cwd=cwd)


def make_leaf(cwd, name, ca, common_name, days, server=True):
    """A certificate signed by `ca`; a negative `days` puts notAfter in the past (expired)."""
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + common_name, cwd=cwd)
    with open(os.path.join(cwd, name + ".ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n" if server
                else "extendedKeyUsage=clientAuth\n")
    openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".crt", "-CAkey", ca + ".key", "-CAcreateserial",
            "-days", str(days), "-extfile", name + ".ext", "-out", name + ".crt", cwd=cwd)


def build_preload(directory):
    """The malloc family interposer for LD_PRELOAD (Tests/Interop/tools/malloc_preload.c)."""
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.abspath(os.path.join(here, "..", ".."))
    preload = os.path.join(directory, "libmalloc_preload.so")
    subprocess.run(["gcc", "-shared", "-fPIC", "-O2", os.path.join(root, "Sources", "CMallocCounter", "malloc_counter.c"),
                    os.path.join(here, "tools", "malloc_preload.c"), "-I",
                    os.path.join(root, "Sources", "CMallocCounter", "include"), "-o", preload], check=True, timeout=60)
    return preload


@unittest.skipUnless(IN_CI or (paho and os.path.exists(MOSQUITTO) and shutil.which("openssl")),
                     "paho-mqtt, mosquitto and openssl needed (scripts/ensure-tools.sh peers venv tls)")
class MQTTTLSTests(unittest.TestCase):
    """`mqtts://` against one mosquitto with a plain listener (for the checking subscriber) and
    three TLS listeners: a good certificate, an expired one, and one that requires a client
    certificate (mutual TLS)."""

    @classmethod
    def setUpClass(cls):
        require_peers(("openssl", shutil.which("openssl") is not None))
        cls.directory = tempfile.mkdtemp(prefix="outpost-mqtts-")
        d = cls.directory
        make_ca(d, "ca")
        make_ca(d, "otherca")
        make_leaf(d, "server", "ca", "localhost", 2)
        make_leaf(d, "expired", "ca", "localhost", -1)
        make_leaf(d, "client", "ca", "gateway-client", 2, server=False)
        cls.plain, cls.tls, cls.tls_expired, cls.tls_mutual = free_port(), free_port(), free_port(), free_port()
        config = os.path.join(d, "mosquitto.conf")
        p = lambda name: os.path.join(d, name)
        with open(config, "w") as f:
            f.write("per_listener_settings false\nallow_anonymous true\nuser %s\n" % pwd.getpwuid(os.getuid()).pw_name)
            f.write("listener %d 127.0.0.1\n" % cls.plain)
            f.write("listener %d 127.0.0.1\ncafile %s\ncertfile %s\nkeyfile %s\n" % (cls.tls, p("ca.crt"), p("server.crt"), p("server.key")))
            f.write("listener %d 127.0.0.1\ncafile %s\ncertfile %s\nkeyfile %s\n"
                    % (cls.tls_expired, p("ca.crt"), p("expired.crt"), p("expired.key")))
            f.write("listener %d 127.0.0.1\ncafile %s\ncertfile %s\nkeyfile %s\nrequire_certificate true\n"
                    % (cls.tls_mutual, p("ca.crt"), p("server.crt"), p("server.key")))
        cls.log_path = os.path.join(d, "mosquitto.log")
        with open(cls.log_path, "a") as log:
            cls.broker = subprocess.Popen([MOSQUITTO, "-c", config], stdout=log, stderr=log)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", cls.tls_mutual), timeout=0.2):
                    break
            except OSError:
                if cls.broker.poll() is not None:
                    raise RuntimeError("mosquitto exited: " + open(cls.log_path).read())
                time.sleep(0.05)

    @classmethod
    def tearDownClass(cls):
        cls.broker.terminate()
        cls.broker.wait(timeout=10)
        shutil.rmtree(cls.directory, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.directory, name)

    def daemon(self, node, port, *extra, env=None):
        data = os.path.join(self.directory, "data-" + node)
        os.makedirs(data, exist_ok=True)
        return Daemon("--data-dir", data, "--durability", "sync", "--log-size", "1M", "--node-id", node,
                      "--upstream", "mqtts://localhost:%d" % port, *extra, env=env)

    @unittest.skipIf(RUNNER, "LD_PRELOAD needs the daemon run natively")
    def test_mqtts_forwards_and_the_steady_state_allocates_nothing(self):
        node = "gw-tls"
        subscriber = Subscriber(self.plain, "outpost/%s/readings" % node, client_id="tls-checker")
        self.addCleanup(subscriber.close)
        preload = build_preload(self.directory)
        report = self.path("count")
        sender = Sender()
        with self.daemon(node, self.tls, "--mqtt-ca-file", self.path("ca.crt"),
                         env={"LD_PRELOAD": preload, "OUTPOST_MALLOC_REPORT": report}) as daemon:
            self.assertTrue(daemon.wait_log(r"mqtt connected to the broker \(session new, TLS\)", 10), daemon.log())
            time.sleep(0.3)
            # The connection is up (the library allocated while it handshook): count from here.
            daemon.process.send_signal(signal.SIGUSR2)
            time.sleep(0.2)
            sender.burst(daemon.port, 2.0)
            wait_drained(daemon, 30)
            self.assertEqual(daemon.stop(), 0, daemon.log())
        with open(report) as f:
            line = f.read().strip()
        deadline = time.time() + 10
        while time.time() < deadline and not sender.acked <= {r[4] for r in readings_in(subscriber.snapshot())}:
            time.sleep(0.1)
        found = {r[4] for r in readings_in(subscriber.snapshot())}
        print("\nmqtts: acknowledged %d, at the subscriber %d, lost %d; after the connection was up: %s"
              % (len(sender.acked), len(found & sender.acked), len(sender.acked - found), line))
        self.assertGreater(len(sender.acked), 50)
        self.assertEqual(sender.acked - found, set())
        self.assertEqual(line, "allocations_after_startup 0")

    def test_wrong_ca_is_refused_with_its_reason(self):
        with self.daemon("gw-wrongca", self.tls, "--mqtt-ca-file", self.path("otherca.crt")) as daemon:
            self.assertTrue(daemon.wait_log(r"mqtt cannot connect to the broker \(TLS: the broker's certificate does not verify: .*not correctly signed by the trusted CA", 10), daemon.log())
            self.assertNotIn("mqtt connected", daemon.log())
            line = re.search(r".*mqtt cannot connect.*", daemon.log()).group(0)
            daemon.stop()
        print("\nwrong CA: " + line)

    def test_expired_certificate_is_refused_with_its_reason(self):
        with self.daemon("gw-expired", self.tls_expired, "--mqtt-ca-file", self.path("ca.crt")) as daemon:
            self.assertTrue(daemon.wait_log(r"mqtt cannot connect to the broker \(TLS: the broker's certificate does not verify: .*expired", 10), daemon.log())
            self.assertNotIn("mqtt connected", daemon.log())
            line = re.search(r".*mqtt cannot connect.*", daemon.log()).group(0)
            daemon.stop()
        print("\nexpired: " + line)

    def test_mutual_tls(self):
        node = "gw-mutual"
        subscriber = Subscriber(self.plain, "outpost/%s/readings" % node, client_id="mutual-checker")
        self.addCleanup(subscriber.close)
        sender = Sender()
        with self.daemon(node, self.tls_mutual, "--mqtt-ca-file", self.path("ca.crt"), "--mqtt-cert-file",
                         self.path("client.crt"), "--mqtt-key-file", self.path("client.key")) as daemon:
            self.assertTrue(daemon.wait_log(r"mqtt connected to the broker \(session new, TLS\)", 10), daemon.log())
            sender.burst(daemon.port, 0.5)
            wait_drained(daemon, 20)
            self.assertEqual(daemon.stop(), 0)
        deadline = time.time() + 10
        while time.time() < deadline and not sender.acked <= {r[4] for r in readings_in(subscriber.snapshot())}:
            time.sleep(0.1)
        self.assertEqual(sender.acked - {r[4] for r in readings_in(subscriber.snapshot())}, set())
        # Without the client's certificate the broker ends the handshake: named, never connected.
        with self.daemon("gw-nocert", self.tls_mutual, "--mqtt-ca-file", self.path("ca.crt")) as daemon:
            self.assertTrue(daemon.wait_log(r"mqtt cannot connect to the broker \(", 10), daemon.log())
            self.assertNotIn("mqtt connected", daemon.log())
            daemon.stop()

    def test_missing_ca_file_is_named(self):
        with self.daemon("gw-noca", self.tls, "--mqtt-ca-file", self.path("no-such-ca.crt")) as daemon:
            self.assertTrue(daemon.wait_log(r"mqtt cannot connect to the broker \(TLS: .*no-such-ca\.crt", 10), daemon.log())
            daemon.stop()


if __name__ == "__main__":
    unittest.main()
