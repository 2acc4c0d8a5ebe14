import CHAL
import OutpostCore

/// The process arguments, read through CHAL as NUL-terminated bytes (no `String` in the daemon).
enum Arguments {
    /// Number of arguments including the program name.
    static var count: Int { Int(chal_argc()) }

    /// Argument `index` as bytes (without its NUL), or nil when out of range.
    static func bytes(_ index: Int) -> UnsafeRawBufferPointer? {
        guard let pointer = chal_argv(Int32(truncatingIfNeeded: index)) else { return nil }
        var length = 0
        // Bounded: arguments are limited by the kernel (ARG_MAX), and we stop at 1 MiB.
        while length < 1 << 20 && pointer[length] != 0 { length += 1 }
        return UnsafeRawBufferPointer(start: pointer, count: length)
    }

    /// A NUL-terminated C string pointer for argument `index` (for chal_open).
    static func cString(_ index: Int) -> UnsafePointer<UInt8>? { chal_argv(Int32(truncatingIfNeeded: index)) }

    /// True when argument `index` equals `text`.
    static func matches(_ index: Int, _ text: StaticString) -> Bool {
        guard let argument = bytes(index) else { return false }
        if argument.count != text.utf8CodeUnitCount { return false }
        for i in 0..<argument.count where argument[i] != text.utf8Start[i] { return false }
        return true
    }
}
