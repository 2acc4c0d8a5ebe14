import CHAL
import OutpostCore

/// The log's storage on the board: one preallocated file through CHAL storage (pread/pwrite loops,
/// fdatasync). Errors come back as negative errno; "no space" (ENOSPC, EFBIG, EDQUOT) is kept apart
/// so the store can treat it as a temporary condition.
struct FileLogDevice: LogDevice {
    let fd: Int32
    let sizeBytes: Int64

    /// Opens (creating when absent) the NUL-terminated `path` and reserves `sizeBytes` on disk.
    /// - Returns: the device, or the error (a full disk is `.noSpace`).
    static func open(path: UnsafePointer<UInt8>, sizeBytes: Int64) -> Result<FileLogDevice, LogIOError> {
        precondition(sizeBytes > 0)
        let fd = chal_storage_open(path, sizeBytes)
        if fd < 0 { return .failure(LogIOError.from(negativeErrno: fd)) }
        let actual = chal_storage_size(fd)
        if actual < 0 {
            _ = chal_storage_close(fd)
            return .failure(LogIOError.from(negativeErrno: Int32(truncatingIfNeeded: actual)))
        }
        return .success(FileLogDevice(fd: fd, sizeBytes: actual))
    }

    mutating func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws(LogIOError) {
        precondition(offset >= 0 && offset + buffer.count.wide <= sizeBytes, "read outside the log file")
        if buffer.count == 0 { return }
        let result = chal_storage_pread(fd, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), buffer.count.wide, offset)
        if result < 0 { throw LogIOError.from(negativeErrno: Int32(truncatingIfNeeded: result)) }
    }

    mutating func write(at offset: Int64, from bytes: UnsafeRawBufferPointer) throws(LogIOError) {
        precondition(offset >= 0 && offset + bytes.count.wide <= sizeBytes, "write outside the log file")
        if bytes.count == 0 { return }
        let result = chal_storage_pwrite(fd, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count.wide, offset)
        if result < 0 { throw LogIOError.from(negativeErrno: Int32(truncatingIfNeeded: result)) }
    }

    mutating func sync() throws(LogIOError) {
        let result = chal_storage_sync(fd)
        if result < 0 { throw LogIOError.from(negativeErrno: result) }
    }

    /// Closes the file (the store must not be used afterwards).
    func close() { _ = chal_storage_close(fd) }
}
