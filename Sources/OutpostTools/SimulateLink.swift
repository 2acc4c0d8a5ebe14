import Foundation
import Glibc
import OutpostCore

/// Where the simulator's sensors send: one UDP socket per sensor (each its own source port), or
/// one serial line shared by all sensors carrying SLIP-framed CoAP (RFC 1055), as a bus of
/// microcontrollers behind one USB-serial adapter would.
final class SimulateLink {
    enum Target {
        case udp(UDPAddress)
        case serial(path: String, baud: Int)

        /// Parses `udp://HOST:PORT` or `serial://DEVICE@BAUD`.
        init(parsing text: String) throws(ToolError) {
            if text.hasPrefix("udp://") {
                self = .udp(try UDPAddress(parsing: String(text.dropFirst(6)), option: "simulate: --target"))
                return
            }
            if text.hasPrefix("serial://") {
                let rest = text.dropFirst(9)
                guard let at = rest.lastIndex(of: "@"), let baud = Int(rest[rest.index(after: at)...]), !rest[..<at].isEmpty else {
                    throw ToolError("simulate: --target: '\(text)' is not serial://DEVICE@BAUD")
                }
                guard SimulateLink.speed(baud) != nil else {
                    throw ToolError("simulate: --target: baud \(baud) is not supported (9600...4000000)")
                }
                self = .serial(path: String(rest[..<at]), baud: baud)
                return
            }
            throw ToolError("simulate: --target: '\(text)' must start with udp:// or serial://")
        }
    }

    let target: Target
    var sockets: [UDPSocket] = []
    var serialFD: Int32 = -1
    var slip: SLIPDecoder
    let slipBuffer: UnsafeMutableRawBufferPointer
    var frames: [[UInt8]] = []

    init(target: Target, sensors: Int) throws(ToolError) {
        self.target = target
        slipBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2_048, alignment: 8)
        slip = SLIPDecoder(frameBuffer: slipBuffer)
        switch target {
        case .udp:
            for _ in 0..<sensors { sockets.append(try UDPSocket(bindingTo: UDPAddress(0, 0, 0, 0, port: 0))) }
        case .serial(let path, let baud):
            let fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
            if fd < 0 { throw ToolError.io("simulate: \(path): cannot open: \(String(cString: strerror(errno)))") }
            var settings = termios()
            if tcgetattr(fd, &settings) == 0 {
                cfmakeraw(&settings)
                let speed = SimulateLink.speed(baud)!
                cfsetispeed(&settings, speed)
                cfsetospeed(&settings, speed)
                _ = tcsetattr(fd, TCSANOW, &settings)
            }
            serialFD = fd
        }
    }

    deinit {
        if serialFD >= 0 { close(serialFD) }
        slipBuffer.deallocate()
    }

    static func speed(_ baud: Int) -> speed_t? {
        let table: [Int: Int32] = [
            9_600: B9600, 19_200: B19200, 38_400: B38400, 57_600: B57600, 115_200: B115200, 230_400: B230400,
            460_800: B460800, 921_600: B921600, 1_000_000: B1000000, 2_000_000: B2000000, 4_000_000: B4000000,
        ]
        return table[baud].map { speed_t($0) }
    }

    /// The endpoint index a reply came on: the sensor's socket, or 0 for the serial line.
    var isSerial: Bool { serialFD >= 0 }

    /// Sends `message` for sensor `index`.
    func send(_ message: [UInt8], sensor index: Int) {
        switch target {
        case .udp(let address):
            sockets[index].send(message, to: address)
        case .serial:
            var frame = [UInt8](repeating: 0, count: 2 * message.count + 2)
            let count = message.withUnsafeBytes { payload in
                frame.withUnsafeMutableBytes { (try? SLIPEncoder.encode(payload, into: $0)) ?? 0 }
            }
            var offset = 0
            // Non-blocking tty: retry partial writes a bounded number of times.
            for _ in 0..<1_000 where offset < count {
                let written = frame[offset..<count].withUnsafeBytes { write(serialFD, $0.baseAddress, $0.count) }
                if written > 0 { offset += written } else { usleep(200) }
            }
        }
    }

    /// Waits up to `timeoutMs` and returns the datagrams received, with the sensor index they came
    /// in on (-1 on the serial line: match by message ID).
    func receive(timeoutMs: Int32) -> [(Int, [UInt8])] {
        var received: [(Int, [UInt8])] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2_048, alignment: 8)
        defer { buffer.deallocate() }
        if isSerial {
            var poller = pollfd(fd: serialFD, events: Int16(POLLIN), revents: 0)
            if poll(&poller, 1, timeoutMs) <= 0 { return [] }
            let count = read(serialFD, buffer.baseAddress, buffer.count)
            if count <= 0 { return [] }
            for i in 0..<count where slip.push(buffer[i]) {
                received.append((-1, Array(slip.frame)))
            }
            return received
        }
        for index in UDPSocket.wait(sockets, timeoutMs: timeoutMs) {
            // Drain what is there now, bounded.
            for _ in 0..<64 {
                guard let (size, _) = sockets[index].receive(into: buffer, timeoutMs: 0) else { break }
                received.append((index, Array(UnsafeRawBufferPointer(rebasing: buffer[0..<size]))))
            }
        }
        return received
    }
}
