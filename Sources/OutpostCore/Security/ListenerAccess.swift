/// What a plain CoAP listener lets in (`--listen HOST:PORT[,open|,read-only][,allow=CIDR]…`,
/// docs/CONFIG.md, docs/SECURITY.md): every source (`open`, the default), or only the sources of
/// an allow-list; and everything, or only GET (`read-only`: other methods are answered 4.03).
public struct ListenerAccess: BitwiseCopyable, Sendable {
    /// Most allow-list entries per listener.
    public static var allowMax: Int { 8 }

    /// Only GET is served (anything else: 4.03 "read-only listener").
    public var readOnly: Bool
    /// Entries of `allow` in use; 0 means every source is let in.
    public private(set) var allowCount: Int
    var allow: InlineArray<8, SourcePrefix>

    /// Every source, every method.
    public static var open: ListenerAccess {
        ListenerAccess(readOnly: false, allowCount: 0, allow: InlineArray(repeating: SourcePrefix(kind: Endpoint.kindIPv4, bits: 0, address: InlineArray(repeating: 0))!))
    }

    /// Adds `prefix` to the allow-list; false when it holds `allowMax` already.
    /// - Complexity: O(1).
    public mutating func allow(_ prefix: SourcePrefix) -> Bool {
        if allowCount == ListenerAccess.allowMax { return false }
        allow[allowCount] = prefix
        allowCount += 1
        return true
    }

    /// The allow-list entry `index` (0..<allowCount).
    public func allowed(_ index: Int) -> SourcePrefix {
        precondition(index >= 0 && index < allowCount, "allow-list index out of range")
        return allow[index]
    }

    /// True when `other` lets in the same sources the same way (field by field: the padding of
    /// two copies may differ, so bytes are not compared).
    /// - Complexity: O(allowCount).
    public func same(as other: ListenerAccess) -> Bool {
        if readOnly != other.readOnly || allowCount != other.allowCount { return false }
        for i in 0..<allowCount {
            let a = allow[i]
            let b = other.allow[i]
            if a.kind != b.kind || a.bits != b.bits { return false }
            for k in 0..<16 where a.address[k] != b.address[k] { return false }
        }
        return true
    }

    /// True when `peer` may send to this listener.
    /// - Complexity: O(allowCount).
    public func admits(_ peer: Endpoint) -> Bool {
        if allowCount == 0 { return true }
        for i in 0..<allowCount where allow[i].contains(peer) { return true }
        return false
    }
}
