import Foundation
import IGCLI
import IGEngine
import IGEval
import IGExplain
import IGImaging
import IGModel
import IGONNX
import IGRender
import IGViewer

/// The fuzz targets' entry points: one function per input format, each taking arbitrary
/// bytes. A target returns normally for EVERY input (bad input is an error it catches);
/// a trap, sanitizer report, leak or hang is a bug.
///
/// They live in the main package so that two drivers share them:
/// - Fuzz/ (a separate package) links them into one libFuzzer binary built with
///   `-sanitize=fuzzer,address` (`make fuzz`; FUZZ_TARGET picks the function);
/// - Tests/IGFuzzTests replays every regression file under Tests/Fixtures/fuzz/<target>/
///   through the same function in the normal (checked, unsanitized) build.
public enum FuzzTargets {
    /// Every target, by the name used for corpus folders and FUZZ_TARGET.
    public static let all: [String: @Sendable ([UInt8]) -> Void] = [
        "onnx": onnx, "png": image, "jpeg": image, "voc": voc, "npy": npy,
        "sidecar": sidecar, "viewer-keys": viewerKeys, "cli": cli,
    ]

    /// ONNX import (protobuf, lowering, folding, shape inference) and, when the graph
    /// loads and is small, one forward on the reference engine.
    public static func onnx(_ bytes: [UInt8]) {
        // External data is looked up in an empty folder: a fuzzed location never reads real files.
        guard let graph = try? ONNXImporter.load(data: Data(bytes), fileName: "fuzz.onnx", directory: emptyDirectory) else { return }
        var elements = 0
        for shape in graph.shapes.values {
            guard let n = checkedProduct(shape) else { return }
            elements += n
            if elements > 1 << 20 { return }
        }
        guard graph.nodes.count <= 64, let n = checkedProduct(graph.inputShape), n <= 1 << 16 else { return }
        let x = Tensor(shape: [1] + graph.inputShape, data: (0..<n).map { Float($0 % 7) * 0.25 - 0.75 })
        _ = try? ReferenceEngine(graph: graph).forward(x)
    }

    /// PNG or JPEG decoding (the decoder is chosen by magic bytes, as for files).
    public static func image(_ bytes: [UInt8]) {
        _ = try? decodeImage(bytes, path: "fuzz")
    }

    /// A PASCAL-VOC annotation XML.
    public static func voc(_ bytes: [UInt8]) {
        _ = try? VOCAnnotation(data: Data(bytes), source: "fuzz.xml")
    }

    /// A NumPy .npy file.
    public static func npy(_ bytes: [UInt8]) {
        _ = try? decodeNPY(bytes, path: "fuzz.npy")
    }

    /// A model's JSON sidecar, then the preprocessing it describes.
    public static func sidecar(_ bytes: [UInt8]) {
        _ = try? Sidecar.decode(Data(bytes), path: "fuzz.json")
    }

    /// Key sequences (bytes as keys, some as special keys, resizes that redraw at a size
    /// from 10x4 to 300x100, and job events) against the viewer's pure reducer and drawing.
    public static func viewerKeys(_ bytes: [UInt8]) {
        let layers = [LayerInfo(name: "a", display: "a", shape: [8, 4, 4]), LayerInfo(name: "b", display: "b", shape: [4, 2, 2])]
        var s = ViewerState(modelName: "fuzz", labels: ["cat", "dog", "tabby cat"], layers: layers,
                            defaultLayer: "b", paths: ["one.png", "two.png", "three.png"])
        let composer = Composer(mode: .c256)
        // A full redraw at 300x100 costs ~0.3 s in a normal build and several times that under
        // ASan with coverage; past a few per input they add time, not coverage (the
        // timeout-d167c178... regression file was 13 s on a loaded machine, 2 s unsanitized).
        var redraws = 0
        var i = 0
        func byte() -> Int? { guard i < bytes.count else { return nil }; defer { i += 1 }; return Int(bytes[i]) }
        while let b = byte() {
            switch b {
            case 0xF0:   // resize + redraw
                guard let w = byte(), let h = byte() else { return }
                if redraws < 4 {
                    redraws += 1
                    _ = draw(s, width: 10 + w * 290 / 255, height: 4 + h * 96 / 255, composer: composer)
                }
            case 0xF1:   // the current image arrives
                if let p = s.imagePath {
                    s = reduce(s, .imageLoaded(path: p, image: RGBImage(width: 5, height: 3, fill: (200, 40, 90)), top: [])).0
                    if s.classIndex == nil { s.classIndex = 0 }
                }
            case 0xF2:   // an image fails
                if let p = s.paths.first { s = reduce(s, .imageFailed(path: p, message: "bad")).0 }
            case 0xF3, 0xF4:   // partial / final map for the current key
                guard let key = s.currentKey, let w = byte(), let h = byte() else { break }
                let mw = w % 9, mh = h % 9
                let r = MapResult(map: (0..<(mw * mh)).map { Float($0 % 5) }, width: mw, height: mh,
                                  done: w % 4, total: 3, seconds: b == 0xF4 ? 0.5 : nil)
                s = reduce(s, b == 0xF4 ? .finished(key, r) : .progress(key, r)).0
            case 0xF5:
                if let key = s.currentKey { s = reduce(s, .failed(key, "no")).0 }
            case 0xF6: s = reduce(s, .up).0
            case 0xF7: s = reduce(s, .down).0
            case 0xF8: s = reduce(s, .left).0
            case 0xF9: s = reduce(s, .right).0
            case 0xFA: s = reduce(s, .resize).0
            case 0xFB: s = reduce(s, .other(b)).0
            default:
                s = reduce(s, Key.decode(UInt32(b), isFunctionKey: false, resizeCode: 0o632)).0
            }
            if s.quit { s.quit = false }
        }
        _ = draw(s, width: 80, height: 24, composer: composer)
    }

    /// Command-line parsing (and option validation) of every subcommand, never running it.
    /// The bytes are split at NUL into arguments; the first byte picks the subcommand.
    public static func cli(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let commands = ["view", "classify", "layers", "explain", "evaluate", "score", "bench", "demo", "help", "demo sensitivity"]
        let args = bytes.dropFirst().split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        let command = commands[Int(first) % commands.count].split(separator: " ").map(String.init)
        _ = IGCLI.parseOnly(command + args)
    }

    private static let emptyDirectory: String = {
        let d = NSTemporaryDirectory() + "igcam-fuzz-empty-\(getpid())"
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }()

    private static func checkedProduct(_ dims: [Int]) -> Int? {
        var n = 1
        for d in dims {
            guard d >= 0 else { return nil }
            let (p, o) = n.multipliedReportingOverflow(by: d)
            if o { return nil }
            n = p
        }
        return n
    }
}
