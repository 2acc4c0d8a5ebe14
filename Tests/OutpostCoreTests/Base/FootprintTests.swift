import OutpostCore
import OutpostProfiles
import XCTest

/// Each profile states its static RAM footprint; these are the limits the design promises.
final class FootprintTests: XCTestCase {
    func check<P: Profile>(_ profile: P.Type, limitKiB: Int) {
        let footprint = Pipeline<P>.footprintBytes
        print("footprint \(P.name): \(footprint) bytes (arena \(Pipeline<P>.arenaBytesRequired), pipeline value \(MemoryLayout<Pipeline<P>>.size))")
        XCTAssertLessThanOrEqual(footprint, P.footprintLimitBytes, "\(P.name) over its stated limit")
        XCTAssertLessThanOrEqual(P.footprintLimitBytes, limitKiB * 1024, "\(P.name) limit above the design's")
        // The footprint must count the per-sensor tables: at least the sensor names.
        XCTAssertGreaterThan(footprint, P.sensorCapacity * MemoryLayout<SensorName>.stride)
        // The daemon's core state is the server (which holds the pipeline): the limit covers it too.
        let server = Server<P>.footprintBytes
        print("footprint \(P.name) with server: \(server) bytes")
        XCTAssertGreaterThan(server, footprint)
        XCTAssertLessThanOrEqual(server, P.footprintLimitBytes, "\(P.name) server over its stated limit")
    }

    func testLow() { check(ProfileLow.self, limitKiB: 64) }
    func testMedium() { check(ProfileMedium.self, limitKiB: 1088) }
    func testHigh() { check(ProfileHigh.self, limitKiB: 4160) }
    func testTest() { check(ProfileTest.self, limitKiB: 72) }
}
