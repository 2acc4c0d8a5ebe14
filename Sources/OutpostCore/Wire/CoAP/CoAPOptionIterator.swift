/// Walks the options of a parsed `CoAPMessage` in order, without allocating: `while let option =
/// iterator.next() { ... }`. Optionally only the options with one number.
///
/// The message was validated when parsed, so iteration cannot fail.
public struct CoAPOptionIterator: IteratorProtocol {
    /// One step of option decoding.
    enum Step {
        case option(number: UInt32, valueStart: Int, valueEnd: Int)
        case payloadMarker
        case end
    }

    let bytes: UnsafeRawBufferPointer
    var offset: Int
    let end: Int
    var number: UInt32 = 0
    let only: CoAPOptionNumber?

    init(bytes: UnsafeRawBufferPointer, start: Int, end: Int, only: CoAPOptionNumber?) {
        precondition(start >= 0 && start <= end && end <= bytes.count)
        self.bytes = bytes
        self.offset = start
        self.end = end
        self.only = only
    }

    /// The next option (with the requested number, if any), or nil after the last.
    /// - Complexity: O(1) amortised; the whole walk is O(n) in the options' size.
    public mutating func next() -> CoAPOption? {
        // Each step consumes at least one byte, so `end` bounds the loop.
        var steps = 0
        while offset < end && steps <= end {
            steps += 1
            let step: Step
            do {
                step = try CoAPOptionIterator.step(bytes, at: offset, end: end, previous: number)
            } catch {
                preconditionFailure("CoAP options changed after validation")
            }
            guard case .option(let found, let valueStart, let valueEnd) = step else { return nil }
            number = found
            offset = valueEnd
            let option = CoAPOption(
                number: CoAPOptionNumber(rawValue: UInt16(truncatingIfNeeded: found)),
                value: UnsafeRawBufferPointer(rebasing: bytes[valueStart..<valueEnd]))
            if let only {
                if option.number == only { return option }
                // Options are sorted: once past the wanted number, none follows.
                if option.number > only { offset = end }
                continue
            }
            return option
        }
        return nil
    }

    /// Decodes the option header at `offset` (RFC 7252 §3.1).
    /// - Complexity: O(1)
    static func step(
        _ bytes: UnsafeRawBufferPointer, at offset: Int, end: Int, previous: UInt32
    ) throws(CoAPFormatError) -> Step {
        precondition(end <= bytes.count)
        if offset >= end { return .end }
        let header = bytes[offset]
        if header == 0xFF { return .payloadMarker }
        var at = offset + 1
        let delta = try extended(UInt32(header &>> 4), bytes, &at, end)
        let length = try extended(UInt32(header & 0x0F), bytes, &at, end)
        let number = previous + delta
        if number > 0xFFFF { throw .optionNumberTooLarge }
        if Int(length) > end - at { throw .truncatedOption }
        return .option(number: number, valueStart: at, valueEnd: at + Int(length))
    }

    /// A delta or length nibble with its extended bytes: 13 → 13 + one byte, 14 → 269 + two bytes.
    @inline(__always)
    static func extended(
        _ nibble: UInt32, _ bytes: UnsafeRawBufferPointer, _ at: inout Int, _ end: Int
    ) throws(CoAPFormatError) -> UInt32 {
        switch nibble {
        case 13:
            if end - at < 1 { throw .truncatedOption }
            let value = 13 + UInt32(bytes[at])
            at += 1
            return value
        case 14:
            if end - at < 2 { throw .truncatedOption }
            let value = 269 + (UInt32(bytes[at]) &<< 8 | UInt32(bytes[at + 1]))
            at += 2
            return value
        case 15:
            throw .reservedOptionNibble
        default:
            return nibble
        }
    }
}
