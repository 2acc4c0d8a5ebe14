/// A first-in first-out queue of at most `capacity` elements stored inline, without heap memory.
///
/// `append` traps when the ring is full (a full ring there is a programming error, like an array
/// index out of range); `tryAppend` is the non-trapping twin that reports `false` when full, for
/// callers that must count and drop instead.
public struct Ring<let capacity: Int, Element: BitwiseCopyable>: BitwiseCopyable {
    @usableFromInline var storage: InlineArray<capacity, Element>
    @usableFromInline var head: Int = 0
    /// Number of elements in the ring.
    public private(set) var count: Int = 0

    /// An empty ring; `filler` initialises the unused slots (it is never returned).
    public init(filler: Element) {
        precondition(capacity > 0, "a ring needs a capacity above zero")
        storage = InlineArray(repeating: filler)
    }

    /// True when no element is stored.
    @inline(__always) public var isEmpty: Bool { count == 0 }
    /// True when `count == capacity`.
    @inline(__always) public var isFull: Bool { count == capacity }

    /// Appends `element` at the back; traps when the ring is full.
    /// - Complexity: O(1)
    @inline(__always)
    public mutating func append(_ element: Element) {
        let appended = tryAppend(element)
        precondition(appended, "Ring.append on a full ring")
    }

    /// Appends `element` at the back if there is room.
    /// - Returns: false (and changes nothing) when the ring is full.
    /// - Complexity: O(1)
    @inline(__always)
    public mutating func tryAppend(_ element: Element) -> Bool {
        if count == capacity { return false }
        storage[slot(count)] = element
        count += 1
        checkInvariants()
        return true
    }

    /// Removes and returns the front element, or nil when empty.
    /// - Complexity: O(1)
    @inline(__always)
    public mutating func popFirst() -> Element? {
        if count == 0 { return nil }
        let element = storage[head]
        head = head + 1 == capacity ? 0 : head + 1
        count -= 1
        checkInvariants()
        return element
    }

    /// The element at `offset` from the front (0 is the oldest).
    /// - Complexity: O(1)
    @inline(__always)
    public subscript(offset: Int) -> Element {
        get {
            precondition(offset >= 0 && offset < count, "Ring offset out of range")
            return storage[slot(offset)]
        }
        set {
            precondition(offset >= 0 && offset < count, "Ring offset out of range")
            storage[slot(offset)] = newValue
        }
    }

    /// Removes every element.
    /// - Complexity: O(1)
    public mutating func removeAll() {
        head = 0
        count = 0
    }

    @inline(__always)
    @usableFromInline func slot(_ offset: Int) -> Int {
        let raw = head + offset
        return raw >= capacity ? raw - capacity : raw
    }

    @inline(__always)
    func checkInvariants() {
        #if OUTPOST_INTERNAL_CHECKS
        precondition(count >= 0 && count <= capacity)
        precondition(head >= 0 && head < capacity)
        #endif
    }
}
