/// A failure of the storage under the log, as the device reported it.
///
/// Devices return negative errno values (the CHAL convention); "no space" is kept apart because
/// the log treats it as a temporary condition (refuse new records, retry later) while every other
/// error is fail-stop.
public enum LogIOError: Error, Equatable, Sendable {
    /// The disk (or a size limit or quota) has no room: ENOSPC, EFBIG or EDQUOT.
    case noSpace
    /// Any other failure, as a negative errno (-EIO = -5, ...).
    case io(Int32)

    /// The error for a negative errno returned by a CHAL call.
    public static func from(negativeErrno: Int32) -> LogIOError {
        precondition(negativeErrno < 0, "errno values are negative")
        switch negativeErrno {
        case ErrnoCode.noSpace, ErrnoCode.fileTooLarge, ErrnoCode.quotaExceeded: return .noSpace
        default: return .io(negativeErrno)
        }
    }

    /// The negative errno to report (-ENOSPC for `noSpace`).
    public var negativeErrno: Int32 {
        switch self {
        case .noSpace: return ErrnoCode.noSpace
        case .io(let value): return value
        }
    }
}
