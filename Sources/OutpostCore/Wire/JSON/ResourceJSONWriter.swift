/// Writes JSON (Content-Format 50) for the `ResourceWriter` renderers into a fixed buffer: commas
/// and colons placed from a bit per nesting level, numbers formatted by `TextWriter`.
public struct ResourceJSONWriter: ResourceWriter {
    /// Deepest nesting supported (one bit of `needsComma` per level).
    public static let maxDepth = 32

    let buffer: UnsafeMutableRawBufferPointer
    public private(set) var count = 0
    public private(set) var overflowed = false
    var limit: Int
    /// Bit d set when level d already holds an element (the next one needs a comma).
    var needsComma: UInt64 = 0
    var depth = 0
    /// True right after a key: the value needs no comma.
    var afterKey = false

    /// A writer into `buffer` keeping `reserveBytes` for closing brackets.
    public init(buffer: UnsafeMutableRawBufferPointer, reserveBytes: Int = 0) {
        precondition(reserveBytes >= 0 && reserveBytes <= buffer.count, "reserve larger than the buffer")
        self.buffer = buffer
        limit = buffer.count - reserveBytes
    }

    /// The text written.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: buffer[0..<count]) }

    public var mark: ResourceWriterMark {
        ResourceWriterMark(count: count, state: needsComma | (afterKey ? 1 &<< 63 : 0), depth: depth)
    }

    public mutating func rewind(to mark: ResourceWriterMark) {
        precondition(mark.count >= 0 && mark.count <= count, "rewinding forward")
        count = mark.count
        needsComma = mark.state & ~(1 &<< 63)
        afterKey = mark.state & (1 &<< 63) != 0
        depth = mark.depth
        overflowed = false
    }

    public mutating func useReserve() { limit = buffer.count }

    public mutating func beginMap() { open(0x7B) }
    public mutating func endMap() { close(0x7D) }
    public mutating func beginArray() { open(0x5B) }
    public mutating func endArray() { close(0x5D) }

    public mutating func key(_ name: StaticString) {
        separator()
        put(0x22)
        text(name)
        put(0x22)
        put(0x3A)
        afterKey = true
    }

    public mutating func string(_ text: StaticString) {
        separator()
        put(0x22)
        let start = text.utf8Start
        // Static strings of the runtime are plain ASCII without quotes or backslashes.
        for i in 0..<text.utf8CodeUnitCount { put(start[i]) }
        put(0x22)
    }

    public mutating func string(_ name: SensorName) {
        separator()
        put(0x22)
        for i in 0..<Int(name.count) { put(name[i]) }  // printable ASCII without quotes
        put(0x22)
    }

    public mutating func integer(_ value: Int64) {
        separator()
        formatted { $0.integer(value) }
    }

    public mutating func fixed(_ value: Int64, decimals: Int) {
        separator()
        formatted { $0.fixed(value, decimals: decimals) }
    }

    public mutating func bool(_ value: Bool) {
        separator()
        text(value ? "true" : "false")
    }

    public mutating func null() {
        separator()
        text("null")
    }

    /// Appends raw ASCII text.
    mutating func text(_ value: StaticString) {
        let start = value.utf8Start
        for i in 0..<value.utf8CodeUnitCount { put(start[i]) }
    }

    mutating func open(_ bracket: UInt8) {
        precondition(depth + 1 < ResourceJSONWriter.maxDepth, "JSON nested too deep")
        separator()
        put(bracket)
        depth += 1
        needsComma &= ~(1 &<< UInt64(bitPattern: (depth).wide))
    }

    mutating func close(_ bracket: UInt8) {
        precondition(depth > 0, "closing a JSON container that is not open")
        if count < buffer.count {
            buffer[count] = bracket
            count += 1
        } else {
            overflowed = true
        }
        depth -= 1
        afterKey = false
    }

    /// A comma before every element of a level but the first, none right after a key.
    mutating func separator() {
        let bit: UInt64 = 1 &<< UInt64(bitPattern: (depth).wide)
        if afterKey {
            afterKey = false
        } else if needsComma & bit != 0 {
            put(0x2C)
        }
        needsComma |= bit
    }

    /// Formats with a `TextWriter` straight into the free space; all or nothing.
    mutating func formatted(_ body: (inout TextWriter) -> Void) {
        if count >= limit {
            overflowed = true
            return
        }
        var writer = TextWriter(buffer: UnsafeMutableRawBufferPointer(rebasing: buffer[count..<limit]))
        body(&writer)
        if writer.overflowed {
            overflowed = true
        } else {
            count += writer.count
        }
    }

    @inline(__always)
    mutating func put(_ byte: UInt8) {
        if count < limit {
            buffer[count] = byte
            count += 1
        } else {
            overflowed = true
        }
    }
}
