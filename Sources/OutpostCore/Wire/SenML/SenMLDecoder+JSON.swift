// SenML JSON (RFC 8428 §5): an array of objects whose member names are the labels.

extension SenMLDecoder {
    /// Decodes a SenML JSON pack into `readings`.
    /// - Parameters:
    ///   - payload: the pack's bytes (UTF-8 JSON).
    ///   - nowMs: the receive time in milliseconds since the epoch, for relative times.
    ///   - readings: where the readings are written, from index 0.
    ///   - quantities: where values of quantities not detected on are written, from index 0; when
    ///     empty, such records are only counted (`unknownQuantityCount`).
    /// - Throws: `SenMLError` with the reason and the payload offset.
    /// - Complexity: O(n · r) for n payload bytes and r readings (merging looks readings up).
    public static func decodeJSON(
        _ payload: UnsafeRawBufferPointer, nowMs: Int64, into readings: UnsafeMutableBufferPointer<Reading>,
        quantities: UnsafeMutableBufferPointer<QuantityValue> = UnsafeMutableBufferPointer(start: nil, count: 0)
    ) throws(SenMLError) -> SenMLDecodeResult {
        try decodeJSON(payload, nowMs: nowMs, into: readings, quantities: quantities, keeping: SenMLKeepsQuantities.self)
    }

    /// As above; `keeping` says at compile time whether values of quantities not detected on are
    /// kept in `quantities` or only counted.
    /// - Complexity: as above.
    public static func decodeJSON<Keeping: SenMLQuantityKeeping>(
        _ payload: UnsafeRawBufferPointer, nowMs: Int64, into readings: UnsafeMutableBufferPointer<Reading>,
        quantities: UnsafeMutableBufferPointer<QuantityValue>, keeping: Keeping.Type
    ) throws(SenMLError) -> SenMLDecodeResult {
        var scanner = JSONScanner(payload, maxDepth: maxDepth)
        if try scanner.next() != .beginArray { throw SenMLError(.notAnArray, at: scanner.tokenStart) }
        var resolver = SenMLPackResolver<Keeping>(readings: readings, quantities: quantities, nowMs: nowMs)
        // Each record takes at least two bytes: the payload size bounds the loop.
        for _ in 0...payload.count {
            let token = try scanner.next()
            if token == .endArray {
                _ = try scanner.next()  // .end, or throws .trailingBytes
                return try resolver.finish(endOffset: payload.count)
            }
            if token != .beginObject { throw SenMLError(.recordNotMap, at: scanner.tokenStart) }
            let record = try readRecord(&scanner, payload)
            try resolver.add(record)
        }
        preconditionFailure("more records than payload bytes")
    }

    /// Reads the members of one record object (its `{` just read).
    static func readRecord(_ scanner: inout JSONScanner, _ payload: UnsafeRawBufferPointer) throws(SenMLError) -> SenMLRecord {
        var record = SenMLRecord(offsetBytes: scanner.tokenStart)
        for _ in 0...payload.count {
            let keyToken = try scanner.next()
            if keyToken == .endObject { return record }
            guard case .key(let keyStart, let keyEnd, let keyEscaped) = keyToken else { preconditionFailure("the scanner yields keys in objects") }
            let keyOffset = scanner.tokenStart
            // Without escapes (the usual case) the key's bytes are its text: matched in place.
            let label: SenMLLabel?
            let keyLast: UInt8
            if keyEscaped {
                let key = unescapedText(scanner, start: keyStart, end: keyEnd)
                label = SenMLLabel(json: key)
                keyLast = key.last
            } else {
                let key = UnsafeRawBufferPointer(rebasing: payload[keyStart..<keyEnd])
                label = SenMLLabel(jsonBytes: key)
                keyLast = key.count > 0 ? key[key.count - 1] : 0
            }
            let value = try scanner.next()
            let valueOffset = scanner.tokenStart
            guard let label else {
                if keyLast == 0x5F { throw SenMLError(.mustUnderstand, at: keyOffset) }  // _
                try scanner.skipValue(startingWith: value)
                continue
            }
            try record.markSeen(label, at: keyOffset)
            let wrongType = SenMLError(.wrongType, at: valueOffset)
            switch label.kind {
            case .text:
                guard case .string(let start, let end, let escaped) = value else { throw wrongType }
                let text = escaped
                    ? unescapedText(scanner, start: start, end: end)
                    : SenMLText(raw: UnsafeRawBufferPointer(rebasing: payload[start..<end]))
                try record.setText(label, text, at: valueOffset)
            case .number:
                guard case .number(let start, let end) = value else { throw wrongType }
                record.setNumber(label, micro: try microUnits(payload, start: start, end: end, label: label), at: valueOffset)
            case .version:
                guard case .number(let start, let end) = value else { throw wrongType }
                try SenMLRecord.checkVersion(micro: try microUnits(payload, start: start, end: end, label: label), at: valueOffset)
            case .boolean:
                guard case .boolean = value else { throw wrongType }
                record.hasOtherValue = true
            case .data:
                guard case .string = value else { throw wrongType }
                record.hasOtherValue = true
            }
        }
        preconditionFailure("more members than payload bytes")
    }

    /// The unescaped text of the string token at `start..<end` (escapes resolved).
    /// - Complexity: O(`end - start`).
    static func unescapedText(_ scanner: JSONScanner, start: Int, end: Int) -> SenMLText {
        var text = SenMLText()
        scanner.forEachUnescapedByte(start: start, end: end) { text.append($0) }
        return text
    }
}
