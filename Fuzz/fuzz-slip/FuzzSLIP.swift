// libFuzzer target: the SLIP decoder and encoder (see FuzzCoAP.swift for the build modes).
import OutpostCore

#if !OUTPOST_FUZZING
import Foundation

@main
struct FuzzSLIPReplay {
    static func main() {
        var count = 0
        for path in CommandLine.arguments.dropFirst() {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            let files = isDirectory.boolValue
                ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 } : [path]
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                _ = data.withUnsafeBytes { fuzz($0.bindMemory(to: UInt8.self).baseAddress, data.count) }
                count += 1
            }
        }
        print("replayed \(count) inputs")
    }
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
