import OutpostCore
import XCTest

/// The core's internal invariant checks (`OUTPOST_INTERNAL_CHECKS`) run in the test build.
final class InternalChecksTests: XCTestCase {
    func testDebugBuildsRunTheInternalChecks() throws {
        #if DEBUG
        XCTAssertTrue(InternalChecks.enabled, "Package.swift defines OUTPOST_INTERNAL_CHECKS for debug builds of OutpostCore")
        #else
        throw XCTSkip("a release test build leaves the internal checks out")
        #endif
    }
}
