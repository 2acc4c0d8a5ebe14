/// What an attachment hands its requests to: the gateway's admission and server
/// (`GatewayCore`). Each call drains the outbox into the log, checks the log's room once and
/// handles the request; the answer is released only with the tick's commit (`GatewayAttachment`).
public protocol GatewayRequestHandler {
    /// One CoAP message (a datagram, a SLIP frame, a message read from a stream) from `peer`; the
    /// response is written into `response`. Returns its length (0: send nothing).
    mutating func handle(_ request: UnsafeRawBufferPointer, from peer: Endpoint, nowMs: Int64, response: UnsafeMutableRawBufferPointer) -> Int
    /// One line of readings (CSV or a SenML-JSON pack) from a line-mode source.
    mutating func ingestLine(_ line: UnsafeRawBufferPointer, nowMs: Int64) -> LineOutcome
}
