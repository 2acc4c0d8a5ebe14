// Parsing a key file: `IDENTITY:KEY-HEX:PATTERN[,PATTERN...]` per line, `#` starts a comment.

extension PSKTable {
    /// Replaces the table with the identities of key file `text`, all or nothing: on an error the
    /// table in force stays as it was.
    /// - Throws: the first refused line.
    /// - Complexity: O(text bytes + identities²).
    public mutating func load(_ text: UnsafeRawBufferPointer) throws(PSKFileError) {
        let spare = 1 - current
        var filled = 0
        var lineStart = 0
        var lineNumber = 0
        // Bounded by the text: every pass consumes one line.
        while lineStart < text.count {
            var lineEnd = lineStart
            while lineEnd < text.count && text[lineEnd] != 0x0A { lineEnd += 1 }
            lineNumber += 1
            if lineEnd - lineStart > PSKTable.lineBytesMax { throw PSKFileError(line: lineNumber, reason: .lineTooLong) }
            var end = lineStart
            // A comment runs to the end of the line.
            while end < lineEnd && text[end] != 0x23 { end += 1 }
            let line = PSKTable.trimmed(UnsafeRawBufferPointer(rebasing: text[lineStart..<end]))
            lineStart = lineEnd + 1
            if line.count == 0 { continue }
            if filled == capacity { throw PSKFileError(line: lineNumber, reason: .tooManyIdentities) }
            try parseLine(line, into: entry(filled, table: spare), line: lineNumber)
            let e = entry(filled, table: spare)
            let identity = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(e)[PSKTable.identityOffset..<PSKTable.identityOffset + Int(e[0])])
            for j in 0..<filled {
                let other = entry(j, table: spare)
                let otherIdentity = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(other)[PSKTable.identityOffset..<PSKTable.identityOffset + Int(other[0])])
                if PSKTable.equal(identity, otherIdentity) { throw PSKFileError(line: lineNumber, reason: .duplicateIdentity) }
            }
            filled += 1
        }
        current = spare
        count = filled
    }

    /// Parses one non-empty, comment-free line into entry `e`.
    func parseLine(_ line: UnsafeRawBufferPointer, into e: UnsafeMutableRawBufferPointer, line number: Int) throws(PSKFileError) {
        var firstColon = -1
        var secondColon = -1
        for i in 0..<line.count where line[i] == 0x3A {
            if firstColon < 0 { firstColon = i } else { secondColon = i; break }
        }
        if firstColon < 0 || secondColon < 0 { throw PSKFileError(line: number, reason: .missingField) }
        let identity = PSKTable.trimmed(UnsafeRawBufferPointer(rebasing: line[0..<firstColon]))
        let key = PSKTable.trimmed(UnsafeRawBufferPointer(rebasing: line[firstColon + 1..<secondColon]))
        let patterns = UnsafeRawBufferPointer(rebasing: line[secondColon + 1..<line.count])
        if identity.count > PSKTable.identityBytesMax { throw PSKFileError(line: number, reason: .identityTooLong) }
        if identity.count == 0 { throw PSKFileError(line: number, reason: .badIdentity) }
        for byte in identity where byte <= 0x20 || byte >= 0x7F { throw PSKFileError(line: number, reason: .badIdentity) }
        if key.count % 2 != 0 { throw PSKFileError(line: number, reason: .badKey) }
        let keyBytes = key.count / 2
        for byte in key where PSKTable.hexValue(byte) == nil { throw PSKFileError(line: number, reason: .badKey) }
        if keyBytes < PSKTable.keyBytesMin || keyBytes > PSKTable.keyBytesMax { throw PSKFileError(line: number, reason: .keyLength) }
        e[0] = UInt8(truncatingIfNeeded: identity.count)
        e[1] = UInt8(truncatingIfNeeded: keyBytes)
        for i in 0..<identity.count { e[PSKTable.identityOffset + i] = identity[i] }
        for i in 0..<keyBytes {
            let high = PSKTable.hexValue(key[2 * i])!
            let low = PSKTable.hexValue(key[2 * i + 1])!
            e[PSKTable.keyOffset + i] = high &<< 4 | low
        }
        // The patterns, each trimmed and checked, stored comma-separated without spaces.
        var written = 0
        var start = 0
        var patternCount = 0
        // Bounded by the patterns' bytes: every pass consumes one pattern.
        while start <= patterns.count {
            var end = start
            while end < patterns.count && patterns[end] != 0x2C { end += 1 }
            let pattern = PSKTable.trimmed(UnsafeRawBufferPointer(rebasing: patterns[start..<end]))
            start = end + 1
            if pattern.count == 0 {
                // A trailing comma or an empty field: refused only when nothing at all is given.
                if end >= patterns.count { break }
                throw PSKFileError(line: number, reason: .badPattern)
            }
            if !PSKTable.validPattern(pattern) { throw PSKFileError(line: number, reason: .badPattern) }
            let needed = pattern.count + (patternCount > 0 ? 1 : 0)
            if written + needed > PSKTable.patternBytesMax { throw PSKFileError(line: number, reason: .patternsTooLong) }
            if patternCount > 0 {
                e[PSKTable.patternsOffset + written] = 0x2C
                written += 1
            }
            for i in 0..<pattern.count { e[PSKTable.patternsOffset + written + i] = pattern[i] }
            written += pattern.count
            patternCount += 1
            if end >= patterns.count { break }
        }
        if patternCount == 0 { throw PSKFileError(line: number, reason: .noPatterns) }
        e[2] = UInt8(truncatingIfNeeded: written & 0xFF)
        e[3] = UInt8(truncatingIfNeeded: written &>> 8)
    }

    /// A sensor name (what `SensorName` accepts), or such a name's prefix followed by `*`.
    static func validPattern(_ pattern: UnsafeRawBufferPointer) -> Bool {
        var body = pattern.count
        if pattern[pattern.count - 1] == 0x2A { body -= 1 }
        if body > SensorName.capacityBytes { return false }
        if body == 0 { return pattern.count == 1 }  // `*` alone: every sensor
        for i in 0..<body {
            let byte = pattern[i]
            if byte < 0x21 || byte > 0x7E || byte == 0x22 || byte == 0x5C || byte == 0x2C || byte == 0x2A { return false }
        }
        return true
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte &- 0x30
        case 0x41...0x46: return byte &- 0x41 &+ 10
        case 0x61...0x66: return byte &- 0x61 &+ 10
        default: return nil
        }
    }

    /// `bytes` without leading and trailing spaces, tabs and carriage returns.
    static func trimmed(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var start = 0
        var end = bytes.count
        while start < end && (bytes[start] == 0x20 || bytes[start] == 0x09 || bytes[start] == 0x0D) { start += 1 }
        while end > start && (bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 || bytes[end - 1] == 0x0D) { end -= 1 }
        return UnsafeRawBufferPointer(rebasing: bytes[start..<end])
    }
}
