extension ForestModel {
    /// Validates `bytes` against every rule of docs/MODEL_FORMAT.md (format version 1; 2 with
    /// the profile name after the 40 bytes version 1 shares; 3 with a context kind per input) and reads the header. The bytes are borrowed and must outlive the model.
    ///
    /// Checks run in the documented order, so each defect maps to one error: length, magic,
    /// version, counts, exact size, CRC-32C, then every field, feature entry, tree range and node.
    /// Each tree is walked once in pre-order with a small explicit stack, which proves that it is
    /// a proper binary tree filling exactly its range, no deeper than `depthLimit`. After that no
    /// walk can leave the node table or loop, which is what lets evaluation skip all checks.
    ///
    /// - Complexity: O(bytes.count) time (the CRC and one pass over the nodes), O(1) space.
    public init(bytes: UnsafeRawBufferPointer) throws(ModelError) {
        let minimumBytes = ForestModel.headerSizeBytes + ForestModel.trailerSizeBytes
        guard let base = bytes.baseAddress, bytes.count >= minimumBytes else { throw .tooShort }
        let magic = ForestModel.loadUInt32(base, 0)
        guard magic == 0x4649_504F else { throw .badMagic }  // "OPIF" little-endian
        let version = ForestModel.loadUInt16(base, 4)
        guard version >= ForestModel.formatVersion && version <= ForestModel.contextFormatVersion else {
            throw .unsupportedVersion(version)
        }
        let expectedHeaderSize = version == ForestModel.formatVersion ? ForestModel.headerSizeBytes : ForestModel.profileHeaderSizeBytes

        let headerSize = ForestModel.loadUInt16(base, 6)
        let features = ForestModel.loadUInt16(base, 8)
        let trees = ForestModel.loadUInt16(base, 10)
        let nodesRaw = ForestModel.loadUInt32(base, 16)
        guard Int(truncatingIfNeeded: headerSize) == expectedHeaderSize, features >= 1, features <= 64, trees >= 1, trees <= 1024,
            nodesRaw >= UInt32(trees), nodesRaw <= 16_777_216
        else { throw .malformed }
        let featureCount = Int(truncatingIfNeeded: features)
        let treeCount = Int(truncatingIfNeeded: trees)
        let nodeCount = Int(truncatingIfNeeded: nodesRaw)

        // At most 40 + 1280 + 4096 + 2^27 + 4 bytes: fits a 32-bit Int.
        let featuresOffset = expectedHeaderSize
        let rootsOffset = featuresOffset + featureCount * ForestModel.featureEntrySizeBytes
        let nodesOffset = rootsOffset + treeCount * 4
        let trailerOffset = nodesOffset + nodeCount * ForestModel.nodeSizeBytes
        let totalBytes = trailerOffset + ForestModel.trailerSizeBytes
        if bytes.count < totalBytes { throw .tooShort }
        if bytes.count > totalBytes { throw .malformed }

        let body = UnsafeRawBufferPointer(start: base, count: trailerOffset)
        guard CRC32C.checksum(body) == ForestModel.loadUInt32(base, trailerOffset) else { throw .badChecksum }

        let sampleSize = ForestModel.loadUInt16(base, 12)
        let flags = ForestModel.loadUInt16(base, 14)
        let cPsiQ16 = ForestModel.loadUInt32(base, 20)
        let thresholdScoreQ16 = ForestModel.loadUInt32(base, 24)
        let reserved = ForestModel.loadUInt32(base, 28)
        guard sampleSize >= 2, flags == 0, reserved == 0, cPsiQ16 >= 65536, thresholdScoreQ16 <= 65536 else {
            throw .malformed
        }
        // Versions 2 and 3: the profile the model was made for, named like a feature.
        if version != ForestModel.formatVersion && !ForestModel.isValidName(base + ForestModel.headerSizeBytes) {
            throw .malformed
        }

        var coreScale = InlineArray<64, Int32>(repeating: 1)
        var coreCode = InlineArray<64, UInt8>(repeating: ForestModel.notCoreFeature)
        var coreMask: UInt8 = 0
        var allCore = true
        var usesContext = false
        for i in 0..<featureCount {
            let entry = featuresOffset + i * ForestModel.featureEntrySizeBytes
            let decimals = ForestModel.loadInt8(base, entry)
            let code = ForestModel.loadUInt8(base, entry + 1)
            // Version 3 names a context kind in the first reserved byte; versions 1 and 2 keep both 0.
            let kind = ForestModel.loadUInt8(base, entry + 2)
            if version == ForestModel.contextFormatVersion && kind > ContextKind.rawLimit {
                throw .unknownContextKind(feature: UInt16(truncatingIfNeeded: i), kind: kind)
            }
            guard decimals >= -9, decimals <= 9, code <= 4 || code == ForestModel.notCoreFeature,
                kind == 0 || version == ForestModel.contextFormatVersion,
                ForestModel.loadUInt8(base, entry + 3) == 0,
                ForestModel.isValidName(base + (entry + 4))
            else { throw .malformed }
            if kind != 0 {
                // History is kept for the core's quantities only.
                guard Int(truncatingIfNeeded: code) < SensorContext.featureSlots else { throw .malformed }
                usesContext = true
            }
            coreScale[i] = ForestModel.coreScale(decimals: Int(decimals))
            coreCode[i] = code
            if code == ForestModel.notCoreFeature {
                allCore = false
            } else {
                coreMask |= 1 &<< code
            }
        }

        let roots = base + rootsOffset
        let nodes = base + nodesOffset
        var deepest = 0
        for t in 0..<treeCount {
            let start = ForestModel.loadUInt32(roots, t * 4)
            let end = t + 1 < treeCount ? ForestModel.loadUInt32(roots, (t + 1) * 4) : nodesRaw
            // Back to back from node 0, strictly increasing: every node belongs to one tree.
            guard t > 0 || start == 0, start < end, end <= nodesRaw else { throw .malformed }
            let depth = try ForestModel.validateTree(
                nodes: nodes, start: Int(truncatingIfNeeded: start), end: Int(truncatingIfNeeded: end),
                featureCount: features)
            deepest = max(deepest, depth)
        }

        self.featureCount = featureCount
        self.treeCount = treeCount
        self.sampleSize = Int(truncatingIfNeeded: sampleSize)
        self.nodeCount = nodeCount
        self.cPsiQ16 = cPsiQ16
        self.thresholdScoreQ16 = thresholdScoreQ16
        self.pathSumThreshold = ForestModel.loadInt64(base, 32)
        self.maxDepth = deepest
        self.base = base
        self.roots = roots
        self.nodes = nodes
        self.coreScale = coreScale
        self.coreCode = coreCode
        self.coreMask = coreMask
        self.allCore = allCore
        self.usesContext = usesContext
    }

    /// Walks the tree occupying nodes `[start, end)` in pre-order and returns its deepest leaf's
    /// depth; throws `.malformed` unless it is a proper binary tree filling exactly that range,
    /// with valid splits (feature < F, right child inside the tree) and leaves (right = 0,
    /// 0 ≤ h ≤ Int32.max − 1), no deeper than `depthLimit`.
    ///
    /// Why a stack: in pre-order the node after a finished left subtree must be the pending right
    /// child, so popping the pending child and requiring it to be the next index proves every
    /// `right` offset exact. The stack holds one pending right child per ancestor plus the node
    /// being entered: at most depthLimit + 1 entries.
    ///
    /// - Complexity: O(end − start).
    static func validateTree(
        nodes: UnsafeRawPointer, start: Int, end: Int, featureCount: UInt16
    ) throws(ModelError) -> Int {
        precondition(start >= 0 && start < end)
        // Each entry packs a node index (< 2^24) and its depth (< 64): index << 6 | depth.
        var pending = InlineArray<64, UInt32>(repeating: 0)
        pending[0] = UInt32(truncatingIfNeeded: start) &<< 6
        var pendingCount = 1
        var deepest = 0
        // The loop's limit is the tree's node count: each iteration consumes one node.
        for index in start..<end {
            guard pendingCount > 0 else { throw .malformed }  // nodes left over after the tree ended
            pendingCount -= 1
            let entry = pending[pendingCount]
            guard Int(truncatingIfNeeded: entry &>> 6) == index else { throw .malformed }
            let depth = Int(truncatingIfNeeded: entry & 63)
            let offset = index * ForestModel.nodeSizeBytes
            let feature = ForestModel.loadUInt16(nodes, offset)
            let right = ForestModel.loadUInt16(nodes, offset + 2)
            let value = ForestModel.loadInt32(nodes, offset + 4)
            if feature == ForestModel.leafFeature {
                // Int32.max is reserved: the batched walk parks leaves by comparing it against h.
                guard right == 0, value >= 0, value < Int32.max else { throw .malformed }
                deepest = max(deepest, depth)
            } else {
                let rightIndex = index + Int(truncatingIfNeeded: right)
                guard feature < featureCount, right >= 2, rightIndex < end, depth < ForestModel.depthLimit,
                    pendingCount + 2 <= 64
                else { throw .malformed }
                let childDepth = UInt32(truncatingIfNeeded: depth + 1)
                pending[pendingCount] = UInt32(truncatingIfNeeded: rightIndex) &<< 6 | childDepth
                pending[pendingCount + 1] = UInt32(truncatingIfNeeded: index + 1) &<< 6 | childDepth
                pendingCount += 2
            }
        }
        // A split whose children lie past the end was refused above; anything pending is a bug.
        guard pendingCount == 0 else { throw .malformed }
        return deepest
    }

    /// True when the 16 bytes at `name` are printable ASCII, at least one, then only NULs.
    static func isValidName(_ name: UnsafeRawPointer) -> Bool {
        var ended = false
        for i in 0..<16 {
            let byte = name.load(fromByteOffset: i, as: UInt8.self)
            if byte == 0 {
                if i == 0 { return false }
                ended = true
            } else if ended || byte < 0x20 || byte > 0x7E {
                return false
            }
        }
        return true
    }

    /// The scale from a core value (3 decimals) to a model input with `decimals` d: 10^(d−3) as a
    /// multiplier when d ≥ 3, −10^(3−d) as a floor divisor when d < 3.
    ///
    /// Why Int32 suffices: multipliers are at most 10^6. Divisors above 2^31 (10^10...10^12) give
    /// the same floor for every Int32 value as 2^31 does (0 for v ≥ 0, −1 for v < 0), so they are
    /// stored as Int32.min, i.e. −2^31.
    public static func coreScale(decimals: Int) -> Int32 {
        precondition(decimals >= -9 && decimals <= 9)
        let exponent = decimals - 3
        var power: Int64 = 1
        // At most 12 rounds (d = −9).
        for _ in 0..<(exponent < 0 ? -exponent : exponent) { power *= 10 }
        if exponent >= 0 { return Int32(truncatingIfNeeded: power) }
        return power > 2_147_483_648 ? Int32.min : Int32(truncatingIfNeeded: -power)
    }
}
