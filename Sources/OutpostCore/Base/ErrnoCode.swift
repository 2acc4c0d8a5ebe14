/// The negative errno values the core tells apart in what its devices return.
///
/// The core imports no platform module (CCRC32C is its only C import), so these mirror CHAL's
/// `CHAL_E*` names (Sources/CHAL/include/chal_errors.h, which chal_posix.c checks against
/// <errno.h>); `ErrnoCodeTests` checks that both agree.
public enum ErrnoCode {
    /// EIO: input/output error; also what a failure without its own code is reported as.
    public static let io: Int32 = -5
    /// EFBIG: a file-size limit was reached.
    public static let fileTooLarge: Int32 = -27
    /// ENOSPC: no space left on the device.
    public static let noSpace: Int32 = -28
    /// EROFS: the file system is read-only.
    public static let readOnly: Int32 = -30
    /// EDQUOT: the disk quota is exhausted.
    public static let quotaExceeded: Int32 = -122
}
