import OutpostCore

/// A model file validated and opened with the core's `ForestModel`, the same loader and evaluator
/// the firmware runs, so the tools' scores and decisions are the device's to the bit.
///
/// `ForestModel` borrows its bytes; this class owns a 16-byte-aligned copy (as the firmware's
/// baked array is aligned) for as long as the model is in use.
public final class LoadedModel {
    /// How the model is named in messages (its path).
    public let name: String
    /// The file's bytes.
    public let bytes: [UInt8]
    /// The core evaluator over `storage`.
    public let forest: ForestModel
    let storage: UnsafeMutableRawBufferPointer

    /// Validates `bytes` with the core loader.
    /// - Throws: a `ToolError` naming `name` and the defect (bad magic, version, checksum, ...).
    public init(bytes: [UInt8], name: String) throws(ToolError) {
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, bytes.count), alignment: 16)
        storage.copyBytes(from: bytes)
        do {
            forest = try ForestModel(bytes: UnsafeRawBufferPointer(rebasing: storage[0..<bytes.count]))
        } catch {
            storage.deallocate()
            throw LoadedModel.describe(error, name: name, sizeBytes: bytes.count)
        }
        self.storage = storage
        self.bytes = bytes
        self.name = name
    }

    /// Reads and validates the model file at `path`.
    public static func load(_ path: String) throws(ToolError) -> LoadedModel {
        try LoadedModel(bytes: try FileBytes.read(path), name: FileBytes.displayName(path))
    }

    deinit { storage.deallocate() }

    /// The message for a refused model.
    static func describe(_ error: ModelError, name: String, sizeBytes: Int) -> ToolError {
        switch error {
        case .tooShort:
            return ToolError("\(name): not a complete model file (\(sizeBytes) bytes; truncated or empty)")
        case .badMagic:
            return ToolError("\(name): not an Outpost model file (bad magic, expected \"OPIF\")")
        case .unsupportedVersion(let version):
            return ToolError("\(name): unsupported model format version \(version) (this build reads versions \(ForestModel.formatVersion), \(ForestModel.profileFormatVersion) and \(ForestModel.contextFormatVersion))")
        case .badChecksum:
            return ToolError("\(name): model checksum mismatch (CRC-32C): the file is damaged")
        case .unknownContextKind(let feature, let kind):
            return ToolError("\(name): model feature \(feature) asks for context kind \(kind), which this build does not know (0 value, 1 z, 2 rate, 3...5 lag1...lag3; docs/MODEL_FORMAT.md, version 3)")
        case .malformed:
            return ToolError("\(name): malformed model file (breaks a rule of docs/MODEL_FORMAT.md)")
        }
    }

    /// The model's inputs: decimals, core code and the CSV column each one reads.
    public var features: [ModelFeature] {
        (0..<forest.featureCount).map { index in
            let field = forest.featureName(index)
            let stored = String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
            let code = forest.featureCoreCode(index)
            return ModelFeature(
                column: ModelFeature.column(coreCode: code, storedName: stored),
                decimals: forest.featureDecimals(index), coreCode: code, context: forest.featureContextKind(index))
        }
    }

    /// The path sum of every row of `inputs` (row-major, `featureCount` values per row).
    /// - Complexity: O(rows × trees × depth).
    public func pathSums(inputs: [Int32]) -> [Int64] {
        let width = forest.featureCount
        precondition(inputs.count % width == 0, "inputs must be whole rows")
        let rows = inputs.count / width
        return inputs.withUnsafeBufferPointer { buffer in
            (0..<rows).map { row in forest.pathSum(inputs: buffer.baseAddress! + row * width) }
        }
    }

    /// The core's verdict on every row of `inputs`, with the batched evaluator.
    /// - Complexity: O(rows × trees × depth).
    public func scores(inputs: [Int32]) -> [ForestScore] {
        let width = forest.featureCount
        precondition(inputs.count % width == 0, "inputs must be whole rows")
        let rows = inputs.count / width
        if rows == 0 { return [] }
        let empty = ForestScore(scoreQ16: 0, anomaly: false, confidenceQ16: 0)
        var result = [ForestScore](repeating: empty, count: rows)
        inputs.withUnsafeBufferPointer { input in
            result.withUnsafeMutableBufferPointer { output in
                forest.scoreBatch(inputs: input.baseAddress!, count: rows, into: output.baseAddress!)
            }
        }
        return result
    }

    /// Finds the model's input columns in `table` and converts every row to fixed point. A model
    /// with context inputs reads the table as readings (`ContextRows`): each row through the
    /// daemon's CSV parser and the core's `inputRow` with its sensor's history, as the board does.
    public func inputs(from table: CSVTable) throws(ToolError) -> [Int32] {
        if forest.usesContext { return try ContextRows.inputs(forest: forest, table: table) }
        let features = self.features
        var columns: [Int] = []
        for feature in features { columns.append(try table.columnIndex(feature.column)) }
        return try FixedInputs.matrix(table: table, columns: columns, decimals: features.map(\.decimals))
    }
}
