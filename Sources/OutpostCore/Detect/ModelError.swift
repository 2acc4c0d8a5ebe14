/// Why a model file was refused (docs/MODEL_FORMAT.md, "Validation", gives the order of checks).
public enum ModelError: Error, Equatable, Sendable {
    /// Fewer bytes than the header (or the header's counts) require: a truncated file.
    case tooShort
    /// The first four bytes are not "OPIF".
    case badMagic
    /// A format version this build does not read.
    case unsupportedVersion(UInt16)
    /// The CRC-32C trailer does not match the bytes.
    case badChecksum
    /// Any other broken rule: counts out of range, trailing bytes, bad feature entries, a node or
    /// tree shape that could make the evaluator read out of bounds.
    case malformed
    /// Format version 3: input `feature` names a context kind this build does not know.
    case unknownContextKind(feature: UInt16, kind: UInt8)
}
