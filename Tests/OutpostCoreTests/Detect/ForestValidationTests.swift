import XCTest
@testable import OutpostCore

/// Bad models are refused with the documented error, in the documented order, and never crash.
final class ForestValidationTests: XCTestCase {
    typealias RawNode = ModelBytes.RawNode

    private func load(_ bytes: [UInt8]) -> Result<ForestModel, ModelError> {
        bytes.withUnsafeBytes { raw in
            do throws(ModelError) {
                return .success(try ForestModel(bytes: raw))
            } catch {
                return .failure(error)
            }
        }
    }

    private func assertRefused(_ bytes: [UInt8], _ expected: ModelError, _ message: String = "", line: UInt = #line) {
        switch load(bytes) {
        case .success: XCTFail("model accepted; expected \(expected). \(message)", line: line)
        case .failure(let error): XCTAssertEqual(error, expected, message, line: line)
        }
    }

    private var golden: [UInt8] { ForestModelTests.goldenBytes() }

    /// The golden model with one edit applied to the body, then resealed with a valid CRC.
    private func edited(_ edit: (inout [UInt8]) -> Void) -> [UInt8] {
        var bytes = golden
        edit(&bytes)
        ModelBytes.reseal(&bytes)
        return bytes
    }

    /// Offset of node `n` in the golden model (2 features, 2 trees).
    private func nodeOffset(_ n: Int) -> Int { ModelBytes.nodesOffset(features: 2, trees: 2) + 8 * n }

    private func model(_ trees: [[RawNode]], features: Int = 1) -> [UInt8] {
        let inputs = (0..<features).map { ReferenceForest.Input(name: "f\($0)", decimals: 3, coreCode: 0xFF) }
        return ModelBytes.encode(
            inputs: inputs, trees: trees, sampleSize: 256, cPsiQ16: 10 * 65536, thresholdScoreQ16: 40000,
            pathSumThreshold: 0)
    }

    func testGoldenLoads() {
        if case .failure(let error) = load(golden) { XCTFail("golden refused: \(error)") }
    }

    func testEmptyAndNilBuffersAreTooShort() {
        assertRefused([], .tooShort)
        XCTAssertThrowsError(try ForestModel(bytes: UnsafeRawBufferPointer(start: nil, count: 0)))
    }

    func testTruncatedAtEveryLengthIsTooShort() {
        let bytes = golden
        for length in 0..<bytes.count {
            assertRefused(Array(bytes[0..<length]), .tooShort, "length \(length)")
        }
    }

    func testTrailingBytesAreMalformed() {
        assertRefused(golden + [0], .malformed)
        assertRefused(golden + [UInt8](repeating: 0, count: 8), .malformed)
    }

    /// Every single-bit flip is refused. The error depends on the field the bit lands in: magic,
    /// version and header size have their own checks before the CRC; the counts change the
    /// expected size; every other bit is caught by the CRC.
    func testEveryBitFlipIsRefused() {
        let bytes = golden
        for bit in 0..<(bytes.count * 8) {
            var flipped = bytes
            let byte = bit / 8
            flipped[byte] ^= 1 << UInt8(bit % 8)
            let message = "bit \(bit) (byte \(byte))"
            switch byte {
            case 0..<4:
                assertRefused(flipped, .badMagic, message)
            case 4..<6:
                let version = UInt16(flipped[4]) | UInt16(flipped[5]) << 8
                // Version 3 is known: its header is 56 bytes, so the 40 of this file are malformed.
                assertRefused(flipped, version == 3 ? .malformed : .unsupportedVersion(version), message)
            case 6..<8:
                assertRefused(flipped, .malformed, message)
            case 8..<12, 16..<20:
                // Feature, tree and node counts: out of range, or a different expected size.
                switch load(flipped) {
                case .success: XCTFail("accepted: \(message)")
                case .failure(let error): XCTAssertTrue(error == .tooShort || error == .malformed, "\(message): \(error)")
                }
            default:
                assertRefused(flipped, .badChecksum, message)
            }
        }
    }

    func testBadMagic() {
        assertRefused(edited { $0[0] = UInt8(ascii: "X") }, .badMagic)
    }

    func testUnsupportedVersions() {
        for version: UInt16 in [0, 4, 0xFFFF] {
            let bytes = ModelBytes.encode(
                inputs: ForestModelTests.goldenInputs, trees: ForestModelTests.goldenTrees, sampleSize: 2,
                cPsiQ16: 65536, thresholdScoreQ16: 19661, pathSumThreshold: 0, version: version)
            assertRefused(bytes, .unsupportedVersion(version))
        }
    }

    func testHeaderFieldRules() {
        assertRefused(edited { ModelBytes.set(&$0, at: 6, UInt16(48)) }, .malformed, "header size")
        assertRefused(edited { ModelBytes.set(&$0, at: 12, UInt16(1)) }, .malformed, "ψ = 1")
        assertRefused(edited { ModelBytes.set(&$0, at: 12, UInt16(0)) }, .malformed, "ψ = 0")
        assertRefused(edited { ModelBytes.set(&$0, at: 14, UInt16(1)) }, .malformed, "flags")
        assertRefused(edited { ModelBytes.set(&$0, at: 20, UInt32(65535)) }, .malformed, "c(ψ) < 1")
        assertRefused(edited { ModelBytes.set(&$0, at: 24, UInt32(65537)) }, .malformed, "score threshold > 1")
        assertRefused(edited { ModelBytes.set(&$0, at: 28, UInt32(1)) }, .malformed, "reserved")
        // Any path-sum threshold is valid, negative included.
        if case .failure(let error) = load(edited({ ModelBytes.set(&$0, at: 32, Int64(-1)) })) {
            XCTFail("negative path-sum threshold refused: \(error)")
        }
    }

    func testCountRules() {
        // F = 0 and F = 65, T = 0, N < T: refused before the size check.
        assertRefused(edited { ModelBytes.set(&$0, at: 8, UInt16(0)) }, .malformed, "F = 0")
        assertRefused(edited { ModelBytes.set(&$0, at: 8, UInt16(65)) }, .malformed, "F = 65")
        assertRefused(edited { ModelBytes.set(&$0, at: 10, UInt16(0)) }, .malformed, "T = 0")
        assertRefused(edited { ModelBytes.set(&$0, at: 10, UInt16(1025)) }, .malformed, "T = 1025")
        assertRefused(edited { ModelBytes.set(&$0, at: 16, UInt32(1)) }, .malformed, "N < T")
        assertRefused(edited { ModelBytes.set(&$0, at: 16, UInt32(1 << 24 + 1)) }, .malformed, "N > 2^24")
        assertRefused(edited { ModelBytes.set(&$0, at: 16, UInt32.max) }, .malformed, "N huge")
    }

    func testLargestCountsLoad() {
        // 64 features and 1024 single-leaf trees are the format's limits.
        let trees = [[RawNode]](repeating: [.leaf(65536)], count: 1024)
        let bytes = model(trees, features: 64)
        switch load(bytes) {
        case .failure(let error): XCTFail("refused: \(error)")
        case .success(let model):
            XCTAssertEqual(model.featureCount, 64)
            XCTAssertEqual(model.treeCount, 1024)
            let inputs = [Int32](repeating: 0, count: 64)
            XCTAssertEqual(inputs.withUnsafeBufferPointer { model.pathSum(inputs: $0.baseAddress!) }, 1024 * 65536)
        }
    }

    func testFeatureEntryRules() {
        let entry = ModelBytes.featureOffset(1)
        assertRefused(edited { $0[entry] = 10 }, .malformed, "decimals 10")
        assertRefused(edited { $0[entry] = UInt8(bitPattern: -10) }, .malformed, "decimals −10")
        assertRefused(edited { $0[entry + 1] = 5 }, .malformed, "core code 5")
        assertRefused(edited { $0[entry + 2] = 1 }, .malformed, "reserved")
        assertRefused(edited { $0[entry + 4] = 0 }, .malformed, "empty name")
        assertRefused(edited { $0[entry + 5] = 0x80 }, .malformed, "non-ASCII name")
        assertRefused(edited { $0[entry + 5] = 0x0A }, .malformed, "control character in name")
        assertRefused(edited { $0[entry + 19] = UInt8(ascii: "x") }, .malformed, "text after the NUL padding")
        // Limits that are valid: decimals ±9, core code 0xFF, a full 16-byte name.
        for edit: (inout [UInt8]) -> Void in [
            { $0[entry] = 9 }, { $0[entry] = UInt8(bitPattern: -9) }, { $0[entry + 1] = 0xFF },
            { for k in 0..<16 { $0[entry + 4 + k] = UInt8(ascii: "a") } },
        ] {
            if case .failure(let error) = load(edited(edit)) { XCTFail("valid entry refused: \(error)") }
        }
    }

    func testTreeTableRules() {
        let roots = ModelBytes.rootsOffset(features: 2)
        assertRefused(edited { ModelBytes.set(&$0, at: roots, UInt32(1)) }, .malformed, "first root not 0")
        assertRefused(edited { ModelBytes.set(&$0, at: roots + 4, UInt32(0)) }, .malformed, "roots not increasing")
        assertRefused(edited { ModelBytes.set(&$0, at: roots + 4, UInt32(8)) }, .malformed, "root = N")
        assertRefused(edited { ModelBytes.set(&$0, at: roots + 4, UInt32.max) }, .malformed, "root far out")
        // Moving the boundary leaves tree A short of nodes and tree B starting inside A.
        assertRefused(edited { ModelBytes.set(&$0, at: roots + 4, UInt32(4)) }, .malformed, "boundary inside a tree")
        assertRefused(edited { ModelBytes.set(&$0, at: roots + 4, UInt32(6)) }, .malformed, "boundary after a tree")
    }

    func testSplitFeatureAtOrPastFIsRefused() {
        assertRefused(edited { ModelBytes.set(&$0, at: nodeOffset(0), UInt16(2)) }, .malformed, "feature = F")
        assertRefused(edited { ModelBytes.set(&$0, at: nodeOffset(2), UInt16(0xFFFE)) }, .malformed, "feature 0xFFFE")
    }

    func testRightOffsetsOutsideTheTreeAreRefused() {
        // Node 0 of tree A (5 nodes): right = 5 points at tree B's root; 0x FFFF far past the end.
        assertRefused(edited { ModelBytes.set(&$0, at: nodeOffset(0) + 2, UInt16(5)) }, .malformed, "into the next tree")
        assertRefused(edited { ModelBytes.set(&$0, at: nodeOffset(0) + 2, UInt16(0xFFFF)) }, .malformed, "past the end")
        // Last tree: node 5's right = 3 is node 8 = N.
        assertRefused(edited { ModelBytes.set(&$0, at: nodeOffset(5) + 2, UInt16(3)) }, .malformed, "past N")
        // Inside the tree but not the true right child: the pre-order check catches it.
        assertRefused(edited { ModelBytes.set(&$0, at: nodeOffset(0) + 2, UInt16(3)) }, .malformed, "wrong right child")
        assertRefused(edited { ModelBytes.set(&$0, at: nodeOffset(0) + 2, UInt16(1)) }, .malformed, "right = left")
        assertRefused(edited { ModelBytes.set(&$0, at: nodeOffset(0) + 2, UInt16(0)) }, .malformed, "right = self")
    }

    func testLeafRules() {
        assertRefused(edited { ModelBytes.set(&$0, at: nodeOffset(1) + 2, UInt16(1)) }, .malformed, "leaf with right")
        assertRefused(edited { ModelBytes.set(&$0, at: nodeOffset(1) + 4, Int32(-1)) }, .malformed, "negative h")
        assertRefused(edited { ModelBytes.set(&$0, at: nodeOffset(1) + 4, Int32.max) }, .malformed, "h = Int32.max reserved")
        if case .failure(let error) = load(edited({ ModelBytes.set(&$0, at: nodeOffset(1) + 4, Int32.max - 1) })) {
            XCTFail("largest h refused: \(error)")
        }
    }

    func testUnreachableAndMissingNodesAreRefused() {
        // A leaf-only tree followed by an orphan leaf in the same range.
        assertRefused(model([[.leaf(65536), .leaf(65536)]]), .malformed, "orphan node")
        // A split whose right subtree has no room: the tree ends after the left leaf.
        assertRefused(model([[.split(0, 0, right: 2), .leaf(65536)]]), .malformed, "missing right child")
        // A left subtree that is one node short of the right offset.
        assertRefused(
            model([[.split(0, 0, right: 3), .leaf(1), .leaf(2), .leaf(3)]]), .malformed, "left subtree too small")
    }

    /// A left spine of `depth` splits ending in two leaves: deepest leaf at `depth`.
    private func spine(depth: Int) -> [RawNode] {
        var nodes: [RawNode] = []
        for level in 0..<depth {
            // Right child of the split at `level` is the leaf after the rest of the spine.
            nodes.append(.split(0, Int32(level), right: UInt16(2 * (depth - level))))
        }
        nodes.append(.leaf(2 * 65536))  // the deepest leaf, told apart by its h
        for _ in 0..<depth { nodes.append(.leaf(65536)) }
        return nodes
    }

    func testDepthLimit() {
        switch load(model([spine(depth: 63)])) {
        case .failure(let error): XCTFail("depth 63 refused: \(error)")
        case .success(let model):
            XCTAssertEqual(model.maxDepth, 63)
            // Input −1 takes every left branch down to depth 63; 1000 goes right at the root.
            var input: Int32 = -1
            XCTAssertEqual(model.pathSum(inputs: &input), 2 * 65536)
            input = 1000
            XCTAssertEqual(model.pathSum(inputs: &input), 65536)
            var scores = [ForestScore](repeating: ForestScore(scoreQ16: 0, anomaly: false, confidenceQ16: 0), count: 9)
            let rows: [Int32] = [-1, 1000, 5, 62, 63, -1, 30, 0, 7]
            rows.withUnsafeBufferPointer { r in
                scores.withUnsafeMutableBufferPointer { model.scoreBatch(inputs: r.baseAddress!, count: 9, into: $0.baseAddress!) }
                for i in 0..<9 { XCTAssertEqual(scores[i], model.score(inputs: r.baseAddress! + i), "row \(i)") }
            }
        }
        assertRefused(model([spine(depth: 64)]), .malformed, "depth 64")
    }

    /// Random corruption of a trained model's node table, resealed so the CRC passes: whatever
    /// loads must evaluate without crashing, batch and single agreeing.
    func testRandomNodeCorruptionNeverCrashes() {
        var random = SplitMix64(seed: 11)
        let specs = Array(ForestDataSet.standardSpecs[0..<3])
        let data = ForestDataSet.generate(specs, count: 600, outliers: 0.05, random: &random)
        let forest = ReferenceForest.grow(
            rows: data.reference, inputs: specs.map(\.input), treeCount: 4, sampleSize: 32,
            thresholdScore: 0.6, random: &random)
        let clean = forest.bytes()
        let nodesStart = ModelBytes.nodesOffset(features: 3, trees: 4)
        var accepted = 0
        var scores = [ForestScore](repeating: ForestScore(scoreQ16: 0, anomaly: false, confidenceQ16: 0), count: 9)
        for _ in 0..<3000 {
            var bytes = clean
            for _ in 0..<(1 + random.next(below: 3)) {
                let at = nodesStart + random.next(below: bytes.count - 4 - nodesStart)
                bytes[at] = UInt8(truncatingIfNeeded: random.next())
            }
            ModelBytes.reseal(&bytes)
            guard case .success(let model) = load(bytes) else { continue }
            accepted += 1
            let rows = Array(data.fixed[0..<(9 * 3)])
            rows.withUnsafeBufferPointer { rowsPointer in
                scores.withUnsafeMutableBufferPointer { out in
                    model.scoreBatch(inputs: rowsPointer.baseAddress!, count: 9, into: out.baseAddress!)
                }
                for r in 0..<9 {
                    XCTAssertEqual(model.score(inputs: rowsPointer.baseAddress! + 3 * r), scores[r])
                }
            }
        }
        print("corrupted models accepted (still well-formed): \(accepted) of 3000")
        XCTAssertLessThan(accepted, 3000, "some corruption must be caught")
    }
}
