extension UnsafeRawBufferPointer {
    /// The bytes as a typed buffer (bytes are always valid `UInt8`s, so no rebinding is needed).
    @inline(__always)
    public var uint8: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: baseAddress?.assumingMemoryBound(to: UInt8.self), count: count)
    }
}
