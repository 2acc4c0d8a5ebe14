/// A compact Isolation Forest loaded from its bytes (docs/MODEL_FORMAT.md), evaluated in fixed
/// point. The bytes are borrowed, never copied: they live in the binary's read-only data (a baked
/// model) or in an arena slot (a model file, `ModelSlots`) and must outlive the model.
///
/// `init(bytes:)` checks every rule of the format once, so that evaluation needs no checks at all:
/// every walk from a root moves strictly forward inside its tree and ends at a leaf within
/// `maxDepth + 1` steps. The hot loops therefore use raw pointers and wrapping arithmetic.
public struct ForestModel {
    /// Number of model inputs F (1...64).
    public let featureCount: Int
    /// Number of trees T (1...1024).
    public let treeCount: Int
    /// Sample size ψ each tree was grown from.
    public let sampleSize: Int
    /// Number of nodes N in all trees.
    public let nodeCount: Int
    /// c(ψ) in Q16: the average path length of an unsuccessful search in a tree of ψ samples.
    public let cPsiQ16: UInt32
    /// The decision threshold as a score in Q16 (0...65536), for display and confidence.
    public let thresholdScoreQ16: UInt32
    /// A sample is an anomaly iff its path sum (Σ leaf h in Q16) is at most this value.
    public let pathSumThreshold: Int64
    /// Depth of the deepest leaf of any tree (0 for a forest of single leaves).
    public let maxDepth: Int
    // Version, offsets and checksum are read from the bytes rather than stored: the model sits in
    // the pipeline of every profile, whose footprint is counted to the byte.

    /// The format version of the bytes: 1, 2 (which names the profile) or 3 (which adds context inputs).
    public var version: UInt16 { ForestModel.loadUInt16(base, 4) }
    /// Byte offset of the feature table (the header's size: 40 in version 1, 56 in versions 2 and 3).
    var featuresOffset: Int { Int(truncatingIfNeeded: ForestModel.loadUInt16(base, 6)) }
    /// Size of the model in bytes, trailer included.
    public var byteCount: Int {
        featuresOffset + featureCount * ForestModel.featureEntrySizeBytes + treeCount * 4
            + nodeCount * ForestModel.nodeSizeBytes + ForestModel.trailerSizeBytes
    }
    /// The CRC-32C trailer: the model's identity in `/health` and in messages.
    public var checksum: UInt32 { ForestModel.loadUInt32(base, byteCount - ForestModel.trailerSizeBytes) }

    /// Start of the model bytes (the header).
    @usableFromInline let base: UnsafeRawPointer
    /// Start of the tree table: T little-endian UInt32 root indices.
    @usableFromInline let roots: UnsafeRawPointer
    /// Start of the node table: N nodes of 8 bytes.
    @usableFromInline let nodes: UnsafeRawPointer

    /// Per model input, how to get it from the core value (3 decimals of the reference unit):
    /// > 0 multiply by it (1 = unchanged), < 0 floor-divide by its magnitude. Precomputed at load;
    /// see `coreScale(decimals:)` for why Int32 is enough.
    @usableFromInline let coreScale: InlineArray<64, Int32>
    /// Per model input, the core `Feature.rawValue` it reads (meaningful only when `allCore`).
    @usableFromInline let coreCode: InlineArray<64, UInt8>
    /// Bit `Feature.rawValue` set for every core feature some model input reads.
    @usableFromInline let coreMask: UInt8
    /// True when every model input is a core feature, i.e. `score(core:)` can run at all.
    @usableFromInline let allCore: Bool
    /// True when some input is not the reading's value but a feature of the sensor's history
    /// (format version 3, `ContextKind`): the pipeline then scores with `score(core:timestampMs:context:)`.
    public let usesContext: Bool

    /// Largest feature count of the format; the size of the per-feature tables.
    public static let featureLimit = 64
    /// Largest tree count of the format.
    public static let treeLimit = 1024
    /// Largest node count of the format (keeps byte offsets within 32 bits).
    public static let nodeLimit = 1 << 24
    /// Deepest leaf the format allows (root = depth 0).
    public static let depthLimit = 63
    /// Header size of format version 1 in bytes (version 2 starts with the same 40 bytes).
    public static let headerSizeBytes = 40
    /// Header size of format version 2: version 1's 40 bytes and the 16-byte profile name.
    public static let profileHeaderSizeBytes = 56
    /// Feature table entry size in bytes.
    public static let featureEntrySizeBytes = 20
    /// Node size in bytes.
    public static let nodeSizeBytes = 8
    /// Trailer (CRC-32C) size in bytes.
    public static let trailerSizeBytes = 4
    /// The `feature` field of a leaf node.
    public static let leafFeature: UInt16 = 0xFFFF
    /// The `coreFeature` byte of an input that is not one of the core's features.
    public static let notCoreFeature: UInt8 = 0xFF
    /// Format version 1: no profile name (the profiles' baked models).
    public static let formatVersion: UInt16 = 1
    /// Format version 2: version 1 plus the name of the profile the model was made for.
    public static let profileFormatVersion: UInt16 = 2
    /// Format version 3: version 2 plus a context kind per input (`ContextKind`, the byte at
    /// relative offset 2 of a feature entry).
    public static let contextFormatVersion: UInt16 = 3

    /// The profile the model names (16 bytes of ASCII, NUL padded, borrowed from the model), or
    /// nil for a version 1 model, which names none.
    public var profileName: UnsafeRawBufferPointer? {
        if version == ForestModel.formatVersion { return nil }
        return UnsafeRawBufferPointer(start: base + ForestModel.headerSizeBytes, count: 16)
    }

    /// Decimal digits d of input `i`: the model's fixed-point value is `input × 10^d`.
    public func featureDecimals(_ i: Int) -> Int {
        precondition(i >= 0 && i < featureCount, "feature index out of range")
        return Int(ForestModel.loadInt8(base, featureOffset(i)))
    }

    /// The core `Feature.rawValue` input `i` is taken from, or 0xFF when it is not a core feature.
    public func featureCoreCode(_ i: Int) -> UInt8 {
        precondition(i >= 0 && i < featureCount, "feature index out of range")
        return base.load(fromByteOffset: featureOffset(i) + 1, as: UInt8.self)
    }

    /// The CSV column name of input `i`: 16 bytes of ASCII, NUL padded (borrowed from the model).
    public func featureName(_ i: Int) -> UnsafeRawBufferPointer {
        precondition(i >= 0 && i < featureCount, "feature index out of range")
        return UnsafeRawBufferPointer(start: base + (featureOffset(i) + 4), count: 16)
    }

    /// Byte offset of feature entry `i` from the start of the model.
    @inline(__always)
    func featureOffset(_ i: Int) -> Int { featuresOffset + i * ForestModel.featureEntrySizeBytes }
}
