import CHAL
import OutpostCore

/// A log file on the host, through the same CHAL storage code as the daemon: `log` commands open
/// it read-only; tests create and write it.
///
/// Read-only, a file shorter than its header says is presented at full length with the missing
/// bytes as zeros, so `log verify` can say what a truncation cost instead of refusing the file.
public struct LogCommandFile: LogDevice {
    let fd: Int32
    public let sizeBytes: Int64
    /// Bytes actually in the file.
    public let fileBytes: Int64
    let writable: Bool

    /// Opens (creating when absent) `path` for reading and writing with `sizeBytes` reserved on
    /// disk (posix_fallocate). A full disk or a file-size limit is `.noSpace`.
    public static func create(_ path: String, sizeBytes: Int64) throws(LogIOError) -> LogCommandFile {
        precondition(sizeBytes > 0)
        let fd = path.withCString { chal_storage_open(UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self), sizeBytes) }
        if fd < 0 { throw LogIOError.from(negativeErrno: fd) }
        let size = chal_storage_size(fd)
        if size < 0 {
            _ = chal_storage_close(fd)
            throw LogIOError.from(negativeErrno: Int32(truncatingIfNeeded: size))
        }
        return LogCommandFile(fd: fd, sizeBytes: size, fileBytes: size, writable: true)
    }

    /// Opens an existing `path` read-only, presented as at least `minimumBytes` long.
    public static func openReadOnly(_ path: String) throws(LogIOError) -> LogCommandFile {
        let fd = path.withCString { chal_storage_open_read_only(UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self)) }
        if fd < 0 { throw LogIOError.from(negativeErrno: fd) }
        let size = chal_storage_size(fd)
        if size < 0 {
            _ = chal_storage_close(fd)
            throw LogIOError.from(negativeErrno: Int32(truncatingIfNeeded: size))
        }
        return LogCommandFile(fd: fd, sizeBytes: size, fileBytes: size, writable: false)
    }

    /// The same open file presented as `sizeBytes` long (read-only inspection of a short file).
    public func padded(to sizeBytes: Int64) -> LogCommandFile {
        precondition(!writable && sizeBytes >= fileBytes)
        return LogCommandFile(fd: fd, sizeBytes: sizeBytes, fileBytes: fileBytes, writable: false)
    }

    public mutating func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws(LogIOError) {
        precondition(offset >= 0 && offset + Int64(buffer.count) <= sizeBytes, "read outside the log file")
        let available = max(0, min(Int64(buffer.count), fileBytes - offset))
        if available > 0 {
            let result = chal_storage_pread(fd, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), available, offset)
            if result < 0 { throw LogIOError.from(negativeErrno: Int32(truncatingIfNeeded: result)) }
        }
        // Past the end of a truncated file: zeros, as if never written.
        for i in Int(available)..<buffer.count { buffer[i] = 0 }
    }

    public mutating func write(at offset: Int64, from bytes: UnsafeRawBufferPointer) throws(LogIOError) {
        precondition(writable, "the log file was opened read-only")
        precondition(offset >= 0 && offset + Int64(bytes.count) <= sizeBytes, "write outside the log file")
        if bytes.isEmpty { return }
        let result = chal_storage_pwrite(fd, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), Int64(bytes.count), offset)
        if result < 0 { throw LogIOError.from(negativeErrno: Int32(truncatingIfNeeded: result)) }
    }

    public mutating func sync() throws(LogIOError) {
        precondition(writable, "the log file was opened read-only")
        let result = chal_storage_sync(fd)
        if result < 0 { throw LogIOError.from(negativeErrno: result) }
    }

    /// Closes the file; the device must not be used afterwards.
    public func close() { _ = chal_storage_close(fd) }
}
