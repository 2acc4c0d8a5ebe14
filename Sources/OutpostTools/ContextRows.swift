import OutpostCore

/// Model input rows for a model with context inputs, made from a CSV of readings by the same core
/// code the daemon runs: each row goes through `ReadingCSV.parse` (the parser of `outpost replay`
/// and the serial line) and then through `ForestModel.inputRow` with its sensor's `SensorContext`,
/// kept per sensor id in file order. So `train`, `score` and `eval` see the rows the board sees.
enum ContextRows {
    /// The table's rows as readings, in file order. The table must have the reading columns of
    /// `outpost-tool gen` (docs/CSV_FORMAT.md), as `outpost replay` requires.
    /// - Throws: a `ToolError` naming the file, line and column of a row the daemon would refuse.
    /// - Complexity: O(rows × row length).
    static func readings(table: CSVTable) throws(ToolError) -> [Reading] {
        let header = Array(table.columns.joined(separator: ",").utf8)
        let checked: Result<Void, CSVRowError> = header.withUnsafeBytes { bytes in
            Result { () throws(CSVRowError) in try ReadingCSV.checkHeader(bytes) }
        }
        if case .failure(let error) = checked {
            throw ToolError(
                "\(table.name): a model with context inputs reads readings per sensor: the columns must be those of outpost-tool gen (\(SensorGenerator.columns.joined(separator: ","))); column \(error.column): \(error.reason)")
        }
        var readings: [Reading] = []
        readings.reserveCapacity(table.rowCount)
        var line: [UInt8] = []
        for row in 0..<table.rowCount {
            line.removeAll(keepingCapacity: true)
            for column in 0..<table.columns.count {
                if column > 0 { line.append(0x2C) }
                line.append(contentsOf: table.field(row: row, column: column))
            }
            let parsed: Result<Reading, CSVRowError> = line.withUnsafeBytes { bytes in
                Result { () throws(CSVRowError) in try ReadingCSV.parse(bytes) }
            }
            switch parsed {
            case .success(let reading):
                readings.append(reading)
            case .failure(let error):
                let where_ = error.column > 0 ? ":\(error.column) (\(ReadingCSV.columnName(error.column)))" : ""
                throw ToolError("\(table.name):\(table.line(ofRow: row))\(where_): \(error.reason)")
            }
        }
        return readings
    }

    /// The row-major input matrix of `forest` over `table`: `ForestModel.inputRow` per reading,
    /// each sensor with its own history from the start of the file.
    /// - Throws: when a row lacks a quantity the model reads (the board would not score it).
    /// - Complexity: O(rows × features).
    static func inputs(forest: ForestModel, table: CSVTable) throws(ToolError) -> [Int32] {
        let readings = try readings(table: table)
        let width = forest.featureCount
        var values = [Int32](repeating: 0, count: readings.count * width)
        var histories: [[UInt8]: History] = [:]
        var row = InlineArray<64, Int32>(repeating: 0)
        for (index, reading) in readings.enumerated() {
            let sensor = key(reading.sensor)
            var history = histories[sensor] ?? History()
            let complete = forest.inputRow(
                core: reading.features, timestampMs: reading.timestampMs, previousMs: history.newestMs, context: &history.context, into: &row)
            history.newestMs = max(history.newestMs, reading.timestampMs)
            histories[sensor] = history
            if !complete {
                throw ToolError("\(table.name):\(table.line(ofRow: index)): the row lacks a quantity the model reads (every input needs a value)")
            }
            for i in 0..<width { values[index * width + i] = row[i] }
        }
        return values
    }

    /// What the board keeps of one sensor for its context inputs: the `SensorContext` and the
    /// newest timestamp of its readings (the window store's, `WindowStore.newestMs(sensor:)`).
    struct History {
        var context = SensorContext.empty
        var newestMs = Int64.min
    }

    /// The context values of `features` (their `coreCode` and `context`) over `readings`, in the
    /// core's 3-decimal scale, before any conversion to a model's decimals: what `train` chooses
    /// decimals from. Each value is `FeatureContext.input` before the reading is folded in, as
    /// `ForestModel.inputRow` computes it.
    /// - Complexity: O(rows × features).
    static func coreValues(features: [ModelFeature], readings: [Reading], name: String, lines: (Int) -> Int) throws(ToolError) -> [Int32] {
        let width = features.count
        var values = [Int32](repeating: 0, count: readings.count * width)
        var histories: [[UInt8]: History] = [:]
        for (index, reading) in readings.enumerated() {
            let sensor = key(reading.sensor)
            var history = histories[sensor] ?? History()
            for (i, feature) in features.enumerated() {
                guard let quantity = Feature(rawValue: feature.coreCode), let value = reading.features[quantity] else {
                    throw ToolError("\(name):\(lines(index)): no value of '\(feature.column)' (every input needs a value)")
                }
                values[index * width + i] = history.context.input(
                    feature.context, code: quantity.index, value: value, timestampMs: reading.timestampMs, previousMs: history.newestMs)
            }
            history.context.fold(reading.features)
            history.newestMs = max(history.newestMs, reading.timestampMs)
            histories[sensor] = history
        }
        return values
    }

    /// A sensor's name as a dictionary key.
    static func key(_ name: SensorName) -> [UInt8] { (0..<Int(name.count)).map { name[$0] } }
}
