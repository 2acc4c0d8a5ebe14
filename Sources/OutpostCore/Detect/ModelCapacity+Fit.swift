extension ModelCapacity {
    /// The counts of a model file's header against the capacity, before the file is validated:
    /// a file too large for the slot is refused with the count that does not fit rather than as
    /// truncated. Nil when the counts fit or the bytes are not a version 1, 2 or 3 header (the full
    /// validation then names the defect).
    ///
    /// - Complexity: O(1).
    public func check(header bytes: UnsafeRawBufferPointer) -> ModelMismatch? {
        guard let base = bytes.baseAddress, bytes.count >= 20 else { return nil }
        let version = ForestModel.loadUInt16(base, 4)
        guard ForestModel.loadUInt32(base, 0) == 0x4649_504F,
            version >= ForestModel.formatVersion && version <= ForestModel.contextFormatVersion
        else { return nil }
        let features = Int(truncatingIfNeeded: ForestModel.loadUInt16(base, 8))
        let trees = Int(truncatingIfNeeded: ForestModel.loadUInt16(base, 10))
        let nodes = Int(truncatingIfNeeded: ForestModel.loadUInt32(base, 16))
        return check(trees: trees, nodes: nodes, features: features)
    }

    /// The counts against the capacity, trees first.
    /// - Complexity: O(1).
    public func check(trees: Int, nodes: Int, features: Int) -> ModelMismatch? {
        if trees > self.trees { return .trees(count: trees, limit: self.trees) }
        if nodes > self.nodes { return .nodes(count: nodes, limit: self.nodes) }
        if features > self.features { return .features(count: features, limit: self.features) }
        return nil
    }

    /// A validated model against this build: it must name `profile` (format version 2 or 3), fit
    /// the capacity, and every input must be one of the core's quantities, its name (cut to the
    /// format's 16 bytes) and its code agreeing; a context input needs a build that keeps context.
    ///
    /// - Complexity: O(featureCount).
    public func check(_ model: ForestModel, profile: StaticString) -> ModelMismatch? {
        guard let name = model.profileName else { return .noProfileName }
        if !ModelCapacity.nameField(name, equals: profile) { return .otherProfile }
        if let counts = check(trees: model.treeCount, nodes: model.nodeCount, features: model.featureCount) { return counts }
        for i in 0..<model.featureCount {
            let code = model.featureCoreCode(i)
            guard let feature = Feature(rawValue: code), ModelCapacity.nameField(model.featureName(i), equals: feature.name) else {
                return .unknownFeature(index: i)
            }
            if model.featureContextKind(i) != .value && !contextInputs { return .contextNotInBuild(index: i) }
        }
        return nil
    }

    /// True when the 16-byte NUL-padded `field` holds `text` cut to 16 bytes.
    static func nameField(_ field: UnsafeRawBufferPointer, equals text: StaticString) -> Bool {
        precondition(field.count == 16, "a name field is 16 bytes")
        let length = min(text.utf8CodeUnitCount, 16)
        for i in 0..<16 {
            let expected: UInt8 = i < length ? text.utf8Start[i] : 0
            if field[i] != expected { return false }
        }
        return true
    }
}
