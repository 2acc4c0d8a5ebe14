/// One record read back from the log: its header fields and a copy of its payload.
///
/// Fixed size (the payload is inline), so readers fill one in place without allocating.
public struct LogRecord: Sendable, BitwiseCopyable {
    public var type: LogRecordType
    /// Record flags (`LogFormat.flagCopied`).
    public var flags: UInt8
    public var sequence: UInt64
    /// For a copy read from a version-2 segment: the sequence of the first original it was
    /// copied from (docs/LOG_FORMAT.md §4.5); 0 otherwise. Use `originalSequence`.
    public var copiedFromSequence: UInt64
    public var timestampMs: Int64
    /// Payload length in bytes (0 ... LogFormat.maxPayloadBytes).
    public var payloadCount: Int
    /// Payload bytes; only the first `payloadCount` are meaningful.
    public var payload: InlineArray<232, UInt8>

    /// An empty marker record (filler for readers to overwrite).
    public init() {
        type = .marker
        flags = 0
        sequence = 0
        copiedFromSequence = 0
        timestampMs = 0
        payloadCount = 0
        payload = InlineArray(repeating: 0)
    }

    /// True when the record is an alert copied forward from a dropped segment.
    public var isCopied: Bool { flags & LogFormat.flagCopied != 0 }

    /// The sequence the record was first written under: the first original's for a copy that
    /// carries it, else `sequence` (not a copy, or a copy from a version-1 segment, whose
    /// original is unknown). The uplink sends it as `seq` so a receiver drops a copy whose
    /// original it already has.
    public var originalSequence: UInt64 { isCopied && copiedFromSequence != 0 ? copiedFromSequence : sequence }

    /// Calls `body` with the payload bytes.
    public func withPayload<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        var copy = payload
        let count = payloadCount
        return try withUnsafeBytes(of: &copy) { (raw: UnsafeRawBufferPointer) throws(E) -> R in
            try body(UnsafeRawBufferPointer(rebasing: raw[0..<count]))
        }
    }

    /// The reading in a `reading` record, or nil for another type or a malformed payload.
    public var reading: LogReadingPayload? {
        if type != .reading { return nil }
        let timestamp = timestampMs
        return withPayload { LogReadingPayload(decoding: $0, timestampMs: timestamp) }
    }

    /// The alert in an `alert` / `alertCleared` record, or nil.
    public var alert: LogAlertPayload? {
        if !type.isAlert { return nil }
        let timestamp = timestampMs
        let raised = type == .alert
        return withPayload { LogAlertPayload(decoding: $0, raised: raised, timestampMs: timestamp) }
    }

    /// The summary in a `windowSummary` record, or nil.
    public var windowSummary: LogSummaryPayload? {
        if type != .windowSummary { return nil }
        return withPayload { LogSummaryPayload(decoding: $0) }
    }

    /// The marker in a `marker` record, or nil.
    public var marker: LogMarkerPayload? {
        if type != .marker { return nil }
        return withPayload { LogMarkerPayload(decoding: $0) }
    }

    /// The command in a `command` record, or nil.
    public var command: LogCommandPayload? {
        if type != .command { return nil }
        return withPayload { LogCommandPayload(decoding: $0) }
    }

    /// The end of a command in a `commandDelivered` / `commandExpired` record, or nil.
    public var commandEnd: LogCommandEndPayload? {
        if type != .commandDelivered && type != .commandExpired { return nil }
        return withPayload { LogCommandEndPayload(decoding: $0) }
    }

    /// The value in a `quantityValue` record, or nil.
    public var quantity: LogQuantityPayload? {
        if type != .quantityValue { return nil }
        let timestamp = timestampMs
        return withPayload { LogQuantityPayload(decoding: $0, timestampMs: timestamp) }
    }

    /// The chunk in an `imageChunk` record, or nil.
    public var imageChunk: LogImageChunkPayload? {
        if type != .imageChunk { return nil }
        return withPayload { LogImageChunkPayload(decoding: $0) }
    }
}
