/// Why a log could not be opened.
public enum LogOpenError: Error, Equatable, Sendable {
    /// The device failed (negative errno) or has no space.
    case io(LogIOError)
    /// The file is blank and formatting was not allowed (read-only inspection).
    case blank
    /// The file is not an Outpost log (wrong magic).
    case notALog
    /// An Outpost log of a format version this build does not read.
    case unsupportedVersion(UInt16)
    /// The file header is damaged.
    case corruptHeader
    /// The file's geometry differs from the one the store was set up for.
    case geometryMismatch(LogGeometry)
    /// The device is smaller than the geometry needs.
    case deviceTooSmall
}
