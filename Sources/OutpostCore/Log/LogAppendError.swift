/// Why an append or commit did not happen.
public enum LogAppendError: Error, Equatable, Sendable {
    /// The log is full and the policy is `rejectNew` (answer 5.03 and let the sensor retry).
    case full
    /// The device has no space; buffered records are kept and retried.
    case noSpace
    /// A write or sync failed with this negative errno; the store is in fail-stop state.
    case failed(Int32)
    /// The store was opened read-only.
    case readOnly
}
