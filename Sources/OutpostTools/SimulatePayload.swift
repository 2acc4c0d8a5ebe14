import Foundation
import OutpostCore

/// SenML packs of one generated reading, as the simulator sends them (`POST /readings`).
enum SimulatePayload {
    enum Format: String {
        case senmlJSON = "senml-json"
        case senmlCBOR = "senml-cbor"

        var contentFormat: UInt16 { self == .senmlJSON ? CoAPContentFormat.senmlJSON : CoAPContentFormat.senmlCBOR }
    }

    /// The (name, unit, value) records of `reading` (units the daemon's SenML decoder accepts).
    static func records(_ reading: SimulatedSensor.Reading, latitude: Double, longitude: Double) -> [(String, String, Double)] {
        var records: [(String, String, Double)] = [
            ("temperature", "Cel", reading.temperatureC), ("humidity", "%RH", reading.humidityPercent),
            ("pressure", "hPa", reading.pressureHPa), ("vibration", "m/s2", reading.vibrationMPerS2),
            ("power", "W", reading.powerW),
        ]
        if let battery = reading.batteryPercent { records.append(("battery", "%EL", battery)) }
        records.append(("lat", "lat", latitude))
        records.append(("lon", "lon", longitude))
        return records
    }

    /// The pack: base name `sensor/`, base time in seconds, then one record per quantity. Values
    /// are rounded to the decimals the CSV labels carry, so the labels and the pack agree.
    static func pack(
        sensor: String, timestampMs: Int64, reading: SimulatedSensor.Reading, latitude: Double, longitude: Double, format: Format
    ) -> [UInt8] {
        let records = records(reading, latitude: latitude, longitude: longitude)
        let time = Double(timestampMs) / 1_000
        switch format {
        case .senmlJSON:
            var text = "[{\"bn\":\"\(sensor)/\",\"bt\":" + DecimalFormat.string(time, decimals: 3)
            for (index, (name, unit, value)) in records.enumerated() {
                let decimals = name == "lat" || name == "lon" ? 6 : 3
                text += (index == 0 ? "," : ",{") + "\"n\":\"\(name)\",\"u\":\"\(unit)\",\"v\":" + DecimalFormat.string(value, decimals: decimals) + "}"
            }
            return Array((text + "]").utf8)
        case .senmlCBOR:
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1_024, alignment: 8)
            defer { buffer.deallocate() }
            var writer = CBORWriter(buffer: buffer)
            writer.head(major: 4, argument: UInt64(records.count))
            for (index, (name, unit, value)) in records.enumerated() {
                writer.head(major: 5, argument: index == 0 ? 5 : 3)
                if index == 0 {
                    writer.int(-2)
                    Array((sensor + "/").utf8).withUnsafeBytes { writer.text($0) }
                    writer.int(-3)
                    writer.float64(time)
                }
                writer.int(0)
                Array(name.utf8).withUnsafeBytes { writer.text($0) }
                writer.int(1)
                Array(unit.utf8).withUnsafeBytes { writer.text($0) }
                writer.int(2)
                let decimals = name == "lat" || name == "lon" ? 6 : 3
                writer.float64(Double(DecimalFormat.string(value, decimals: decimals)) ?? value)
            }
            precondition(!writer.overflowed, "a reading's pack fits 1 KiB")
            return Array(writer.bytes)
        }
    }

    /// A CoAP POST /readings carrying `payload` (with No-Response = 2 when `noResponse`).
    static func request(
        confirmable: Bool, messageID: UInt16, token: UInt64, payload: [UInt8], format: Format, noResponse: Bool = false
    ) -> [UInt8] {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: payload.count + 64, alignment: 8)
        defer { buffer.deallocate() }
        guard var writer = try? CoAPMessageWriter(
            buffer: buffer, type: confirmable ? .confirmable : .nonConfirmable, code: .post, messageID: messageID,
            token: CoAPToken(value: token, count: 4))
        else { preconditionFailure("header fits") }
        _ = try? writer.appendOption(.uriPath, text: "readings")
        _ = try? writer.appendOption(.contentFormat, uint: UInt32(format.contentFormat))
        if noResponse { _ = try? writer.appendOption(.noResponse, uint: 2) }
        payload.withUnsafeBytes { _ = try? writer.appendPayload($0) }
        return Array(writer.message)
    }
}
