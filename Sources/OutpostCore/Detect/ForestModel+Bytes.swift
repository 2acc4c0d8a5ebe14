/// Little-endian reads from the model bytes at any alignment.
///
/// Why unaligned loads: the format promises only byte alignment (a node starts on a 4-byte
/// boundary when the model does, never on 8). On x86-64 and AArch64 these compile to plain loads;
/// on little-endian targets the byte-order conversion is a no-op.
extension ForestModel {
    @inline(__always)
    static func loadUInt8(_ p: UnsafeRawPointer, _ offset: Int) -> UInt8 {
        p.load(fromByteOffset: offset, as: UInt8.self)
    }

    @inline(__always)
    static func loadInt8(_ p: UnsafeRawPointer, _ offset: Int) -> Int8 {
        Int8(bitPattern: p.load(fromByteOffset: offset, as: UInt8.self))
    }

    @inline(__always)
    static func loadUInt16(_ p: UnsafeRawPointer, _ offset: Int) -> UInt16 {
        UInt16(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inline(__always)
    static func loadUInt32(_ p: UnsafeRawPointer, _ offset: Int) -> UInt32 {
        UInt32(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always)
    static func loadInt32(_ p: UnsafeRawPointer, _ offset: Int) -> Int32 {
        Int32(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: Int32.self))
    }

    @inline(__always)
    static func loadInt64(_ p: UnsafeRawPointer, _ offset: Int) -> Int64 {
        Int64(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: Int64.self))
    }
}
