/// The `SensorContext` of every sensor, carved from the arena at start-up: one per sensor index,
/// or none at all in a profile whose `contextSensorCount` is 0 (the code then folds away).
public struct ContextStore {
    /// Sensors held (0: the profile keeps no context).
    public let sensorCapacity: Int
    @usableFromInline let contexts: UnsafeMutableBufferPointer<SensorContext>

    /// Contexts for `sensorCapacity` sensors, all empty.
    /// - Complexity: O(1) in a zeroed arena (an empty context is all-zero bytes).
    public init(arena: inout Arena, sensorCapacity: Int) {
        precondition(sensorCapacity >= 0, "negative capacity")
        self.sensorCapacity = sensorCapacity
        contexts = arena.carve(sensorCapacity, of: SensorContext.empty)
    }

    /// Arena bytes the store takes after `offset` bytes were carved.
    public static func arenaBytes(after offset: Int, sensorCapacity: Int) -> Int {
        Arena.bytes(after: offset, sensorCapacity, of: SensorContext.self)
    }

    /// The context of sensor `index`, to read and update in place.
    /// - Complexity: O(1).
    @inline(__always)
    public func pointer(sensor index: Int) -> UnsafeMutablePointer<SensorContext> {
        precondition(index >= 0 && index < sensorCapacity, "sensor index out of range")
        return contexts.baseAddress! + index
    }

    /// Forgets sensor `index`'s history (a new sensor took its index).
    /// - Complexity: O(1).
    public mutating func reset(sensor index: Int) {
        if index < sensorCapacity { contexts[index] = .empty }
    }

    /// Forgets every sensor's history up to `count` sensors: a newly installed model starts from
    /// fresh history rather than one kept (or not kept) under another model.
    /// - Complexity: O(count).
    public mutating func reset(count: Int) {
        for index in 0..<min(count, sensorCapacity) { contexts[index] = .empty }
    }
}
