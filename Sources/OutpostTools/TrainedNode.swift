/// One node of a trained tree, already in the model format's terms (docs/MODEL_FORMAT.md).
public struct TrainedNode: Equatable {
    /// Input index of a split, or nil for a leaf.
    public var feature: Int?
    /// For a split: distance in nodes from this node to its right child (the left child is next).
    public var rightOffset: Int
    /// For a split: the threshold in fixed point (x ≤ threshold goes left).
    /// For a leaf: h = depth + c(leafSize) in Q16.
    public var value: Int32

    public static func leaf(pathLengthQ16: Int32) -> TrainedNode {
        TrainedNode(feature: nil, rightOffset: 0, value: pathLengthQ16)
    }
}
