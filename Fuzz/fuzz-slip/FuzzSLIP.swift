// libFuzzer target: the SLIP decoder and encoder (see FuzzCoAP.swift for the build modes).
import OutpostCore

#if !OUTPOST_FUZZING
import FuzzReplay

@main
struct FuzzSLIPReplay {
    static func main() { FuzzReplay.run(CommandLine.arguments, fuzz) }
}
#endif

/// Feeds the input to a decoder in chunks whose sizes come from the input itself; re-encodes each
/// frame and decodes it again (must give the same frame); and encodes the whole input as one
/// payload, which must decode to exactly itself.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let capacity = 32
    let frameBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 1)
    let echoBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 1)
    let encoded = UnsafeMutableRawBufferPointer.allocate(byteCount: 2 * max(size, capacity) + 2, alignment: 1)
    defer {
        frameBuffer.deallocate()
        echoBuffer.deallocate()
        encoded.deallocate()
    }
    var decoder = SLIPDecoder(frameBuffer: frameBuffer)
    var frames = 0
    var at = 0
    while at < size {
        let chunk = min(size - at, Int(input[at] % 7) + 1)
        decoder.feed(UnsafeRawBufferPointer(rebasing: input[at..<(at + chunk)])) { frame in
            frames += 1
            precondition(frame.count > 0 && frame.count <= capacity, "frame size out of range")
            let count = try! SLIPEncoder.encode(frame, into: encoded, leadingEnd: frames % 2 == 0)
            var echo = SLIPDecoder(frameBuffer: echoBuffer)
            var echoed = 0
            echo.feed(UnsafeRawBufferPointer(rebasing: encoded[0..<count])) { again in
                echoed += 1
                precondition(again.elementsEqual(frame), "SLIP echo differs")
            }
            precondition(echoed == 1 && echo.badEscapeCount == 0 && echo.oversizeCount == 0, "SLIP echo lost its frame")
        }
        at += chunk
    }
    precondition(decoder.frameCount == UInt64(frames), "frame counter mismatch")

    // The whole input as one payload: encode, decode, compare.
    if size > 0 && size <= capacity {
        let count = try! SLIPEncoder.encode(input, into: encoded)
        var whole = SLIPDecoder(frameBuffer: frameBuffer)
        var seen = 0
        whole.feed(UnsafeRawBufferPointer(rebasing: encoded[0..<count])) { frame in
            seen += 1
            precondition(frame.elementsEqual(input), "SLIP round trip differs")
        }
        precondition(seen == 1, "SLIP round trip lost its frame")
    }
    return 0
}
