import OutpostCore
import OutpostProfiles

/// `outpost --self-test`: built-in checks of the core on the machine it runs on (the firmware's
/// smoke test under qemu and on a board). Prints one line per check and `N passed, M failed`.
enum SelfTest {
    static func run(arena: inout Arena, out: inout Console) -> Int32 {
        var tally = Tally()
        tally.check(&out, "decimal text to micro-units", checkDecimal())
        tally.check(&out, "unit normalisation", checkNormalise())
        tally.check(&out, "ring wrap-around and full", checkRing())
        tally.check(&out, "forest golden vectors and CRC", checkGoldenForest(&arena))
        tally.check(&out, "baked model of this profile", checkBakedModel())
        tally.check(&out, "pipeline: thresholds, alerts, windows", checkPipeline(&arena))
        #if !OUTPOST_PROFILE_LOW
        if ActiveProfile.retrainSampleCount > 0 { tally.check(&out, "on-board forest build (golden CRC)", RetrainBench.checkGolden(&arena)) }
        #endif
        out.reserve(64)
        out.writer.integer(tally.passed.wide)
        out.writer.text(" passed, ")
        out.writer.integer(tally.failed.wide)
        out.writer.text(" failed\n")
        return tally.failed == 0 ? 0 : 1
    }

    struct Tally {
        var passed = 0
        var failed = 0

        mutating func check(_ out: inout Console, _ name: StaticString, _ ok: Bool) {
            if ok { passed += 1 } else { failed += 1 }
            out.reserve(128)
            out.writer.text(ok ? "ok   " : "FAIL ")
            out.writer.text(name)
            out.writer.byte(0x0A)
        }
    }

    static func micro(_ text: StaticString) -> Int64? {
        let bytes = UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
        return try? DecimalText.microUnits(bytes.span)
    }

    static func checkDecimal() -> Bool {
        micro("25.125") == 25_125_000 && micro("-0.0000005") == -1 && micro("1.5e3") == 1_500_000_000
            && micro("abc") == nil && micro("") == nil && micro("1e30") == nil
    }

    static func checkNormalise() -> Bool {
        let f = try? Normalise.feature(.temperature, micro: 212_000_000, unit: .fahrenheit)
        let k = try? Normalise.feature(.temperature, micro: 273_150_000, unit: .kelvin)
        let hPa = try? Normalise.feature(.pressure, micro: 1_013_250_000, unit: .hectopascal)
        let bar = try? Normalise.feature(.pressure, micro: 1_000_000, unit: .bar)
        let rh = try? Normalise.feature(.humidity, micro: 120_000_000, unit: .percentRelativeHumidity)
        return f == 100_000 && k == 0 && hPa == 1_013_250 && bar == 1_000_000 && rh == 100_000
    }

    static func checkRing() -> Bool {
        var ring = Ring<3, Int32>(filler: 0)
        for i: Int32 in 1...3 { ring.append(i) }
        if ring.tryAppend(4) { return false }
        guard ring.popFirst() == 1 else { return false }
        ring.append(4)
        return ring.popFirst() == 2 && ring.popFirst() == 3 && ring.popFirst() == 4 && ring.popFirst() == nil
    }
}
