import Foundation
import IGFuzzTargets

/// The target chosen by FUZZ_TARGET (onnx, png, jpeg, voc, npy, sidecar, viewer-keys, cli).
private let target: ([UInt8]) -> Void = {
    let name = ProcessInfo.processInfo.environment["FUZZ_TARGET"] ?? ""
    guard let t = FuzzTargets.all[name] else {
        let names = FuzzTargets.all.keys.sorted().joined(separator: ", ")
        FileHandle.standardError.write(Data("igcam-fuzz: set FUZZ_TARGET to one of: \(names)\n".utf8))
        exit(2)
    }
    // FUZZ_STATS=1: print how deep the inputs got (FuzzTargets.stats) when libFuzzer exits.
    if ProcessInfo.processInfo.environment["FUZZ_STATS"] == "1" {
        atexit {
            FileHandle.standardError.write(Data("igcam-fuzz stats:\n\(FuzzTargets.stats.report())\n".utf8))
        }
    }
    return t
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    target(bytes)
    return 0
}
