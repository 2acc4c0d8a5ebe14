import OutpostCore
import OutpostProfiles

extension SelfTest {
    /// Golden vectors on a tiny forest whose scores were computed by hand (the same forest as
    /// `ForestModelTests`): proves the fixed-point evaluator on the machine it runs on.
    ///
    ///     tree A: x0 ≤ 100 ? h 1.0 : (x1 ≤ −50 ? h 2.0 : h 2.5)
    ///     tree B: x1 ≤ 0 ? h 1.0 : h 1.5          ψ = 2, c(ψ) = 1, threshold score 0.3
    static func checkGoldenForest(_ arena: inout Arena) -> Bool {
        let buffer = UnsafeMutableRawBufferPointer(arena.carve(160, of: UInt8(0)))
        let size = encodeGoldenForest(buffer)
        guard let model = try? ForestModel(bytes: UnsafeRawBufferPointer(rebasing: buffer[0..<size])) else { return false }
        // inputs, path sum (Q16), score (Q16), anomaly, confidence (Q16)
        let x: InlineArray<5, (Int32, Int32, Int64, UInt16, Bool, UInt16)> = [
            (100, 0, 131_072, 32_768, true, 42_130),
            (-5, -7, 131_072, 32_768, true, 42_130),
            (101, -50, 196_608, 23_170, true, 35_274),
            (101, -49, 229_376, 19_484, false, 0),
            (101, 1, 262_144, 16_384, false, 0),
        ]
        var inputs = InlineArray<2, Int32>(repeating: 0)
        for i in 0..<5 {
            let c = x[i]
            inputs[0] = c.0
            inputs[1] = c.1
            let ok = withUnsafePointer(to: &inputs) { pointer in
                let p = UnsafeRawPointer(pointer).assumingMemoryBound(to: Int32.self)
                let score = model.score(inputs: p)
                return model.pathSum(inputs: p) == c.2 && score.scoreQ16 == c.3 && score.anomaly == c.4
                    && score.confidenceQ16 == c.5
            }
            if !ok { return false }
        }
        // A corrupted copy must be refused by its CRC.
        buffer[60] ^= 0x01
        let refused: Bool
        do {
            _ = try ForestModel(bytes: UnsafeRawBufferPointer(rebasing: buffer[0..<size]))
            refused = false
        } catch {
            refused = error == .badChecksum
        }
        return refused
    }

    /// Writes the golden forest in model format v1 (docs/MODEL_FORMAT.md); returns its size.
    static func encodeGoldenForest(_ b: UnsafeMutableRawBufferPointer) -> Int {
        // Little-endian byte by byte: no alignment or byte-order assumptions.
        func put(_ offset: Int, _ value: UInt64, _ count: Int) {
            var rest = value
            for i in 0..<count {
                b[offset + i] = UInt8(truncatingIfNeeded: rest)
                rest = rest &>> 8
            }
        }
        func u16(_ offset: Int, _ value: UInt16) { put(offset, UInt64(bitPattern: value.wide), 2) }
        func u32(_ offset: Int, _ value: UInt32) { put(offset, UInt64(bitPattern: value.wide), 4) }
        func i32(_ offset: Int, _ value: Int32) { put(offset, UInt64(bitPattern: value.wide), 4) }
        func i64(_ offset: Int, _ value: Int64) { put(offset, UInt64(bitPattern: value), 8) }
        // Header.
        b[0] = 0x4F; b[1] = 0x50; b[2] = 0x49; b[3] = 0x46  // "OPIF"
        u16(4, 1)
        u16(6, 40)
        u16(8, 2)  // features
        u16(10, 2)  // trees
        u16(12, 2)  // ψ
        u16(14, 0)
        u32(16, 8)  // nodes
        u32(20, 65_536)  // c(2) = 1
        u32(24, 19_661)  // 0.3
        u32(28, 0)
        i64(32, 227_667)  // ⌊−log₂(0.3) × 2 × 65536⌋
        // Features: temperature and humidity, 3 decimals.
        for index in 0..<2 {
            let base = 40 + index * 20
            b[base] = 3  // decimals
            b[base + 1] = UInt8(truncatingIfNeeded: index)  // core feature: temperature, humidity
            for i in 2..<20 { b[base + i] = 0 }
        }
        let names: (StaticString, StaticString) = ("temperature", "humidity")
        for i in 0..<names.0.utf8CodeUnitCount { b[44 + i] = names.0.utf8Start[i] }
        for i in 0..<names.1.utf8CodeUnitCount { b[64 + i] = names.1.utf8Start[i] }
        // Roots.
        u32(80, 0)
        u32(84, 5)
        // Nodes: (feature, right offset, threshold or leaf path Q16).
        let nodes: InlineArray<8, (UInt16, UInt16, Int32)> = [
            (0, 2, 100), (0xFFFF, 0, 65_536), (1, 2, -50), (0xFFFF, 0, 131_072), (0xFFFF, 0, 163_840),
            (1, 2, 0), (0xFFFF, 0, 65_536), (0xFFFF, 0, 98_304),
        ]
        for i in 0..<8 {
            let base = 88 + i * 8
            u16(base, nodes[i].0)
            u16(base + 2, nodes[i].1)
            i32(base + 4, nodes[i].2)
        }
        let size = 88 + 64
        u32(size, CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[0..<size])))
        return size + 4
    }

    /// The baked model of this build loads, passes typical readings and flags a wild one.
    static func checkBakedModel() -> Bool {
        guard let bytes = ActiveProfile.modelBytes else { return true }  // thresholds-only profile
        guard let model = try? ForestModel(bytes: bytes) else { return false }
        var typical = FeatureVector()
        typical[.temperature] = 25_000
        typical[.humidity] = 60_000
        typical[.pressure] = 1_013_000
        typical[.vibration] = 500
        typical[.power] = 100_000
        var wild = typical
        wild[.temperature] = 70_000
        wild[.vibration] = 6_000
        wild[.power] = 5_000
        guard let normal = model.score(core: typical), let odd = model.score(core: wild) else { return false }
        return !normal.anomaly && odd.anomaly && odd.scoreQ16 > normal.scoreQ16
    }
}
