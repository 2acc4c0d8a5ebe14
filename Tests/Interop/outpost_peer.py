"""Helpers for the interop tests: start the real daemon, speak raw CoAP, SLIP, and ask /health.

Environment:
  OUTPOST_BIN     the daemon binary (host build or a firmware)
  OUTPOST_RUNNER  a command prefix, e.g. "qemu-aarch64-static -L /usr/aarch64-linux-gnu"
  OUTPOST_TIMEOUT_SCALE  multiplies waits (qemu is slower)
"""
import json
import os
import re
import shlex
import signal
import socket
import struct
import subprocess
import tempfile
import time

BIN = os.environ.get("OUTPOST_BIN", "")
RUNNER = shlex.split(os.environ.get("OUTPOST_RUNNER", ""))
SCALE = float(os.environ.get("OUTPOST_TIMEOUT_SCALE", "1"))

CON, NON, ACK, RST = 0, 1, 2, 3
GET, POST = 1, 2
URI_PATH, CONTENT_FORMAT, ACCEPT, OBSERVE = 11, 12, 17, 6


class Daemon:
    """The daemon as a child process on a free loopback port (port 0, read back from its log)."""

    def __init__(self, *flags, env=None, listen=("127.0.0.1:0",)):
        args = list(RUNNER) + [BIN]
        for address in listen:
            args += ["--listen", address]
        args += list(flags)
        self.log_file = tempfile.NamedTemporaryFile(prefix="outpost-daemon-", suffix=".log", delete=False)
        merged = dict(os.environ)
        merged.update(env or {})
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=self.log_file, env=merged)
        self.ports = []
        deadline = time.time() + 20 * SCALE
        while time.time() < deadline:
            text = self.log()
            if "outpost: ready" in text:
                self.ports = [int(p) for p in re.findall(r"listening on \S*:(\d+) ", text)]
                break
            if self.process.poll() is not None:
                raise RuntimeError("daemon exited at start-up (%s): %s" % (self.process.returncode, text))
            time.sleep(0.05)
        else:
            self.process.kill()
            raise RuntimeError("daemon did not get ready: " + self.log())
        self.port = self.ports[0]

    def log(self):
        with open(self.log_file.name, "r", errors="replace") as f:
            return f.read()

    def wait_log(self, pattern, timeout=10):
        deadline = time.time() + timeout * SCALE
        while time.time() < deadline:
            if re.search(pattern, self.log()):
                return True
            time.sleep(0.05)
        return False

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Sends `sig` and returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=timeout * SCALE)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.unlink(self.log_file.name)


def option_bytes(options):
    """Encodes (number, bytes) options, sorted, with extended deltas and lengths."""
    out = bytearray()
    last = 0
    for number, value in sorted(options, key=lambda o: o[0]):
        delta = number - last
        last = number

        def nibble(n):
            if n < 13:
                return n, b""
            if n < 269:
                return 13, bytes([n - 13])
            return 14, struct.pack(">H", n - 269)

        d, dx = nibble(delta)
        l, lx = nibble(len(value))
        out += bytes([(d << 4) | l]) + dx + lx + value
    return bytes(out)


def uint_option(value):
    if value == 0:
        return b""
    length = (value.bit_length() + 7) // 8
    return value.to_bytes(length, "big")


def message(mtype, code, mid, token=b"", options=(), payload=b""):
    head = bytes([0x40 | (mtype << 4) | len(token), code]) + struct.pack(">H", mid) + token
    body = option_bytes(list(options))
    return head + body + (b"\xff" + payload if payload else b"")


def request(mtype, code, mid, path, token=b"\x01\x02", payload=b"", content_format=None, accept=None, extra=()):
    options = [(URI_PATH, part.encode()) for part in path.strip("/").split("/") if part]
    if content_format is not None:
        options.append((CONTENT_FORMAT, uint_option(content_format)))
    if accept is not None:
        options.append((ACCEPT, uint_option(accept)))
    options += list(extra)
    return message(mtype, code, mid, token, options, payload)


def parse(data):
    """Returns (type, code, mid, token, options dict of lists, payload)."""
    if len(data) < 4:
        raise ValueError("short message")
    tkl = data[0] & 15
    mtype = (data[0] >> 4) & 3
    code = data[1]
    mid = struct.unpack(">H", data[2:4])[0]
    token = data[4:4 + tkl]
    at = 4 + tkl
    number = 0
    options = {}
    while at < len(data) and data[at] != 0xFF:
        d, l = data[at] >> 4, data[at] & 15
        at += 1

        def ext(n, at):
            if n == 13:
                return data[at] + 13, at + 1
            if n == 14:
                return struct.unpack(">H", data[at:at + 2])[0] + 269, at + 2
            return n, at

        d, at = ext(d, at)
        l, at = ext(l, at)
        number += d
        options.setdefault(number, []).append(data[at:at + l])
        at += l
    payload = data[at + 1:] if at < len(data) else b""
    return mtype, code, mid, token, options, payload


def code_text(code):
    return "%d.%02d" % (code >> 5, code & 31)


class Peer:
    """A raw UDP CoAP peer on its own socket."""

    def __init__(self, port, host="127.0.0.1", family=socket.AF_INET):
        self.address = (host, port)
        self.socket = socket.socket(family, socket.SOCK_DGRAM)
        self.socket.settimeout(5 * SCALE)
        self.mid = int.from_bytes(os.urandom(2), "big")
        self.pending = []  # datagrams received during an exchange that were not its answer

    def next_mid(self):
        self.mid = (self.mid + 1) & 0xFFFF
        return self.mid

    def send(self, data):
        self.socket.sendto(data, self.address)

    def receive(self):
        if self.pending:
            return self.pending.pop(0)
        data, _ = self.socket.recvfrom(65536)
        return data

    def exchange(self, data):
        """Sends `data` and returns its parsed answer. A CON is retransmitted with doubling
        timeouts within the socket's timeout (RFC 7252 §4.2), as a real client does: the daemon
        drops a datagram over its source's request rate (docs/SECURITY.md §7), which a plain
        client reading a large body in the small blocks of the amplification limit can reach.
        Other datagrams arriving meanwhile (notifications) are kept for `receive`; a late answer
        to an earlier retransmission is skipped."""
        total = self.socket.gettimeout()
        if len(data) < 4 or (data[0] >> 4) & 3 != CON or total is None or self.pending:
            self.send(data)
            return parse(self.receive())
        mid = int.from_bytes(data[2:4], "big")
        deadline = time.monotonic() + total
        wait = max(total / 15, 0.25)
        try:
            while True:
                self.send(data)
                end = min(time.monotonic() + wait, deadline)
                while time.monotonic() < end:
                    self.socket.settimeout(max(end - time.monotonic(), 0.001))
                    try:
                        reply, _ = self.socket.recvfrom(65536)
                    except socket.timeout:
                        break
                    parsed = parse(reply)
                    if parsed[2] == mid and parsed[0] in (ACK, RST):
                        return parsed
                    if parsed[0] not in (ACK, RST):
                        self.pending.append(reply)
                if time.monotonic() >= deadline:
                    raise socket.timeout("timed out")
                wait *= 2
        finally:
            self.socket.settimeout(total)

    def get(self, path, accept=None):
        """GET `path`; a representation larger than one block (Block2, RFC 7959 §2.4) is fetched
        block by block and returned whole, with the last block's header and options."""
        reply = self.exchange(request(CON, GET, self.next_mid(), path, token=os.urandom(4), accept=accept))
        payload = reply[5]
        # At most 4096 blocks: a bound far above any resource of the daemon, even in the 32-byte
        # blocks the amplification limit holds a plain client to (docs/SECURITY.md §7).
        for _ in range(4096):
            block = reply[4].get(23)
            if not block:
                break
            value = int.from_bytes(block[0], "big")
            number, more, szx = value >> 4, (value >> 3) & 1, value & 7
            if not more:
                break
            # The next block in the server's block size, after the bytes received so far.
            following = uint_option((len(payload) >> (szx + 4)) << 4 | szx)
            reply = self.exchange(request(CON, GET, self.next_mid(), path, token=os.urandom(4), accept=accept,
                                          extra=[(23, following)]))
            payload += reply[5]
        return reply[:5] + (payload,)

    def health(self):
        reply = self.get("/health")
        assert code_text(reply[1]) == "2.05", "GET /health answered %s" % code_text(reply[1])
        return json.loads(reply[5])

    def close(self):
        self.socket.close()


def slip_encode(payload):
    out = bytearray(b"\xc0")
    for b in payload:
        if b == 0xC0:
            out += b"\xdb\xdc"
        elif b == 0xDB:
            out += b"\xdb\xdd"
        else:
            out.append(b)
    out.append(0xC0)
    return bytes(out)


def slip_frames(data):
    """Splits received bytes into decoded SLIP frames (empty ones skipped)."""
    frames = []
    for raw in data.split(b"\xc0"):
        if raw:
            frames.append(raw.replace(b"\xdb\xdc", b"\xc0").replace(b"\xdb\xdd", b"\xdb"))
    return frames


def senml_json(sensor, quantity="temperature", unit="Cel", value=21.5):
    return json.dumps([{"bn": sensor + ":", "n": quantity, "u": unit, "v": value}]).encode()
