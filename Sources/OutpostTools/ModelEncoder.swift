import OutpostCore

/// Writes a trained forest as a model file (docs/MODEL_FORMAT.md): format version 1, or version 2
/// when it names the profile it was made for.
public enum ModelEncoder {
    /// The decision threshold, in the header's two forms.
    public struct Threshold: Equatable, Sendable {
        /// round(s_thr × 65536), 0...65536 (display and confidence only).
        public var scoreQ16: UInt32
        /// A sample is an anomaly iff its path sum is at most this.
        public var pathSum: Int64

        public init(scoreQ16: UInt32, pathSum: Int64) {
            precondition(scoreQ16 <= 65536, "score threshold above 1")
            self.scoreQ16 = scoreQ16
            self.pathSum = pathSum
        }

        /// A placeholder that flags nothing (used before calibration).
        public static let never = Threshold(scoreQ16: 65536, pathSum: -1)
    }

    /// The model file's bytes, CRC-32C trailer included: version 3 when an input is a context
    /// input (it needs `profile`), else version 2 with `profile` (1 to 16 printable ASCII bytes,
    /// checked by `validateProfile`), else version 1.
    /// - Complexity: O(nodes + trees + features).
    public static func encode(forest: TrainedForest, features: [ModelFeature], threshold: Threshold, profile: String? = nil) -> [UInt8] {
        precondition(features.count == forest.featureCount, "one feature entry per input")
        precondition(forest.roots.count >= 1 && forest.roots.count <= ForestModel.treeLimit, "tree count out of range")
        precondition(forest.nodes.count <= ForestModel.nodeLimit, "too many nodes")
        precondition(forest.sampleSize >= 2 && forest.sampleSize <= 0xFFFF, "sample size out of range")
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ForestModel.headerSizeBytes + 20 * features.count + 4 * forest.roots.count + 8 * forest.nodes.count + 4)
        // Header, 40 bytes.
        bytes.append(contentsOf: Array("OPIF".utf8))
        let context = features.contains { $0.context != .value }
        precondition(!context || profile != nil, "a model with context inputs (version 3) names its profile")
        let version = context ? ForestModel.contextFormatVersion : profile == nil ? ForestModel.formatVersion : ForestModel.profileFormatVersion
        appendLittleEndian(version, to: &bytes)
        appendLittleEndian(UInt16(profile == nil ? ForestModel.headerSizeBytes : ForestModel.profileHeaderSizeBytes), to: &bytes)
        appendLittleEndian(UInt16(features.count), to: &bytes)
        appendLittleEndian(UInt16(forest.roots.count), to: &bytes)
        appendLittleEndian(UInt16(forest.sampleSize), to: &bytes)
        appendLittleEndian(UInt16(0), to: &bytes)  // flags
        appendLittleEndian(UInt32(forest.nodes.count), to: &bytes)
        appendLittleEndian(forest.cPsiQ16, to: &bytes)
        appendLittleEndian(threshold.scoreQ16, to: &bytes)
        appendLittleEndian(UInt32(0), to: &bytes)  // reserved
        appendLittleEndian(UInt64(bitPattern: threshold.pathSum), to: &bytes)
        precondition(bytes.count == ForestModel.headerSizeBytes, "header must be 40 bytes")
        if let profile {
            // Version 2: the profile's name, a 16-byte field like a feature's.
            precondition((1...ModelFeature.nameSizeBytes).contains(profile.utf8.count), "profile name of 1 to 16 bytes")
            bytes.append(contentsOf: ModelFeature(column: profile, decimals: 0, coreCode: ForestModel.notCoreFeature).nameField)
        }
        // Feature table, 20 bytes each.
        for feature in features {
            bytes.append(UInt8(bitPattern: Int8(feature.decimals)))
            bytes.append(feature.coreCode)
            bytes.append(feature.context.rawValue)  // version 3's context kind; 0 in versions 1 and 2
            bytes.append(0)
            bytes.append(contentsOf: feature.nameField)
        }
        // Tree table.
        for root in forest.roots { appendLittleEndian(UInt32(root), to: &bytes) }
        // Node table.
        for node in forest.nodes {
            if let feature = node.feature {
                appendLittleEndian(UInt16(feature), to: &bytes)
                appendLittleEndian(UInt16(node.rightOffset), to: &bytes)
            } else {
                appendLittleEndian(ForestModel.leafFeature, to: &bytes)
                appendLittleEndian(UInt16(0), to: &bytes)
            }
            appendLittleEndian(UInt32(bitPattern: node.value), to: &bytes)
        }
        let crc = bytes.withUnsafeBytes { CRC32C.checksum($0) }
        appendLittleEndian(crc, to: &bytes)
        return bytes
    }

    static func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        var little = value.littleEndian
        withUnsafeBytes(of: &little) { bytes.append(contentsOf: $0) }
    }

    /// Checks a `--profile` value: 1 to 16 printable ASCII bytes (the format's name field).
    public static func validateProfile(_ name: String, command: String) throws(ToolError) {
        let bytes = Array(name.utf8)
        if bytes.isEmpty || bytes.count > ModelFeature.nameSizeBytes || !bytes.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) {
            throw ToolError("\(command): --profile '\(name)': a profile name is 1 to 16 printable ASCII bytes (low, medium, high, test)")
        }
    }
}
