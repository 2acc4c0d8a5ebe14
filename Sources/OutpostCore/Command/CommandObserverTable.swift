/// The bounded table of `/commands/<sensor>` observers (RFC 7641), carved at start-up.
///
/// A registration is (endpoint, token), as for `/alerts`. Every notification carries a command
/// and is CON: its ACK is what makes the command *delivered*. An unacknowledged notification is
/// sent again after ACK_TIMEOUT, doubled each time (RFC 7252 §4.2); after MAX_RETRANSMIT the
/// observer is removed (RFC 7641 §4.5) and its command stays pending for the next GET or
/// registration. A RST to a notification removes the observer too.
public struct CommandObserverTable {
    /// ACK_TIMEOUT (RFC 7252 §4.8).
    public static var ackTimeoutMs: Int64 { 2_000 }
    /// MAX_RETRANSMIT (RFC 7252 §4.8).
    public static var maxRetransmit: UInt8 { 4 }

    let entries: UnsafeMutableBufferPointer<CommandObserver>
    /// Observers registered.
    public private(set) var count = 0

    public init(arena: inout Arena, capacity: Int) {
        precondition(capacity >= 0 && capacity <= 1024, "command observer capacity out of range")
        entries = arena.carve(capacity, of: CommandObserver.free)
    }

    public static func arenaBytes(after offset: Int, capacity: Int) -> Int {
        Arena.bytes(after: offset, capacity, of: CommandObserver.self)
    }

    public var capacity: Int { entries.count }

    public subscript(index: Int) -> CommandObserver {
        get { entries[index] }
        set { entries[index] = newValue }
    }

    /// Registers (or re-registers, which forgets a pending notification) `peer` with `token` for
    /// sensor `sensor`; false when the table is full.
    /// - Complexity: O(capacity)
    public mutating func register(_ peer: Endpoint, token: CoAPToken, sensor: Int, observeValue: UInt32) -> Bool {
        var index = find(peer, token: token)
        if index == nil {
            for i in 0..<entries.count where !entries[i].inUse {
                index = i
                count += 1
                break
            }
        }
        guard let index else { return false }
        var observer = CommandObserver.free
        observer.peer = peer
        observer.token = token
        observer.sensor = Int16(truncatingIfNeeded: sensor)
        observer.observeValue = observeValue
        entries[index] = observer
        return true
    }

    /// Removes `peer`'s registration with `token`; false when there was none.
    @discardableResult
    /// - Complexity: O(capacity)
    public mutating func deregister(_ peer: Endpoint, token: CoAPToken) -> Bool {
        guard let index = find(peer, token: token) else { return false }
        remove(at: index)
        return true
    }

    /// The index of `peer`'s registration with `token`.
    /// - Complexity: O(capacity)
    public func find(_ peer: Endpoint, token: CoAPToken) -> Int? {
        for i in 0..<entries.count where entries[i].inUse && entries[i].peer == peer && entries[i].token == token { return i }
        return nil
    }

    /// The observer whose pending notification has message ID `messageID` from `peer`.
    /// - Complexity: O(capacity)
    public func pending(from peer: Endpoint, messageID: UInt16) -> Int? {
        for i in 0..<entries.count where entries[i].inUse && entries[i].pendingCommand != 0 {
            if entries[i].peer == peer && entries[i].pendingMessageID == messageID { return i }
        }
        return nil
    }

    /// - Complexity: O(1)
    public mutating func remove(at index: Int) {
        let inUse = entries[index].inUse
        precondition(inUse, "removing a free command observer")
        entries[index] = .free
        count -= 1
    }
}
