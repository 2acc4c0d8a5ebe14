"""Images through the real daemon (`POST /images/{camera}`, docs/RESOURCES.md): libcoap's
coap-client-notls uploads a random 200 KB "JPEG" in 1024-byte Block1 blocks; the log holds it as
image_chunk records (so the daemon never held it whole: one record per 184 bytes, written as the
blocks came); `outpost-tool collect --images` rebuilds the very same bytes upstream, and the strict
RFC 8428 receiver takes every chunk as valid SenML (`vd` byte strings) and joins them to the same
bytes. A daemon killed mid-upload leaves, after its restart, an aborted transfer (its abort record
logged and forwarded, the collector drops the partial file) and a clean log. An upload over the
limit gets 4.13 with Size1. aiocoap (the venv) uploads with Block1 too.

Environment (besides outpost_peer's): OUTPOST_TOOL, the outpost-tool binary (collector, log dump).
Loopback only; every wait is bounded.
"""
import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import glob

from outpost_peer import SCALE, Daemon, Peer
from test_store_uplink_strict import get_all
from senml_strict import StrictReceiver
from test_store import TOOL, Collector

CHUNK = 184  # image bytes per log record (docs/LOG_FORMAT.md §4.7)
IN_CI = os.environ.get("CI") == "true"


def chunk_records(size, block=1024):
    """Log records an upload of `size` bytes in `block`-byte blocks makes."""
    full, rest = divmod(size, block)
    return full * -(-block // CHUNK) + (-(-rest // CHUNK) if rest else 0)


def upload(port, path, camera, fmt=22, block=1024, timeout=60):
    """coap-client-notls POST in Block1 blocks; returns its stdout (the final answer)."""
    result = subprocess.run(
        ["coap-client-notls", "-m", "post", "-b", str(block), "-t", str(fmt), "-f", path,
         "coap://127.0.0.1:%d/images/%s" % (port, camera)],
        capture_output=True, timeout=timeout * SCALE)
    return result.stdout.decode(errors="replace") + result.stderr.decode(errors="replace")


def dump(log_path):
    out = subprocess.run([TOOL, "log", "dump", log_path], capture_output=True, timeout=60, check=True).stdout
    return [json.loads(line) for line in out.decode().splitlines() if line.strip()]


def wait_for(predicate, timeout, step=0.1):
    deadline = time.time() + timeout * SCALE
    while time.time() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(step)
    return predicate()


def vm_kib(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


@unittest.skipUnless(TOOL, "OUTPOST_TOOL (outpost-tool, for the collector and log dump) not set")

def collected_image(directory, node, tail):
    """The file collect --images wrote for NODE's CAMERA_TRANSFER.EXT (its name holds the log id
    between them: <node>_<logid>_<camera>_<transfer>.jpg), or None while there is none."""
    found = glob.glob(os.path.join(directory, node + "_*_" + tail))
    return found[0] if len(found) == 1 else None

class ImageStoreTests(unittest.TestCase):
    def setUp(self):
        if not shutil.which("coap-client-notls"):
            self.fail("coap-client-notls (libcoap3-bin) is not installed: scripts/ensure-tools.sh peers")
        self.directory = tempfile.mkdtemp(prefix="outpost-images-")
        self.data = os.path.join(self.directory, "data")
        os.mkdir(self.data)
        self.images = os.path.join(self.directory, "images")
        self.image = os.path.join(self.directory, "image.jpg")
        with open(self.image, "wb") as f:
            f.write(os.urandom(200_000))

    def tearDown(self):
        shutil.rmtree(self.directory, ignore_errors=True)

    def content(self):
        with open(self.image, "rb") as f:
            return f.read()

    def test_upload_is_logged_in_chunks_and_arrives_byte_identical_upstream(self):
        collector = Collector(os.path.join(self.directory, "collected.jsonl"), images=self.images)
        try:
            upstream = "coap://127.0.0.1:%d/ingest" % collector.port
            with Daemon("--data-dir", self.data, "--upstream", upstream, "--node-id", "gw1") as daemon:
                pid = daemon.process.pid if not os.environ.get("OUTPOST_RUNNER") else None
                # A first, small upload takes every path once (buffers touched, batches sent), so
                # the peak measured around the large one is what holding it would add.
                warm = os.path.join(self.directory, "warm.jpg")
                with open(warm, "wb") as f:
                    f.write(os.urandom(20_000))
                self.assertNotIn("4.", upload(daemon.port, warm, "cam0"))
                self.assertTrue(wait_for(lambda: collected_image(self.images, "gw1", "cam0_1.jpg"), 30))
                before = vm_kib(pid, "VmHWM") if pid else 0
                answer = upload(daemon.port, self.image, "cam1")
                after = vm_kib(pid, "VmHWM") if pid else 0
                self.assertNotIn("4.", answer, "the upload was refused: " + answer)
                done = wait_for(lambda: collected_image(self.images, "gw1", "cam1_2.jpg"), 30)
                peer = Peer(daemon.port)
                try:
                    metrics = get_all(peer, "/metrics").decode()
                finally:
                    peer.close()
                self.assertEqual(daemon.stop(), 0)
            self.assertTrue(done, "the collector joined the image: " + collector.log())
        finally:
            collector.stop()
        with open(collected_image(self.images, "gw1", "cam1_2.jpg"), "rb") as f:
            self.assertEqual(f.read(), self.content(), "byte-identical upstream")
        self.assertEqual([n for n in os.listdir(self.images) if n.endswith(".part")], [])
        self.assertIn('outpost_images_total{outcome="completed"} 2\n', metrics)
        self.assertIn("outpost_image_bytes_total 220000\n", metrics)
        records = [r for r in dump(os.path.join(self.data, "outpost.log")) if r["type"] == "image_chunk" and r["transfer"] == 2]
        # Written as the blocks came: one record per 184 bytes of each block, in order.
        self.assertEqual(len(records), chunk_records(200_000))
        self.assertEqual([r["chunk"] for r in records], list(range(len(records))))
        self.assertEqual(sum(r["bytes"] for r in records), 200_000)
        self.assertTrue(all(r["bytes"] <= CHUNK for r in records))
        self.assertEqual([r["last"] for r in records].count(True), 1)
        self.assertTrue(records[-1]["last"])
        lines = [r for r in collector.records() if r.get("type") == "image_chunk" and r["transfer"] == 2]
        self.assertEqual(len(lines), len(records))
        if before:
            print("\nimages: %d chunk records, daemon peak RSS %d KiB -> %d KiB" % (len(records), before, after))
            # The daemon holds one block, not the image: its peak grows by far less than 200 KB.
            self.assertLess(after - before, 64, "peak RSS grew by %d KiB during a 195 KiB upload" % (after - before))

    def test_strict_receiver_takes_every_chunk_and_rebuilds_the_bytes(self):
        receiver = StrictReceiver()
        small = self.content()[:20_000]
        path = os.path.join(self.directory, "small.bin")
        with open(path, "wb") as f:
            f.write(small)
        try:
            upstream = "coap://127.0.0.1:%d/ingest" % receiver.port
            with Daemon("--data-dir", self.data, "--upstream", upstream, "--node-id", "gw1") as daemon:
                answer = upload(daemon.port, path, "door", fmt=42, block=512)
                self.assertNotIn("4.", answer, answer)
                expected = chunk_records(20_000, 512)
                wait_for(lambda: len(receiver.snapshot()[0]) >= expected, 30)
                self.assertEqual(daemon.stop(), 0)
            records, _ = receiver.snapshot()
        finally:
            receiver.stop()
        self.assertEqual(receiver.invalid, [], "every pack is valid SenML")
        chunks = sorted((r for group in records.values() for r in group if r["name"] == "gw1/door/image"), key=lambda r: r["off"])
        self.assertEqual(len(chunks), chunk_records(20_000, 512))
        self.assertTrue(all(isinstance(r["vd"], bytes) for r in chunks))
        self.assertEqual(b"".join(r["vd"] for r in chunks), small)
        self.assertEqual({r["cf"] for r in chunks}, {42})
        self.assertEqual([r.get("last", False) for r in chunks].count(True), 1)

    def test_kill_mid_upload_leaves_an_aborted_transfer_and_a_clean_log(self):
        big = os.path.join(self.directory, "big.jpg")
        with open(big, "wb") as f:
            f.write(os.urandom(1_000_000))
        collector = Collector(os.path.join(self.directory, "collected.jsonl"), images=self.images)
        try:
            upstream = "coap://127.0.0.1:%d/ingest" % collector.port
            with Daemon("--data-dir", self.data, "--upstream", upstream, "--node-id", "gw1") as daemon:
                port = daemon.port
                client = subprocess.Popen(
                    ["coap-client-notls", "-m", "post", "-b", "1024", "-t", "22", "-f", big,
                     "coap://127.0.0.1:%d/images/cam1" % port],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                try:
                    # Mid-upload: some blocks logged, not all.
                    self.assertTrue(wait_for(lambda: re.search(r"\.part$", " ".join(os.listdir(self.images)))
                                             if os.path.isdir(self.images) else None, 20, step=0.02))
                    daemon.stop(sig=signal.SIGKILL)
                finally:
                    client.kill()
                    client.wait()
            with Daemon("--data-dir", self.data, "--upstream", upstream, "--node-id", "gw1") as daemon:
                aborted = wait_for(lambda: [r for r in collector.records() if r.get("type") == "image_aborted"], 30)
                self.assertEqual(daemon.stop(), 0)
            collector_log = collector.log()
        finally:
            collector.stop()
        self.assertEqual(len(aborted), 1, collector_log + str(os.listdir(self.images)))
        self.assertEqual(aborted[0]["transfer"], 1)
        self.assertEqual(os.listdir(self.images), [], "the partial file was dropped")
        log_path = os.path.join(self.data, "outpost.log")
        records = [r for r in dump(log_path) if r["type"] == "image_chunk"]
        chunks = [r for r in records if not r["aborted"]]
        self.assertGreater(len(chunks), 0)
        self.assertLess(sum(r["bytes"] for r in chunks), 1_000_000)
        self.assertTrue(records[-1]["aborted"])
        self.assertEqual(records[-1]["offset"], sum(r["bytes"] for r in chunks), "the abort names what the log had")
        self.assertEqual([r["chunk"] for r in records], list(range(len(records))))
        check = subprocess.run([TOOL, "log", "verify", log_path], capture_output=True, timeout=60)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)

    def test_oversize_upload_gets_413_with_size1(self):
        with Daemon("--data-dir", self.data, "--image-max-bytes", "10000") as daemon:
            answer = upload(daemon.port, self.image, "cam1")
            self.assertEqual(daemon.stop(), 0)
        self.assertIn("4.13", answer)
        # libcoap announces the size (Size1, RFC 7959 §4): refused before a block is kept.
        self.assertEqual([r for r in dump(os.path.join(self.data, "outpost.log")) if r["type"] == "image_chunk"], [])

    def test_aiocoap_uploads_with_block1(self):
        try:
            import aiocoap
        except ImportError:
            if IN_CI:
                self.fail("aiocoap is not installed: scripts/ensure-tools.sh venv")
            self.skipTest("aiocoap not installed")
        payload = self.content()[:30_000]

        async def post(port):
            context = await aiocoap.Context.create_client_context()
            try:
                request = aiocoap.Message(code=aiocoap.POST, payload=payload, uri="coap://127.0.0.1:%d/images/cam7" % port)
                request.opt.content_format = 22
                request.remote.maximum_block_size_exp = 6
                response = await asyncio.wait_for(context.request(request).response, 60 * SCALE)
                return str(response.code)
            finally:
                await context.shutdown()

        with Daemon("--data-dir", self.data) as daemon:
            code = asyncio.run(post(daemon.port))
            self.assertEqual(daemon.stop(), 0)
        self.assertIn("2.04", code)
        records = [r for r in dump(os.path.join(self.data, "outpost.log")) if r["type"] == "image_chunk"]
        self.assertEqual(sum(r["bytes"] for r in records), 30_000)
        self.assertTrue(records[-1]["last"])


if __name__ == "__main__":
    unittest.main()


class ImageMQTTTests(unittest.TestCase):
    """The MQTT upstream forwards image chunks one per message on `<prefix>/<node>/images`, as
    SenML-JSON with `vd` in base64url (RFC 8428 §5): the subscriber rebuilds the same bytes."""

    def test_mqtt_upstream_forwards_chunks_as_base64url_senml_json(self):
        import base64
        from test_store_mqtt import MOSQUITTO, Broker, Subscriber, paho
        if not (paho and os.path.exists(MOSQUITTO)):
            if IN_CI:
                self.fail("paho-mqtt and mosquitto needed: scripts/ensure-tools.sh peers venv")
            self.skipTest("paho-mqtt and mosquitto needed")
        if not shutil.which("coap-client-notls"):
            self.fail("coap-client-notls (libcoap3-bin) is not installed: scripts/ensure-tools.sh peers")
        directory = tempfile.mkdtemp(prefix="outpost-images-mqtt-")
        try:
            os.mkdir(os.path.join(directory, "data"))
            os.mkdir(os.path.join(directory, "broker"))
            content = os.urandom(5_000)
            path = os.path.join(directory, "image.jpg")
            with open(path, "wb") as f:
                f.write(content)
            broker = Broker(os.path.join(directory, "broker"))
            subscriber = None
            try:
                subscriber = Subscriber(broker.port, "outpost/gw1/images")
                with Daemon("--data-dir", os.path.join(directory, "data"), "--node-id", "gw1",
                            "--upstream", "mqtt://127.0.0.1:%d" % broker.port) as daemon:
                    answer = upload(daemon.port, path, "cam3")
                    self.assertNotIn("4.", answer, answer)
                    wanted = chunk_records(5_000)
                    wait_for(lambda: len(subscriber.snapshot()) >= wanted, 30)
                    self.assertEqual(daemon.stop(), 0)
                messages = subscriber.snapshot()
            finally:
                if subscriber:
                    subscriber.close()
                broker.stop()
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        records = [json.loads(payload)[0] for topic, payload, _ in messages]
        self.assertEqual(len(records), chunk_records(5_000))
        self.assertTrue(all(r["n"] == "cam3/image" for r in records))
        self.assertTrue(all("=" not in r["vd"] and "+" not in r["vd"] and "/" not in r["vd"] for r in records))
        data = b"".join(base64.urlsafe_b64decode(r["vd"] + "=" * (-len(r["vd"]) % 4))
                        for r in sorted(records, key=lambda r: r["off"]))
        self.assertEqual(data, content)
        self.assertEqual([r.get("last", False) for r in records].count(True), 1)
