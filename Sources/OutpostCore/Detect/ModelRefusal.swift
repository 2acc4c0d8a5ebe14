/// Why a model file was not taken at run time: it is not a valid model (`ModelError`), or it is
/// one that does not fit the build (`ModelMismatch`).
public enum ModelRefusal: Error, Equatable, Sendable {
    case format(ModelError)
    case mismatch(ModelMismatch)
}
