extension LogStore {
    /// Appends the *accepted* record of command `id` for sensor `name` (§4.6); returns its sequence.
    /// - Complexity: O(payload), as `appendRecord`
    @discardableResult
    public mutating func append(
        command bytes: UnsafeRawBufferPointer, id: UInt32, name: SensorName, origin: SensorCommandOrigin, contentFormat: UInt16,
        timestampMs: Int64
    ) throws(LogAppendError) -> UInt64 {
        let size = LogCommandPayload.sizeBytes(name: name, bytes: bytes.count)
        return try appendRecord(type: .command, flags: 0, timestampMs: timestampMs, payloadCount: size) {
            LogCommandPayload.encode(name: name, id: id, origin: origin, contentFormat: contentFormat, bytes: bytes, into: $0)
        }
    }

    /// Appends the *delivered* or *expired* record of a command (§4.6); returns its sequence.
    /// - Complexity: O(1), as `appendRecord`
    @discardableResult
    public mutating func append(commandEvent event: SensorCommandEvent, name: SensorName) throws(LogAppendError) -> UInt64 {
        let payload = LogCommandEndPayload(name: name, id: event.id, via: event.via)
        let type: LogRecordType = event.kind == .delivered ? .commandDelivered : .commandExpired
        return try appendRecord(type: type, flags: 0, timestampMs: event.timeMs, payloadCount: payload.sizeBytes) {
            payload.encode(into: $0)
        }
    }
}
