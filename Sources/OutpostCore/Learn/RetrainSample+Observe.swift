extension RetrainSample {
    /// Adds the input row of a reading judged normal (the caller's judgement), replacing the
    /// oldest row once `window` rows are held. The first row fixes the inputs: the running
    /// model's, or the core quantities present. A reading without every input is skipped.
    ///
    /// - Complexity: O(featureCount).
    public mutating func observe(_ features: FeatureVector, forest: ForestModel?) {
        guard let rows, !frozen else { return }
        if offered < UInt32.max { offered &+= 1 }
        if featureCount == 0 && !adoptInputs(features, forest: forest) { return }
        let slot = rows + next &* featureCapacity
        if let forest {
            // The seam: the same function that makes the forest's inputs when it scores.
            guard forest.inputs(core: features, into: slot) else { return }
        } else {
            guard features.presentMask & coreMask == coreMask else { return }
            var column = 0
            // Five core quantities at most.
            for code in 0..<Feature.count where coreMask & (1 &<< UInt8(truncatingIfNeeded: code)) != 0 {
                slot[column] = features.values[code]
                column &+= 1
            }
        }
        next = next &+ 1 == window ? 0 : next &+ 1
        if count < window { count &+= 1 }
    }

    /// Fixes the rows' inputs from the running model's feature table, or from the core
    /// quantities `features` carries (3 decimals: the core's values unchanged). False when there
    /// is nothing to take (a model with more inputs than the ring's stride, with inputs that are
    /// not core quantities, or with context inputs, whose values depend on each sensor's history
    /// that a row of the ring does not carry; a reading with no quantity).
    /// - Complexity: O(featureCount).
    mutating func adoptInputs(_ features: FeatureVector, forest: ForestModel?) -> Bool {
        guard let entries else { return false }
        let entryBytes = ForestModel.featureEntrySizeBytes
        if let forest {
            guard forest.allCore, !forest.usesContext, forest.featureCount <= featureCapacity else { return false }
            // The entries are copied, not borrowed: the running model's slot may be reused.
            entries.copyMemory(from: forest.base + forest.featureOffset(0), byteCount: forest.featureCount * entryBytes)
            featureCount = forest.featureCount
            return true
        }
        let mask = features.presentMask & 0x1F
        guard mask != 0 else { return false }
        var column = 0
        var taken: UInt8 = 0
        // Five core quantities at most.
        for code in 0..<Feature.count where mask & (1 &<< UInt8(truncatingIfNeeded: code)) != 0 {
            guard column < featureCapacity, let feature = Feature.at(code) else { break }
            let entry = entries + column &* entryBytes
            entry.initializeMemory(as: UInt8.self, repeating: 0, count: entryBytes)
            entry.storeBytes(of: 3, as: Int8.self)
            entry.storeBytes(of: feature.rawValue, toByteOffset: 1, as: UInt8.self)
            let name = feature.name
            for i in 0..<min(name.utf8CodeUnitCount, 16) {
                entry.storeBytes(of: name.utf8Start[i], toByteOffset: 4 &+ i, as: UInt8.self)
            }
            taken |= 1 &<< feature.rawValue
            column &+= 1
        }
        guard column > 0 else { return false }
        coreMask = taken
        featureCount = column
        return true
    }
}
