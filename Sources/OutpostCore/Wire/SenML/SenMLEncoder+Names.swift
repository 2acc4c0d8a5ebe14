// SenML names (RFC 8428 §4.5.1): after `bn` and `n` are concatenated a name may only hold
// A–Z a–z 0–9 - : . / _ and must start with a letter or digit. Node ids and sensor names are
// printable ASCII (`SensorName`), a wider set, so their other bytes are escaped here.

extension SenMLEncoder {
    /// True for a byte RFC 8428 §4.5.1 allows anywhere in a name, except `:` (the escape byte).
    @inline(__always)
    static func isPlainNameByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            || byte == 0x2D || byte == 0x2E || byte == 0x2F || byte == 0x5F
    }

    /// True for a letter or digit: what a SenML name must start with. The node id starts the
    /// resolved name of every record, so `UplinkSettings` requires it of the node id's first byte.
    @inline(__always)
    public static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    /// Bytes `name` takes in a SenML name: plain bytes as they are, any other byte (and `:`
    /// itself, so the escape reads back unambiguously) as `:` and two upper-case hex digits
    /// (docs/UPLINK_FORMAT.md §2).
    static func escapedCount(_ name: SensorName) -> Int {
        var total = 0
        for i in 0..<Int(name.count) { total += isPlainNameByte(name[i]) ? 1 : 3 }
        return total
    }

    /// Writes `name` escaped as `escapedCount` counts it.
    mutating func putEscaped(_ name: SensorName) {
        for i in 0..<Int(name.count) {
            let byte = name[i]
            if SenMLEncoder.isPlainNameByte(byte) {
                writer.put1(byte)
            } else {
                writer.put1(0x3A)
                writer.put1(SenMLEncoder.hexDigit(byte &>> 4))
                writer.put1(SenMLEncoder.hexDigit(byte & 0x0F))
            }
        }
    }

    @inline(__always)
    static func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x41 + nibble - 10 }
}
