/// How large a model file a profile takes at run time (`--model`): trees, nodes and inputs. Two
/// slots of `fileBytes` are carved from the static arena at start-up (`ModelSlots`); a file that
/// needs more is refused before it is validated, with the count that does not fit.
public struct ModelCapacity: Equatable, Sendable {
    /// Most trees a model may have (0: the profile takes no model file).
    public var trees: Int
    /// Most nodes of all trees together.
    public var nodes: Int
    /// Most inputs (features).
    public var features: Int
    /// Whether inputs may be context features (`ContextKind`, format version 3): the pipeline then
    /// keeps a `SensorContext` per sensor (`Profile.contextSensorCount`).
    public var contextInputs: Bool

    public init(trees: Int, nodes: Int, features: Int, contextInputs: Bool = true) {
        precondition(trees >= 0 && trees <= ForestModel.treeLimit, "tree capacity out of the format's range")
        precondition(nodes >= trees && nodes <= ForestModel.nodeLimit, "node capacity out of the format's range")
        precondition(features >= 0 && features <= ForestModel.featureLimit, "feature capacity out of the format's range")
        self.trees = trees
        self.nodes = nodes
        self.features = features
        self.contextInputs = contextInputs && trees > 0 && features > 0
    }

    /// No model file at all (the thresholds-only profiles).
    public static var none: ModelCapacity { ModelCapacity(trees: 0, nodes: 0, features: 0, contextInputs: false) }

    /// True when the profile takes a model file.
    public var allowsModel: Bool { trees > 0 && features > 0 }

    /// Bytes of the largest model file that fits: a version 2 header and full tables
    /// (docs/MODEL_FORMAT.md, "Layout"); 0 when no model is allowed.
    /// - Complexity: O(1).
    public var fileBytes: Int {
        if !allowsModel { return 0 }
        return ForestModel.profileHeaderSizeBytes + ForestModel.featureEntrySizeBytes * features + 4 * trees
            + ForestModel.nodeSizeBytes * nodes + ForestModel.trailerSizeBytes
    }
}
