import Foundation
import XCTest
@testable import OutpostCore

/// The integer c(n) against the host formula in Double (what `outpost-tool train` writes).
final class PathLengthTests: XCTestCase {
    static func hostQ16(_ n: Int) -> Int64 {
        if n <= 1 { return 0 }
        if n == 2 { return 65536 }
        let m = Double(n)
        let c = 2 * (log(m - 1) + 0.5772156649) - 2 * (m - 1) / m
        return Int64((c * 65536).rounded(.toNearestOrAwayFromZero))
    }

    func testAgreesWithTheHostFormulaWithinOneUnit() {
        var off = 0
        for n in 0...65535 {
            let core = Int64(PathLength.cQ16(n))
            let host = Self.hostQ16(n)
            XCTAssertLessThanOrEqual(abs(core - host), 1, "c(\(n))")
            if core != host { off += 1 }
        }
        print("PathLength: \(off) of 65536 values 1 Q16 unit off the host's rounding")
        XCTAssertLessThan(off, 20)
        // The builder's ψ of 256 and the format's example c(2) = 1 exactly.
        XCTAssertEqual(Int64(PathLength.cQ16(256)), Self.hostQ16(256))
        XCTAssertEqual(PathLength.cQ16(2), 65536)
    }

    func testLog2() {
        XCTAssertEqual(PathLength.log2Q30(1), 0)
        XCTAssertEqual(PathLength.log2Q30(1024), 10 << 30)
        let three = Double(PathLength.log2Q30(3)) / Double(1 << 30)
        XCTAssertEqual(three, log2(3.0), accuracy: 1e-8)
        let large = Double(PathLength.log2Q30(4_000_000_000)) / Double(1 << 30)
        XCTAssertEqual(large, log2(4_000_000_000.0), accuracy: 1e-7)
    }
}
