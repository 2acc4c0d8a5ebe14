import OutpostCore

/// A model with context inputs for the pipeline benchmark, made from a profile's baked model: the
/// same trees, with a z-score and a rate input per core quantity added to its feature table
/// (format version 3). The trees still split on the values only, so the figure beside the baked
/// model's measures what the context costs per reading (the history read, computed and updated
/// for every input), not a different forest shape.
enum ContextModel {
    /// The version 3 bytes (16-byte aligned, owned by the caller: `deallocate()` them), or nil
    /// when `baked` is nil or does not load.
    static func make(from baked: UnsafeRawBufferPointer?, profile: StaticString) -> UnsafeMutableRawBufferPointer? {
        guard let baked, let model = try? ForestModel(bytes: baked) else { return nil }
        let oldFeatures = model.featureCount
        let headerBytes = baked[4] == 1 ? 40 : 56
        let tablesStart = headerBytes + 20 * oldFeatures
        let tablesEnd = baked.count - 4
        let kinds: [ContextKind] = [.zScore, .rate]
        let added = Feature.count * kinds.count
        var bytes: [UInt8] = Array(baked[0..<40])
        bytes[4] = 3  // format version 3
        bytes[5] = 0
        bytes[6] = 56  // header size
        bytes[7] = 0
        let features = oldFeatures + added
        bytes[8] = UInt8(truncatingIfNeeded: features)
        bytes[9] = UInt8(truncatingIfNeeded: features >> 8)
        var name = [UInt8](repeating: 0, count: 16)
        for i in 0..<min(profile.utf8CodeUnitCount, 16) { name[i] = profile.utf8Start[i] }
        bytes += name
        bytes += Array(baked[headerBytes..<tablesStart])
        for kind in kinds {
            for raw in 0..<Feature.count {
                let feature = Feature.at(raw)!
                var entry: [UInt8] = [3, feature.rawValue, kind.rawValue, 0]
                var field = [UInt8](repeating: 0, count: 16)
                for i in 0..<min(feature.name.utf8CodeUnitCount, 16) { field[i] = feature.name.utf8Start[i] }
                entry += field
                bytes += entry
            }
        }
        bytes += Array(baked[tablesStart..<tablesEnd])
        let crc = bytes.withUnsafeBytes { CRC32C.checksum($0) }
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: crc >> UInt32(shift))) }
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 16)
        storage.copyBytes(from: bytes)
        guard let check = try? ForestModel(bytes: UnsafeRawBufferPointer(storage)), check.usesContext else {
            storage.deallocate()
            return nil
        }
        return storage
    }
}
