import OutpostCore

/// One input of a model as the tools see it: the CSV column, its fixed-point decimals and the
/// core feature it corresponds to.
public struct ModelFeature: Equatable {
    /// The CSV column name.
    public var column: String
    /// Decimal digits d: the model's fixed-point value is `value × 10^d` (−9...9).
    public var decimals: Int
    /// `Feature.rawValue` of the core feature with this column name, or 0xFF for another column.
    public var coreCode: UInt8
    /// What the input takes from the column: its value, or a feature of the sensor's history
    /// (format version 3; only for core features).
    public var context: ContextKind = .value

    /// Bytes of the name field in the model's feature table.
    public static let nameSizeBytes = 16

    public init(column: String, decimals: Int, coreCode: UInt8, context: ContextKind = .value) {
        precondition(decimals >= -9 && decimals <= 9, "decimals out of range")
        precondition(context == .value || Int(coreCode) < SensorContext.featureSlots, "context inputs are for core features")
        self.column = column
        self.decimals = decimals
        self.coreCode = coreCode
        self.context = context
    }

    /// How the tools name the input: the column, with `:kind` for a context input (`temperature:z`).
    public var displayName: String {
        context == .value ? column : column + ":" + context.name.description
    }

    /// A feature for `column`, with the core code looked up from the column name.
    public init(column: String, decimals: Int) {
        self.init(column: column, decimals: decimals, coreCode: ModelFeature.coreCode(forColumn: column))
    }

    /// The core feature code of a CSV column name (`temperature` → 0 ... `power_consumption` → 4),
    /// or 0xFF when the column is not one of the five.
    public static func coreCode(forColumn column: String) -> UInt8 {
        for index in 0..<Feature.count {
            if let feature = Feature.at(index), feature.name.description == column { return feature.rawValue }
        }
        return ForestModel.notCoreFeature
    }

    /// The CSV column a model feature reads: the core feature's column name when it is one (the
    /// 16-byte name field cuts `power_consumption` to `power_consumptio`), else the stored name.
    public static func column(coreCode: UInt8, storedName: String) -> String {
        if coreCode != ForestModel.notCoreFeature, let feature = Feature(rawValue: coreCode) {
            return feature.name.description
        }
        return storedName
    }

    /// Checks that `column` can be a model feature: printable ASCII, and at most 16 bytes unless
    /// it is a core feature (whose full name is recovered from the core code).
    public static func validate(column: String, command: String) throws(ToolError) {
        let bytes = Array(column.utf8)
        if bytes.isEmpty { throw ToolError("\(command): empty feature name") }
        if !bytes.allSatisfy({ $0 >= 0x20 && $0 <= 0x7E }) {
            throw ToolError("\(command): feature '\(column)': a model feature name must be printable ASCII")
        }
        if bytes.count > nameSizeBytes && coreCode(forColumn: column) == ForestModel.notCoreFeature {
            throw ToolError("\(command): feature '\(column)': names of non-core features are limited to \(nameSizeBytes) bytes in the model format")
        }
    }

    /// The 16-byte name field: the column name cut to 16 bytes, NUL padded.
    public var nameField: [UInt8] {
        var bytes = Array(column.utf8.prefix(ModelFeature.nameSizeBytes))
        bytes.append(contentsOf: repeatElement(0, count: ModelFeature.nameSizeBytes - bytes.count))
        return bytes
    }
}
