/// A pull reader of CBOR (RFC 8949) data items over a byte buffer, without allocation: major types
/// 0–7, definite and indefinite lengths, half/single/double floats. Checks well-formedness of each
/// header (reserved additional information 28–30, indefinite length only where allowed, chunk
/// types of indefinite strings, two-byte simple values below 32) and never reads past the input.
///
/// Containers are not tracked by `read()`; `skip(_:)` skips a whole item with nesting limited to
/// `maxDepth`. Errors are `SenMLError`s with the offset of the offending item: this reader is the
/// lexer of the SenML CBOR decoder.
public struct CBORReader {
    let bytes: UnsafeRawBufferPointer
    /// Offset of the next unread byte.
    public private(set) var offset = 0
    /// Offset where the last item read starts.
    public private(set) var itemStart = 0
    let maxDepth: Int

    /// A reader over `bytes`, skipping at most `maxDepth` (1...64) nested levels.
    public init(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 8) {
        precondition(maxDepth >= 1 && maxDepth <= 64, "CBOR depth limit is 1...64")
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    /// True when every byte has been read.
    public var isAtEnd: Bool { offset == bytes.count }

    /// Reads the next item header (a whole item for scalars and strings).
    /// - Throws: `SenMLError` (`.unexpectedEnd`, `.reservedAdditionalInfo`, `.badIndefinite`,
    ///   `.badSimple`) at the item's offset.
    /// - Complexity: O(1), or O(number of chunks) for an indefinite-length string.
    public mutating func read() throws(SenMLError) -> CBORItem {
        itemStart = offset
        let start = offset
        if offset == bytes.count { throw SenMLError(.unexpectedEnd, at: offset) }
        let initial = bytes[offset]
        offset += 1
        let major = initial &>> 5
        let info = initial & 0x1F
        if info >= 28 && info <= 30 { throw SenMLError(.reservedAdditionalInfo, at: start) }
        if info == 31 {
            switch major {
            case 2, 3: return try readChunked(major: major, start: start)
            case 4: return .array(count: nil)
            case 5: return .map(count: nil)
            case 7: return .breakCode
            default: throw SenMLError(.badIndefinite, at: start)
            }
        }
        if major == 7 { return try readSimpleOrFloat(info, start: start) }
        let argument = try readArgument(info, start: start)
        switch major {
        case 0: return .unsigned(argument)
        case 1: return .negative(argument)
        case 2, 3:
            let length = try remainingCount(argument, start: start)
            let string = CBORString(start: offset, end: offset + length, chunked: false)
            offset += length
            return major == 2 ? .bytes(string) : .text(string)
        case 4:
            // Each element takes at least one byte: a larger count cannot be well-formed here.
            return .array(count: try remainingCount(argument, start: start))
        case 5:
            return .map(count: try remainingCount(argument, start: start))
        default:
            return .tag(argument)
        }
    }

    /// Skips the rest of `item` (just read): container elements, a tag's content, recursively.
    /// - Throws: `.tooDeep` beyond `maxDepth`, or any syntax error inside.
    /// - Complexity: O(n) in the item's size.
    public mutating func skip(_ item: CBORItem) throws(SenMLError) {
        try skip(item, depth: 0)
    }

    mutating func skip(_ item: CBORItem, depth: Int) throws(SenMLError) {
        let elements: Int?
        switch item {
        case .array(let count): elements = count
        case .map(let count): elements = count.map { $0 * 2 }
        case .tag:
            if depth == maxDepth { throw SenMLError(.tooDeep, at: itemStart) }
            let inner = try read()
            if inner == .breakCode { throw SenMLError(.badIndefinite, at: itemStart) }
            try skip(inner, depth: depth + 1)
            return
        default:
            return
        }
        if depth == maxDepth { throw SenMLError(.tooDeep, at: itemStart) }
        let isMap: Bool = if case .map = item { true } else { false }
        if let elements {
            for _ in 0..<elements {
                let inner = try read()
                if inner == .breakCode { throw SenMLError(.badIndefinite, at: itemStart) }
                try skip(inner, depth: depth + 1)
            }
            return
        }
        // Indefinite: items up to the break; each takes a byte, so the input bounds the loop.
        var count = 0
        while count <= bytes.count {
            let inner = try read()
            if inner == .breakCode {
                if isMap && count % 2 != 0 { throw SenMLError(.badIndefinite, at: itemStart) }
                return
            }
            try skip(inner, depth: depth + 1)
            count += 1
        }
        throw SenMLError(.unexpectedEnd, at: bytes.count)
    }

    /// Calls `body` with each byte of `string`'s content, concatenating the chunks of an
    /// indefinite-length string. The chunks were validated by `read()`.
    /// - Complexity: O(n) in the string's size.
    public func forEachByte(of string: CBORString, _ body: (UInt8) -> Void) {
        precondition(string.end <= bytes.count)
        if !string.chunked {
            for i in string.start..<string.end { body(bytes[i]) }
            return
        }
        var at = string.start
        while at < string.end {
            let info = bytes[at] & 0x1F
            at += 1
            var length = 0
            let size = info < 24 ? 0 : 1 &<< Int(info - 24)
            if info < 24 { length = Int(info) }
            for _ in 0..<size {
                length = length &<< 8 | Int(bytes[at])
                at += 1
            }
            for i in at..<(at + length) { body(bytes[i]) }
            at += length
        }
    }

    // MARK: - Headers

    /// The argument of a header with additional information `info` (0...27).
    mutating func readArgument(_ info: UInt8, start: Int) throws(SenMLError) -> UInt64 {
        if info < 24 { return UInt64(bitPattern: info.wide) }
        let size = 1 &<< Int(info - 24)  // 1, 2, 4, 8
        if bytes.count - offset < size { throw SenMLError(.unexpectedEnd, at: start) }
        var value: UInt64 = 0
        for _ in 0..<size {
            value = value &<< 8 | UInt64(bitPattern: bytes[offset].wide)
            offset += 1
        }
        return value
    }

    /// `argument` as a count of things each at least one byte long, checked against the bytes left.
    mutating func remainingCount(_ argument: UInt64, start: Int) throws(SenMLError) -> Int {
        let remaining = UInt64(bitPattern: (bytes.count - offset).wide)
        if argument > remaining { throw SenMLError(.unexpectedEnd, at: start) }
        return Int(truncatingIfNeeded: argument)
    }

    mutating func readSimpleOrFloat(_ info: UInt8, start: Int) throws(SenMLError) -> CBORItem {
        switch info {
        case 20: return .boolean(false)
        case 21: return .boolean(true)
        case 22: return .null
        case 23: return .undefined
        case 24:
            if offset == bytes.count { throw SenMLError(.unexpectedEnd, at: start) }
            let value = bytes[offset]
            offset += 1
            // Simple values below 32 must use the one-byte form (RFC 8949 §3.3).
            if value < 32 { throw SenMLError(.badSimple, at: start) }
            return .simple(value)
        case 25:
            let half = UInt16(truncatingIfNeeded: try readArgument(info, start: start))
            return .float(CBORReader.double(half: half))
        case 26:
            let single = UInt32(truncatingIfNeeded: try readArgument(info, start: start))
            return .float(Double(Float(bitPattern: single)))
        case 27:
            return .float(Double(bitPattern: try readArgument(info, start: start)))
        default:
            return .simple(info)
        }
    }

    /// Validates the chunks of an indefinite-length string (each a definite string of the same
    /// major type) up to the break.
    mutating func readChunked(major: UInt8, start: Int) throws(SenMLError) -> CBORItem {
        let contentStart = offset
        // Each chunk takes at least one byte: the input bounds the loop.
        while offset <= bytes.count {
            if offset == bytes.count { throw SenMLError(.unexpectedEnd, at: start) }
            let chunkStart = offset
            let initial = bytes[offset]
            if initial == 0xFF {
                let string = CBORString(start: contentStart, end: offset, chunked: true)
                offset += 1
                return major == 2 ? .bytes(string) : .text(string)
            }
            offset += 1
            let info = initial & 0x1F
            if initial &>> 5 != major || info > 27 { throw SenMLError(.badIndefinite, at: chunkStart) }
            let length = try remainingCount(try readArgument(info, start: chunkStart), start: chunkStart)
            offset += length
        }
        throw SenMLError(.unexpectedEnd, at: start)
    }

    /// IEEE 754 half precision to double, exactly (RFC 8949 Appendix D).
    static func double(half: UInt16) -> Double {
        let exponent = Int((half &>> 10) & 0x1F)
        let mantissa = Int(half & 0x3FF)
        let magnitude: Double
        if exponent == 0 {
            magnitude = Double(mantissa) * Double(sign: .plus, exponent: -24, significand: 1)
        } else if exponent == 31 {
            magnitude = mantissa == 0 ? Double.infinity : Double.nan
        } else {
            magnitude = Double(mantissa + 1024) * Double(sign: .plus, exponent: exponent - 25, significand: 1)
        }
        return half & 0x8000 != 0 ? -magnitude : magnitude
    }
}
