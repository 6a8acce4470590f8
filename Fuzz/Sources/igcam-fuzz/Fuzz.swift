import Foundation
import IGFuzzTargets

/// The target's name, from FUZZ_TARGET (onnx, png, jpeg, voc, npy, sidecar, viewer-keys, cli).
private let targetName = ProcessInfo.processInfo.environment["FUZZ_TARGET"] ?? ""

/// The target chosen by FUZZ_TARGET.
private let target: ([UInt8]) -> Void = {
    guard let t = FuzzTargets.all[targetName] else {
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

/// libFuzzer's own mutations (in its runtime): what every target but onnx uses alone.
@_silgen_name("LLVMFuzzerMutate")
func libFuzzerMutate(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int) -> Int

/// Mutations: for onnx, three in four are ProtobufMutator's (one field changed, every length
/// right), the rest and every other target's are libFuzzer's own.
@_cdecl("LLVMFuzzerCustomMutator")
public func fuzzMutate(_ data: UnsafeMutablePointer<UInt8>?, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    guard let data else { return 0 }
    if targetName == "onnx", seed % 4 != 0,
       let m = ProtobufMutator.mutate(Array(UnsafeBufferPointer(start: data, count: size)), maxSize: maxSize,
                                      seed: UInt64(seed), mutateBytes: mutateBytes) {
        for (i, b) in m.enumerated() { data[i] = b }
        return m.count
    }
    return libFuzzerMutate(data, size, maxSize)
}

/// One bytes field mutated by libFuzzer's own mutations, to at most `maxSize` bytes.
private func mutateBytes(_ bytes: [UInt8], _ maxSize: Int) -> [UInt8] {
    var buf = bytes + [UInt8](repeating: 0, count: max(1, maxSize - bytes.count))
    let n = buf.withUnsafeMutableBufferPointer { libFuzzerMutate($0.baseAddress!, bytes.count, max(1, maxSize)) }
    return Array(buf[..<n])
}
