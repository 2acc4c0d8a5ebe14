import Foundation
import Glibc
import OutpostCore

/// A non-blocking IPv4 UDP socket for the development tools (`collect`, `simulate`): bind, send to
/// an address, receive with a timeout. Errors are `ToolError`s (1 for the system, 2 for bad input).
final class UDPSocket {
    let fd: Int32
    /// The bound local address.
    let local: UDPAddress

    /// A socket bound to `address` (port 0: any free port).
    init(bindingTo address: UDPAddress) throws(ToolError) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        self.fd = fd
        if fd < 0 { throw ToolError.io("socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var raw = address.sockaddr
        let bound = withUnsafePointer(to: &raw) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if bound != 0 {
            let message = String(cString: strerror(errno))
            close(fd)
            throw ToolError.io("bind \(address): \(message)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        local = UDPAddress(actual)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    deinit { close(fd) }

    /// Sends `bytes` to `address`; false when the kernel refused (the datagram is lost, as UDP may).
    @discardableResult
    func send(_ bytes: UnsafeRawBufferPointer, to address: UDPAddress) -> Bool {
        var raw = address.sockaddr
        let sent = withUnsafePointer(to: &raw) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return sent == bytes.count
    }

    @discardableResult
    func send(_ bytes: [UInt8], to address: UDPAddress) -> Bool { bytes.withUnsafeBytes { send($0, to: address) } }

    /// Receives one datagram into `buffer`, waiting at most `timeoutMs` (0: do not wait).
    /// - Returns: size and sender, or nil when nothing came in time.
    func receive(into buffer: UnsafeMutableRawBufferPointer, timeoutMs: Int32) -> (Int, UDPAddress)? {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        if poll(&poller, 1, timeoutMs) <= 0 { return nil }
        var from = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let count = withUnsafeMutablePointer(to: &from) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, buffer.baseAddress, buffer.count, 0, $0, &length) }
        }
        if count < 0 { return nil }
        return (count, UDPAddress(from))
    }

    /// Waits until any of `sockets` is readable or `timeoutMs` passes; returns the readable ones.
    static func wait(_ sockets: [UDPSocket], timeoutMs: Int32) -> [Int] {
        var pollers = sockets.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
        if poll(&pollers, nfds_t(pollers.count), timeoutMs) <= 0 { return [] }
        return pollers.indices.filter { pollers[$0].revents & Int16(POLLIN) != 0 }
    }
}

/// An IPv4 address and port.
struct UDPAddress: Hashable, CustomStringConvertible {
    /// Address in network byte order bytes a.b.c.d.
    var octets: (UInt8, UInt8, UInt8, UInt8)
    var port: UInt16

    init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, port: UInt16) {
        octets = (a, b, c, d)
        self.port = port
    }

    init(_ raw: sockaddr_in) {
        let address = UInt32(bigEndian: raw.sin_addr.s_addr)
        octets = (UInt8(address >> 24), UInt8(address >> 16 & 0xFF), UInt8(address >> 8 & 0xFF), UInt8(address & 0xFF))
        port = UInt16(bigEndian: raw.sin_port)
    }

    /// Parses `HOST:PORT` (a dotted IPv4 address, `localhost`, or a name resolved to IPv4).
    init(parsing text: String, option: String) throws(ToolError) {
        guard let colon = text.lastIndex(of: ":") else { throw ToolError("\(option): '\(text)' is not HOST:PORT") }
        let host = String(text[..<colon])
        guard let port = UInt16(text[text.index(after: colon)...]) else {
            throw ToolError("\(option): '\(text)': the port must be 0...65535")
        }
        var address = in_addr()
        if inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &address) == 1 {
            let value = UInt32(bigEndian: address.s_addr)
            self.init(UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF), port: port)
            return
        }
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>? = nil
        if getaddrinfo(host, nil, &hints, &result) != 0 || result == nil {
            throw ToolError("\(option): cannot resolve host '\(host)' to an IPv4 address")
        }
        defer { freeaddrinfo(result) }
        let resolved = result!.pointee.ai_addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee }
        var copy = UDPAddress(resolved)
        copy.port = port
        self = copy
    }

    var sockaddr: sockaddr_in {
        var raw = sockaddr_in()
        raw.sin_family = sa_family_t(AF_INET)
        raw.sin_port = port.bigEndian
        let value = UInt32(octets.0) << 24 | UInt32(octets.1) << 16 | UInt32(octets.2) << 8 | UInt32(octets.3)
        raw.sin_addr.s_addr = value.bigEndian
        return raw
    }

    /// The core's endpoint for this address.
    var endpoint: Endpoint { .ipv4(octets.0, octets.1, octets.2, octets.3, port: port) }

    var description: String { "\(octets.0).\(octets.1).\(octets.2).\(octets.3):\(port)" }

    static func == (a: UDPAddress, b: UDPAddress) -> Bool {
        a.octets == b.octets && a.port == b.port
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(octets.0)
        hasher.combine(octets.1)
        hasher.combine(octets.2)
        hasher.combine(octets.3)
        hasher.combine(port)
    }
}
