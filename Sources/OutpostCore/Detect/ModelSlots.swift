/// Two arena slots for a model file read at run time, so a new model is read and checked beside
/// the one in use and then swapped in whole: no reading is ever scored by half a model.
///
/// The running model borrows one slot (`ForestModel` keeps pointers into it); every file is read
/// into the other, the `spare`. Only a model that passed every check becomes active, and then the
/// slots change roles; a refused file leaves the running model and its slot untouched.
public struct ModelSlots {
    /// The largest model the slots hold.
    public let capacity: ModelCapacity
    let slotA: UnsafeMutableRawBufferPointer
    let slotB: UnsafeMutableRawBufferPointer
    /// Slot of the running model: 0 (A), 1 (B), or -1 while none was taken.
    public private(set) var activeSlot = -1

    /// Bytes of each slot: one more than the largest file, so a larger one shows, rounded up to 16
    /// so that the next slot (and what is carved after) stays 16-byte aligned.
    static func slotBytes(_ capacity: ModelCapacity) -> Int { (capacity.fileBytes + 1 + 15) & ~15 }

    /// Carves both slots (nothing for a capacity of `.none`).
    /// - Complexity: O(1) in a zeroed arena.
    public init(arena: inout Arena, capacity: ModelCapacity) {
        self.capacity = capacity
        let bytes = capacity.allowsModel ? ModelSlots.slotBytes(capacity) : 0
        // UInt64 elements: each slot starts 8-byte aligned (the format itself needs only bytes).
        slotA = UnsafeMutableRawBufferPointer(arena.carve(bytes / 8, of: UInt64(0)))
        slotB = UnsafeMutableRawBufferPointer(arena.carve(bytes / 8, of: UInt64(0)))
    }

    /// Arena bytes `init` carves after `usedBytes` bytes (alignment included).
    public static func arenaBytes(after usedBytes: Int, capacity: ModelCapacity) -> Int {
        let words = capacity.allowsModel ? slotBytes(capacity) / 8 : 0
        let first = Arena.bytes(after: usedBytes, words, of: UInt64.self)
        return Arena.bytes(after: first, words, of: UInt64.self)
    }

    /// Where the next model file is read: never the running model's slot.
    public var spare: UnsafeMutableRawBufferPointer { activeSlot == 0 ? slotB : slotA }

    /// The running model's bytes (empty while none was taken).
    public var active: UnsafeRawBufferPointer {
        switch activeSlot {
        case 0: return UnsafeRawBufferPointer(slotA)
        case 1: return UnsafeRawBufferPointer(slotB)
        default: return UnsafeRawBufferPointer(start: nil, count: 0)
        }
    }

    /// Checks the first `count` bytes of `spare` as a model for `profile`: the header's counts
    /// against the capacity, every rule of the format, then the profile and the inputs. On success
    /// the spare becomes the active slot and the model (borrowing it) is returned; on refusal
    /// nothing changes.
    ///
    /// - Complexity: O(count): the CRC and one pass over the nodes.
    public mutating func take(count: Int, profile: StaticString) throws(ModelRefusal) -> ForestModel {
        let target = spare
        precondition(count >= 0 && count <= target.count, "more bytes than the spare slot holds")
        precondition(capacity.allowsModel, "the profile takes no model file")
        let bytes = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(target)[0..<count])
        if let mismatch = capacity.check(header: bytes) { throw .mismatch(mismatch) }
        let model: ForestModel
        do {
            model = try ForestModel(bytes: bytes)
        } catch {
            throw .format(error)
        }
        if let mismatch = capacity.check(model, profile: profile) { throw .mismatch(mismatch) }
        activeSlot = activeSlot == 0 ? 1 : 0
        assert(UnsafeRawPointer(active.baseAddress) == UnsafeRawPointer(target.baseAddress), "the checked slot became the active one")
        return model
    }
}
