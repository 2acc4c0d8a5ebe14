"""The HTTP side of the daemon through real sockets (docs/HTTP.md): the endpoints, the parser's
refusals, keep-alive, the alert event stream, the bearer token, slow clients, a real Prometheus
scraping /metrics, promtool's lint, and headless chromium rendering the dashboard.

Environment: OUTPOST_BIN (the daemon); prometheus, promtool and chromium on PATH for their tests
(scripts/ensure-tools.sh operator browser). Loopback only; every wait is bounded.
"""
import http.client
import json
import os
import re
import select
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

from outpost_peer import CON, POST, SCALE, Daemon, Peer, code_text, request

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HTTPDaemon(Daemon):
    """The daemon with `--http 127.0.0.1:0`; `http_port` is read back from its log."""

    def __init__(self, *flags, **kw):
        super().__init__("--http", "127.0.0.1:0", *flags, **kw)
        match = re.search(r"HTTP on 127\.0\.0\.1:(\d+)", self.log())
        if not match:
            self.process.kill()
            raise RuntimeError("no HTTP line: " + self.log())
        self.http_port = int(match.group(1))

    def get(self, path, method="GET", body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=5 * SCALE)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            conn.close()


def post_reading(port, sensor, value, quantity="temperature", unit="Cel"):
    peer = Peer(port)
    try:
        payload = json.dumps([{"bn": sensor + ":", "n": quantity, "u": unit, "v": value}]).encode()
        reply = peer.exchange(request(CON, POST, peer.next_mid(), "/readings", token=os.urandom(4),
                                      payload=payload, content_format=110))
        return code_text(reply[1])
    finally:
        peer.close()


def raw_exchange(port, data, timeout=5.0):
    """Sends raw bytes on a new connection; returns everything read until the server closes or
    `timeout` passes."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout * SCALE)
    try:
        s.sendall(data)
        out = b""
        deadline = time.time() + timeout * SCALE
        while time.time() < deadline:
            ready, _, _ = select.select([s], [], [], max(0, deadline - time.time()))
            if not ready:
                break
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
        return out
    finally:
        s.close()


class EndpointTests(unittest.TestCase):
    def test_resources_answer_like_coap(self):
        with HTTPDaemon() as d:
            self.assertEqual(post_reading(d.port, "http-1", 21.5), "2.04")
            self.assertEqual(post_reading(d.port, "http-2", 50.25, "humidity", "%RH"), "2.04")
            status, headers, body = d.get("/ready")
            self.assertEqual((status, json.loads(body)), (200, {"ready": True}))
            status, headers, body = d.get("/health")
            self.assertEqual(status, 200)
            self.assertEqual(headers["Content-Type"], "application/json")
            health = json.loads(body)
            coap = Peer(d.port).health()
            self.assertEqual(set(health), set(coap), "the same document as CoAP /health")
            self.assertEqual(health["counters"]["readings_accepted"], 2)
            status, _, body = d.get("/api/sensors")
            ids = sorted(s["id"] for s in json.loads(body)["sensors"])
            self.assertEqual((status, ids), (200, ["http-1", "http-2"]))
            status, _, body = d.get("/api/sensors/http-1")
            sensor = json.loads(body)
            self.assertEqual(status, 200)
            self.assertEqual(sensor["values"]["temperature"], 21.5)
            self.assertTrue(sensor["windows"] and sensor["windows"][0]["features"]["temperature"]["mean"] == 21.5)
            self.assertEqual(d.get("/api/sensors/nobody")[0], 404)
            self.assertEqual(d.get("/api/sensors/http%2D1")[0], 200, "percent-decoded id")
            status, _, body = d.get("/api/alerts")
            self.assertEqual((status, json.loads(body)["alerts"]), (200, []))
            status, headers, body = d.get("/")
            self.assertEqual(status, 200)
            self.assertTrue(headers["Content-Type"].startswith("text/html"))
            self.assertIn(b"EventSource", body)
            self.assertLess(len(body), 64 * 1024, "the page stays small")
            status, headers, body = d.get("/metrics", method="HEAD")
            self.assertEqual((status, body), (200, b""))
            self.assertGreater(int(headers["Content-Length"]), 1000)
            status, headers, _ = d.get("/metrics", method="POST", body=b"x")
            self.assertEqual((status, headers.get("Allow")), (405, "GET, HEAD"))
            self.assertEqual(d.get("/nothing/here")[0], 404)
            self.assertEqual(d.stop(), 0)

    def test_metrics_hold_store_sensor_and_build_families(self):
        with tempfile.TemporaryDirectory() as data, HTTPDaemon("--data-dir", data, "--log-size", "1M") as d:
            self.assertEqual(post_reading(d.port, "m-1", 23.125), "2.04")
            time.sleep(0.1)
            _, headers, body = d.get("/metrics")
            text = body.decode()
            self.assertTrue(headers["Content-Type"].startswith("text/plain; version=0.0.4"))
            self.assertIn('outpost_sensor_value{sensor="m-1",quantity="temperature"} 23.125\n', text)
            self.assertIn('outpost_sensor_online{sensor="m-1"} 1\n', text)
            self.assertRegex(text, r'outpost_build_info\{version="[^"]+",profile="medium",node_id="outpost"\} 1\n')
            self.assertRegex(text, r"\noutpost_log_free_bytes \d+\n")
            self.assertRegex(text, r"\noutpost_log_last_sequence [1-9]\d*\n")
            self.assertIn("\noutpost_readings_total 1\n", text, "the CoAP families come first")
            self.assertIn("outpost_tick_latency_seconds_bucket", text)
            self.assertEqual(d.stop(), 0)

    def test_keep_alive_and_pipelining(self):
        with HTTPDaemon() as d:
            out = raw_exchange(d.http_port, b"GET /ready HTTP/1.1\r\nHost: x\r\n\r\nGET /ready HTTP/1.1\r\nHost: x\r\n"
                                            b"Connection: close\r\n\r\n")
            self.assertEqual(out.count(b"HTTP/1.1 200 OK"), 2, out)
            self.assertIn(b"Connection: keep-alive", out)
            self.assertTrue(out.rstrip().endswith(b'{"ready":true}'), out)
            # One connection, many requests.
            conn = http.client.HTTPConnection("127.0.0.1", d.http_port, timeout=5)
            for _ in range(20):
                conn.request("GET", "/health")
                r = conn.getresponse()
                self.assertEqual(r.status, 200)
                r.read()
            conn.close()
            self.assertEqual(d.stop(), 0)

    def test_bad_requests_are_refused_with_their_status(self):
        with HTTPDaemon() as d:
            cases = [
                (b"GARBAGE\r\n\r\n", 400),
                (b"GET nopath HTTP/1.1\r\n\r\n", 400),
                (b"GET / HTTP/2.0\r\n\r\n", 505),
                (b"GET /" + b"a" * 1200 + b" HTTP/1.1\r\n\r\n", 414),
                (b"GET / HTTP/1.1\r\n" + b"X-Pad: " + b"b" * 3000 + b"\r\n\r\n", 431),
                (b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(40)) + b"\r\n", 431),
                (b"GET / HTTP/1.1\r\nBad Header: x\r\n\r\n", 400),
                (b"GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n", 400),
                (b"POST /api/sensors/a/command HTTP/1.1\r\nContent-Length: 99999\r\n\r\n", 413),
                (b"POST /api/sensors/a/command HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", 400),
                (b"POST /api/sensors/a/command HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n", 400),
                (b"POST /api/sensors/a/command HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
                (b"DELETE /health HTTP/1.1\r\n\r\n", 405),
            ]
            for data, want in cases:
                out = raw_exchange(d.http_port, data)
                self.assertTrue(out.startswith(b"HTTP/1.1 %d " % want), (data[:60], out[:200]))
                if want != 405:
                    self.assertIn(b"Connection: close", out)
            status, _, body = d.get("/metrics")
            self.assertRegex(body.decode(), r"outpost_http_malformed_requests_total 1[12]\n")
            self.assertEqual(d.stop(), 0)

    def test_command_needs_the_bearer_token(self):
        with tempfile.NamedTemporaryFile("w", suffix=".token", delete=False) as f:
            f.write("s3cret-token\n")
        try:
            with HTTPDaemon("--http-token-file", f.name) as d:
                self.assertEqual(post_reading(d.port, "valve-1", 20.0), "2.04")
                path = "/api/sensors/valve-1/command"
                status, headers, _ = d.get(path, "POST", b'{"open":true}')
                self.assertEqual(status, 401)
                self.assertIn("Bearer", headers["WWW-Authenticate"])
                self.assertEqual(d.get(path, "POST", b"x", {"Authorization": "Bearer wrong"})[0], 401)
                self.assertEqual(d.get(path, "POST", b"x", {"Authorization": "Basic s3cret-token"})[0], 401)
                good = {"Authorization": "Bearer s3cret-token"}
                status, _, body = d.get(path, "POST", b'{"open":true}', good)
                self.assertEqual(status, 202, body)
                self.assertEqual(json.loads(body)["sensor"], "valve-1")
                self.assertEqual(d.get("/api/sensors/ghost/command", "POST", b"x", good)[0], 404)
                self.assertEqual(d.get(path, "POST", b"", good)[0], 400)
                self.assertEqual(d.get(path, "POST", b"z" * 200, good)[0], 413)
                self.assertEqual(d.get(path, "GET")[0], 405)
                # Four pending per sensor: the fifth is refused, nothing overwritten.
                codes = [d.get(path, "POST", b"c%d" % i, good)[0] for i in range(4)]
                self.assertEqual(codes, [202, 202, 202, 503])
                text = d.get("/metrics")[2].decode()
                self.assertIn('outpost_commands_total{result="accepted"} 4\n', text)
                self.assertIn('outpost_commands_total{result="unauthorized"} 3\n', text)
                self.assertEqual(d.stop(), 0)
            with HTTPDaemon() as d:
                status, _, body = d.get("/api/sensors/x/command", "POST", b"x", {"Authorization": "Bearer s3cret-token"})
                self.assertEqual(status, 401)
                self.assertIn(b"--http-token-file", body)
        finally:
            os.unlink(f.name)

    def test_bad_flags_and_missing_token_file(self):
        for flags, text in [(["--http", "nowhere"], "'nowhere': wants [HOST:]PORT"), (["--http", "99999"], "'99999': wants [HOST:]PORT")]:
            r = subprocess.run([os.environ["OUTPOST_BIN"]] + flags, capture_output=True, text=True, timeout=10)
            self.assertEqual(r.returncode, 2)
            self.assertIn(text, r.stderr)
        r = subprocess.run([os.environ["OUTPOST_BIN"], "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0",
                            "--http-token-file", "/nonexistent/token"], capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--http-token-file '/nonexistent/token': no such file", r.stderr)


class EventStreamTests(unittest.TestCase):
    def test_alert_arrives_on_the_stream(self):
        with HTTPDaemon() as d:
            s = socket.create_connection(("127.0.0.1", d.http_port), timeout=5)
            s.sendall(b"GET /api/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
            head = b""
            while b"\r\n\r\n" not in head:
                head += s.recv(4096)
            self.assertTrue(head.startswith(b"HTTP/1.1 200 OK"), head)
            self.assertIn(b"Content-Type: text/event-stream", head)
            self.assertNotIn(b"Content-Length", head)
            # 60 °C is above the reference alert bound: a threshold alert.
            self.assertEqual(post_reading(d.port, "hot-http", 60.0), "2.04")
            data = head.split(b"\r\n\r\n", 1)[1]
            deadline = time.time() + 5 * SCALE
            while b"event: alert" not in data and time.time() < deadline:
                ready, _, _ = select.select([s], [], [], 0.5)
                if ready:
                    data += s.recv(65536)
            match = re.search(rb"id: (\d+)\nevent: alert\ndata: (\{.*\})\n\n", data)
            self.assertIsNotNone(match, data)
            alert = json.loads(match.group(2))
            self.assertEqual((alert["sensor"], alert["event"]), ("hot-http", "raised"))
            s.close()
            metrics = d.get("/metrics")[2].decode()
            self.assertRegex(metrics, r"outpost_http_events_total [1-9]")
            self.assertEqual(d.stop(), 0)

    def test_stream_count_is_bounded(self):
        with HTTPDaemon() as d:
            streams = []
            codes = []
            for _ in range(6):
                s = socket.create_connection(("127.0.0.1", d.http_port), timeout=5)
                s.sendall(b"GET /api/events HTTP/1.1\r\n\r\n")
                codes.append(int(s.recv(64).split(b" ")[1]))
                streams.append(s)
            # The medium profile keeps 4 streams; the others are told to come back.
            self.assertEqual(codes, [200, 200, 200, 200, 503, 503])
            for s in streams:
                s.close()
            self.assertEqual(d.stop(), 0)


class SlowClientTests(unittest.TestCase):
    def test_new_client_answered_within_100ms_among_100_slow_ones(self):
        with HTTPDaemon() as d:
            slow = []
            for i in range(100):
                s = socket.create_connection(("127.0.0.1", d.http_port), timeout=5)
                if i % 2 == 0:
                    s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # slowloris: partial headers
                slow.append(s)
            worst = 0.0
            for round in range(5):
                for s in slow:
                    try:
                        s.send(b"a")
                    except OSError:
                        pass
                start = time.monotonic()
                status, _, _ = d.get("/ready")
                took = time.monotonic() - start
                worst = max(worst, took)
                self.assertEqual(status, 200)
                time.sleep(0.05)
            self.assertLess(worst, 0.100, "a new client waited %.1f ms" % (worst * 1000))
            text = d.get("/metrics")[2].decode()
            evicted = int(re.search(r'outpost_http_closed_total\{reason="evicted"\} (\d+)', text).group(1))
            self.assertGreaterEqual(evicted, 92, "slow connections made room for the new ones")
            for s in slow:
                s.close()
            # The CoAP side kept going the whole time.
            self.assertEqual(post_reading(d.port, "still-1", 20.0), "2.04")
            self.assertEqual(d.stop(), 0)

    def test_partial_request_closed_after_header_timeout(self):
        # The header timeout is 10 s: a request that has not arrived whole by then is answered
        # 408 and closed.
        with HTTPDaemon() as d:
            s = socket.create_connection(("127.0.0.1", d.http_port), timeout=15)
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
            start = time.monotonic()
            out = b""
            while True:
                ready, _, _ = select.select([s], [], [], 15)
                if not ready:
                    break
                chunk = s.recv(4096)
                if not chunk:
                    break
                out += chunk
            took = time.monotonic() - start
            s.close()
            self.assertTrue(out.startswith(b"HTTP/1.1 408 "), out)
            self.assertTrue(9.5 <= took <= 12.5, "closed after %.1f s" % took)
            self.assertEqual(d.stop(), 0)


@unittest.skipUnless(shutil.which("prometheus") and shutil.which("promtool"), "prometheus not installed (scripts/ensure-tools.sh operator)")
class PrometheusTests(unittest.TestCase):
    def test_promtool_lint_is_clean(self):
        with tempfile.TemporaryDirectory() as data, HTTPDaemon("--data-dir", data, "--upstream", "coap://127.0.0.1:9/up") as d:
            for i in range(3):
                post_reading(d.port, "lint-%d" % i, 20.0 + i)
            post_reading(d.port, "lint-hot", 60.0)
            body = d.get("/metrics")[2]
            r = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True, timeout=30)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertEqual(r.stdout + r.stderr, b"", "no lint findings")
            self.assertIn(b"outpost_uplink_backlog_records", body)
            self.assertEqual(d.stop(), 0)

    def test_prometheus_scrapes_the_daemon(self):
        with tempfile.TemporaryDirectory() as tmp, HTTPDaemon() as d:
            self.assertEqual(post_reading(d.port, "prom-1", 19.75), "2.04")
            port = free_port()
            config = os.path.join(tmp, "prometheus.yml")
            with open(config, "w") as f:
                f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                        "scrape_configs:\n  - job_name: outpost\n    static_configs:\n"
                        "      - targets: ['127.0.0.1:%d']\n" % d.http_port)
            log = open(os.path.join(tmp, "prometheus.log"), "w")
            prom = subprocess.Popen(["prometheus", "--config.file=" + config, "--storage.tsdb.path=" + os.path.join(tmp, "tsdb"),
                                     "--web.listen-address=127.0.0.1:%d" % port], stdout=log, stderr=log)
            try:
                def query(q):
                    url = "http://127.0.0.1:%d/api/v1/query?query=%s" % (port, urllib.parse.quote(q))
                    with urllib.request.urlopen(url, timeout=5) as r:
                        return json.loads(r.read())["data"]["result"]

                up = value = None
                deadline = time.time() + 40 * SCALE
                while time.time() < deadline:
                    try:
                        up = query('up{job="outpost"}')
                        value = query('outpost_sensor_value{sensor="prom-1",quantity="temperature"}')
                        if up and up[0]["value"][1] == "1" and value:
                            break
                    except OSError:
                        pass
                    time.sleep(0.5)
                self.assertTrue(up and up[0]["value"][1] == "1", "up: %r; %s" % (up, open(log.name).read()[-1500:]))
                self.assertTrue(value, "the reading's value was scraped")
                self.assertEqual(float(value[0]["value"][1]), 19.75)
                info = query("outpost_build_info")
                self.assertEqual(info[0]["metric"]["profile"], "medium")
            finally:
                prom.terminate()
                prom.wait(timeout=20)
                log.close()
            self.assertEqual(d.stop(), 0)


class Chromium:
    """Headless chromium driven over its DevTools pipe (--remote-debugging-pipe: JSON messages
    ending in NUL on descriptors 3 and 4). `--dump-dom` with `--virtual-time-budget` never
    returns for a page holding an event stream open (virtual time waits for the network to go
    idle), so the test loads the page, lets it run in real time, then reads the DOM."""

    def __init__(self, profile_dir):
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def wire():
            # Duplicated first: either end may itself be descriptor 3 or 4. Python closes the
            # other descriptors after this runs, keeping those in pass_fds (3 and 4).
            read_end, write_end = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        self.process = subprocess.Popen(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
             "--user-data-dir=" + profile_dir, "--window-size=1280,900", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=(3, 4), preexec_fn=wire)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.next_id = 0
        self.pending = b""
        self.session = None

    def call(self, method, params=None, timeout=30):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if self.session and not method.startswith(("Target.", "Browser.")):
            message["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.time() + timeout
        while time.time() < deadline:
            while b"\0" in self.pending:
                raw, self.pending = self.pending.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == self.next_id:
                    if "error" in reply:
                        raise RuntimeError("%s: %s" % (method, reply["error"]))
                    return reply["result"]
            ready, _, _ = select.select([self.from_chrome], [], [], 1)
            if ready:
                chunk = os.read(self.from_chrome, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium closed its pipe")
                self.pending += chunk
        raise TimeoutError(method)

    def open(self, url):
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.call("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False})
        self.call("Page.navigate", {"url": url})

    def dom(self):
        return self.call("Runtime.evaluate", {"expression": "document.documentElement.outerHTML", "returnByValue": True})["result"]["value"]

    def screenshot(self, path):
        import base64
        data = self.call("Page.captureScreenshot", {"format": "png"})["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self.to_chrome)
        os.close(self.from_chrome)


@unittest.skipUnless(shutil.which("chromium"), "chromium not installed (scripts/ensure-tools.sh browser)")
class DashboardTests(unittest.TestCase):
    def test_generated_page_is_current(self):
        r = subprocess.run([os.path.join(REPO, "scripts", "embed-dashboard.sh"), "--check"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_chromium_renders_sensors_and_the_alert(self):
        # With the log and an uplink (to a port nobody answers), so the gauges have values.
        with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as data, \
                HTTPDaemon("--data-dir", data, "--log-size", "1M", "--upstream", "coap://127.0.0.1:9/up") as d:
            for i in range(4):
                post_reading(d.port, "dash-a", 21.0 + i * 0.25)
                post_reading(d.port, "dash-b", 45.0 + i, "humidity", "%RH")
            browser = Chromium(tmp)
            try:
                browser.open("http://127.0.0.1:%d/" % d.http_port)
                # Readings keep flowing while the page runs; the alert comes after it opened,
                # so it can only arrive over the event stream.
                for i in range(12):
                    post_reading(d.port, "dash-a", 22.0 + (i % 5) * 0.5)
                    post_reading(d.port, "dash-b", 50.0 + (i % 3), "humidity", "%RH")
                    if i == 4:
                        post_reading(d.port, "dash-hot", 60.0)
                    time.sleep(0.5)
                dom = browser.dom()
                shot = os.path.join(REPO, "build", "http-dashboard.png")
                os.makedirs(os.path.dirname(shot), exist_ok=True)
                browser.screenshot(shot)
            finally:
                browser.close()
            self.assertIn('id="s-dash-a"', dom)
            self.assertIn('id="s-dash-b"', dom)
            self.assertRegex(dom, r'class="sensor (alert|critical)" id="s-dash-hot"')
            self.assertIn("threshold · dash-hot", dom, "the alert arrived over the event stream")
            self.assertRegex(dom, r'<polyline points="[0-9.]+,[0-9.]+ [0-9.]+,')
            self.assertRegex(dom, r'id="live">on<')
            self.assertRegex(dom, r'id="status" class="(ok|degraded)"')
            self.assertRegex(dom, r"log ready</span><b>[0-9.]+ (KiB|MiB) free</b>")
            self.assertRegex(dom, r"backlog</span><b>\d+ rec</b>")
            self.assertGreater(os.path.getsize(shot), 10000, "screenshot saved")
            self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main()
