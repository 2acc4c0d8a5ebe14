// The quantity value record's append path (docs/LOG_FORMAT.md §4.8).

extension LogStore {
    /// Appends a value of a quantity the gateway does not detect on (§4.8); returns its sequence.
    /// - Complexity: O(payload).
    @discardableResult
    public mutating func append(quantity value: QuantityValue) throws(LogAppendError) -> UInt64 {
        let payload = LogQuantityPayload(value)
        return try appendRecord(type: .quantityValue, flags: 0, timestampMs: value.timestampMs, payloadCount: payload.sizeBytes) {
            payload.encode(into: $0)
        }
    }
}
