extension ForestModel {
    /// The context kind of input `i` (`ContextKind.value` for every input of versions 1 and 2).
    /// - Complexity: O(1).
    @inline(__always)
    public func featureContextKind(_ i: Int) -> ContextKind {
        precondition(i >= 0 && i < featureCount, "feature index out of range")
        // Validated at load: 0 in versions 1 and 2, at most `ContextKind.rawLimit` in version 3.
        return ContextKind(rawValue: ForestModel.loadUInt8(base, featureOffset(i) + 2)) ?? .value
    }

    /// The model's input row for one reading of a sensor: every input from the reading's core
    /// values and the sensor's history before it (`context`, and `previousMs`, the newest
    /// timestamp of the sensor's earlier readings or `Int64.min` before its first), scaled to the
    /// input's decimals; then the reading is folded into the history. False (the history still updated) when the model reads a
    /// quantity the reading lacks.
    ///
    /// This is the one place where model inputs are made from readings: the pipeline calls it per
    /// reading, and `outpost-tool train`, `score` and `eval` call it per CSV row, so the host's
    /// rows are the board's to the bit. Core values to inputs as in `score(core:)`.
    ///
    /// - Complexity: O(featureCount + `SensorContext.featureSlots`).
    public func inputRow(
        core: FeatureVector, timestampMs: Int64, previousMs: Int64, context: inout SensorContext,
        into inputs: inout InlineArray<64, Int32>
    ) -> Bool {
        let complete = allCore && core.presentMask & coreMask == coreMask
        if complete {
            for i in 0..<featureCount {
                let code = Int(truncatingIfNeeded: coreCode[i])
                let value = core.values[code]
                let kind = featureContextKind(i)
                let raw = kind == .value ? value : context.input(kind, code: code, value: value, timestampMs: timestampMs, previousMs: previousMs)
                inputs[i] = ForestModel.scaleCoreValue(raw, by: coreScale[i])
            }
        }
        context.fold(core)
        return complete
    }

    /// Scores a reading with the sensor's history (`inputRow`), which it updates; nil when a
    /// quantity the model reads is absent. For a model without context inputs this is
    /// `score(core:)` and the history is left alone.
    ///
    /// - Complexity: O(featureCount), plus `score(inputs:)`.
    public func score(core: FeatureVector, timestampMs: Int64, previousMs: Int64, context: inout SensorContext) -> ForestScore? {
        if !usesContext { return score(core: core) }
        var inputs = InlineArray<64, Int32>(repeating: 0)
        guard inputRow(core: core, timestampMs: timestampMs, previousMs: previousMs, context: &context, into: &inputs) else { return nil }
        return inputs.span.withUnsafeBufferPointer { buffer in
            score(inputs: buffer.baseAddress!)
        }
    }
}
