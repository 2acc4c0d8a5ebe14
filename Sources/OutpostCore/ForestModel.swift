/// Why a model file was refused.
public enum ModelError: Error, Equatable, Sendable {
    case tooShort
    case badMagic
    case unsupportedVersion(UInt16)
    case badChecksum
    case malformed
}

/// A compact Isolation Forest loaded from its baked bytes (docs/MODEL_FORMAT.md), evaluated in
/// fixed point. The bytes are borrowed, never copied: they live in the binary's read-only data.
public struct ForestModel {
    /// Validates `bytes` and reads the header.
    public init(bytes: UnsafeRawBufferPointer) throws(ModelError) {
        throw .malformed  // STUB
    }

    /// Scores a reading's core fixed-point features; nil when a feature the model needs is absent.
    public func score(core: FeatureVector) -> ForestScore? {
        nil  // STUB
    }
}
