// SenML CBOR (RFC 8428 §6): an array of maps keyed by the integer labels of Table 4; text keys
// are extension labels (ignored, unless they end in `_`).

extension SenMLDecoder {
    /// Decodes a SenML CBOR pack into `readings` (same rules and result as `decodeJSON`).
    /// - Throws: `SenMLError` with the reason and the payload offset.
    /// - Complexity: O(n · r) for n payload bytes and r readings.
    public static func decodeCBOR(
        _ payload: UnsafeRawBufferPointer, nowMs: Int64, into readings: UnsafeMutableBufferPointer<Reading>,
        quantities: UnsafeMutableBufferPointer<QuantityValue> = UnsafeMutableBufferPointer(start: nil, count: 0)
    ) throws(SenMLError) -> SenMLDecodeResult {
        try decodeCBOR(payload, nowMs: nowMs, into: readings, quantities: quantities, keeping: SenMLKeepsQuantities.self)
    }

    /// As above; `keeping` says at compile time whether values of quantities not detected on are
    /// kept in `quantities` or only counted.
    /// - Complexity: as above.
    public static func decodeCBOR<Keeping: SenMLQuantityKeeping>(
        _ payload: UnsafeRawBufferPointer, nowMs: Int64, into readings: UnsafeMutableBufferPointer<Reading>,
        quantities: UnsafeMutableBufferPointer<QuantityValue>, keeping: Keeping.Type
    ) throws(SenMLError) -> SenMLDecodeResult {
        var reader = CBORReader(payload, maxDepth: maxDepth)
        guard case .array(let recordCount) = try reader.read() else {
            throw SenMLError(.notAnArray, at: reader.itemStart)
        }
        var resolver = SenMLPackResolver<Keeping>(readings: readings, quantities: quantities, nowMs: nowMs)
        // A definite count was checked against the bytes left; an indefinite one ends at a break.
        var index = 0
        while index <= payload.count {
            if let recordCount, index == recordCount { break }
            let item = try reader.read()
            if item == .breakCode {
                if recordCount != nil { throw SenMLError(.badIndefinite, at: reader.itemStart) }
                break
            }
            guard case .map(let pairCount) = item else { throw SenMLError(.recordNotMap, at: reader.itemStart) }
            let record = try readRecord(&reader, pairCount: pairCount, payload)
            try resolver.add(record)
            index += 1
        }
        if !reader.isAtEnd { throw SenMLError(.trailingBytes, at: reader.offset) }
        return try resolver.finish(endOffset: payload.count)
    }

    /// Reads the pairs of one record map (its header just read).
    static func readRecord(
        _ reader: inout CBORReader, pairCount: Int?, _ payload: UnsafeRawBufferPointer
    ) throws(SenMLError) -> SenMLRecord {
        var record = SenMLRecord(offsetBytes: reader.itemStart)
        var index = 0
        while index <= payload.count {
            if let pairCount, index == pairCount { return record }
            index += 1
            let key = try reader.read()
            let keyOffset = reader.itemStart
            let label: SenMLLabel?
            switch key {
            case .breakCode:
                if pairCount != nil { throw SenMLError(.badIndefinite, at: keyOffset) }
                return record
            case .unsigned(let n):
                label = n <= 8 ? SenMLLabel(cbor: Int64(bitPattern: n)) : nil
            case .negative(let n):
                label = n <= 5 ? SenMLLabel(cbor: -1 - Int64(bitPattern: n)) : nil
            case .text(let string):
                var text = SenMLText()
                reader.forEachByte(of: string) { text.append($0) }
                if text.last == 0x5F { throw SenMLError(.mustUnderstand, at: keyOffset) }  // _
                label = nil
            default:
                throw SenMLError(.badLabel, at: keyOffset)
            }
            let value = try reader.read()
            let valueOffset = reader.itemStart
            if value == .breakCode { throw SenMLError(.badIndefinite, at: valueOffset) }
            guard let label else {
                try reader.skip(value)
                continue
            }
            try record.markSeen(label, at: keyOffset)
            let wrongType = SenMLError(.wrongType, at: valueOffset)
            switch label.kind {
            case .text:
                guard case .text(let string) = value else { throw wrongType }
                var text = SenMLText()
                reader.forEachByte(of: string) { text.append($0) }
                try record.setText(label, text, at: valueOffset)
            case .number:
                record.setNumber(label, micro: try number(value, label: label, at: valueOffset), at: valueOffset)
            case .version:
                try SenMLRecord.checkVersion(micro: try number(value, label: label, at: valueOffset), at: valueOffset)
            case .boolean:
                guard case .boolean = value else { throw wrongType }
                record.hasOtherValue = true
            case .data:
                guard case .bytes = value else { throw wrongType }
                record.hasOtherValue = true
            }
        }
        throw SenMLError(.unexpectedEnd, at: payload.count)
    }

    /// Micro-units of a CBOR number item (integer or float).
    static func number(_ item: CBORItem, label: SenMLLabel, at offset: Int) throws(SenMLError) -> Int64 {
        switch item {
        case .unsigned(let n): return try microUnits(integer: n, negative: false, label: label, at: offset)
        case .negative(let n): return try microUnits(integer: n, negative: true, label: label, at: offset)
        case .float(let value): return try microUnits(value, label: label, at: offset)
        default: throw SenMLError(.wrongType, at: offset)
        }
    }
}
