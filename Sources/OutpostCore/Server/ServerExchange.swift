/// One request being answered: who asked, how (CON or NON), and what to echo.
struct ServerExchange {
    let peer: Endpoint
    let message: CoAPMessage
    let nowMs: Int64
    /// The response buffer, cut to the profile's largest datagram.
    let out: UnsafeMutableRawBufferPointer
    /// The sensors this request may write readings for (a DTLS identity's patterns, or all).
    var scope = WriteScope.unrestricted

    /// ACK (piggybacked) for a CON request, NON for a NON request.
    var responseType: CoAPType { message.type == .confirmable ? .acknowledgement : .nonConfirmable }
}
