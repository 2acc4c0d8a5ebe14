/// The storage seam of the log: a fixed-size byte array on a disk, read and written at offsets and
/// made durable by `sync`.
///
/// The daemon's device is a preallocated file (CHAL storage); tests use an in-memory device that
/// can cut power at any byte of any write, fail a sync or report a full disk. The store is generic
/// over its device, so the seam costs no existential and no allocation.
///
/// Contract: a `write` that returns may still be lost by a power cut (whole, partly, or not at all)
/// until a later `sync` returns; after `sync` returns every earlier write is durable.
public protocol LogDevice {
    /// Size of the device in bytes (fixed).
    var sizeBytes: Int64 { get }
    /// Reads `buffer.count` bytes at `offset` (0 ≤ offset, offset + count ≤ sizeBytes).
    mutating func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws(LogIOError)
    /// Writes all of `bytes` at `offset` (0 ≤ offset, offset + count ≤ sizeBytes).
    mutating func write(at offset: Int64, from bytes: UnsafeRawBufferPointer) throws(LogIOError)
    /// Makes every earlier write durable (fdatasync).
    mutating func sync() throws(LogIOError)
}
