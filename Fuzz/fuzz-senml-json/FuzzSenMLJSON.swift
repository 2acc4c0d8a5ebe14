// libFuzzer target: the SenML JSON decoder and the JSON scanner (see FuzzCoAP.swift for the
// build modes).
import OutpostCore

#if !OUTPOST_FUZZING
import FuzzReplay

@main
struct FuzzSenMLJSONReplay {
    static func main() { FuzzReplay.run(CommandLine.arguments, fuzz) }
}
#endif

/// Decodes the input as a SenML JSON pack and checks the result's invariants; then scans it as
/// plain JSON at the deepest nesting the scanner allows, to the end or the first error.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let readings = UnsafeMutableBufferPointer<Reading>.allocate(capacity: 4)
    defer { readings.deallocate() }
    do {
        let result = try SenMLDecoder.decodeJSON(input, nowMs: 1_700_000_000_000, into: readings)
        FuzzChecks.check(result, readings)
    } catch {
        precondition(error.offsetBytes <= size, "error offset past the input")
    }
    var scanner = JSONScanner(input, maxDepth: JSONScanner.depthLimit)
    for _ in 0...size {
        guard let token = try? scanner.next() else { break }
        if case .string(let start, let end, _) = token {
            var bytes = 0
            scanner.forEachUnescapedByte(start: start, end: end) { _ in bytes += 1 }
            precondition(bytes <= (end - start) * 2, "unescaped text longer than possible")
        }
        if token == .end { break }
    }
    return 0
}

enum FuzzChecks {
    /// A decoded pack's readings are within the buffer, named, and have whole locations.
    static func check(_ result: SenMLDecodeResult, _ readings: UnsafeMutableBufferPointer<Reading>) {
        precondition(result.readingCount >= 0 && result.readingCount <= readings.count, "reading count out of range")
        precondition(result.unknownQuantityCount >= 0)
        for i in 0..<result.readingCount {
            let reading = readings[i]
            precondition(reading.sensor.count > 0, "reading without a sensor")
            precondition(reading.timestampMs >= 0, "negative timestamp")
            if let location = reading.location {
                precondition(location.latitudeE7 >= -900_000_000 && location.latitudeE7 <= 900_000_000, "latitude out of range")
                precondition(location.longitudeE7 >= -1_800_000_000 && location.longitudeE7 <= 1_800_000_000, "longitude out of range")
            }
            if let battery = reading.batteryMilliPercent { precondition(battery >= 0 && battery <= 100_000, "battery out of range") }
            let hasValue = reading.features.presentMask != 0 || reading.location != nil || reading.batteryMilliPercent != nil
            precondition(hasValue, "reading without any value")
        }
    }
}
