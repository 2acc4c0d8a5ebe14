import OutpostCore

/// Names for the errno values a user is likely to meet (no strerror in the Embedded build).
enum Errno {
    static func describe(_ negativeErrno: Int64, _ writer: inout TextWriter) {
        switch -negativeErrno {
        case 2: writer.text("no such file or directory")
        case 5: writer.text("input/output error")
        case 13: writer.text("permission denied")
        case 21: writer.text("is a directory")
        case 24: writer.text("too many open files")
        case 27: writer.text("file too large")
        case 28: writer.text("no space left on device")
        default:
            writer.text("errno ")
            writer.integer(-negativeErrno)
        }
    }
}
