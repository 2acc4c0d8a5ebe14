// libFuzzer target: the CoAP parser, then the writer on what parsed.
//
// Built with `-D OUTPOST_FUZZING --sanitize fuzzer` (scripts/fuzz.sh), libFuzzer supplies `main`.
// A plain `swift build` gets the replay `main` below instead, which runs files through the same
// entry point (a crash reproducer: `fuzz-coap crash-…`).
import OutpostCore

#if !OUTPOST_FUZZING
import FuzzReplay

@main
struct FuzzCoAPReplay {
    static func main() { FuzzReplay.run(CommandLine.arguments, fuzz) }
}
#endif

/// Parses the input; when it is a valid message, walks every option helper and writes the
/// message again with `CoAPMessageWriter`. CoAP's delta/length encoding is unique, so the
/// re-encoded bytes must equal the input exactly.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    guard let message = try? CoAPMessage(parsing: input) else { return 0 }
    _ = message.contentFormat
    _ = message.accept
    _ = message.observe
    _ = message.size1
    _ = try? message.block1()
    _ = try? message.block2()
    _ = message.firstBadCriticalOption
    _ = message.uriPathMatches("sensors/readings")
    // The parsing pass's option index answers as a walk over the options does, for every number
    // that appears and every registered one.
    var all = message.options
    while let option = all.next() { checkIndex(message, option.number) }
    for number: UInt16 in [1, 3, 4, 5, 6, 7, 8, 11, 12, 14, 15, 17, 20, 23, 27, 28, 35, 39, 60, 258] {
        checkIndex(message, CoAPOptionNumber(rawValue: number))
    }

    let output = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 1)
    defer { output.deallocate() }
    do {
        var writer = try CoAPMessageWriter(
            buffer: output, type: message.type, code: message.code, messageID: message.messageID, token: message.token)
        var options = message.options
        while let option = options.next() {
            try writer.appendOption(option.number, value: option.value)
        }
        try writer.appendPayload(message.payload)
        precondition(writer.count == size, "re-encoded CoAP message has a different size")
        for i in 0..<size where output[i] != input[i] { preconditionFailure("re-encoded CoAP message differs") }
    } catch {
        preconditionFailure("a parsed message must fit the buffer it came from")
    }
    return 0
}

/// Traps when the indexed and the walked first option of `number` differ.
func checkIndex(_ message: CoAPMessage, _ number: CoAPOptionNumber) {
    let indexed = message.firstOption(number)
    let walked = message.scannedFirstOption(number)
    precondition((indexed == nil) == (walked == nil), "option index disagrees on presence")
    if let indexed, let walked {
        precondition(indexed.value.baseAddress == walked.value.baseAddress && indexed.value.count == walked.value.count,
            "option index disagrees on the value")
    }
}
