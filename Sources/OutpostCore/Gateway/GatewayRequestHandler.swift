/// What an attachment hands its requests to: the gateway's admission and server
/// (`GatewayCore`). Each call drains the outbox into the log, checks the log's room once and
/// handles the request; the answer is released only with the tick's commit (`GatewayAttachment`).
public protocol GatewayRequestHandler {
    /// One CoAP message (a datagram, a SLIP frame, a message read from a stream) from `peer`; the
    /// response is written into `response`. `scope`: the sensors the sender may write (a DTLS
    /// identity's patterns; `.unrestricted` for unauthenticated transports). Returns the
    /// response's length (0: send nothing).
    mutating func handle(
        _ request: UnsafeRawBufferPointer, from peer: Endpoint, nowMs: Int64, response: UnsafeMutableRawBufferPointer, scope: WriteScope
    ) -> Int
    /// One line of readings (CSV or a SenML-JSON pack) from a line-mode source.
    mutating func ingestLine(_ line: UnsafeRawBufferPointer, nowMs: Int64) -> LineOutcome
    /// The same, from the line-mode serial line `peer` (commands for its sensors go back there).
    mutating func ingestLine(_ line: UnsafeRawBufferPointer, nowMs: Int64, from peer: Endpoint) -> LineOutcome
}

extension GatewayRequestHandler {
    /// Without a command route: the plain `ingestLine`.
    public mutating func ingestLine(_ line: UnsafeRawBufferPointer, nowMs: Int64, from peer: Endpoint) -> LineOutcome {
        ingestLine(line, nowMs: nowMs)
    }

    /// A request from a transport without identities: every sensor may be written.
    public mutating func handle(_ request: UnsafeRawBufferPointer, from peer: Endpoint, nowMs: Int64, response: UnsafeMutableRawBufferPointer) -> Int {
        handle(request, from: peer, nowMs: nowMs, response: response, scope: .unrestricted)
    }
}
