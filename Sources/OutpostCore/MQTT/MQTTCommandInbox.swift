/// The commands the MQTT client received (on `<prefix>/<node>/command/<sensor>`), kept until the
/// host hands them on: the command queue needs the server's sensor table, which the client does
/// not reach. A bounded table carved once; when it is full a command is refused, so the client
/// does not acknowledge it and the broker delivers it again after the next reconnect.
///
/// This is the one place where MQTT meets command handling: after the tick the host queues every
/// command (`entry(_:)`), commits the log once, and only then acknowledges each
/// (`MQTTClient.acknowledgeCommand` with the entry's packet id and connection) and answers it
/// with `MQTTClient.publishCommandAck`: the broker forgets a command once it has its PUBACK.
public struct MQTTCommandInbox: MQTTCommandSink {
    /// One received command: its sensor, its payload length, or -1 when the payload was longer
    /// than `payloadBytesMax` (kept so the host can refuse it with a reason), and what its PUBACK
    /// needs: the packet id (nil for QoS 0) and the connection it came on.
    public struct Entry: BitwiseCopyable {
        public var sensor: SensorName
        public var payloadCount: Int32
        public var packetID: UInt16?
        public var connection: UInt64
    }

    let entries: UnsafeMutableBufferPointer<Entry>
    let payloads: UnsafeMutableRawBufferPointer
    public let payloadBytesMax: Int
    /// Commands waiting to be taken.
    public private(set) var count = 0
    /// Commands with a topic level that is no sensor name (dropped, acknowledged), and commands
    /// refused because the inbox was full (not acknowledged: the broker re-delivers them).
    public private(set) var badSensor: UInt64 = 0
    public private(set) var refusedFull: UInt64 = 0

    /// An inbox that keeps nothing (no MQTT upstream).
    public init() {
        entries = UnsafeMutableBufferPointer(start: nil, count: 0)
        payloads = UnsafeMutableRawBufferPointer(start: nil, count: 0)
        payloadBytesMax = 0
    }

    /// An inbox of `capacity` commands of up to `payloadBytesMax` bytes, carved from `arena`.
    public init(arena: inout Arena, capacity: Int, payloadBytesMax: Int) {
        precondition(capacity > 0 && payloadBytesMax > 0, "an inbox holds at least one byte of one command")
        entries = arena.carve(capacity, of: Entry(sensor: SensorName(), payloadCount: 0, packetID: nil, connection: 0))
        payloads = UnsafeMutableRawBufferPointer(arena.carve(capacity * payloadBytesMax, of: UInt8(0)))
        self.payloadBytesMax = payloadBytesMax
    }

    /// Arena bytes the inbox takes after `offset` bytes were carved.
    public static func arenaBytes(after offset: Int, capacity: Int, payloadBytesMax: Int) -> Int {
        let first = Arena.bytes(after: offset, capacity, of: Entry.self)
        return first + Arena.bytes(after: offset + first, capacity * payloadBytesMax, of: UInt8.self)
    }

    public var capacity: Int { entries.count }

    /// Keeps one command (see `MQTTCommandSink`) for the host to acknowledge after its commit. A
    /// topic level that is no sensor name is dropped and counted (acknowledged at once:
    /// re-delivering it would not help).
    /// - Complexity: O(payload)
    public mutating func mqttCommand(
        sensor: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, packetID: UInt16?, connection: UInt64, nowMs: Int64
    ) -> MQTTCommandTake {
        guard let name = SensorName(sensor.uint8.span) else {
            badSensor &+= 1
            return .acknowledgeNow
        }
        if count >= entries.count {
            refusedFull &+= 1
            return .refused
        }
        let fits = payload.count <= payloadBytesMax
        entries[count] = Entry(
            sensor: name, payloadCount: fits ? Int32(truncatingIfNeeded: payload.count) : -1, packetID: packetID, connection: connection)
        if fits && payload.count > 0 {
            payloads.baseAddress!.advanced(by: count * payloadBytesMax).copyMemory(from: payload.baseAddress!, byteCount: payload.count)
        }
        count += 1
        return .acknowledgeLater
    }

    /// The command at `index` (0..<count), oldest first, and its payload (empty when it was too long).
    public func entry(_ index: Int) -> (entry: Entry, payload: UnsafeRawBufferPointer) {
        precondition(index >= 0 && index < count, "inbox index out of range")
        let e = entries[index]
        let n = e.payloadCount > 0 ? Int(e.payloadCount) : 0
        let start = index * payloadBytesMax
        return (e, UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(payloads)[start..<(start + n)]))
    }

    /// Forgets every command (after the host took them all).
    public mutating func clear() { count = 0 }
}
