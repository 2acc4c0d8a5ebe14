/// Whether this build of the core runs its internal invariant checks (`#if OUTPOST_INTERNAL_CHECKS`,
/// defined for debug builds in Package.swift): the tests assert it, so a test run cannot silently
/// skip them.
public enum InternalChecks {
    #if OUTPOST_INTERNAL_CHECKS
    public static let enabled = true
    #else
    public static let enabled = false
    #endif
}
