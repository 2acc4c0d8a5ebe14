import Foundation
import OutpostCore

/// A fitted scikit-learn `IsolationForest` as `scripts/export_sklearn.py` writes it
/// (docs/SKLEARN_IMPORT.md): per tree the node arrays of sklearn's `tree_`, with feature indices
/// already mapped to the model's input columns, plus `max_samples_` and `offset_`.
struct SklearnForest {
    struct Tree {
        var childrenLeft: [Int]
        var childrenRight: [Int]
        var feature: [Int]
        var threshold: [Double]
        var samples: [Int]
    }

    var featureCount: Int
    var maxSamples: Int
    var offset: Double
    var trees: [Tree]

    /// The document's `format` member.
    static let formatName = "outpost-sklearn-isolation-forest"

    /// Parses and checks the JSON document `bytes` (named `name` in messages).
    static func parse(_ bytes: [UInt8], name: String) throws(ToolError) -> SklearnForest {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(bytes))
        } catch {
            throw ToolError("\(name): not JSON (\(error.localizedDescription))")
        }
        guard let root = object as? [String: Any] else { throw ToolError("\(name): the document is not a JSON object") }
        guard root["format"] as? String == formatName else {
            throw ToolError("\(name): \"format\" is not \"\(formatName)\" (write it with scripts/export_sklearn.py)")
        }
        guard let version = root["version"] as? Int, version == 1 else {
            throw ToolError("\(name): unsupported \"version\" (this build reads version 1)")
        }
        let featureCount = try integer(root, "n_features_in", name: name, in: 1...ForestModel.featureLimit)
        let maxSamples = try integer(root, "max_samples", name: name, in: 2...0xFFFF)
        guard let offset = root["offset"] as? Double, offset.isFinite else { throw ToolError("\(name): \"offset\" is not a number") }
        guard let treeList = root["trees"] as? [[String: Any]], !treeList.isEmpty else {
            throw ToolError("\(name): \"trees\" is not a non-empty list of objects")
        }
        if treeList.count > ForestModel.treeLimit {
            throw ToolError("\(name): \(treeList.count) trees; the model format holds at most \(ForestModel.treeLimit)")
        }
        var trees: [Tree] = []
        for (t, entry) in treeList.enumerated() {
            let what = "\(name): tree \(t)"
            let tree = Tree(
                childrenLeft: try integers(entry, "children_left", what: what),
                childrenRight: try integers(entry, "children_right", what: what),
                feature: try integers(entry, "feature", what: what),
                threshold: try doubles(entry, "threshold", what: what),
                samples: try integers(entry, "n_node_samples", what: what))
            let n = tree.childrenLeft.count
            guard n >= 1, tree.childrenRight.count == n, tree.feature.count == n, tree.threshold.count == n, tree.samples.count == n else {
                throw ToolError("\(what): the node arrays are empty or of different lengths")
            }
            trees.append(tree)
        }
        return SklearnForest(featureCount: featureCount, maxSamples: maxSamples, offset: offset, trees: trees)
    }

    static func integer(_ object: [String: Any], _ key: String, name: String, in range: ClosedRange<Int>) throws(ToolError) -> Int {
        guard let value = object[key] as? Int, range.contains(value) else {
            throw ToolError("\(name): \"\(key)\" must be an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    static func integers(_ object: [String: Any], _ key: String, what: String) throws(ToolError) -> [Int] {
        guard let list = object[key] as? [Any] else { throw ToolError("\(what): \"\(key)\" is not a list") }
        var values: [Int] = []
        values.reserveCapacity(list.count)
        for item in list {
            guard let number = item as? NSNumber, let value = Int(exactly: number.doubleValue) else {
                throw ToolError("\(what): \"\(key)\" holds a value that is not an integer")
            }
            values.append(value)
        }
        return values
    }

    static func doubles(_ object: [String: Any], _ key: String, what: String) throws(ToolError) -> [Double] {
        guard let list = object[key] as? [Any] else { throw ToolError("\(what): \"\(key)\" is not a list") }
        var values: [Double] = []
        values.reserveCapacity(list.count)
        for item in list {
            guard let number = item as? NSNumber, number.doubleValue.isFinite else {
                throw ToolError("\(what): \"\(key)\" holds a value that is not a finite number")
            }
            values.append(number.doubleValue)
        }
        return values
    }
}
