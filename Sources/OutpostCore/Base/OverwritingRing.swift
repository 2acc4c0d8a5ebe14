/// A ring of the latest `capacity` elements: appending to a full ring overwrites the oldest
/// element and counts it in `droppedCount`. For histories where the newest data matters most.
public struct OverwritingRing<let capacity: Int, Element: BitwiseCopyable>: BitwiseCopyable {
    @usableFromInline var ring: Ring<capacity, Element>
    /// Number of elements overwritten since creation.
    public private(set) var droppedCount: UInt64 = 0

    /// An empty ring; `filler` initialises the unused slots (it is never returned).
    public init(filler: Element) { ring = Ring(filler: filler) }

    /// Number of elements in the ring.
    @inline(__always) public var count: Int { ring.count }
    /// True when no element is stored.
    @inline(__always) public var isEmpty: Bool { ring.isEmpty }

    /// Appends `element`, overwriting (and counting) the oldest one when full.
    /// - Returns: true when an element was dropped to make room.
    /// - Complexity: O(1)
    @discardableResult
    @inline(__always)
    public mutating func append(_ element: Element) -> Bool {
        var dropped = false
        if ring.isFull {
            _ = ring.popFirst()
            droppedCount &+= 1
            dropped = true
        }
        ring.append(element)
        return dropped
    }

    /// Removes and returns the oldest element, or nil when empty.
    @inline(__always)
    public mutating func popFirst() -> Element? { ring.popFirst() }

    /// The element at `offset` from the oldest (0 is the oldest).
    @inline(__always)
    public subscript(offset: Int) -> Element { ring[offset] }
}
