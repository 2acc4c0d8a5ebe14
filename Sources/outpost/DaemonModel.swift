import CHAL
import OutpostCore

/// The model file of `--model`: its path (a NUL-terminated copy, so a reload may change it) and
/// the two arena slots it is read into (`ModelSlots`). Inert (`enabled` false) without `--model`.
struct DaemonModel {
    var enabled = false
    var slots: ModelSlots? = nil
    /// The path and a NUL, in a buffer of `pathBytesMax + 1` bytes carved at start-up.
    var path = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    var pathCount = 0

    /// Longest path (as for the other files of the configuration).
    static var pathBytesMax: Int { DaemonFlags.dataDirBytesMax }

    /// The path without its NUL.
    var pathBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(path)[0..<pathCount]) }

    /// Copies `value` as the path to read from now on; false when there is no buffer (no model at
    /// start-up) or the value does not fit it.
    mutating func setPath(_ value: UnsafeRawBufferPointer) -> Bool {
        guard enabled, value.count > 0, value.count <= DaemonModel.pathBytesMax else { return false }
        for i in 0..<value.count { path[i] = value[i] }
        path[value.count] = 0
        pathCount = value.count
        return true
    }

    /// Reads the file at `path` into the spare slot (at most its size: one byte more than the
    /// largest model tells a file that is too large). The byte count, or a negative errno.
    /// - Complexity: O(file bytes), one read call per chunk the kernel returns.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int64 {
        let fd = chal_open(UnsafeRawPointer(path.baseAddress!).assumingMemoryBound(to: UInt8.self), Int32(truncatingIfNeeded: CHAL_OPEN_READ))
        if fd < 0 { return fd.wide }
        var count = 0
        var failure: Int64 = 0
        // Bounded by the buffer: every pass reads at least one byte or stops.
        while count < buffer.count {
            let got = chal_read(fd, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self) + count, (buffer.count - count).wide)
            if got < 0 {
                failure = got
                break
            }
            if got == 0 { break }
            count += Int(truncatingIfNeeded: got)
        }
        _ = chal_close(fd)
        return failure != 0 ? failure : count.wide
    }
}
