import CHAL
import Foundation
import OutpostCore
import OutpostProfiles
import XCTest

/// The profile types are the one home of every capacity; the build files that cannot read Swift
/// repeat two of them (the static arena's size, per profile). These tests read those files and fail
/// when a repeated figure differs from its profile, naming the file and the line to change.
final class ProfileFactsTests: XCTestCase {
    /// The repository's root, from this file's place in it (Tests/OutpostCoreTests/Base/).
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    func text(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    /// `(name, arenaBytes, logGeometry)` of every profile.
    let profiles: [(String, Int, LogGeometry)] = [
        ("low", ProfileLow.arenaBytes, ProfileLow.logGeometry),
        ("medium", ProfileMedium.arenaBytes, ProfileMedium.logGeometry),
        ("high", ProfileHigh.arenaBytes, ProfileHigh.logGeometry),
        ("test", ProfileTest.arenaBytes, ProfileTest.logGeometry),
    ]

    func testMakefileArenaSizesAreTheProfiles() throws {
        let makefile = try text("Makefile")
        for (name, bytes, _) in profiles {
            let key = "ARENA_BYTES_" + name + " := "
            let lines = makefile.split(separator: "\n").filter { $0.hasPrefix(key) }
            XCTAssertEqual(lines.count, 1, "Makefile: expected one line `\(key)N`")
            let value = lines.first.flatMap { Int($0.dropFirst(key.count).trimmingCharacters(in: .whitespaces)) }
            XCTAssertEqual(value, bytes, "Makefile: \(key)… must be Profile\(name.capitalized).arenaBytes (\(bytes))")
        }
    }

    func testPackageTraitArenaSizesAreTheProfiles() throws {
        let package = try text("Package.swift")
        // The medium profile is the default build: no trait, CHAL's default (next test).
        for (name, bytes, _) in profiles where name != "medium" {
            let pattern = #".define("OUTPOST_ARENA_BYTES", to: ""# + String(bytes) + #"", .when(traits: [""# + name + #""]))"#
            XCTAssertTrue(package.contains(pattern), "Package.swift: the `\(name)` trait must define OUTPOST_ARENA_BYTES as \(bytes)")
        }
        XCTAssertFalse(package.contains(#"traits: ["medium"]"#), "Package.swift: medium is the default build, without a trait")
    }

    func testCHALDefaultArenaIsTheMediumProfile() throws {
        let source = try text("Sources/CHAL/chal_posix.c")
        let key = "#define OUTPOST_ARENA_BYTES "
        guard let line = source.split(separator: "\n").first(where: { $0.hasPrefix(key) }) else {
            return XCTFail("Sources/CHAL/chal_posix.c: no `\(key)` default")
        }
        // `(2 * 1024 * 1024)` or a plain number: the product of the integers in it.
        let factors = line.dropFirst(key.count).split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        XCTAssertFalse(factors.isEmpty, "chal_posix.c: cannot read `\(line)`")
        XCTAssertEqual(factors.reduce(1, *), ProfileMedium.arenaBytes, "chal_posix.c: the default arena must be ProfileMedium.arenaBytes")
    }

    /// The host test build has CHAL's default arena (no trait): the medium profile's size.
    func testTheBuiltArenaIsTheDefaultProfiles() {
        XCTAssertEqual(Int(chal_arena_bytes()), ProfileMedium.arenaBytes)
    }

    func testEachProfileHasItsOwnLogGeometryAndItFitsTheFormat() {
        for (name, _, geometry) in profiles {
            XCTAssertGreaterThanOrEqual(geometry.segmentCount, 3, "\(name): a log needs at least three segments")
            XCTAssertEqual(geometry.fileSizeBytes, LogFormat.reservedBytes.wide + geometry.segmentSizeBytes.wide * geometry.segmentCount.wide)
        }
        XCTAssertLessThan(ProfileLow.logGeometry.fileSizeBytes, ProfileMedium.logGeometry.fileSizeBytes)
        XCTAssertLessThan(ProfileMedium.logGeometry.fileSizeBytes, ProfileHigh.logGeometry.fileSizeBytes)
    }
}
