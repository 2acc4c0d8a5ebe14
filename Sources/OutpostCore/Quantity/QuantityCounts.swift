/// Values taken per quantity name of the quantities the gateway does not detect on, for
/// `/metrics` (`outpost_quantity_values_total{quantity="co2"}`).
///
/// A bounded table: the first `capacity` distinct names each get a counter for the life of the
/// process (a Prometheus counter must not vanish); values of any further name are counted in
/// `otherCount`, shown under the label `_other` (a name SenML cannot give: it starts with `_`).
public struct QuantityCounts {
    let names: UnsafeMutableBufferPointer<SensorName>
    let counts: UnsafeMutableBufferPointer<UInt64>
    /// Names in use (the first `used` entries).
    public private(set) var used = 0
    /// Values of names that found no entry.
    public private(set) var otherCount: UInt64 = 0

    /// Carves `capacity` entries (0: every value counts in `otherCount`).
    /// - Complexity: O(capacity), once at start-up.
    public init(arena: inout Arena, capacity: Int) {
        names = arena.carve(capacity, of: SensorName())
        counts = arena.carve(capacity, of: UInt64(0))
    }

    /// A table of no entries (a profile without the path).
    /// - Complexity: O(1).
    public init() {
        names = UnsafeMutableBufferPointer(start: nil, count: 0)
        counts = UnsafeMutableBufferPointer(start: nil, count: 0)
    }

    /// Arena bytes the table carves after `offset`.
    /// - Complexity: O(1).
    public static func arenaBytes(after offset: Int, capacity: Int) -> Int {
        let bytes = Arena.bytes(after: offset, capacity, of: SensorName.self)
        return Arena.bytes(after: bytes, capacity, of: UInt64.self)
    }

    public var capacity: Int { names.count }

    /// Counts one value of `name`.
    /// - Complexity: O(capacity) name comparisons (a small table: a handful of names in practice).
    public mutating func count(_ name: SensorName) {
        for i in 0..<used where names[i] == name {
            counts[i] &+= 1
            return
        }
        if used == names.count {
            otherCount &+= 1
            return
        }
        names[used] = name
        counts[used] = 1
        used += 1
    }

    /// The name and count of entry `index` (0..<used).
    public subscript(index: Int) -> (name: SensorName, count: UInt64) {
        precondition(index >= 0 && index < used, "QuantityCounts index out of range")
        return (names[index], counts[index])
    }
}
