"""A strict SenML-CBOR checker and a small CoAP receiver that enforces it, for the uplink tests.

Written from RFC 8428 (SenML) and RFC 7252/7959 (CoAP, Block1), not from the node's encoder: it
answers a pack the way a strict receiver would, 4.00 with the reason when any rule is broken.

Rules checked (RFC 8428):
- §6 (CBOR): the pack is an array of maps; registered labels are integers (Table 4), so a text key
  spelling a registered label is refused; an unknown integer label is refused (nothing registered
  it); map keys are unique.
- §4.4: a text label ending in "_" must be understood; this receiver understands none, so refuses.
- §4.3 / §4.5: each field has its type: bn, bu, n, u, vs text; bt, bv, bs, t, ut, v, s numbers;
  vb boolean; vd byte string (CBOR); bver an unsigned integer. Numbers are finite.
- §4.3: exactly one value field (v, vs, vb, vd) per record, or none when a sum (s or base sum) is
  present.
- §4.5.1: the resolved name (bn + n) is non-empty, holds only A-Z a-z 0-9 - : . / _ and starts
  with a letter or digit.
- §4.5.2: a unit, when present, is a registered SenML unit: RFC 8428 Table 6 with RFC 8798's
  additions, and RFC 8798's secondary units (the node forwards values of quantities it does not
  detect on in the unit the sensor sent, which may be one of those: `ppm`, `mV`, `kWh`).
- §4.4: bver, when present, is a version this receiver knows (<= 10) and the same in every record
  that carries it.
- The node's own extension labels (docs/UPLINK_FORMAT.md §2, §3) have their documented types:
  seq unsigned, lid unsigned, thr number, conf number in 0..1, feat text, win unsigned, sat boolean, mark
  unsigned; xfer, chunk, off, cf unsigned and last boolean (image chunks). Other text labels (not ending in "_") are ignored, as §4.4 allows.
"""
import math
import re
import socket
import struct
import threading
import time

import cbor2

CON, NON, ACK, RST = 0, 1, 2, 3

LABELS = {-1: "bver", -2: "bn", -3: "bt", -4: "bu", -5: "bv", -6: "bs", 0: "n", 1: "u", 2: "v", 3: "vs",
          4: "vb", 5: "s", 6: "t", 7: "ut", 8: "vd"}
TEXT = {"bn", "bu", "n", "u", "vs"}
NUMBER = {"bt", "bv", "bs", "t", "ut", "v", "s"}
VALUE_FIELDS = ("v", "vs", "vb", "vd")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-:./_]*$")
# RFC 8428 Table 6 (primary units).
UNITS = {
    "m", "kg", "g", "s", "A", "K", "cd", "mol", "Hz", "rad", "sr", "N", "Pa", "J", "W", "C", "V", "F", "Ohm",
    "S", "Wb", "T", "H", "Cel", "lm", "lx", "Bq", "Gy", "Sv", "kat", "m2", "m3", "l", "m/s", "m/s2", "m3/s",
    "l/s", "W/m2", "cd/m2", "bit", "bit/s", "lat", "lon", "pH", "dB", "dBW", "Bspl", "count", "/", "%", "%RH",
    "%EL", "EL", "1/s", "1/min", "beat/min", "beats", "S/m", "B", "VA", "VAs", "var", "vars", "J/m", "kg/m3",
    "deg",
}
# RFC 8798 Table 2 (secondary units).
UNITS |= {
    "ms", "min", "h", "MHz", "kW", "kVA", "kvar", "Ah", "Wh", "kWh", "varh", "kvarh", "kVAh", "Wh/km", "KiB", "GB",
    "Mbit/s", "B/s", "MB/s", "mV", "mA", "dBm", "ug/m3", "mm/h", "m/h", "ppm", "/100", "/1000", "hPa", "mm", "cm",
    "km", "km/h",
}
EXTENSIONS = {
    "seq": "unsigned", "thr": "number", "conf": "fraction", "feat": "text", "win": "unsigned", "sat": "bool",
    "mark": "unsigned", "lid": "unsigned",
    # Image chunks (docs/UPLINK_FORMAT.md §3.5).
    "xfer": "unsigned", "chunk": "unsigned", "off": "unsigned", "cf": "unsigned", "last": "bool",
}


class Invalid(Exception):
    """A pack a strict receiver refuses; str() is the reason it would send back."""


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_type(where, label, value, kind):
    if kind == "text" and not isinstance(value, str):
        raise Invalid("%s: %s must be a text string, got %r" % (where, label, value))
    if kind in ("number", "fraction"):
        if not is_number(value):
            raise Invalid("%s: %s must be a number, got %r" % (where, label, value))
        if isinstance(value, float) and not math.isfinite(value):
            raise Invalid("%s: %s is not finite" % (where, label))
        if kind == "fraction" and not 0 <= value <= 1:
            raise Invalid("%s: %s must be within 0..1, got %r" % (where, label, value))
    if kind == "unsigned" and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise Invalid("%s: %s must be an unsigned integer, got %r" % (where, label, value))
    if kind == "bool" and not isinstance(value, bool):
        raise Invalid("%s: %s must be a boolean, got %r" % (where, label, value))
    if kind == "bytes" and not isinstance(value, bytes):
        raise Invalid("%s: %s must be a byte string, got %r" % (where, label, value))


def check_pack(data):
    """Checks one SenML-CBOR pack; returns its resolved records (dicts with the labels' names, the
    resolved name as "name", resolved time as "time"). Raises Invalid with the reason."""
    try:
        pack = cbor2.loads(data)
    except Exception as error:  # cbor2 raises several types for bad input
        raise Invalid("not CBOR: %s" % error)
    if not isinstance(pack, list):
        raise Invalid("the pack is not an array")
    resolved = []
    base = {"bn": "", "bt": 0, "bu": None, "bv": 0, "bs": None}
    version = None
    for index, record in enumerate(pack):
        where = "record %d" % index
        if not isinstance(record, dict):
            raise Invalid("%s: not a map" % where)
        fields = {}
        for key, value in record.items():
            if isinstance(key, bool) or not isinstance(key, (int, str)):
                raise Invalid("%s: label %r is neither an integer nor text" % (where, key))
            if isinstance(key, int):
                if key not in LABELS:
                    raise Invalid("%s: unknown integer label %d" % (where, key))
                name = LABELS[key]
            else:
                if key in LABELS.values():
                    raise Invalid("%s: registered label %r sent as text (CBOR uses its integer)" % (where, key))
                if key.endswith("_"):
                    raise Invalid("%s: must-understand label %r is not understood" % (where, key))
                name = key
            if name in fields:
                raise Invalid("%s: label %s twice" % (where, name))
            fields[name] = value
        for label, value in fields.items():
            if label in TEXT:
                check_type(where, label, value, "text")
            elif label in NUMBER:
                check_type(where, label, value, "number")
            elif label == "vb":
                check_type(where, label, value, "bool")
            elif label == "vd":
                check_type(where, label, value, "bytes")
            elif label == "bver":
                check_type(where, label, value, "unsigned")
            elif label in EXTENSIONS:
                check_type(where, label, value, EXTENSIONS[label])
        if "bver" in fields:
            if fields["bver"] > 10:
                raise Invalid("%s: SenML version %d is not supported" % (where, fields["bver"]))
            if version is not None and version != fields["bver"]:
                raise Invalid("%s: bver changes within the pack" % where)
            version = fields["bver"]
        for label in ("bn", "bt", "bu", "bv", "bs"):
            if label in fields:
                base[label] = fields[label]
        values = [label for label in VALUE_FIELDS if label in fields]
        has_sum = "s" in fields or base["bs"] is not None
        if len(values) > 1 or (not values and not has_sum):
            raise Invalid("%s: needs exactly one value field, has %s" % (where, values or "none"))
        name = base["bn"] + fields.get("n", "")
        if not name:
            raise Invalid("%s: no name" % where)
        if not NAME.match(name):
            raise Invalid("%s: name %r breaks RFC 8428 §4.5.1" % (where, name))
        unit = fields.get("u", base["bu"])
        if unit is not None and unit not in UNITS:
            raise Invalid("%s: unit %r is not registered" % (where, unit))
        out = dict(fields)
        out["name"] = name
        out["time"] = base["bt"] + fields.get("t", 0)
        if "v" in fields:
            out["v"] = base["bv"] + fields["v"]
        if unit is not None:
            out["u"] = unit
        resolved.append(out)
    return resolved


def parse(data):
    """(type, code, mid, token, [(number, bytes)], payload) of one CoAP message."""
    if len(data) < 4 or data[0] >> 6 != 1:
        raise ValueError("not CoAP")
    tkl = data[0] & 15
    mtype, code, mid = (data[0] >> 4) & 3, data[1], struct.unpack(">H", data[2:4])[0]
    token, at, number, options = data[4:4 + tkl], 4 + tkl, 0, []
    while at < len(data) and data[at] != 0xFF:
        delta, length = data[at] >> 4, data[at] & 15
        at += 1
        if delta == 13:
            delta, at = data[at] + 13, at + 1
        elif delta == 14:
            delta, at = struct.unpack(">H", data[at:at + 2])[0] + 269, at + 2
        if length == 13:
            length, at = data[at] + 13, at + 1
        elif length == 14:
            length, at = struct.unpack(">H", data[at:at + 2])[0] + 269, at + 2
        number += delta
        options.append((number, data[at:at + length]))
        at += length
    return mtype, code, mid, token, options, data[at + 1:] if at < len(data) else b""


def encode(mtype, code, mid, token=b"", options=(), payload=b""):
    out = bytearray([0x40 | (mtype << 4) | len(token), code]) + struct.pack(">H", mid) + token
    last = 0
    for number, value in sorted(options):
        delta, last = number - last, number
        head, ext = [], b""
        for n in (delta, len(value)):
            if n < 13:
                head.append(n)
            elif n < 269:
                head.append(13)
                ext += bytes([n - 13])
            else:
                head.append(14)
                ext += struct.pack(">H", n - 269)
        out += bytes([(head[0] << 4) | head[1]]) + ext + value
    if payload:
        out += b"\xff" + payload
    return bytes(out)


def uint(value):
    return value.to_bytes((value.bit_length() + 7) // 8, "big") if value else b""


class StrictReceiver:
    """A CoAP server on a free loopback port that takes the uplink's POSTs: Block1 reassembly per
    (peer, token), CoAP deduplication per (peer, message ID), `check_pack` on each whole pack.
    A valid pack is answered 2.04 and its records kept (deduplicated by (bn, seq)); an invalid one
    4.00 with the reason as diagnostic payload (RFC 7252 §5.5.2). `refuse(record)` may return a
    (code, reason) to refuse a valid pack for one of its records, as an ingest with its own rules
    would. While `down` is true nothing is received (datagrams are dropped, as on a cut link).
    Empty CONs (pings) are answered RST (RFC 7252 §4.3)."""

    def __init__(self, refuse=None):
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.settimeout(0.05)
        self.port = self.socket.getsockname()[1]
        self.refuse = refuse
        self.down = False
        self.lock = threading.Lock()
        self.records = {}          # (node, seq) -> [resolved records]
        self.arrivals = []         # (time, node, seq) of first arrivals
        self.invalid = []          # reasons of packs refused as invalid
        self.refused = []          # (code, reason) of packs refused by `refuse`
        self.packs = 0
        self.pings = 0
        self.pings_while_down = 0
        self.requests = []         # time of each POST datagram received
        self.partial = {}
        self.answers = {}
        self.running = True
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def stop(self):
        self.running = False
        self.thread.join(timeout=5)
        self.socket.close()

    def serve(self):
        while self.running:
            try:
                data, peer = self.socket.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            if self.down:
                # Dropped unseen, as on a cut link; pings are still counted for the tests.
                if len(data) >= 2 and data[1] == 0:
                    with self.lock:
                        self.pings_while_down += 1
                continue
            try:
                answer = self.handle(data, peer)
            except ValueError:
                continue
            if answer:
                self.socket.sendto(answer, peer)

    def handle(self, data, peer):
        mtype, code, mid, token, options, payload = parse(data)
        if mtype in (ACK, RST):
            return None
        if code == 0:
            with self.lock:
                self.pings += 1
            return encode(RST, 0, mid) if mtype == CON else None
        if (peer, mid) in self.answers:
            return self.answers[(peer, mid)]
        with self.lock:
            self.requests.append(time.time())
        block = next((int.from_bytes(v, "big") for n, v in options if n == 27), None)
        more = False
        body = self.partial.get((peer, token), b"")
        if block is not None:
            num, more, szx = block >> 4, bool(block & 8), block & 7
            if num * (16 << szx) != len(body):
                answer = encode(ACK, 0x88, mid, token, payload=b"block out of order")  # 4.08
                self.answers[(peer, mid)] = answer
                return answer
        body += payload
        if more:
            self.partial[(peer, token)] = body
            answer = encode(ACK, 0x5F, mid, token, [(27, uint(block))])  # 2.31 Continue
        else:
            self.partial.pop((peer, token), None)
            answer = self.take(body, mid, token, [(27, uint(block))] if block is not None else [])
        self.answers[(peer, mid)] = answer
        return answer

    def take(self, body, mid, token, options):
        try:
            records = check_pack(body)
        except Invalid as error:
            with self.lock:
                self.invalid.append(str(error))
            return encode(ACK, 0x80, mid, token, payload=str(error).encode())  # 4.00
        if self.refuse:
            for record in records:
                verdict = self.refuse(record)
                if verdict:
                    code, reason = verdict
                    with self.lock:
                        self.refused.append((code, reason))
                    return encode(ACK, code, mid, token, payload=reason.encode())
        with self.lock:
            self.packs += 1
            node = records[0]["bn"] if records and "bn" in records[0] else ""
            for record in records:
                key = (node, record.get("seq"))
                if key not in self.records:
                    self.records[key] = []
                    self.arrivals.append((time.time(), node, record.get("seq")))
                self.records[key].append(record)
        return encode(ACK, 0x44, mid, token, options)  # 2.04

    def snapshot(self):
        with self.lock:
            return dict(self.records), list(self.arrivals)
