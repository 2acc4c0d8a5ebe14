/// A node the forest builder still has to grow: the sample positions it holds, its depth, and the
/// split whose right-child offset it settles (-1 when it is a left child or a root).
struct BuildFrame: BitwiseCopyable {
    var low: Int32
    var high: Int32
    var depth: Int32
    var patch: Int32

    static let empty = BuildFrame(low: 0, high: 0, depth: 0, patch: -1)
}
