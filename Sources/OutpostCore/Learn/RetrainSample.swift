/// The on-board learner's sample: a ring of the most recent model input rows of readings judged
/// normal (no threshold warning or alert, the forest's verdict not anomalous), and the feature
/// table those rows follow (the 20-byte entries of docs/MODEL_FORMAT.md), so a forest built from
/// them reads the same inputs.
///
/// The inputs are the running model's (its feature table, each row made by
/// `ForestModel.inputs(core:into:)`); without a model, the core quantities present in the first
/// sampled reading, at 3 decimals (the core's own units). Rows have a fixed stride of
/// `featureCapacity` Int32 and live in the static arena; a profile with a capacity of 0 carves
/// nothing and samples nothing.
public struct RetrainSample {
    /// Rows the ring holds at most (the profile's `retrainSampleCount`).
    public let capacity: Int
    /// Inputs per row at most (the profile's model capacity).
    public let featureCapacity: Int
    /// `capacity × featureCapacity` inputs, row-major.
    let rows: UnsafeMutablePointer<Int32>?
    /// The feature entries of the rows (`featureCapacity × 20` bytes; the first `featureCount` used).
    let entries: UnsafeMutableRawPointer?
    /// Rows kept (the most recent `window`), 1...capacity; the learner's `--retrain-window`.
    public internal(set) var window: Int
    /// Rows held now (at most `window`).
    public internal(set) var count = 0
    /// Where the next row is written (0..<window).
    var next = 0
    /// Inputs per row; 0 until the first row fixes them.
    public internal(set) var featureCount = 0
    /// Without a running model: the core quantities the rows take (bit `Feature.rawValue`).
    var coreMask: UInt8 = 0
    /// No row is added while frozen: until learning is turned on, and while a forest is built
    /// from the rows (the builder reads them in place).
    public var frozen = true
    /// Rows offered while sampling (kept or not), for `/health`; stops at UInt32.max.
    public internal(set) var offered: UInt32 = 0

    /// No ring: samples nothing (before learning is set up, and in a profile that does not learn).
    public init() {
        capacity = 0
        featureCapacity = 0
        window = 1
        rows = nil
        entries = nil
    }

    /// Carves the ring and the feature table (nothing for a capacity of 0).
    /// - Complexity: O(1) in a zeroed arena.
    public init(arena: inout Arena, capacity: Int, featureCapacity: Int) {
        precondition(capacity >= 0 && capacity <= 65_535, "sample capacity out of 0...65535")
        precondition(featureCapacity >= 0 && featureCapacity <= ForestModel.featureLimit, "feature capacity out of range")
        self.capacity = capacity
        self.featureCapacity = capacity > 0 ? featureCapacity : 0
        window = max(capacity, 1)
        if capacity > 0 && featureCapacity > 0 {
            rows = arena.carve(capacity * featureCapacity, of: Int32(0)).baseAddress
            entries = UnsafeMutableRawPointer(arena.carve(featureCapacity * ForestModel.featureEntrySizeBytes, of: UInt8(0)).baseAddress)
        } else {
            rows = nil
            entries = nil
        }
    }

    /// Arena bytes `init` carves after `usedBytes` bytes.
    /// - Complexity: O(1).
    public static func arenaBytes(after usedBytes: Int, capacity: Int, featureCapacity: Int) -> Int {
        if capacity == 0 || featureCapacity == 0 { return usedBytes }
        let ring = Arena.bytes(after: usedBytes, capacity * featureCapacity, of: Int32.self)
        return Arena.bytes(after: ring, featureCapacity * ForestModel.featureEntrySizeBytes, of: UInt8.self)
    }

    /// True when the profile samples at all.
    public var enabled: Bool { rows != nil }

    /// Row `index` (0..<count) of the ring, `featureCapacity` apart.
    /// - Complexity: O(1).
    public func row(_ index: Int) -> UnsafePointer<Int32> {
        precondition(index >= 0 && index < count, "row out of the sample")
        return UnsafePointer(rows! + index &* featureCapacity)
    }

    /// The feature entries of the rows: `featureCount × 20` bytes.
    /// - Complexity: O(1).
    public var featureEntries: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: entries.map { UnsafeRawPointer($0) }, count: featureCount * ForestModel.featureEntrySizeBytes)
    }

    /// Empties the ring and forgets its inputs (a new running model may read others) and keeps
    /// `window` rows from now on (clamped to 1...capacity).
    /// - Complexity: O(1).
    public mutating func reset(window: Int) {
        self.window = min(max(window, 1), max(capacity, 1))
        count = 0
        next = 0
        featureCount = 0
        coreMask = 0
    }
}
