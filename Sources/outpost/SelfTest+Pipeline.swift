import OutpostCore
import OutpostProfiles

extension SelfTest {
    /// A scripted run of this build's pipeline: normal readings raise nothing, an over-temperature
    /// episode raises one threshold alert and clears it once, and the 1-minute window sees them all.
    static func checkPipeline(_ arena: inout Arena) -> Bool {
        typealias P = ActiveProfile
        var pipeline = Pipeline<P>(arena: &arena)
        let start: Int64 = 1_767_225_600_000
        var raised = 0
        var cleared = 0
        var readings = 0
        for i in 0..<30 {
            var reading = Reading(sensor: SensorName("self-test"), timestampMs: start + i.wide * 1_000)
            // Readings 10...19 are hot (50 °C > the 45 °C alert bound), the rest 25 °C.
            reading.features[.temperature] = i >= 10 && i < 20 ? 50_000 : 25_000
            reading.features[.humidity] = 60_000
            reading.features[.pressure] = 1_013_000
            reading.features[.vibration] = 500
            reading.features[.power] = 100_000
            reading.batteryMilliPercent = 90_000
            guard case .accepted = pipeline.process(reading) else { return false }
            while let event = pipeline.outbox.popFirst() {
                switch event {
                case .reading: readings += 1
                case .alert(let alert):
                    if alert.kind != .threshold { continue }
                    if alert.raised { raised += 1 } else { cleared += 1 }
                }
            }
        }
        let summary = pipeline.windows.summary(sensor: 0, span: .oneMinute, nowMs: start + 29_000)
        let temperature = summary.features[Feature.temperature.index]
        // 30 readings: 10 at 50 °C and 20 at 25 °C → mean 33.333 °C, min 25, max 50.
        return readings == 30 && raised >= 1 && cleared == 1 && temperature.count == 30
            && temperature.mean == 33_333 && temperature.minimum == 25_000 && temperature.maximum == 50_000
    }
}
