import CHAL
import OutpostCore

/// Names for the errno values a user is likely to meet (no strerror in the Embedded build).
enum Errno {
    static func describe(_ negativeErrno: Int64, _ writer: inout TextWriter) {
        // CHAL's codes are 32-bit; a value outside that range is no errno it knows.
        let code = negativeErrno >= Int32.min.wide && negativeErrno <= 0 ? Int32(truncatingIfNeeded: negativeErrno) : 0
        switch code {
        case CHAL_ENOENT: writer.text("no such file or directory")
        case CHAL_EIO: writer.text("input/output error")
        case CHAL_EACCES: writer.text("permission denied")
        case CHAL_ENOTDIR: writer.text("not a directory")
        case CHAL_EISDIR: writer.text("is a directory")
        case CHAL_EMFILE: writer.text("too many open files")
        case CHAL_EFBIG: writer.text("file too large")
        case CHAL_ENOSPC: writer.text("no space left on device")
        case CHAL_EROFS: writer.text("read-only file system")
        case CHAL_ENAMETOOLONG: writer.text("file name too long")
        case CHAL_EDQUOT: writer.text("disk quota exceeded")
        default:
            writer.text("errno ")
            writer.integer(-negativeErrno)
        }
    }
}
