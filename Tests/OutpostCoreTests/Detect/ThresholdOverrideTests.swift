import OutpostCore
import OutpostProfiles
import XCTest

/// Threshold rules per quantity and sensor-name pattern: the text form, the choice of the most
/// specific rule, and the pipeline judging a freezer and an oven by their own rules.
final class ThresholdOverrideTests: XCTestCase {
    func parse(_ text: String) throws -> ThresholdOverride {
        var bytes = Array(text.utf8)
        return try bytes.withUnsafeMutableBytes { raw in
            do { return try ThresholdOverride.parse(UnsafeRawBufferPointer(raw)) } catch { throw error }
        }
    }

    func reason(_ text: String) -> String {
        do {
            _ = try parse(text)
            return "accepted"
        } catch let error as ThresholdOverride.ParseError {
            return "\(error.reason)"
        } catch {
            return "other"
        }
    }

    func testParsesFieldsInTheQuantitysUnit() throws {
        let freezer = try parse("freezer-* temperature warn_above=-15 alert_above=-10.5 hysteresis=0.5")
        XCTAssertTrue(freezer.isPrefix)
        XCTAssertEqual(freezer.pattern, SensorName("freezer-"))
        XCTAssertEqual(freezer.feature, .temperature)
        XCTAssertEqual(freezer.rule.warningAbove, -15_000)
        XCTAssertEqual(freezer.rule.alertAbove, -10_500)
        XCTAssertEqual(freezer.rule.hysteresis, 500)
        XCTAssertNil(freezer.rule.criticalAbove, "a bound not given is not checked")
        let tank = try parse("  tank-7\tpressure critical_above=150000 critical_below=90000 rate_max=500  ")
        XCTAssertFalse(tank.isPrefix)
        XCTAssertEqual(tank.feature, .pressure)
        XCTAssertEqual(tank.rule.criticalAbove, 1_500_000, "pressure is kept in dPa")
        XCTAssertEqual(tank.rule.criticalBelow, 900_000)
        XCTAssertEqual(tank.rule.rateMaxPerSecond, 5_000)
        let all = try parse("* power_consumption alert_below=5")
        XCTAssertTrue(all.isPrefix)
        XCTAssertEqual(all.pattern.count, 0)
        XCTAssertEqual(all.rule.alertBelow, 5_000)
    }

    func testRefusesWithAReason() {
        XCTAssertTrue(reason("").hasPrefix("wants 'PATTERN QUANTITY"))
        XCTAssertTrue(reason("freezer-*").hasPrefix("wants a quantity"))
        XCTAssertTrue(reason("freezer-* colour alert_above=1").hasPrefix("quantity:"))
        XCTAssertTrue(reason("freezer-* temperature").hasPrefix("wants at least one FIELD=VALUE"))
        XCTAssertTrue(reason("freezer-* temperature high=3").hasPrefix("field:"))
        XCTAssertTrue(reason("freezer-* temperature alert_above").hasPrefix("wants FIELD=VALUE"))
        XCTAssertTrue(reason("freezer-* temperature alert_above=cold").hasPrefix("wants a decimal number"))
        XCTAssertTrue(reason("freezer-* temperature alert_above=1 alert_above=2").hasPrefix("a field is given twice"))
        XCTAssertTrue(reason("fr*zer temperature alert_above=1").hasPrefix("pattern:"))
        XCTAssertTrue(reason("freezer-* temperature hysteresis=-1").hasPrefix("hysteresis must not be negative"))
        XCTAssertTrue(reason("freezer-* temperature alert_above=9999999").hasPrefix("value out of range"))
        XCTAssertTrue(reason(String(repeating: "a", count: 33) + " temperature alert_above=1").hasPrefix("pattern:"))
    }

    func testTheMostSpecificRuleWins() throws {
        let name = SensorName("freezer-7")
        XCTAssertNil(try parse("oven-* temperature alert_above=1").specificity(for: name))
        XCTAssertNil(try parse("freezer temperature alert_above=1").specificity(for: name), "an exact name matches only itself")
        let exact = try XCTUnwrap(try parse("freezer-7 temperature alert_above=1").specificity(for: name))
        let long = try XCTUnwrap(try parse("freezer-*  temperature alert_above=1").specificity(for: name))
        let short = try XCTUnwrap(try parse("f* temperature alert_above=1").specificity(for: name))
        let any = try XCTUnwrap(try parse("* temperature alert_above=1").specificity(for: name))
        XCTAssertGreaterThan(exact, long)
        XCTAssertGreaterThan(long, short)
        XCTAssertGreaterThan(short, any)
    }

    func reading(_ sensor: StaticString, _ t: Int64, celsius: Int32) -> Reading {
        var r = Reading(sensor: SensorName(sensor), timestampMs: t)
        r.features[.temperature] = celsius * 1_000
        return r
    }

    /// The status of `sensor` after two readings (the test profile's debounce) at `celsius`.
    func status(_ h: PipelineHarness<ProfileTest>, _ sensor: StaticString, celsius: Int32, at t: Int64) -> Status? {
        var last: Status? = nil
        for i in 0..<2 {
            guard case .accepted(let p) = h.pipeline.process(reading(sensor, t + Int64(i) * 1_000, celsius: celsius)) else { return nil }
            last = p.status
        }
        _ = h.drainAlerts()
        return last
    }

    func testAFreezerAlertsAtMinusFiveWhileAnOvenAt150DoesNot() throws {
        let h = PipelineHarness<ProfileTest>()
        // Known before the rules are set: resolved again by setThresholdOverrides.
        XCTAssertEqual(status(h, "freezer-1", celsius: -5, at: 0), .normal, "the reference rules see nothing at -5 °C")
        let rules = [
            try parse("freezer-* temperature warn_above=-15 alert_above=-10"),
            try parse("oven-* temperature warn_above=250 alert_above=280 critical_above=320"),
        ]
        rules.withUnsafeBufferPointer { h.pipeline.setThresholdOverrides($0) }
        XCTAssertEqual(status(h, "freezer-1", celsius: -5, at: 10_000), .alert)
        XCTAssertEqual(status(h, "freezer-2", celsius: -12, at: 20_000), .warning, "a sensor first seen after the rules")
        XCTAssertEqual(status(h, "oven-1", celsius: 150, at: 30_000), .normal)
        XCTAssertEqual(status(h, "kitchen", celsius: 150, at: 40_000), .alert, "others keep the reference rules")
        XCTAssertEqual(h.pipeline.detector.rule(sensor: 0, feature: .temperature).alertAbove, -10_000)
        XCTAssertEqual(h.pipeline.detector.rule(sensor: 0, feature: .humidity).criticalAbove, 90_000, "other quantities keep theirs")
        // Rules replaced (a reload): the freezer's alert clears with its next reading.
        rules.withUnsafeBufferPointer { h.pipeline.setThresholdOverrides(UnsafeBufferPointer(rebasing: $0[1..<2])) }
        XCTAssertEqual(status(h, "freezer-1", celsius: -5, at: 50_000), .normal)
        XCTAssertEqual(status(h, "oven-1", celsius: 150, at: 60_000), .normal)
        // No rules: the oven is judged by the reference rules again (critical above 80 °C).
        h.pipeline.setThresholdOverrides(UnsafeBufferPointer(start: nil, count: 0))
        guard case .accepted(let p) = h.pipeline.process(reading("oven-1", 70_000, celsius: 150)) else { return XCTFail() }
        XCTAssertEqual(p.status, .alert)
        XCTAssertTrue(h.drainAlerts().contains { $0.kind == .critical && $0.raised })
    }
}
