// libFuzzer target: the SenML CBOR decoder and the CBOR reader (see FuzzCoAP.swift for the
// build modes).
import OutpostCore

#if !OUTPOST_FUZZING
import FuzzReplay

@main
struct FuzzSenMLCBORReplay {
    static func main() { FuzzReplay.run(CommandLine.arguments, fuzz) }
}
#endif

/// Decodes the input as a SenML CBOR pack and checks the result's invariants; then walks it as a
/// CBOR sequence, skipping each item whole, concatenating every string's chunks.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let readings = UnsafeMutableBufferPointer<Reading>.allocate(capacity: 4)
    defer { readings.deallocate() }
    do {
        let result = try SenMLDecoder.decodeCBOR(input, nowMs: 1_700_000_000_000, into: readings)
        precondition(result.readingCount <= readings.count, "reading count out of range")
        for i in 0..<result.readingCount {
            precondition(readings[i].sensor.count > 0, "reading without a sensor")
            if let location = readings[i].location {
                precondition(location.latitudeE7 >= -900_000_000 && location.latitudeE7 <= 900_000_000, "latitude out of range")
                precondition(location.longitudeE7 >= -1_800_000_000 && location.longitudeE7 <= 1_800_000_000, "longitude out of range")
            }
        }
    } catch {
        precondition(error.offsetBytes <= size, "error offset past the input")
    }
    var reader = CBORReader(input, maxDepth: 16)
    for _ in 0...size {
        if reader.isAtEnd { break }
        guard let item = try? reader.read() else { break }
        switch item {
        case .text(let string), .bytes(let string):
            var bytes = 0
            reader.forEachByte(of: string) { _ in bytes += 1 }
            precondition(bytes <= string.end - string.start, "string longer than its range")
        default:
            break
        }
        guard (try? reader.skip(item)) != nil else { break }
    }
    return 0
}
