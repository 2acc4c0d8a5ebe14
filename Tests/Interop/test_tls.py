"""CHAL's TLS client (Sources/CHAL/chal_tls.c, mbedTLS) against a real server: `openssl s_server`.

The test makes its own certificates with the openssl command (a CA, a server certificate for
localhost/127.0.0.1, a client certificate, an expired server certificate, a second CA nobody
trusts), builds Tests/Interop/tools/tls_client_probe.c with gcc against CHAL's C files and
mbedTLS, and drives it: handshake and echo (with the heap allocations of the steady state
counted), a wrong CA, an expired certificate, a wrong name, mutual TLS with and without the
client's certificate. Loopback only; every process is bounded in time.

Run: cd Tests/Interop && python -m unittest -v test_tls
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)


def make_ca(cwd, name):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", name + ".key", "-out", name + ".crt", "-subj", "/CN=" + name, "-days", "2", cwd=cwd)


def make_leaf(cwd, name, ca, common_name, days, server=True):
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + common_name, cwd=cwd)
    ext = os.path.join(cwd, name + ".ext")
    with open(ext, "w") as f:
        if server:
            f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
        else:
            f.write("extendedKeyUsage=clientAuth\n")
    # A negative day count puts notAfter in the past: an expired certificate.
    openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".crt", "-CAkey", ca + ".key", "-CAcreateserial",
            "-days", str(days), "-extfile", name + ".ext", "-out", name + ".crt", cwd=cwd)


class TLSClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if shutil.which("openssl") is None:
            raise unittest.SkipTest("openssl is not installed (scripts/ensure-tools.sh tls)")
        cls.dir = tempfile.mkdtemp(prefix="outpost-tls-")
        d = cls.dir
        make_ca(d, "ca")
        make_ca(d, "otherca")
        make_leaf(d, "server", "ca", "localhost", 2)
        make_leaf(d, "expired", "ca", "localhost", -1)
        make_leaf(d, "client", "ca", "sensor-gateway", 2, server=False)
        make_leaf(d, "stranger", "otherca", "stranger", 2, server=False)
        cls.probe = os.path.join(d, "tls_client_probe")
        chal = os.path.join(ROOT, "Sources", "CHAL")
        sources = [os.path.join(HERE, "tools", "tls_client_probe.c"),
                   os.path.join(ROOT, "Sources", "CMallocCounter", "malloc_counter.c")]
        sources += [os.path.join(chal, f) for f in sorted(os.listdir(chal)) if f.endswith(".c")]
        subprocess.run(["gcc", "-O1", "-DCHAL_WITH_MBEDTLS", "-I", os.path.join(chal, "include"),
                        "-I", os.path.join(ROOT, "Sources", "CMallocCounter", "include"), *sources,
                        "-lmbedtls", "-lmbedx509", "-lmbedcrypto", "-o", cls.probe], check=True, timeout=120)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def start_server(self, cert, key, *extra):
        """`openssl s_server -rev` on loopback (answers each line reversed), one connection."""
        port = free_port()
        server = subprocess.Popen(
            ["openssl", "s_server", "-accept", "127.0.0.1:%d" % port, "-cert", self.path(cert), "-key", self.path(key),
             "-rev", "-naccept", "1", *extra],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.addCleanup(self.stop, server)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            line = server.stdout.readline()
            if "ACCEPT" in line:
                return port
            if not line and server.poll() is not None:
                break
        self.fail("openssl s_server did not start")

    @staticmethod
    def stop(server):
        if server.poll() is None:
            server.kill()
        server.wait(timeout=10)
        server.stdout.close()

    def probe_run(self, port, name, ca, *extra):
        result = subprocess.run([self.probe, "127.0.0.1", str(port), name, self.path(ca), *extra],
                                capture_output=True, text=True, timeout=30)
        return result.returncode, result.stdout

    def test_handshake_echo_and_steady_state_allocates_nothing(self):
        port = self.start_server("server.crt", "server.key")
        status, out = self.probe_run(port, "localhost", "ca.crt", "--rounds", "200")
        self.assertEqual(status, 0, out)
        self.assertIn("handshake ok", out)
        self.assertIn("echo ok 200", out)
        self.assertIn("steady_allocations 0\n", out, "TLS reads and writes after the handshake allocated")

    def test_wrong_ca_is_refused_as_not_trusted(self):
        port = self.start_server("server.crt", "server.key")
        status, out = self.probe_run(port, "localhost", "otherca.crt")
        self.assertEqual(status, 1, out)
        self.assertNotIn("handshake ok", out)
        self.assertIn("error -129 ", out)  # CHAL_EKEYREJECTED
        self.assertIn("server certificate rejected", out)
        self.assertIn("not correctly signed by the trusted CA", out)

    def test_expired_certificate_is_refused(self):
        port = self.start_server("expired.crt", "expired.key")
        status, out = self.probe_run(port, "localhost", "ca.crt")
        self.assertEqual(status, 1, out)
        self.assertIn("error -129 ", out)
        self.assertIn("expired", out)

    def test_wrong_server_name_is_refused(self):
        port = self.start_server("server.crt", "server.key")
        status, out = self.probe_run(port, "broker.example.net", "ca.crt")
        self.assertEqual(status, 1, out)
        self.assertIn("error -129 ", out)
        self.assertIn("does not match with the expected CN", out)

    def test_missing_ca_file_is_named(self):
        status, out = self.probe_run(free_port(), "localhost", "no-such-ca.crt")
        self.assertEqual(status, 1, out)
        self.assertIn("error -2 ", out)  # CHAL_ENOENT, before any connection is tried
        self.assertIn("no-such-ca.crt", out)

    def test_mutual_tls(self):
        port = self.start_server("server.crt", "server.key", "-Verify", "1", "-verify_return_error", "-CAfile", self.path("ca.crt"))
        status, out = self.probe_run(port, "localhost", "ca.crt", self.path("client.crt"), self.path("client.key"),
                                     "--rounds", "20")
        self.assertEqual(status, 0, out)
        self.assertIn("echo ok 20", out)

    def test_mutual_tls_without_a_client_certificate_fails(self):
        port = self.start_server("server.crt", "server.key", "-Verify", "1", "-verify_return_error", "-CAfile", self.path("ca.crt"))
        status, out = self.probe_run(port, "localhost", "ca.crt", "--rounds", "1")
        self.assertEqual(status, 1, out)
        self.assertNotIn("echo ok", out)
        self.assertIn("error ", out)

    def test_mutual_tls_with_a_certificate_of_another_ca_fails(self):
        port = self.start_server("server.crt", "server.key", "-Verify", "1", "-verify_return_error", "-CAfile", self.path("ca.crt"))
        status, out = self.probe_run(port, "localhost", "ca.crt", self.path("stranger.crt"), self.path("stranger.key"),
                                     "--rounds", "1")
        self.assertEqual(status, 1, out)
        self.assertNotIn("echo ok", out)


if __name__ == "__main__":
    unittest.main()
