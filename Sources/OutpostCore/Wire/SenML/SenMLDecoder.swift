/// Decodes SenML packs (RFC 8428) straight from a payload buffer into `Reading`s, without heap
/// memory: JSON (Content-Format 110) and CBOR (112).
///
/// - Records: base fields (`bn`, `bt`, `bu`, `bv`) apply to their record and the ones after it;
///   `bver` above 10 or not an integer is refused; an unknown label ending in `_` is refused
///   (must-understand), other unknown labels are ignored.
/// - Names: `bn + n` split at the last `/` or `:` into sensor and quantity (see docs/WIRE_FORMAT.md).
///   A quantity not detected on (`co2`, `voltage`) with a numeric value is kept as sent in the
///   caller's quantity buffer (name, unit, micro-units); without a buffer, or with a text, boolean
///   or data value, or a name or unit over 32 bytes, it is counted in the result, not refused.
/// - Values: `bv + v` in the record's unit (`u`, else `bu`); a missing or wrong unit is refused.
/// - Times: `bt + t` seconds; below 2^28 they are relative to `nowMs`.
/// - Output: records of one sensor and time are merged into one reading in `readings`; more
///   readings than the buffer holds is the error `.tooManyReadings` (the pack is refused whole).
///   On any error the buffer's contents are unspecified.
public enum SenMLDecoder {
    /// Deepest nesting accepted (the pack array and its record maps take 2; extension values more).
    public static let maxDepth = 8

    /// Decodes a payload of the Content-Format `contentFormat` (110 or 112).
    /// - Returns: nil for any other Content-Format (answer 4.15).
    public static func decode(
        _ payload: UnsafeRawBufferPointer, contentFormat: UInt16, nowMs: Int64,
        into readings: UnsafeMutableBufferPointer<Reading>,
        quantities: UnsafeMutableBufferPointer<QuantityValue> = UnsafeMutableBufferPointer(start: nil, count: 0)
    ) throws(SenMLError) -> SenMLDecodeResult? {
        try decode(payload, contentFormat: contentFormat, nowMs: nowMs, into: readings, quantities: quantities, keeping: SenMLKeepsQuantities.self)
    }

    /// As above; `keeping` says at compile time whether values of quantities not detected on are
    /// kept in `quantities` or only counted (`SenMLCountsQuantities`: that path is not compiled).
    /// - Complexity: O(n · r) for n payload bytes and r readings and values.
    public static func decode<Keeping: SenMLQuantityKeeping>(
        _ payload: UnsafeRawBufferPointer, contentFormat: UInt16, nowMs: Int64,
        into readings: UnsafeMutableBufferPointer<Reading>, quantities: UnsafeMutableBufferPointer<QuantityValue>,
        keeping: Keeping.Type
    ) throws(SenMLError) -> SenMLDecodeResult? {
        switch contentFormat {
        case CoAPContentFormat.senmlJSON: return try decodeJSON(payload, nowMs: nowMs, into: readings, quantities: quantities, keeping: keeping)
        case CoAPContentFormat.senmlCBOR: return try decodeCBOR(payload, nowMs: nowMs, into: readings, quantities: quantities, keeping: keeping)
        default: return nil
        }
    }

    /// Micro-units of the decimal text `bytes[start..<end]`.
    static func microUnits(
        _ bytes: UnsafeRawBufferPointer, start: Int, end: Int, label: SenMLLabel
    ) throws(SenMLError) -> Int64 {
        precondition(start < end && end <= bytes.count)
        guard let base = bytes.baseAddress else { preconditionFailure("non-empty range") }
        let text = UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self) + start, count: end - start)
        do {
            return try DecimalText.microUnits(text.span)
        } catch {
            throw SenMLError(outOfRangeReason(label), at: start)
        }
    }

    /// Micro-units of a binary float.
    static func microUnits(_ value: Double, label: SenMLLabel, at offset: Int) throws(SenMLError) -> Int64 {
        do {
            return try DecimalText.microUnits(value)
        } catch {
            throw SenMLError(outOfRangeReason(label), at: offset)
        }
    }

    /// Micro-units of a CBOR integer: `magnitude` negated as −1 − magnitude when `negative`.
    static func microUnits(integer magnitude: UInt64, negative: Bool, label: SenMLLabel, at offset: Int) throws(SenMLError) -> Int64 {
        // ±9.2e12 is the range of micro-units in an Int64.
        if magnitude >= 9_000_000_000_000 { throw SenMLError(outOfRangeReason(label), at: offset) }
        let value = Int64(bitPattern: magnitude) * 1_000_000
        return negative ? -1_000_000 - value : value
    }

    static func outOfRangeReason(_ label: SenMLLabel) -> SenMLErrorReason {
        switch label {
        case .baseTime, .time, .updateTime: return .timeOutOfRange
        case .baseVersion: return .badVersion
        default: return .valueOutOfRange
        }
    }
}
