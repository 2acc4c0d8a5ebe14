/// Why a CSV row could not be read as a reading.
public struct CSVRowError: Error, Equatable, Sendable {
    /// 1-based column of the offending field (0 for the row as a whole).
    public var column: Int
    /// What is wrong, for the message `FILE:LINE:COLUMN (name): reason`.
    public var reason: StaticString

    public init(column: Int, reason: StaticString) {
        self.column = column
        self.reason = reason
    }

    public static func == (a: CSVRowError, b: CSVRowError) -> Bool {
        a.column == b.column && a.reason.utf8Start == b.reason.utf8Start
    }
}

/// Readings as CSV rows in the column order of `outpost-tool gen` (docs/CSV_FORMAT.md): the input
/// of `outpost replay` and of the serial line mode.
///
/// `sensor_id,timestamp_ms,temperature,humidity,pressure,vibration,power_consumption,battery_level,latitude,longitude[,label]`
/// with temperature in °C, humidity in %RH, pressure in hPa, vibration in m/s², power in W, battery
/// in %, latitude/longitude in degrees. Empty value cells are absent values; `label` is ignored.
public enum ReadingCSV {
    /// Number of columns before the optional label.
    public static let columnCount = 10

    /// Column names, in order (1-based column n is `columnNames[n - 1]`).
    public static func columnName(_ column: Int) -> StaticString {
        switch column {
        case 1: return "sensor_id"
        case 2: return "timestamp_ms"
        case 3: return "temperature"
        case 4: return "humidity"
        case 5: return "pressure"
        case 6: return "vibration"
        case 7: return "power_consumption"
        case 8: return "battery_level"
        case 9: return "latitude"
        case 10: return "longitude"
        case 11: return "label"
        default: return "?"
        }
    }

    /// Checks a header line: the first ten names in order, optionally `label` after them.
    public static func checkHeader(_ line: UnsafeRawBufferPointer) throws(CSVRowError) {
        var fields = FieldCursor(line: line)
        var column = 0
        while let field = fields.next() {
            column += 1
            if column > 11 { throw CSVRowError(column: column, reason: "unexpected extra column") }
            if !equals(field, columnName(column)) { throw CSVRowError(column: column, reason: "unexpected column name") }
        }
        if column < columnCount { throw CSVRowError(column: column + 1, reason: "missing column") }
    }

    /// Parses one data row (without its line end) into a normalised reading.
    /// - Complexity: O(n) in the length of the line.
    public static func parse(_ line: UnsafeRawBufferPointer) throws(CSVRowError) -> Reading {
        var fields = FieldCursor(line: line)
        guard let idField = fields.next(), let name = SensorName(idField.uint8.span) else {
            throw CSVRowError(column: 1, reason: "sensor_id must be 1-32 printable ASCII bytes")
        }
        guard let timeField = fields.next() else { throw CSVRowError(column: 2, reason: "missing column") }
        let timeMicro: Int64
        do { timeMicro = try DecimalText.microUnits(timeField.uint8.span) } catch {
            throw CSVRowError(column: 2, reason: "timestamp_ms is not a number")
        }
        if timeMicro % 1_000_000 != 0 || timeMicro < 0 {
            throw CSVRowError(column: 2, reason: "timestamp_ms must be a non-negative integer")
        }
        var reading = Reading(sensor: name, timestampMs: timeMicro / 1_000_000)
        let units: InlineArray<5, Unit> = [.celsius, .percentRelativeHumidity, .hectopascal, .metrePerSecondSquared, .watt]
        for f in 0..<Feature.count {
            let column = 3 + f
            guard let field = fields.next() else { throw CSVRowError(column: column, reason: "missing column") }
            guard let micro = try number(field, column: column) else { continue }
            let feature = Feature.at(f)!
            do {
                reading.features[feature] = try Normalise.feature(feature, micro: micro, unit: units[f])
            } catch {
                throw CSVRowError(column: column, reason: "value out of range")
            }
        }
        guard let batteryField = fields.next() else { throw CSVRowError(column: 8, reason: "missing column") }
        if let micro = try number(batteryField, column: 8) { reading.batteryMilliPercent = Normalise.battery(micro: micro) }
        guard let latField = fields.next() else { throw CSVRowError(column: 9, reason: "missing column") }
        guard let lonField = fields.next() else { throw CSVRowError(column: 10, reason: "missing column") }
        let lat = try number(latField, column: 9)
        let lon = try number(lonField, column: 10)
        if let lat, let lon {
            guard let latE7 = Normalise.degreesE7(micro: lat), lat >= -90_000_000, lat <= 90_000_000 else {
                throw CSVRowError(column: 9, reason: "latitude outside -90...90")
            }
            guard let lonE7 = Normalise.degreesE7(micro: lon) else {
                throw CSVRowError(column: 10, reason: "longitude outside -180...180")
            }
            reading.location = Location(latitudeE7: latE7, longitudeE7: lonE7)
        } else if (lat == nil) != (lon == nil) {
            throw CSVRowError(column: lat == nil ? 9 : 10, reason: "latitude and longitude go together")
        }
        if fields.next() != nil, fields.next() != nil {
            throw CSVRowError(column: 12, reason: "unexpected extra column")
        }
        return reading
    }

    /// A value cell: nil when empty, micro-units otherwise.
    static func number(_ field: UnsafeRawBufferPointer, column: Int) throws(CSVRowError) -> Int64? {
        if field.count == 0 { return nil }
        do {
            return try DecimalText.microUnits(field.uint8.span)
        } catch {
            throw CSVRowError(column: column, reason: "not a number")
        }
    }

    static func equals(_ field: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
        if field.count != text.utf8CodeUnitCount { return false }
        let start = text.utf8Start
        for i in 0..<field.count where field[i] != start[i] { return false }
        return true
    }
}

/// Splits a line at commas (no quoting: the reading columns never need it). A trailing CR is dropped.
struct FieldCursor {
    let line: UnsafeRawBufferPointer
    var position = 0
    var done = false

    init(line: UnsafeRawBufferPointer) {
        var end = line.count
        if end > 0 && line[end - 1] == 0x0D { end -= 1 }
        self.line = UnsafeRawBufferPointer(rebasing: line[0..<end])
    }

    mutating func next() -> UnsafeRawBufferPointer? {
        if done { return nil }
        var end = position
        while end < line.count && line[end] != 0x2C { end += 1 }
        let field = UnsafeRawBufferPointer(rebasing: line[position..<end])
        if end == line.count { done = true } else { position = end + 1 }
        return field
    }
}
