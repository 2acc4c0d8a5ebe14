/// A pull scanner for JSON (RFC 8259) over a byte buffer, without allocation: each `next()`
/// returns one token and checks the grammar around it (commas, colons, brackets), string escapes
/// (including surrogate pairs), UTF-8, control characters and the number grammar.
///
/// Nesting is limited to `maxDepth` levels (a stack of bits), so hostile input cannot exhaust
/// anything. Errors are `SenMLError`s with the offset of the offending byte: this scanner is the
/// lexer of the SenML JSON decoder.
public struct JSONScanner {
    /// What the grammar allows next.
    enum Expect: UInt8 {
        case value
        case valueOrEndArray
        case keyOrEndObject
        case key
        case commaOrClose
        case done
    }

    /// Deepest nesting the stack can hold.
    public static let depthLimit = 32

    let bytes: UnsafeRawBufferPointer
    /// Offset of the next unread byte.
    public private(set) var offset = 0
    /// Offset where the last returned token starts.
    public private(set) var tokenStart = 0
    /// Containers currently open.
    public private(set) var depth = 0
    let maxDepth: Int
    /// Bit i set when level i is an object, clear for an array.
    var objectBits: UInt32 = 0
    var expect: Expect = .value

    /// A scanner over `bytes` allowing `maxDepth` (1...32) levels of nesting.
    public init(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 8) {
        precondition(maxDepth >= 1 && maxDepth <= JSONScanner.depthLimit, "JSON depth limit is 1...32")
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    /// The next token.
    /// - Throws: `SenMLError` with a syntax reason and the offset of the offending byte.
    /// - Complexity: O(n) in the token's size.
    public mutating func next() throws(SenMLError) -> JSONScannerToken {
        // At most two rounds: a comma is consumed, then the token after it is read.
        for _ in 0..<2 {
            skipWhitespace()
            tokenStart = offset
            if expect == .done {
                if offset != bytes.count { throw SenMLError(.trailingBytes, at: offset) }
                return .end
            }
            if offset == bytes.count { throw SenMLError(.unexpectedEnd, at: offset) }
            let byte = bytes[offset]
            switch expect {
            case .commaOrClose:
                let inObject = objectBits & (1 &<< UInt32(depth - 1)) != 0
                if byte == 0x2C {  // ,
                    offset += 1
                    expect = inObject ? .key : .value
                    continue
                }
                if inObject && byte == 0x7D { return close(.endObject) }
                if !inObject && byte == 0x5D { return close(.endArray) }
                throw SenMLError(.expectedCommaOrClose, at: offset)
            case .keyOrEndObject, .key:
                if expect == .keyOrEndObject && byte == 0x7D { return close(.endObject) }
                if byte != 0x22 { throw SenMLError(.expectedKey, at: offset) }
                let (start, end, escaped) = try scanString()
                skipWhitespace()
                if offset == bytes.count { throw SenMLError(.unexpectedEnd, at: offset) }
                if bytes[offset] != 0x3A { throw SenMLError(.expectedColon, at: offset) }
                offset += 1
                expect = .value
                return .key(start: start, end: end, escaped: escaped)
            case .value, .valueOrEndArray:
                if expect == .valueOrEndArray && byte == 0x5D { return close(.endArray) }
                return try scanValue(byte)
            case .done:
                preconditionFailure("handled above")
            }
        }
        preconditionFailure("a comma is always followed by a token")
    }

    /// Skips the rest of a value whose first token was `first` (nested containers included).
    /// - Complexity: O(n) in the value's size.
    public mutating func skipValue(startingWith first: JSONScannerToken) throws(SenMLError) {
        guard first == .beginObject || first == .beginArray else { return }
        let target = depth - 1
        // Every token consumes at least one byte, so the input size bounds the loop.
        for _ in 0...bytes.count {
            _ = try next()
            if depth == target { return }
        }
        preconditionFailure("JSON value longer than its input")
    }

    /// Calls `body` with each byte of the unescaped UTF-8 text of a string token's range.
    /// The range was validated by the scanner, so decoding cannot fail.
    /// - Complexity: O(n) in the string's size.
    public func forEachUnescapedByte(start: Int, end: Int, _ body: (UInt8) -> Void) {
        precondition(start >= 0 && start <= end && end <= bytes.count)
        var i = start
        while i < end {
            let byte = bytes[i]
            if byte != 0x5C {
                body(byte)
                i += 1
                continue
            }
            let kind = bytes[i + 1]
            i += 2
            switch kind {
            case 0x62: body(0x08)  // b
            case 0x66: body(0x0C)  // f
            case 0x6E: body(0x0A)  // n
            case 0x72: body(0x0D)  // r
            case 0x74: body(0x09)  // t
            case 0x75:  // u
                var scalar = UInt32(hexValue(i))
                i += 4
                if scalar >= 0xD800 && scalar <= 0xDBFF {
                    // Validated: a \uDC00...\uDFFF low surrogate follows.
                    let low = UInt32(hexValue(i + 2))
                    i += 6
                    scalar = 0x10000 + (scalar - 0xD800) &<< 10 + (low - 0xDC00)
                }
                JSONScanner.encodeUTF8(scalar, body)
            default: body(kind)  // " \ /
            }
        }
    }

    // MARK: - Tokens

    mutating func close(_ token: JSONScannerToken) -> JSONScannerToken {
        precondition(depth > 0)
        offset += 1
        depth -= 1
        objectBits &= ~(1 &<< UInt32(depth))
        expect = depth == 0 ? .done : .commaOrClose
        return token
    }

    mutating func open(object: Bool) throws(SenMLError) -> JSONScannerToken {
        if depth == maxDepth { throw SenMLError(.tooDeep, at: offset) }
        if object { objectBits |= 1 &<< UInt32(depth) }
        depth += 1
        offset += 1
        expect = object ? .keyOrEndObject : .valueOrEndArray
        return object ? .beginObject : .beginArray
    }

    mutating func scanValue(_ byte: UInt8) throws(SenMLError) -> JSONScannerToken {
        let token: JSONScannerToken
        switch byte {
        case 0x7B: return try open(object: true)  // {
        case 0x5B: return try open(object: false)  // [
        case 0x22:
            let (start, end, escaped) = try scanString()
            token = .string(start: start, end: end, escaped: escaped)
        case 0x2D, 0x30...0x39:
            let start = offset
            try scanNumber()
            token = .number(start: start, end: offset)
        case 0x74:
            try literal("true")
            token = .boolean(true)
        case 0x66:
            try literal("false")
            token = .boolean(false)
        case 0x6E:
            try literal("null")
            token = .null
        default:
            throw SenMLError(.expectedValue, at: offset)
        }
        expect = depth == 0 ? .done : .commaOrClose
        return token
    }

    mutating func literal(_ text: StaticString) throws(SenMLError) {
        let start = text.utf8Start
        for i in 0..<text.utf8CodeUnitCount {
            if offset == bytes.count { throw SenMLError(.unexpectedEnd, at: offset) }
            if bytes[offset] != start[i] { throw SenMLError(.unexpectedByte, at: offset) }
            offset += 1
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    mutating func scanNumber() throws(SenMLError) {
        if bytes[offset] == 0x2D { offset += 1 }
        if offset < bytes.count && bytes[offset] == 0x30 {
            offset += 1
        } else if try digits() == 0 {
            throw SenMLError(.badNumber, at: offset)
        }
        if offset < bytes.count && bytes[offset] == 0x2E {
            offset += 1
            if try digits() == 0 { throw SenMLError(.badNumber, at: offset) }
        }
        if offset < bytes.count && (bytes[offset] == 0x65 || bytes[offset] == 0x45) {
            offset += 1
            if offset < bytes.count && (bytes[offset] == 0x2B || bytes[offset] == 0x2D) { offset += 1 }
            if try digits() == 0 { throw SenMLError(.badNumber, at: offset) }
        }
        // A number must end at a delimiter: `01` or `1x` are errors, not two tokens.
        if offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x09, 0x0A, 0x0D, 0x2C, 0x5D, 0x7D: break
            default: throw SenMLError(.badNumber, at: offset)
            }
        }
    }

    mutating func digits() throws(SenMLError) -> Int {
        let start = offset
        while offset < bytes.count && bytes[offset] >= 0x30 && bytes[offset] <= 0x39 { offset += 1 }
        return offset - start
    }

    /// Scans a string starting at the opening quote; returns its content range.
    mutating func scanString() throws(SenMLError) -> (Int, Int, Bool) {
        precondition(bytes[offset] == 0x22)
        offset += 1
        let start = offset
        var escaped = false
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == 0x22 {
                offset += 1
                return (start, offset - 1, escaped)
            }
            if byte < 0x20 { throw SenMLError(.controlCharacter, at: offset) }
            if byte == 0x5C {
                escaped = true
                try scanEscape()
            } else if byte >= 0x80 {
                try scanUTF8()
            } else {
                offset += 1
            }
        }
        throw SenMLError(.unexpectedEnd, at: offset)
    }

    mutating func scanEscape() throws(SenMLError) {
        let at = offset
        if bytes.count - offset < 2 { throw SenMLError(.unexpectedEnd, at: bytes.count) }
        switch bytes[offset + 1] {
        case 0x22, 0x5C, 0x2F, 0x62, 0x66, 0x6E, 0x72, 0x74:
            offset += 2
        case 0x75:
            let unit = try hex4(at: offset + 2)
            offset += 6
            if unit >= 0xDC00 && unit <= 0xDFFF { throw SenMLError(.badEscape, at: at) }
            if unit >= 0xD800 && unit <= 0xDBFF {
                // A high surrogate must be followed by an escaped low surrogate.
                if bytes.count - offset < 2 || bytes[offset] != 0x5C || bytes[offset + 1] != 0x75 {
                    throw SenMLError(.badEscape, at: at)
                }
                let low = try hex4(at: offset + 2)
                if low < 0xDC00 || low > 0xDFFF { throw SenMLError(.badEscape, at: at) }
                offset += 6
            }
        default:
            throw SenMLError(.badEscape, at: at)
        }
    }

    func hex4(at start: Int) throws(SenMLError) -> UInt16 {
        if bytes.count - start < 4 { throw SenMLError(.unexpectedEnd, at: bytes.count) }
        for i in start..<(start + 4) where JSONScanner.hexDigit(bytes[i]) == nil {
            throw SenMLError(.badEscape, at: i)
        }
        return hexValue(start)
    }

    func hexValue(_ start: Int) -> UInt16 {
        var value: UInt16 = 0
        for i in start..<(start + 4) { value = value &<< 4 | UInt16(JSONScanner.hexDigit(bytes[i]) ?? 0) }
        return value
    }

    static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x41...0x46: return byte - 0x41 + 10
        case 0x61...0x66: return byte - 0x61 + 10
        default: return nil
        }
    }

    /// Checks one UTF-8 sequence (RFC 3629: no overlongs, no surrogates, at most U+10FFFF).
    mutating func scanUTF8() throws(SenMLError) {
        let lead = bytes[offset]
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE, 0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: throw SenMLError(.badUTF8, at: offset)
        }
        if bytes.count - offset < length { throw SenMLError(.badUTF8, at: offset) }
        for i in 1..<length {
            let byte = bytes[offset + i]
            let (min, max) = i == 1 ? (low, high) : (UInt8(0x80), UInt8(0xBF))
            if byte < min || byte > max { throw SenMLError(.badUTF8, at: offset + i) }
        }
        offset += length
    }

    mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x09, 0x0A, 0x0D: offset += 1
            default: return
            }
        }
    }

    static func encodeUTF8(_ scalar: UInt32, _ body: (UInt8) -> Void) {
        if scalar < 0x80 {
            body(UInt8(truncatingIfNeeded: scalar))
        } else if scalar < 0x800 {
            body(0xC0 | UInt8(truncatingIfNeeded: scalar &>> 6))
            body(0x80 | UInt8(truncatingIfNeeded: scalar) & 0x3F)
        } else if scalar < 0x10000 {
            body(0xE0 | UInt8(truncatingIfNeeded: scalar &>> 12))
            body(0x80 | UInt8(truncatingIfNeeded: scalar &>> 6) & 0x3F)
            body(0x80 | UInt8(truncatingIfNeeded: scalar) & 0x3F)
        } else {
            body(0xF0 | UInt8(truncatingIfNeeded: scalar &>> 18))
            body(0x80 | UInt8(truncatingIfNeeded: scalar &>> 12) & 0x3F)
            body(0x80 | UInt8(truncatingIfNeeded: scalar &>> 6) & 0x3F)
            body(0x80 | UInt8(truncatingIfNeeded: scalar) & 0x3F)
        }
    }
}
