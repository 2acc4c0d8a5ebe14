/// Rewrites a SenML-CBOR pack made by `SenMLEncoder` as SenML-JSON or as InfluxDB line protocol,
/// without allocation, so every format carries exactly the fields of the CBOR pack (the one
/// encoder stays the single definition of what a record holds, docs/UPLINK_FORMAT.md §3).
///
/// Numbers: integers are written as integers; a float (a value that is not a whole number of its
/// unit, a timestamp with milliseconds, a Q16 score) is written with at most six decimals, which
/// is exact for every value the encoder makes (fixed point with at most 3 decimals, timestamps in
/// ms) and within 10^-6 for Q16 fractions.
public enum MQTTPayloadWriter {
    /// Why a pack could not be rewritten.
    public enum Failure: Error, Equatable, Sendable {
        /// The output buffer is too small.
        case noRoom
        /// The input is not a pack as `SenMLEncoder` writes it (CBOR error or unexpected item).
        case badPack
    }

    /// SenML-JSON: the same array of records with the labels of RFC 8428 Table 4 (and the
    /// extension labels as their own names). Returns the bytes written.
    public static func json(_ pack: UnsafeRawBufferPointer, into buffer: UnsafeMutableRawBufferPointer) throws(Failure) -> Int {
        var reader = CBORReader(pack)
        var out = TextWriter(buffer: buffer)
        // Outer array, then maps of key/value pairs; every record is an (indefinite) map.
        guard case .array = try item(&reader) else { throw .badPack }
        out.byte(0x5B)
        var firstRecord = true
        // One pass per record map; a pack holds at most a few dozen.
        for _ in 0..<4_096 {
            let next = try item(&reader)
            if next == .breakCode { break }
            guard case .map = next else { throw .badPack }
            if !firstRecord { out.byte(0x2C) }
            firstRecord = false
            out.byte(0x7B)
            var firstField = true
            for _ in 0..<64 {
                let key = try item(&reader)
                if key == .breakCode { break }
                if !firstField { out.byte(0x2C) }
                firstField = false
                out.byte(0x22)
                switch key {
                case .unsigned(let label): out.text(labelName(Int64(bitPattern: min(label, 0x7FFF))))
                case .negative(let label): out.text(labelName(-1 &- Int64(bitPattern: min(label, 0x7FFF))))
                case .text(let string): textBytes(string, reader: reader, pack: pack, out: &out)
                default: throw .badPack
                }
                out.text("\":")
                try jsonValue(try item(&reader), reader: reader, pack: pack, out: &out)
            }
            out.byte(0x7D)
        }
        out.byte(0x5D)
        if out.overflowed { throw .noRoom }
        return out.count
    }

    /// InfluxDB line protocol: one line per SenML record,
    /// `outpost,node=<node>,lid=<log id>,name=<n>[,unit=<u>] value=<v>|state="<vs>"[,<extension>=…],seq=<seq>i <t in ns>`.
    /// Every number is a float field (no `i`) so a field never changes type between lines, except
    /// `seq`, an integer.
    public static func influx(
        _ pack: UnsafeRawBufferPointer, node: SensorName, logID: UInt64, into buffer: UnsafeMutableRawBufferPointer
    ) throws(Failure) -> Int {
        var reader = CBORReader(pack)
        var out = TextWriter(buffer: buffer)
        guard case .array = try item(&reader) else { throw .badPack }
        for _ in 0..<4_096 {
            let next = try item(&reader)
            if next == .breakCode { break }
            guard case .map = next else { throw .badPack }
            out.text("outpost,node=")
            for i in 0..<Int(node.count) { tagByte(node[i], &out) }
            out.text(",lid=")
            out.unsigned(logID)
            var timeUs: Int64 = 0
            var fields = 0
            for _ in 0..<64 {
                let key = try item(&reader)
                if key == .breakCode { break }
                var label: Int64 = 0x7FFF
                var keyText: CBORString? = nil
                switch key {
                case .unsigned(let n): label = Int64(bitPattern: min(n, 0x7FFF))
                case .negative(let n): label = -1 &- Int64(bitPattern: min(n, 0x7FFF))
                case .text(let string): keyText = string
                default: throw .badPack
                }
                let value = try item(&reader)
                switch label {
                case -2: continue  // bn: the node, already a tag
                case 0, 1:
                    // n and u come before any value in the encoder's records: tags.
                    guard case .text(let string) = value else { throw .badPack }
                    out.text(label == 0 ? ",name=" : ",unit=")
                    forEach(string, reader: reader, pack: pack) { tagByte($0, &out) }
                    continue
                case 6:
                    timeUs = try micro(value)
                    continue
                default: break
                }
                if let keyText, isText(keyText, "lid", pack: pack) { continue }
                out.byte(fields == 0 ? 0x20 : 0x2C)
                fields += 1
                if let keyText {
                    forEach(keyText, reader: reader, pack: pack) { tagByte($0, &out) }
                } else {
                    switch label {
                    case 2: out.text("value")
                    case 3: out.text("state")
                    case 4: out.text("flag")
                    default: out.text(labelName(label))
                    }
                }
                out.byte(0x3D)
                if let keyText, isText(keyText, "seq", pack: pack) {
                    guard case .unsigned(let seq) = value else { throw .badPack }
                    out.unsigned(seq)
                    out.byte(0x69)  // i
                    continue
                }
                switch value {
                case .text(let string):
                    out.byte(0x22)
                    forEach(string, reader: reader, pack: pack) { byte in
                        if byte == 0x22 || byte == 0x5C { out.byte(0x5C) }
                        out.byte(byte)
                    }
                    out.byte(0x22)
                case .boolean(let flag): out.text(flag ? "true" : "false")
                // A data value (`vd`, an image chunk): a string field of base64url.
                case .bytes(let string): try quotedBase64URL(string, pack: pack, out: &out)
                default: number(value, &out, asFloat: true)
                }
            }
            if fields == 0 { throw .badPack }
            out.byte(0x20)
            out.integer(timeUs)
            out.text("000\n")
        }
        if out.overflowed { throw .noRoom }
        return out.count
    }

    // MARK: - Pieces

    static func item(_ reader: inout CBORReader) throws(Failure) -> CBORItem {
        do { return try reader.read() } catch { throw .badPack }
    }

    /// The JSON names of the SenML labels (RFC 8428 Table 4, Table 6).
    static func labelName(_ label: Int64) -> StaticString {
        switch label {
        case -1: return "bver"
        case -2: return "bn"
        case -3: return "bt"
        case -4: return "bu"
        case -5: return "bv"
        case -6: return "bs"
        case 0: return "n"
        case 1: return "u"
        case 2: return "v"
        case 3: return "vs"
        case 4: return "vb"
        case 5: return "s"
        case 6: return "t"
        case 7: return "ut"
        case 8: return "vd"
        default: return "unknown"
        }
    }

    static func forEach(_ string: CBORString, reader: CBORReader, pack: UnsafeRawBufferPointer, _ body: (UInt8) -> Void) {
        if string.chunked {
            reader.forEachByte(of: string, body)
        } else {
            for i in string.start..<string.end { body(pack[i]) }
        }
    }

    static func textBytes(_ string: CBORString, reader: CBORReader, pack: UnsafeRawBufferPointer, out: inout TextWriter) {
        forEach(string, reader: reader, pack: pack) { out.byte($0) }
    }

    static func isText(_ string: CBORString, _ literal: StaticString, pack: UnsafeRawBufferPointer) -> Bool {
        if string.chunked || string.end - string.start != literal.utf8CodeUnitCount { return false }
        for i in 0..<literal.utf8CodeUnitCount where pack[string.start + i] != literal.utf8Start[i] { return false }
        return true
    }

    /// A tag key or value byte, with the escapes of the line protocol (comma, space, equals sign).
    static func tagByte(_ byte: UInt8, _ out: inout TextWriter) {
        if byte == 0x2C || byte == 0x20 || byte == 0x3D { out.byte(0x5C) }
        out.byte(byte)
    }

    static func jsonValue(_ value: CBORItem, reader: CBORReader, pack: UnsafeRawBufferPointer, out: inout TextWriter) throws(Failure) {
        switch value {
        case .text(let string):
            out.byte(0x22)
            forEach(string, reader: reader, pack: pack) { byte in
                // One byte at a time through the shared JSON escaper.
                var one = byte
                withUnsafeBytes(of: &one) { out.jsonEscaped($0) }
            }
            out.byte(0x22)
        case .boolean(let flag): out.text(flag ? "true" : "false")
        case .unsigned, .negative, .float: number(value, &out, asFloat: false)
        case .bytes(let string): try quotedBase64URL(string, pack: pack, out: &out)
        default: throw .badPack
        }
    }

    /// A CBOR number as text; `asFloat` writes integers without the line protocol's `i` either way.
    static func number(_ value: CBORItem, _ out: inout TextWriter, asFloat: Bool) {
        switch value {
        case .unsigned(let n): out.unsigned(n)
        case .negative(let n):
            out.byte(0x2D)
            out.unsigned(n &+ 1)
        case .float(let d): decimal(d, &out)
        default: out.text("0")
        }
    }

    /// `d` with at most six decimals, trailing zeros dropped.
    static func decimal(_ d: Double, _ out: inout TextWriter) {
        if !(d.isFinite) || d.magnitude >= 9.0e12 {
            out.text("0")
            return
        }
        let scaled = (d * 1_000_000).rounded()
        var micro = Int64(scaled)
        if micro < 0 {
            out.byte(0x2D)
            micro = -micro
        }
        out.integer(micro / 1_000_000)
        var fraction = micro % 1_000_000
        if fraction == 0 { return }
        out.byte(0x2E)
        var digits = 6
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        var divisor: Int64 = 1
        for _ in 1..<digits { divisor *= 10 }
        // Leading zeros of the fraction, then its digits.
        while divisor > 0 {
            out.byte(0x30 &+ UInt8(truncatingIfNeeded: (fraction / divisor) % 10))
            divisor /= 10
        }
    }

    /// A SenML time (seconds) in microseconds.
    static func micro(_ value: CBORItem) throws(Failure) -> Int64 {
        switch value {
        case .unsigned(let n): return Int64(bitPattern: n) &* 1_000_000
        case .negative(let n): return (-1 &- Int64(bitPattern: n)) &* 1_000_000
        case .float(let d):
            if !d.isFinite || d.magnitude >= 9.0e12 { throw .badPack }
            return Int64((d * 1_000_000).rounded())
        default: throw .badPack
        }
    }
}
