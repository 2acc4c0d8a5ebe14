/// One simulated sensor of the reference generator: fixed base values, per-reading noise, a
/// draining battery and injected anomalies. Each sensor has its own random stream.
struct SimulatedSensor {
    /// What kind of anomaly is running, with the offsets it adds for its whole duration.
    struct Anomaly {
        /// The reading time (exclusive) at which the anomaly ends.
        var endMs: Int64
        var temperatureOffsetC: Double
        var vibrationOffsetMPerS2: Double
        var powerOffsetW: Double
    }

    /// One generated row's values, in the CSV's units.
    struct Reading {
        var temperatureC: Double
        var humidityPercent: Double
        var pressureHPa: Double
        var vibrationMPerS2: Double
        var powerW: Double
        var batteryPercent: Double?
        var anomalous: Bool
    }

    var random: Xoshiro256StarStar
    let baseTemperatureC: Double
    let baseHumidityPercent: Double
    let basePressureHPa: Double
    let baseVibrationMPerS2: Double
    let basePowerW: Double
    /// Charge in percent, nil for a mains-powered sensor.
    var batteryPercent: Double?
    let drainPercentPerS: Double
    let latitudeDeg: Double
    let longitudeDeg: Double
    var anomaly: Anomaly?

    /// Sensor number `number` (1-based) of a generator run with `options`.
    init(number: Int, options: GeneratorOptions) {
        precondition(number >= 1, "sensor numbers start at 1")
        random = Xoshiro256StarStar(seed: options.seed, stream: UInt64(number))
        baseTemperatureC = random.gaussian(mean: 25, deviation: 5)
        baseHumidityPercent = min(95, max(5, random.gaussian(mean: 60, deviation: 15)))
        basePressureHPa = random.gaussian(mean: 1013, deviation: 20)
        baseVibrationMPerS2 = max(0.05, random.gaussian(mean: 0.5, deviation: 0.1))
        basePowerW = max(5, random.gaussian(mean: 100, deviation: 20))
        let startPercent = random.uniform(40, 100)
        drainPercentPerS = random.uniform(0.0002, 0.002)
        let mainsPowered = options.mainsPoweredEvery > 0 && number % options.mainsPoweredEvery == 0
        batteryPercent = mainsPowered ? nil : startPercent
        // A site of about 200 km × 300 km; each sensor stays where it was installed.
        latitudeDeg = random.uniform(46.0, 48.0)
        longitudeDeg = random.uniform(6.0, 10.0)
        anomaly = nil
    }

    /// The reading at `timestampMs`; advances the sensor's state (anomaly, battery) by one step.
    mutating func read(atMs timestampMs: Int64, options: GeneratorOptions) -> Reading {
        if let running = anomaly, timestampMs >= running.endMs { anomaly = nil }
        if anomaly == nil && random.chance(options.anomalyStartProbability) {
            anomaly = startAnomaly(atMs: timestampMs, meanDurationS: options.anomalyMeanDurationS, kind: options.anomalyKind)
        }
        let offsets = anomaly ?? Anomaly(endMs: 0, temperatureOffsetC: 0, vibrationOffsetMPerS2: 0, powerOffsetW: 0)
        let reading = Reading(
            temperatureC: baseTemperatureC + random.gaussian(mean: 0, deviation: 0.5) + offsets.temperatureOffsetC,
            humidityPercent: min(100, max(0, baseHumidityPercent + random.gaussian(mean: 0, deviation: 1))),
            pressureHPa: basePressureHPa + random.gaussian(mean: 0, deviation: 0.5),
            vibrationMPerS2: max(0, baseVibrationMPerS2 + random.gaussian(mean: 0, deviation: 0.05) + offsets.vibrationOffsetMPerS2),
            powerW: max(0, basePowerW + random.gaussian(mean: 0, deviation: 2) + offsets.powerOffsetW),
            batteryPercent: batteryPercent,
            anomalous: anomaly != nil)
        if let charge = batteryPercent {
            batteryPercent = max(0, charge - drainPercentPerS * Double(options.intervalMs) / 1000)
        }
        return reading
    }

    /// Draws a new anomaly: temperature (±10–20 °C), vibration (+2–5 m/s²), power (±30–60 W), or
    /// several of them at once (two or all three), each kind equally likely; `kind` forces one
    /// (`GeneratorOptions.anomalyKind`) after the same draws.
    mutating func startAnomaly(atMs timestampMs: Int64, meanDurationS: Double, kind: String? = nil) -> Anomaly {
        let durationMs = max(1, Int64((random.exponential(mean: meanDurationS) * 1000).rounded()))
        var temperature = false
        var vibration = false
        var power = false
        let drawn = random.below(4)
        // "Multiple" draws one of the four combinations of at least two kinds. It is drawn whenever
        // the first draw says "multiple", forced kind or not, so a forced kind leaves the random
        // stream (and so every anomaly's start and length) as it would be without it; a forced
        // "multiple" over another first draw takes combination `drawn` instead of drawing.
        let combination = drawn == 3 ? random.below(4) : drawn
        let forced: Int? = kind.flatMap { name in GeneratorOptions.anomalyKinds.firstIndex(of: name) }
        switch forced ?? drawn {
        case 0: temperature = true
        case 1: vibration = true
        case 2: power = true
        default:
            switch combination {
            case 0: temperature = true; vibration = true
            case 1: temperature = true; power = true
            case 2: vibration = true; power = true
            default: temperature = true; vibration = true; power = true
            }
        }
        let temperatureSign: Double = random.chance(0.5) ? 1 : -1
        let temperatureC = temperatureSign * random.uniform(10, 20)
        let vibrationMPerS2 = random.uniform(2, 5)
        let powerSign: Double = random.chance(0.5) ? 1 : -1
        let powerW = powerSign * random.uniform(30, 60)
        return Anomaly(
            endMs: timestampMs + durationMs,
            temperatureOffsetC: temperature ? temperatureC : 0,
            vibrationOffsetMPerS2: vibration ? vibrationMPerS2 : 0,
            powerOffsetW: power ? powerW : 0)
    }
}
