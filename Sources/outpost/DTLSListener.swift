import CHAL
import OutpostCore

/// The `coaps` listener (`--listen-dtls`, docs/SECURITY.md): its UDP socket, CHAL's DTLS server on
/// it, the key table of `--psk-file` (read again on SIGHUP) and the buffers the loop hands
/// datagrams through. Inert (`enabled` false, fd -1) without `--listen-dtls`. The gateway ticks
/// it as an attachment (DTLSListener+Attachment.swift, composed in `DaemonAttachment`).
struct DTLSListener {
    /// CHAL's handle of the one DTLS server.
    static let server: Int32 = 0
    var enabled = false
    var fd: Int32 = -1
    var bound = chal_address()
    var keys = PSKTable(storage: UnsafeMutableRawBufferPointer(start: nil, count: 0))
    /// The key file's path (NUL-terminated copy) and a buffer its text is read into.
    var path = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    var text = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    /// Set by the loop after its poll: the socket has datagrams.
    var readable = false
    /// One receive batch of DTLS records (carved by `EventLoop.setUpDTLS`).
    var slots = UnsafeMutableBufferPointer<chal_datagram>(start: nil, count: 0)
    /// Decrypted CoAP messages (one at a time).
    var plaintext = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    var queue = DTLSQueue()
    var counters = DTLSCounters()
    /// The figures `/health` and `/metrics` show (the server holds a pointer to them).
    var status: UnsafeMutablePointer<ServerDTLSStatus>? = nil

    /// Bytes of a key file at most: room for every identity's line of the profile.
    static func keyFileBytes(identities: Int) -> Int { max(4096, identities * 600) }

    /// Why the key file could not be used; `error` is the file's errno (0 when it was read).
    enum KeyFailure: Error {
        case unreadable(Int64)
        case tooLarge
        case refused(PSKFileError)
        case chal(Int32)
    }

    /// Reads and parses the key file and hands the keys to CHAL; on any failure the keys in force
    /// (in the table and in CHAL) stay. Every session is closed after a successful load, so each
    /// client proves the key it now has with a new handshake.
    /// - Complexity: O(file bytes + identities²).
    mutating func loadKeys() throws(KeyFailure) -> Int32 {
        let fd = chal_open(UnsafePointer(path.baseAddress!.assumingMemoryBound(to: UInt8.self)), Int32(truncatingIfNeeded: CHAL_OPEN_READ))
        if fd < 0 { throw .unreadable(fd.wide) }
        var count = 0
        var failure: Int64 = 0
        // Bounded by the buffer: every pass reads at least one byte or stops.
        while count < text.count {
            let read = chal_read(fd, text.baseAddress!.assumingMemoryBound(to: UInt8.self) + count, (text.count - count).wide)
            if read < 0 { failure = read; break }
            if read == 0 { break }
            count += Int(truncatingIfNeeded: read)
        }
        _ = chal_close(fd)
        if failure != 0 { throw .unreadable(failure) }
        if count == text.count { throw .tooLarge }
        do {
            try keys.load(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(text)[0..<count]))
        } catch {
            throw .refused(error)
        }
        _ = chal_dtls_psk_clear(DTLSListener.server)
        for i in 0..<keys.count {
            let identity = keys.identity(i)
            let key = keys.key(i)
            let status = chal_dtls_psk_add(
                DTLSListener.server, identity.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(truncatingIfNeeded: identity.count),
                key.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(truncatingIfNeeded: key.count), Int32(truncatingIfNeeded: i))
            if status != 0 { throw .chal(status) }
        }
        return chal_dtls_close_identity(DTLSListener.server, -1)
    }

    /// The CHAL counters of the DTLS server (see chal_dtls_counters).
    func chalCounters() -> InlineArray<8, UInt64> {
        var values = InlineArray<8, UInt64>(repeating: 0)
        if !enabled { return values }
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 8) { buffer in
            let n = chal_dtls_counters(DTLSListener.server, buffer.baseAddress!, 8)
            for i in 0..<Int(max(0, n)) { values[i] = buffer[i] }
        }
        return values
    }
}

/// What the loop counted on the DTLS listener (CHAL counts the protocol side).
struct DTLSCounters {
    var datagrams: UInt64 = 0
    var messages: UInt64 = 0
    var receiveErrors: UInt64 = 0
    var keyReloads: UInt64 = 0
    var keyReloadsRefused: UInt64 = 0
    /// Decrypted requests dropped because the session queue had no room (the client retransmits).
    var queueFull: UInt64 = 0
}
