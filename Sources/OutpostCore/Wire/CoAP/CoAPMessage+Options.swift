// Typed access to the options the runtime uses. Elective options with a malformed value are
// ignored (nil), as RFC 7252 §5.4.3 asks; critical ones are caught by `firstBadCriticalOption`.

extension CoAPMessage {
    /// Content-Format of the payload, or nil when absent (or malformed: more than 2 bytes).
    public var contentFormat: UInt16? {
        uint(.contentFormat, maxBytes: 2).map { UInt16(truncatingIfNeeded: $0) }
    }

    /// Accept: the Content-Format wanted in the response, or nil when absent or malformed.
    public var accept: UInt16? {
        uint(.accept, maxBytes: 2).map { UInt16(truncatingIfNeeded: $0) }
    }

    /// Observe (RFC 7641): 0 register, 1 deregister in a request; a sequence number in a
    /// notification. Nil when absent or longer than 3 bytes.
    public var observe: UInt32? { uint(.observe, maxBytes: 3) }

    /// No-Response (RFC 7967 §2): a bit mask of the response classes the client is not interested
    /// in (2: 2.xx, 8: 4.xx, 16: 5.xx). 0 when absent, empty or malformed (longer than one byte),
    /// which asks for every response, as CoAP does without the option.
    public var noResponseMask: UInt8 {
        UInt8(truncatingIfNeeded: uint(.noResponse, maxBytes: 1) ?? 0)
    }

    /// Size1 (RFC 7959 §4): the size of the request body the client intends to send, in bytes.
    public var size1: UInt32? { uint(.size1, maxBytes: 4) }

    /// Size2 (RFC 7959 §4): the size of the response body (or 0 in a request asking for it).
    public var size2: UInt32? { uint(.size2, maxBytes: 4) }

    /// Block1 (RFC 7959): which block of the request body this message carries. Nil when absent.
    /// - Throws: for a value above 3 bytes or SZX 7 (answer 4.00 Bad Request).
    public func block1() throws(CoAPBlockError) -> CoAPBlock? {
        guard let option = firstOption(.block1) else { return nil }
        return try CoAPBlock(optionValue: option.value)
    }

    /// Block2 (RFC 7959): which block of the response body is asked for or carried. Nil when absent.
    /// - Throws: for a value above 3 bytes or SZX 7 (answer 4.00 Bad Request).
    public func block2() throws(CoAPBlockError) -> CoAPBlock? {
        guard let option = firstOption(.block2) else { return nil }
        return try CoAPBlock(optionValue: option.value)
    }

    /// True when the Uri-Path segments are exactly the `/`-separated segments of `path`
    /// (`"sensors/readings"`; `""` is the root, which has no Uri-Path option).
    /// - Complexity: O(n) in the size of the options and the path.
    public func uriPathMatches(_ path: StaticString) -> Bool {
        let text = UnsafeRawBufferPointer(start: path.utf8Start, count: path.utf8CodeUnitCount)
        var segments = options(.uriPath)
        var start = 0
        if text.count == 0 { return segments.next() == nil }
        // One segment per iteration; the path length bounds the count.
        while start <= text.count {
            var stop = start
            while stop < text.count && text[stop] != 0x2F { stop += 1 }
            guard let segment = segments.next() else { return false }
            let expected = UnsafeRawBufferPointer(rebasing: text[start..<stop])
            if segment.value.count != expected.count { return false }
            for i in 0..<expected.count where segment.value[i] != expected[i] { return false }
            start = stop + 1
        }
        return segments.next() == nil
    }

    /// The first critical option this codec cannot process, to answer 4.02 Bad Option (or reject
    /// a response): an odd number not registered in RFC 7252/7641/7959, a registered critical
    /// option with a value length outside its format, or a repeat of a non-repeatable critical
    /// option (RFC 7252 §5.4.1, §5.4.3, §5.4.5). Nil when every critical option is fine.
    /// - Complexity: O(n) in the size of the options.
    public var firstBadCriticalOption: CoAPOptionNumber? {
        var iterator = options
        var previous: CoAPOptionNumber? = nil
        while let option = iterator.next() {
            let number = option.number
            defer { previous = number }
            if !number.isCritical { continue }
            guard let format = number.format else { return number }
            if option.value.count < format.minBytes || option.value.count > format.maxBytes { return number }
            if !format.repeatable && previous == number { return number }
        }
        return nil
    }

    /// The first option `number` as an unsigned integer, nil when absent or longer than `maxBytes`.
    func uint(_ number: CoAPOptionNumber, maxBytes: Int) -> UInt32? {
        firstOption(number)?.uintValue(maxBytes: maxBytes)
    }
}
