/// Splits CSV bytes into records, one at a time (used by `CSVTable`).
struct CSVParser {
    let bytes: [UInt8]
    let name: String
    /// Next byte to read.
    var position = 0
    /// Physical line (1-based) of `position`.
    var line = 1

    static let comma: UInt8 = 0x2C
    static let quote: UInt8 = 0x22
    static let newline: UInt8 = 0x0A
    static let carriageReturn: UInt8 = 0x0D

    init(bytes: [UInt8], name: String) {
        self.bytes = bytes
        self.name = name
        // Skip a UTF-8 byte order mark.
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { position = 3 }
    }

    /// Reads the next non-blank record, appending its unescaped field bytes to `storage` and the
    /// start of each field to `fieldStarts`. Returns the line on which the record starts, or nil at
    /// the end of the input.
    /// - Complexity: O(n) in the record's length.
    mutating func nextRecord(into storage: inout [UInt8], fieldStarts: inout [Int]) throws(ToolError) -> Int? {
        let n = bytes.count
        // Skip blank lines; each pass consumes at least one byte.
        while position < n {
            if bytes[position] == Self.newline {
                position += 1
                line += 1
            } else if bytes[position] == Self.carriageReturn && position + 1 < n && bytes[position + 1] == Self.newline {
                position += 2
                line += 1
            } else {
                break
            }
        }
        if position >= n { return nil }
        let recordLine = line
        // One field per pass; each pass either consumes bytes or ends the record.
        var fieldCount = 0
        while fieldCount <= n {
            fieldCount += 1
            fieldStarts.append(storage.count)
            if position < n && bytes[position] == Self.quote {
                try readQuoted(into: &storage, column: fieldCount, recordLine: recordLine)
            } else {
                readPlain(into: &storage)
            }
            if position < n && bytes[position] == Self.comma {
                position += 1
                continue
            }
            endRecord()
            break
        }
        return recordLine
    }

    /// Reads an unquoted field up to a comma or the end of the line.
    mutating func readPlain(into storage: inout [UInt8]) {
        let n = bytes.count
        let start = position
        while position < n {
            let byte = bytes[position]
            if byte == Self.comma || byte == Self.newline { break }
            if byte == Self.carriageReturn && (position + 1 == n || bytes[position + 1] == Self.newline) { break }
            position += 1
        }
        storage.append(contentsOf: bytes[start..<position])
    }

    /// Reads a quoted field starting at the opening quote; `""` inside stands for one quote.
    mutating func readQuoted(into storage: inout [UInt8], column: Int, recordLine: Int) throws(ToolError) {
        let n = bytes.count
        position += 1  // opening quote
        var closed = false
        // Each pass consumes one or two bytes; the input's end bounds the loop.
        while position < n {
            let byte = bytes[position]
            if byte == Self.quote {
                if position + 1 < n && bytes[position + 1] == Self.quote {
                    storage.append(Self.quote)
                    position += 2
                    continue
                }
                position += 1
                closed = true
                break
            }
            if byte == Self.newline { line += 1 }
            storage.append(byte)
            position += 1
        }
        if !closed { throw ToolError("\(name):\(recordLine):\(column): unterminated quoted field") }
        if position < n {
            let next = bytes[position]
            let endsLine = next == Self.newline
                || (next == Self.carriageReturn && (position + 1 == n || bytes[position + 1] == Self.newline))
            if next != Self.comma && !endsLine {
                let shown = next >= 0x20 && next < 0x7F ? String(UnicodeScalar(next)) : "\\u{\(String(next, radix: 16))}"
                throw ToolError("\(name):\(line):\(column): unexpected '\(shown)' after a closing quote")
            }
        }
    }

    /// Consumes the end of a record (`\n`, `\r\n`, `\r` at the end of input, or nothing at EOF).
    mutating func endRecord() {
        let n = bytes.count
        if position < n && bytes[position] == Self.carriageReturn { position += 1 }
        if position < n && bytes[position] == Self.newline {
            position += 1
            line += 1
        }
    }
}
