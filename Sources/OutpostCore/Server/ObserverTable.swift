/// The bounded table of `/alerts` observers (RFC 7641), carved from the arena at start-up.
///
/// A registration is identified by (endpoint, token): registering again with both replaces it
/// (§4.1, a re-registration). A full table refuses new observers: the GET is answered without an
/// Observe option, which tells the client it is not observing (§4.1).
///
/// Notifications are NON, except every `confirmableEvery`-th, which is CON so that a vanished
/// client is noticed (§4.5). The server does not retransmit it: a CON notification left
/// unacknowledged for `confirmableTimeoutMs` (MAX_TRANSMIT_WAIT) removes the observer, as does a
/// RST in reply to any notification of the last two (§3.6).
public struct ObserverTable {
    /// Every this many notifications one is sent CON.
    public static let confirmableEvery: UInt32 = 8
    /// MAX_TRANSMIT_WAIT (RFC 7252 §4.8.2): a CON notification unacknowledged this long ends it.
    public static let confirmableTimeoutMs: Int64 = 93_000

    let entries: UnsafeMutableBufferPointer<Observer>
    /// Observers registered.
    public private(set) var count = 0

    /// A table of `capacity` observers carved from `arena`.
    public init(arena: inout Arena, capacity: Int) {
        precondition(capacity > 0 && capacity <= 1024, "observer table capacity out of range")
        entries = arena.carve(capacity, of: Observer.unused)
    }

    /// Arena bytes the table takes after `offset` bytes were carved.
    public static func arenaBytes(after offset: Int, capacity: Int) -> Int {
        Arena.bytes(after: offset, capacity, of: Observer.self)
    }

    /// Most observers held.
    public var capacity: Int { entries.count }

    /// The entry at `index` (0..<capacity; check `inUse`).
    public subscript(index: Int) -> Observer {
        get { entries[index] }
        set { entries[index] = newValue }
    }

    /// Registers (or re-registers) `peer` with `token`; false when the table is full.
    /// - Complexity: O(capacity).
    public mutating func register(
        _ peer: Endpoint, token: CoAPToken, contentFormat: UInt16, nextSequence: UInt32, nowMs: Int64 = 0
    ) -> Bool {
        let index: Int
        if let existing = find(peer, token: token) {
            index = existing
        } else if let free = firstFree() {
            index = free
            count += 1
        } else {
            return false
        }
        var observer = Observer.unused
        observer.peer = peer
        observer.token = token
        observer.contentFormat = contentFormat
        observer.nextSequence = nextSequence
        observer.renewedMs = nowMs
        observer.inUse = true
        entries[index] = observer
        return true
    }

    /// Removes the registration of `peer` with `token`; false when there was none.
    @discardableResult
    public mutating func deregister(_ peer: Endpoint, token: CoAPToken) -> Bool {
        guard let index = find(peer, token: token) else { return false }
        remove(at: index)
        return true
    }

    /// Handles a RST from `peer` with `messageID`: removes the observer whose last or pending
    /// notification it answers. Returns true when one was removed.
    /// - Complexity: O(capacity).
    public mutating func reset(from peer: Endpoint, messageID: UInt16) -> Bool {
        for i in 0..<entries.count where entries[i].inUse && entries[i].peer == peer {
            let observer = entries[i]
            let pending = observer.pendingSinceMs != Int64.min && observer.pendingMessageID == messageID
            if observer.sentCount > 0 && (observer.lastMessageID == messageID || pending) {
                remove(at: i)
                return true
            }
        }
        return false
    }

    /// Handles an empty ACK from `peer` with `messageID`: clears the matching pending CON.
    /// Returns true when one matched.
    public mutating func acknowledge(from peer: Endpoint, messageID: UInt16) -> Bool {
        for i in 0..<entries.count where entries[i].inUse && entries[i].peer == peer {
            if entries[i].pendingSinceMs != Int64.min && entries[i].pendingMessageID == messageID {
                entries[i].pendingSinceMs = Int64.min
                return true
            }
        }
        return false
    }

    /// Removes observers whose CON notification went unacknowledged for `confirmableTimeoutMs`.
    /// - Returns: how many were removed.
    public mutating func expire(nowMs: Int64) -> Int {
        var removed = 0
        for i in 0..<entries.count where entries[i].inUse && entries[i].pendingSinceMs != Int64.min {
            let (waitedMs, overflow) = nowMs.subtractingReportingOverflow(entries[i].pendingSinceMs)
            if overflow || waitedMs >= ObserverTable.confirmableTimeoutMs {
                remove(at: i)
                removed += 1
            }
        }
        return removed
    }

    /// Removes registrations not renewed within `leaseMs` (RFC 7641 §3.3.1: a client that still
    /// wants notifications re-registers), so registrations nobody renews do not hold the table.
    /// - Returns: how many were removed.
    /// - Complexity: O(capacity).
    public mutating func expireLeases(nowMs: Int64, leaseMs: Int64) -> Int {
        precondition(leaseMs > 0, "an observe lease must be positive")
        var removed = 0
        for i in 0..<entries.count where entries[i].inUse && nowMs - entries[i].renewedMs >= leaseMs {
            remove(at: i)
            removed += 1
        }
        return removed
    }

    /// Registrations of `peer`'s source (same address, any port) other than `peer` with `token`.
    /// - Complexity: O(capacity).
    public func heldByOthersOfSource(_ peer: Endpoint, token: CoAPToken) -> Int {
        let key = SourceTable.key(of: peer)
        var held = 0
        for i in 0..<entries.count where entries[i].inUse && !(entries[i].peer == peer && entries[i].token == token) {
            if SourceTable.key(of: entries[i].peer) == key { held += 1 }
        }
        return held
    }

    /// The index of `peer`'s registration with `token`.
    public func find(_ peer: Endpoint, token: CoAPToken) -> Int? {
        for i in 0..<entries.count where entries[i].inUse && entries[i].peer == peer && entries[i].token == token {
            return i
        }
        return nil
    }

    func firstFree() -> Int? {
        for i in 0..<entries.count where !entries[i].inUse { return i }
        return nil
    }

    mutating func remove(at index: Int) {
        // Read into a local first: an autoclosure over the Observer element trips the Embedded
        // -no-allocations check (it pulls in an array witness), although nothing allocates.
        let inUse = entries[index].inUse
        precondition(inUse, "removing an unused observer")
        entries[index] = .unused
        count -= 1
    }
}
