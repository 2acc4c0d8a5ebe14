import Foundation

/// The `main` of a fuzz target in a plain build (without `-D OUTPOST_FUZZING`): feeds every file
/// named on the command line, or every file in a named directory, to the target's
/// `LLVMFuzzerTestOneInput`, so a corpus or a crash input can be replayed under a debugger.
public enum FuzzReplay {
    /// Replays the inputs named in `arguments` (the program name first) through `fuzz`.
    public static func run(_ arguments: [String], _ fuzz: (UnsafePointer<UInt8>?, Int) -> CInt) {
        var count = 0
        for path in arguments.dropFirst() {
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
