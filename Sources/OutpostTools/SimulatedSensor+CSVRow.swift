extension SimulatedSensor {
    /// Appends the `gen` CSV row (docs/CSV_FORMAT.md) of `reading`, taken by this sensor under `id`
    /// at `timestampMs`, with its line end. `gen` and `simulate --labels` both write rows this way.
    func appendCSVRow(_ reading: Reading, id: [UInt8], timestampMs: Int64, to line: inout [UInt8]) {
        line.append(contentsOf: id)
        line.append(0x2C)
        DecimalFormat.append(timestampMs, to: &line)
        for value in [reading.temperatureC, reading.humidityPercent, reading.pressureHPa, reading.vibrationMPerS2, reading.powerW] {
            line.append(0x2C)
            DecimalFormat.append(value, decimals: 3, to: &line)
        }
        line.append(0x2C)
        if let battery = reading.batteryPercent { DecimalFormat.append(battery, decimals: 3, to: &line) }
        line.append(0x2C)
        DecimalFormat.append(latitudeDeg, decimals: 6, to: &line)
        line.append(0x2C)
        DecimalFormat.append(longitudeDeg, decimals: 6, to: &line)
        line.append(0x2C)
        line.append(reading.anomalous ? 0x31 : 0x30)
        line.append(0x0A)
    }
}
