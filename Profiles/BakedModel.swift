/// The bytes of a model baked into the build as a C array, or nil while none was generated
/// (an empty array stands in until `make models` has run).
@inline(__always)
func bakedModel(_ bytes: UnsafePointer<UInt8>, _ size: UInt32) -> UnsafeRawBufferPointer? {
    if size == 0 { return nil }
    return UnsafeRawBufferPointer(start: UnsafeRawPointer(bytes), count: Int(size))
}
