/// One connection slot of the HTTP server: its descriptor, phase, clocks and the extents of its
/// input and output buffers (the bytes live in the server's carved regions, one pair per slot).
public struct HTTPConnection: BitwiseCopyable {
    /// The transport's handle, -1 when the slot is free.
    public var fd: Int32 = -1
    public var phase = HTTPConnectionPhase.free
    /// Bytes of request input held (from the start of the slot's input buffer).
    public var inputCount = 0
    /// The pending output: `outputStart..<outputEnd` of the slot's output buffer.
    public var outputStart = 0
    public var outputEnd = 0
    /// A body sent from static memory after the buffer's bytes (the dashboard page), and how much
    /// of it went out.
    public var staticBody: UnsafeRawPointer? = nil
    public var staticCount = 0
    public var staticSent = 0
    /// Close once the output is sent (an error answer, `Connection: close`, HTTP/1.0).
    public var closeAfterWrite = false
    /// The request being answered (phase `ready`).
    public var request = HTTPRequest()
    /// When the connection was accepted, when its current request's first byte came (-1: no
    /// request started), when anything last arrived, and when output last made progress.
    public var openedMs: Int64 = 0
    public var requestStartMs: Int64 = -1
    public var lastInputMs: Int64 = 0
    public var lastProgressMs: Int64 = 0
    /// Server-Sent Events: the sequence number of the next alert event to send, and when the
    /// stream last got anything (a comment keeps idle proxies from closing it).
    public var eventNext: UInt32 = 0
    public var lastEventWriteMs: Int64 = 0
    /// Requests answered on this connection.
    public var requests: UInt32 = 0

    public init() {}

    /// Bytes of output not yet sent (buffer and static body).
    public var pendingOutput: Int { phase == .closing ? 0 : outputEnd - outputStart + staticCount - staticSent }
}
