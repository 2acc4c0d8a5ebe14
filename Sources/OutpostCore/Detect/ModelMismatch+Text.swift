extension ModelMismatch {
    /// Says what does not fit, for the daemon's message: "model has 120 trees, profile medium holds
    /// 100". `file` holds the refused model's bytes (the names are read from it) and `profile` is
    /// this build's.
    ///
    /// - Complexity: O(1).
    public func write(file: UnsafeRawBufferPointer, profile: StaticString, into w: inout TextWriter) {
        switch self {
        case .noProfileName:
            w.text("model format version 1 names no profile; write it in version 2 with `outpost-tool train --profile ")
            w.text(profile)
            w.text("` (or `outpost-tool import --profile ")
            w.text(profile)
            w.text("`)")
        case .otherProfile:
            w.text("model was made for profile ")
            ModelMismatch.writeName(file, at: ForestModel.headerSizeBytes, into: &w)
            w.text(", this build is profile ")
            w.text(profile)
        case .trees(let count, let limit):
            ModelMismatch.writeCount(count, "trees", limit, profile, &w)
        case .nodes(let count, let limit):
            ModelMismatch.writeCount(count, "nodes", limit, profile, &w)
        case .features(let count, let limit):
            ModelMismatch.writeCount(count, "features", limit, profile, &w)
        case .unknownFeature(let index):
            w.text("model feature ")
            w.integer(index.wide)
            w.text(" '")
            ModelMismatch.writeName(file, at: ForestModel.profileHeaderSizeBytes + index * ForestModel.featureEntrySizeBytes + 4, into: &w)
            w.text("' is not a quantity this gateway detects on (")
            for raw in 0..<Feature.count {
                if raw > 0 { w.text(", ") }
                w.text(Feature.at(raw)!.name)
            }
            w.text(")")
        case .contextNotInBuild(let index):
            w.text("model feature ")
            w.integer(index.wide)
            w.text(" '")
            ModelMismatch.writeName(file, at: ForestModel.profileHeaderSizeBytes + index * ForestModel.featureEntrySizeBytes + 4, into: &w)
            w.text("' is a context input (")
            let kind = file[ForestModel.profileHeaderSizeBytes + index * ForestModel.featureEntrySizeBytes + 2]
            w.text(ContextKind(rawValue: kind)?.name ?? "?")
            w.text("), which profile ")
            w.text(profile)
            w.text(" does not keep")
        }
    }

    static func writeCount(_ count: Int, _ what: StaticString, _ limit: Int, _ profile: StaticString, _ w: inout TextWriter) {
        w.text("model has ")
        w.integer(count.wide)
        w.byte(0x20)
        w.text(what)
        w.text(", profile ")
        w.text(profile)
        w.text(" holds ")
        w.integer(limit.wide)
    }

    /// The NUL-padded 16-byte name at `offset` of `file`, JSON-escaped (it is printable ASCII
    /// in a validated model).
    static func writeName(_ file: UnsafeRawBufferPointer, at offset: Int, into w: inout TextWriter) {
        if offset + 16 > file.count { return }
        var length = 0
        while length < 16 && file[offset + length] != 0 { length += 1 }
        w.jsonEscaped(UnsafeRawBufferPointer(rebasing: file[offset..<(offset + length)]))
    }
}
