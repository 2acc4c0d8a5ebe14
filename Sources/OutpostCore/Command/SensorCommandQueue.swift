/// Commands waiting for their sensors (`POST /api/sensors/{id}/command`, docs/HTTP.md): a bounded
/// table carved once, `slotCount` commands in all and at most `perSensorLimit` per sensor, each
/// with up to `payloadBytes` of payload. A full queue refuses (`full`); nothing is overwritten,
/// so a command is never lost silently once accepted.
///
/// The consumer that delivers commands to the sensors takes them with `dequeue(sensor:)` in the
/// order they were queued.
public struct SensorCommandQueue {
    let commands: UnsafeMutableBufferPointer<SensorCommand>
    let payloads: UnsafeMutableRawBufferPointer
    public let payloadBytes: Int
    public let perSensorLimit: Int
    /// Commands queued now, and accepted since start.
    public private(set) var count = 0
    public private(set) var acceptedTotal: UInt32 = 0
    /// Commands refused since start because the queue or the sensor's share was full.
    public private(set) var refusedFull: UInt64 = 0
    /// Commands dropped undelivered because their sensor was evicted (`dropStale`).
    public private(set) var droppedStale: UInt64 = 0

    /// A queue of `slotCount` commands of up to `payloadBytes` each, carved from `arena`.
    public init(arena: inout Arena, slotCount: Int, payloadBytes: Int, perSensorLimit: Int) {
        precondition(slotCount > 0 && payloadBytes > 0 && payloadBytes <= Int(UInt16.max) && perSensorLimit > 0)
        commands = arena.carve(slotCount, of: SensorCommand(sensor: -1, payloadCount: 0, enqueuedMs: 0, sequence: 0))
        payloads = UnsafeMutableRawBufferPointer(arena.carve(slotCount * payloadBytes, of: UInt8(0)))
        self.payloadBytes = payloadBytes
        self.perSensorLimit = perSensorLimit
    }

    /// Arena bytes the queue takes after `offset` bytes were carved.
    public static func arenaBytes(after offset: Int, slotCount: Int, payloadBytes: Int) -> Int {
        let first = Arena.bytes(after: offset, slotCount, of: SensorCommand.self)
        return first + Arena.bytes(after: offset + first, slotCount * payloadBytes, of: UInt8.self)
    }

    public var capacity: Int { commands.count }

    /// Queues `payload` for the sensor called `name` in `sensors`.
    /// - Complexity: O(capacity)
    public mutating func enqueue(sensor name: SensorName, in sensors: SensorTable, payload: UnsafeRawBufferPointer, nowMs: Int64) -> SensorCommandOutcome {
        dropStale(in: sensors)
        guard let index = sensors.find(name) else { return .unknown }
        return enqueue(sensorIndex: index, generation: sensors.generation(at: index), payload: payload, nowMs: nowMs)
    }

    /// Drops the commands of sensors evicted since they were queued (their index's generation in
    /// `sensors` moved on), so the sensor that took the index never receives them.
    /// - Complexity: O(capacity)
    public mutating func dropStale(in sensors: SensorTable) {
        for i in 0..<commands.count where commands[i].sensor >= 0 {
            let index = Int(commands[i].sensor)
            if index < sensors.count && sensors.generation(at: index) == commands[i].generation { continue }
            commands[i].sensor = -1
            count -= 1
            droppedStale &+= 1
        }
    }

    /// Queues `payload` for the sensor at dense index `sensorIndex` (of generation `generation`).
    /// - Complexity: O(capacity)
    public mutating func enqueue(sensorIndex: Int, generation: UInt16 = 0, payload: UnsafeRawBufferPointer, nowMs: Int64) -> SensorCommandOutcome {
        if payload.count == 0 || payload.count > payloadBytes { return .tooLarge }
        let sensor = Int16(truncatingIfNeeded: sensorIndex)
        var free = -1
        var pending = 0
        for i in 0..<commands.count {
            if commands[i].sensor < 0 {
                if free < 0 { free = i }
            } else if commands[i].sensor == sensor {
                pending += 1
            }
        }
        if free < 0 || pending >= perSensorLimit {
            refusedFull &+= 1
            return .full
        }
        commands[free] = SensorCommand(
            sensor: sensor, payloadCount: UInt16(truncatingIfNeeded: payload.count), enqueuedMs: nowMs, sequence: acceptedTotal,
            generation: generation)
        let slot = UnsafeMutableRawBufferPointer(rebasing: payloads[(free * payloadBytes)..<((free + 1) * payloadBytes)])
        slot.baseAddress!.copyMemory(from: payload.baseAddress!, byteCount: payload.count)
        acceptedTotal &+= 1
        count += 1
        return .accepted
    }

    /// Commands pending for the sensor at `sensorIndex`.
    public func pending(sensorIndex: Int) -> Int {
        let sensor = Int16(truncatingIfNeeded: sensorIndex)
        var n = 0
        for i in 0..<commands.count where commands[i].sensor == sensor { n += 1 }
        return n
    }

    /// Takes the oldest command of the sensor at `sensorIndex`, copying its payload into
    /// `payload` (which must hold `payloadBytes`); nil when none is pending.
    /// - Complexity: O(capacity)
    public mutating func dequeue(sensorIndex: Int, payload: UnsafeMutableRawBufferPointer) -> SensorCommand? {
        precondition(payload.count >= payloadBytes, "payload buffer smaller than a slot")
        let sensor = Int16(truncatingIfNeeded: sensorIndex)
        var oldest = -1
        for i in 0..<commands.count where commands[i].sensor == sensor {
            // Sequences wrap at 2^32: compare by distance from the newest.
            if oldest < 0 || acceptedTotal &- commands[i].sequence > acceptedTotal &- commands[oldest].sequence { oldest = i }
        }
        if oldest < 0 { return nil }
        let command = commands[oldest]
        let source = UnsafeRawBufferPointer(rebasing: payloads[(oldest * payloadBytes)..<(oldest * payloadBytes + Int(command.payloadCount))])
        payload.baseAddress!.copyMemory(from: source.baseAddress!, byteCount: source.count)
        commands[oldest].sensor = -1
        count -= 1
        return command
    }
}
