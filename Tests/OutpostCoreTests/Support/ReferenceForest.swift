import Foundation

/// A test-only Isolation Forest in `Double`: grows random isolation trees on generated data (the
/// algorithm of Liu, Ting and Zhou, 2008), evaluates them with unquantised thresholds and path
/// lengths, and serialises them in model format v1 (docs/MODEL_FORMAT.md) for the fixed-point core.
struct ReferenceForest {
    /// One model input.
    struct Input {
        var name: String
        /// Fixed-point decimals d of the model: a value x becomes `⌊x × 10^d⌋` (thresholds).
        var decimals: Int
        /// `Feature.rawValue` of the core, or 0xFF.
        var coreCode: UInt8
    }

    /// A node in pre-order: a split when `feature >= 0`, else a leaf.
    struct Node {
        var feature: Int
        /// Split value: x ≤ threshold goes left.
        var threshold: Double
        /// Offset of the right child from this node (splits only).
        var right: Int
        /// Path length h = depth + c(size) (leaves only).
        var pathLength: Double
        var depth: Int
    }

    var inputs: [Input]
    var trees: [[Node]]
    var sampleSize: Int
    /// The decision threshold as a score in (0, 1].
    var thresholdScore: Double

    static let eulerGamma = 0.5772156649

    /// c(n): average path length of an unsuccessful search in a binary search tree of n keys.
    static func c(_ n: Int) -> Double {
        if n <= 1 { return 0 }
        if n == 2 { return 1 }
        let m = Double(n)
        return 2 * (log(m - 1) + eulerGamma) - 2 * (m - 1) / m
    }

    // MARK: Evaluation in Double

    /// Path length of `row` in tree `t`.
    func pathLength(tree t: Int, row: [Double]) -> Double {
        let nodes = trees[t]
        var i = 0
        for _ in 0..<nodes.count {
            let node = nodes[i]
            if node.feature < 0 { return node.pathLength }
            i += row[node.feature] <= node.threshold ? 1 : node.right
        }
        fatalError("walk did not end at a leaf")
    }

    /// E[h(x)] over all trees.
    func averagePathLength(row: [Double]) -> Double {
        var sum = 0.0
        for t in 0..<trees.count { sum += pathLength(tree: t, row: row) }
        return sum / Double(trees.count)
    }

    /// s(x) = 2^(−E[h(x)]/c(ψ)).
    func score(row: [Double]) -> Double {
        pow(2, -averagePathLength(row: row) / ReferenceForest.c(sampleSize))
    }

    /// The reference decision: score at or above the threshold score.
    func isAnomaly(row: [Double]) -> Bool { score(row: row) >= thresholdScore }

    // MARK: Growing

    /// Grows `treeCount` isolation trees, each from `sampleSize` rows drawn without replacement
    /// from `rows`, with the height limit ⌈log₂ ψ⌉.
    static func grow(
        rows: [[Double]], inputs: [Input], treeCount: Int, sampleSize: Int, thresholdScore: Double,
        random: inout SplitMix64
    ) -> ReferenceForest {
        precondition(rows.count >= sampleSize && sampleSize >= 2)
        let heightLimit = Int(ceil(log2(Double(sampleSize))))
        var trees: [[Node]] = []
        for _ in 0..<treeCount {
            // Partial Fisher–Yates: the first `sampleSize` indices are a sample without replacement.
            var indices = Array(0..<rows.count)
            for i in 0..<sampleSize {
                let j = i + random.next(below: rows.count - i)
                indices.swapAt(i, j)
            }
            var nodes: [Node] = []
            growNode(
                rows: rows, sample: Array(indices[0..<sampleSize]), depth: 0, heightLimit: heightLimit,
                featureCount: inputs.count, random: &random, into: &nodes)
            trees.append(nodes)
        }
        return ReferenceForest(inputs: inputs, trees: trees, sampleSize: sampleSize, thresholdScore: thresholdScore)
    }

    private static func growNode(
        rows: [[Double]], sample: [Int], depth: Int, heightLimit: Int, featureCount: Int,
        random: inout SplitMix64, into nodes: inout [Node]
    ) {
        func leaf() {
            nodes.append(Node(feature: -1, threshold: 0, right: 0, pathLength: Double(depth) + c(sample.count), depth: depth))
        }
        if depth >= heightLimit || sample.count <= 1 { return leaf() }
        // Features on which the sample still differs; a constant one cannot split it.
        var candidates: [(feature: Int, low: Double, high: Double)] = []
        for f in 0..<featureCount {
            let values = sample.map { rows[$0][f] }
            let low = values.min()!, high = values.max()!
            if low < high { candidates.append((f, low, high)) }
        }
        if candidates.isEmpty { return leaf() }
        let pick = candidates[random.next(below: candidates.count)]
        // Uniform in [low, high): the minimum goes left, the maximum right, both sides non-empty.
        let threshold = pick.low + random.nextDouble() * (pick.high - pick.low)
        let left = sample.filter { rows[$0][pick.feature] <= threshold }
        let right = sample.filter { rows[$0][pick.feature] > threshold }
        let at = nodes.count
        nodes.append(Node(feature: pick.feature, threshold: threshold, right: 0, pathLength: 0, depth: depth))
        growNode(rows: rows, sample: left, depth: depth + 1, heightLimit: heightLimit, featureCount: featureCount, random: &random, into: &nodes)
        nodes[at].right = nodes.count - at
        growNode(rows: rows, sample: right, depth: depth + 1, heightLimit: heightLimit, featureCount: featureCount, random: &random, into: &nodes)
    }

    // MARK: Quantisation and serialisation (format v1)

    var cPsiQ16: UInt32 { UInt32((ReferenceForest.c(sampleSize) * 65536).rounded()) }
    var thresholdScoreQ16: UInt32 { UInt32((thresholdScore * 65536).rounded()) }

    /// ⌊−c(ψ) · log₂(s_thr) · T · 65536⌋ with c(ψ) taken from the header's Q16 value.
    var pathSumThreshold: Int64 {
        let c = Double(cPsiQ16) / 65536
        return Int64((-c * log2(thresholdScore) * Double(trees.count) * 65536).rounded(.down))
    }

    /// `value` in the fixed point of input `f`: ⌊value × 10^d⌋, clamped to Int32.
    func fixedThreshold(_ value: Double, input f: Int) -> Int32 {
        let d = inputs[f].decimals
        let scaled = d >= 0 ? value * pow(10, Double(d)) : value / pow(10, Double(-d))
        let floored = scaled.rounded(.down)
        if floored >= 2_147_483_647 { return Int32.max }
        if floored <= -2_147_483_648 { return Int32.min }
        return Int32(floored)
    }

    /// The model file bytes.
    func bytes() -> [UInt8] {
        var encoded: [[ModelBytes.RawNode]] = []
        for tree in trees {
            encoded.append(tree.map { node in
                if node.feature < 0 {
                    return ModelBytes.RawNode.leaf(Int32((node.pathLength * 65536).rounded()))
                }
                return ModelBytes.RawNode(
                    feature: UInt16(node.feature), right: UInt16(node.right),
                    value: fixedThreshold(node.threshold, input: node.feature))
            })
        }
        return ModelBytes.encode(
            inputs: inputs, trees: encoded, sampleSize: UInt16(sampleSize), cPsiQ16: cPsiQ16,
            thresholdScoreQ16: thresholdScoreQ16, pathSumThreshold: pathSumThreshold)
    }
}

/// Writes format v1 byte by byte from raw fields, so tests can build any model, good or bad.
enum ModelBytes {
    struct RawNode {
        var feature: UInt16
        var right: UInt16
        var value: Int32

        static func leaf(_ hQ16: Int32) -> RawNode { RawNode(feature: 0xFFFF, right: 0, value: hQ16) }
        static func split(_ feature: UInt16, _ threshold: Int32, right: UInt16) -> RawNode {
            RawNode(feature: feature, right: right, value: threshold)
        }
    }

    /// Offsets of the sections for given counts.
    static func featureOffset(_ i: Int) -> Int { 40 + 20 * i }
    static func rootsOffset(features: Int) -> Int { 40 + 20 * features }
    static func nodesOffset(features: Int, trees: Int) -> Int { 40 + 20 * features + 4 * trees }

    static func encode(
        inputs: [ReferenceForest.Input], trees: [[RawNode]], sampleSize: UInt16, cPsiQ16: UInt32,
        thresholdScoreQ16: UInt32, pathSumThreshold: Int64, version: UInt16 = 1, flags: UInt16 = 0,
        profile: String? = nil, kinds: [UInt8] = []
    ) -> [UInt8] {
        // A profile name makes it format version 2 (56-byte header) unless the version is forced.
        let version = profile != nil && version == 1 ? 2 : version
        var out: [UInt8] = []
        out += Array("OPIF".utf8)
        put(&out, version)
        put(&out, UInt16(profile != nil ? 56 : 40))
        put(&out, UInt16(inputs.count))
        put(&out, UInt16(trees.count))
        put(&out, sampleSize)
        put(&out, flags)
        put(&out, UInt32(trees.reduce(0) { $0 + $1.count }))
        put(&out, cPsiQ16)
        put(&out, thresholdScoreQ16)
        put(&out, UInt32(0))
        put(&out, UInt64(bitPattern: pathSumThreshold))
        if let profile {
            var name = Array(profile.utf8.prefix(16))
            name += [UInt8](repeating: 0, count: 16 - name.count)
            out += name
        }
        for (index, input) in inputs.enumerated() {
            out.append(UInt8(bitPattern: Int8(input.decimals)))
            out.append(input.coreCode)
            // Format version 3's context kind (0: the value).
            out += [index < kinds.count ? kinds[index] : 0, 0]
            var name = Array(input.name.utf8.prefix(16))
            name += [UInt8](repeating: 0, count: 16 - name.count)
            out += name
        }
        var root: UInt32 = 0
        for tree in trees {
            put(&out, root)
            root += UInt32(tree.count)
        }
        for tree in trees {
            for node in tree {
                put(&out, node.feature)
                put(&out, node.right)
                put(&out, UInt32(bitPattern: node.value))
            }
        }
        put(&out, crc32c(out))
        return out
    }

    /// Recomputes the trailer after a test edited the body.
    static func reseal(_ bytes: inout [UInt8]) {
        let body = bytes.count - 4
        let crc = crc32c(Array(bytes[0..<body]))
        for k in 0..<4 { bytes[body + k] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(k))) }
    }

    static func put<T: FixedWidthInteger>(_ out: inout [UInt8], _ value: T) {
        for k in 0..<(T.bitWidth / 8) { out.append(UInt8(truncatingIfNeeded: value >> (8 * k))) }
    }

    static func set<T: FixedWidthInteger>(_ bytes: inout [UInt8], at offset: Int, _ value: T) {
        for k in 0..<(T.bitWidth / 8) { bytes[offset + k] = UInt8(truncatingIfNeeded: value >> (8 * k)) }
    }

    /// Bit-by-bit CRC-32C, independent of the table-driven one under test.
    static func crc32c(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return crc ^ 0xFFFF_FFFF
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny deterministic generator for reproducible tests.
struct SplitMix64 {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<bound.
    mutating func next(below bound: Int) -> Int {
        precondition(bound > 0)
        return Int(next() % UInt64(bound))
    }

    /// Uniform in [0, 1).
    mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Standard normal (Box–Muller).
    mutating func nextGaussian() -> Double {
        let u = max(nextDouble(), 0x1p-53)
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * nextDouble())
    }
}

/// Rows of test data on each input's fixed-point grid: the model's integer inputs and the same
/// values as reference-unit doubles.
struct ForestDataSet {
    /// A feature's distribution for normal rows (Gaussian) and for outliers (uniform).
    struct Spec {
        var input: ReferenceForest.Input
        var mean: Double
        var deviation: Double
        var outlierLow: Double
        var outlierHigh: Double
    }

    var fixed: [Int32]  // row-major, rows × inputs
    var reference: [[Double]]

    var count: Int { reference.count }

    /// `count` rows: a fraction `outliers` uniform over each spec's outlier range, the rest Gaussian.
    static func generate(_ specs: [Spec], count: Int, outliers: Double, random: inout SplitMix64) -> ForestDataSet {
        var fixed: [Int32] = []
        var reference: [[Double]] = []
        fixed.reserveCapacity(count * specs.count)
        reference.reserveCapacity(count)
        for _ in 0..<count {
            let outlier = random.nextDouble() < outliers
            var row: [Double] = []
            for spec in specs {
                let value = outlier
                    ? spec.outlierLow + random.nextDouble() * (spec.outlierHigh - spec.outlierLow)
                    : spec.mean + spec.deviation * random.nextGaussian()
                let (k, x) = onGrid(value, decimals: spec.input.decimals)
                fixed.append(k)
                row.append(x)
            }
            reference.append(row)
        }
        return ForestDataSet(fixed: fixed, reference: reference)
    }

    /// `value` rounded to the 10^−d grid: the integer k and the double k / 10^d.
    static func onGrid(_ value: Double, decimals d: Int) -> (Int32, Double) {
        let scale = pow(10, Double(abs(d)))
        let k = (d >= 0 ? value * scale : value / scale).rounded()
        return (Int32(k), d >= 0 ? k / scale : k * scale)
    }

    /// The six inputs most forest tests use: the five core features at assorted decimals and
    /// one non-core input with negative decimals.
    static let standardSpecs: [Spec] = [
        Spec(input: .init(name: "temperature", decimals: 2, coreCode: 0), mean: 21, deviation: 3, outlierLow: -40, outlierHigh: 85),
        Spec(input: .init(name: "humidity", decimals: 1, coreCode: 1), mean: 45, deviation: 10, outlierLow: 0, outlierHigh: 100),
        Spec(input: .init(name: "pressure", decimals: 3, coreCode: 2), mean: 1013, deviation: 5, outlierLow: 900, outlierHigh: 1100),
        Spec(input: .init(name: "vibration", decimals: 4, coreCode: 3), mean: 0.5, deviation: 0.2, outlierLow: -5, outlierHigh: 20),
        Spec(input: .init(name: "power_consumption", decimals: 0, coreCode: 4), mean: 150, deviation: 40, outlierLow: 0, outlierHigh: 2000),
        Spec(input: .init(name: "rssi_x10", decimals: -1, coreCode: 0xFF), mean: 700, deviation: 150, outlierLow: -2000, outlierHigh: 5000),
    ]
}
