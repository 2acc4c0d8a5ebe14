/// Commands for devices, queued per sensor in bounded memory until the device takes them or they
/// expire (docs/MQTT.md §5). Fed by the MQTT client (`<prefix>/<node>/command/<sensor>`) and by the
/// HTTP API; both call `enqueue`. Fixed slots carved once; no allocation.
///
/// Order: per sensor first in, first out. A sensor holds at most `perSensorMax` commands, so one
/// chatty sensor cannot take every slot.
public struct CommandQueue {
    /// Longest payload kept (a command is a small JSON or text body).
    public static let payloadBytesMax = 256

    struct Slot: BitwiseCopyable {
        var used = false
        var id: UInt32 = 0
        var sensor = SensorName()
        var enqueuedMs: Int64 = 0
        var payloadCount = 0
    }

    let slots: UnsafeMutableBufferPointer<Slot>
    let payloads: UnsafeMutableRawBufferPointer
    public let perSensorMax: Int
    /// How long a command waits for its device before it expires.
    public let lifetimeMs: Int64
    var nextID: UInt32 = 1
    public private(set) var count = 0
    /// Commands refused for good (too long, bad sensor name) through the MQTT sink.
    public internal(set) var refusedForGood: UInt64 = 0

    /// A queue of `capacity` commands (at most `perSensorMax` per sensor), carved from `arena`.
    public init(arena: inout Arena, capacity: Int, perSensorMax: Int, lifetimeMs: Int64) {
        precondition(capacity >= 1 && perSensorMax >= 1 && perSensorMax <= capacity && lifetimeMs >= 1, "command queue limits")
        slots = arena.carve(capacity, of: Slot())
        payloads = UnsafeMutableRawBufferPointer(arena.carve(capacity * CommandQueue.payloadBytesMax, of: UInt8(0)))
        self.perSensorMax = perSensorMax
        self.lifetimeMs = lifetimeMs
    }

    /// Arena bytes a queue of `capacity` carves after `offset` bytes.
    public static func arenaBytes(after offset: Int, capacity: Int) -> Int {
        let bytes = Arena.bytes(after: offset, capacity, of: Slot.self)
        return Arena.bytes(after: bytes, capacity * payloadBytesMax, of: UInt8.self)
    }

    /// Queues `payload` for `sensor` (its name as bytes).
    /// - Complexity: O(capacity).
    public mutating func enqueue(sensor: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, nowMs: Int64) -> CommandEnqueueResult {
        if payload.count > CommandQueue.payloadBytesMax { return .payloadTooLarge }
        if sensor.count == 0 { return .badSensor }
        for i in 0..<sensor.count where sensor[i] <= 0x20 || sensor[i] >= 0x7F { return .badSensor }
        guard let name = SensorName(sensor.bindMemory(to: UInt8.self).span) else { return .badSensor }
        if waiting(for: name) >= perSensorMax { return .sensorFull }
        var free = -1
        for i in 0..<slots.count where !slots[i].used {
            free = i
            break
        }
        if free < 0 { return .queueFull }
        let id = nextID
        nextID = nextID == UInt32.max ? 1 : nextID + 1
        slots[free] = Slot(used: true, id: id, sensor: name, enqueuedMs: nowMs, payloadCount: payload.count)
        let start = free * CommandQueue.payloadBytesMax
        if payload.count > 0 {
            UnsafeMutableRawBufferPointer(rebasing: payloads[start..<(start + payload.count)]).copyMemory(from: payload)
        }
        count += 1
        return .queued(id: id)
    }

    /// Commands waiting for `sensor`.
    public func waiting(for sensor: SensorName) -> Int {
        var n = 0
        for i in 0..<slots.count where slots[i].used && slots[i].sensor == sensor { n += 1 }
        return n
    }

    /// The oldest command waiting for `sensor`: its id and payload (valid until the queue changes).
    public func next(for sensor: SensorName) -> (id: UInt32, payload: UnsafeRawBufferPointer)? {
        var best = -1
        for i in 0..<slots.count where slots[i].used && slots[i].sensor == sensor {
            if best < 0 || isOlder(i, than: best) { best = i }
        }
        if best < 0 { return nil }
        let start = best * CommandQueue.payloadBytesMax
        return (slots[best].id, UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(payloads)[start..<(start + slots[best].payloadCount)]))
    }

    func isOlder(_ a: Int, than b: Int) -> Bool {
        slots[a].enqueuedMs < slots[b].enqueuedMs || (slots[a].enqueuedMs == slots[b].enqueuedMs && slots[a].id < slots[b].id)
    }

    /// The device took command `id`: it leaves the queue. Returns false for an unknown id.
    @discardableResult
    public mutating func delivered(_ id: UInt32) -> Bool {
        for i in 0..<slots.count where slots[i].used && slots[i].id == id {
            slots[i].used = false
            count -= 1
            return true
        }
        return false
    }

    /// Removes the commands older than `lifetimeMs`, calling `body` with each one's sensor and id
    /// (the daemon publishes the expiry on `<prefix>/<node>/command/<sensor>/ack`).
    /// - Complexity: O(capacity).
    public mutating func expire(nowMs: Int64, _ body: (SensorName, UInt32) -> Void) {
        for i in 0..<slots.count where slots[i].used && nowMs - slots[i].enqueuedMs >= lifetimeMs {
            slots[i].used = false
            count -= 1
            body(slots[i].sensor, slots[i].id)
        }
    }
}
