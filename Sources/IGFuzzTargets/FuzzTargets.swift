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

    /// ONNX import (protobuf, lowering, folding, shape inference) and, when the graph loads and
    /// its forward is small (<= 64 nodes, <= 2^20 activation values, <= `forwardBudget`
    /// multiply-adds estimated from the shapes), one forward on the reference engine.
    /// `stats` counts how deep each input got (printed by the driver under FUZZ_STATS=1).
    public static func onnx(_ bytes: [UInt8]) {
        stats.count("onnx: inputs")
        // External data is looked up in an empty folder: a fuzzed location never reads real files.
        let graph: Graph
        do {
            graph = try ONNXImporter.load(data: Data(bytes), fileName: "fuzz.onnx", directory: emptyDirectory)
        } catch let e as ONNXError {
            stats.count("onnx: refused " + onnxStage(e))
            return
        } catch {
            stats.count("onnx: refused (other error)")
            return
        }
        stats.count("onnx: loaded (protobuf, lowering, folding, shape inference passed)")
        guard graph.nodes.count <= 64, let n = checkedProduct(graph.inputShape), n <= 1 << 16,
              let work = forwardCost(graph), work.values <= 1 << 20, work.multiplyAdds <= forwardBudget else {
            stats.count("onnx: loaded, forward skipped (too big for the fuzzer)")
            return
        }
        let x = Tensor(shape: [1] + graph.inputShape, data: (0..<n).map { Float($0 % 7) * 0.25 - 0.75 })
        do {
            _ = try ReferenceEngine(graph: graph).forward(x)
            stats.count("onnx: forward ran")
        } catch {
            stats.count("onnx: forward threw")
        }
    }

    /// The most multiply-adds (estimated by `forwardCost`) of a forward the onnx target runs:
    /// about 30x the largest seed's (conv_bn_relu, ~33k by onnx's own shape inference), so every
    /// seed and its near mutants run (ReplayTests.testONNXSeedsReachTheForward), while a mutant
    /// asking for a convolution 1000x larger does not spend seconds of the fuzzer's time in it.
    public static let forwardBudget = 1 << 20

    /// How deep an ONNX import got before it refused the input (from the error it threw).
    static func onnxStage(_ e: ONNXError) -> String {
        if e.message.hasPrefix("not a valid ONNX protobuf") { return "at the protobuf" }
        if e.message.hasPrefix("not an ONNX model") { return "after the protobuf (no graph)" }
        if e.node != nil { return "at a node (lowering, folding, per-node shapes)" }
        if e.message.hasPrefix("shape inference failed") { return "at shape inference" }
        if e.message.contains("values per image, refused") { return "at the activation limit" }
        return "at the graph (initializers, input, output)"
    }

    /// An upper estimate of a forward's work from the inferred shapes: the activation values it
    /// holds, and its multiply-adds (each node's output size times the reduction behind one output
    /// value for Conv/Gemm/MatMul/pools/LRN, its input or output size for the rest).
    /// nil when a shape overflows.
    public static func forwardCost(_ graph: Graph) -> (values: Int, multiplyAdds: Int)? {
        func count(_ name: String) -> Int? {
            if let s = graph.shapes[name] { return checkedProduct(s) }
            if let c = graph.constants[name] { return checkedProduct(c.shape) }
            return name == graph.input ? checkedProduct(graph.inputShape) : 0
        }
        func shape(_ name: String) -> [Int]? { graph.shapes[name] ?? graph.constants[name]?.shape }
        var values = 0, work = 0
        for (_, s) in graph.shapes {
            guard let n = checkedProduct(s) else { return nil }
            let (v, o) = values.addingReportingOverflow(n)
            guard !o else { return nil }
            values = v
        }
        for node in graph.nodes {
            guard let out = count(node.output) else { return nil }
            var ins = 0
            for i in node.inputs {
                guard let c = count(i) else { return nil }
                let (sum, o) = ins.addingReportingOverflow(c)
                guard !o else { return nil }
                ins = sum
            }
            var perOutput = 1
            switch node.op {
            case .conv:
                // W is [C_out, C_in / group, k_h, k_w]: one output value reads C_in / group * k_h * k_w.
                if node.inputs.count > 1, let w = shape(node.inputs[1]), w.count == 4 { perOutput = w[1] * w[2] * w[3] }
            case .gemm(let a):
                if let s = shape(node.inputs[0]), s.count >= 1 { perOutput = a.transA ? s[0] : s[s.count - 1] }
            case .matMul:
                if let s = shape(node.inputs[0]), let k = s.last { perOutput = k }
            case .maxPool(let p), .averagePool(let p):
                perOutput = p.kernel.reduce(1, *)
            case .lrn(let size, _, _, _):
                perOutput = size
            default:
                perOutput = 1
            }
            let (nodeWork, o1) = out.multipliedReportingOverflow(by: max(1, perOutput))
            let (w1, o2) = work.addingReportingOverflow(max(nodeWork, ins))
            guard !o1, !o2 else { return nil }
            work = w1
        }
        return (values, work)
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
    public static func viewerKeys(_ bytes: [UInt8]) { _ = viewerKeys(bytes, composer: viewerComposer) }

    /// `viewerKeys` with the given Composer; the last screen drawn at 80x24 (nil when the bytes
    /// end inside a resize).
    public static func viewerKeys(_ bytes: [UInt8], composer: Composer) -> Screen? {
        let layers = [LayerInfo(name: "a", display: "a", shape: [8, 4, 4]), LayerInfo(name: "b", display: "b", shape: [4, 2, 2])]
        var s = ViewerState(modelName: "fuzz", labels: ["cat", "dog", "tabby cat"], layers: layers,
                            defaultLayer: "b", paths: ["one.png", "two.png", "three.png"])
        // Redraws at the sizes the bytes ask for, up to one 300x100 screen of cells per input:
        // past that they add time (the pictures' pixels, 32 per cell), not coverage (the
        // timeout-d167c178... regression file was 13 s on a loaded machine, 2 s unsanitized).
        var cellsLeft = 300 * 100
        var i = 0
        func byte() -> Int? { guard i < bytes.count else { return nil }; defer { i += 1 }; return Int(bytes[i]) }
        while let b = byte() {
            switch b {
            case 0xF0:   // resize + redraw
                guard let w = byte(), let h = byte() else { return nil }
                let width = 10 + w * 290 / 255, height = 4 + h * 96 / 255
                if width * height <= cellsLeft {
                    cellsLeft -= width * height
                    _ = draw(s, width: width, height: height, composer: composer)
                }
            case 0xF1:   // the current image arrives
                if let p = s.imagePath {
                    s = reduce(s, .imageLoaded(path: p, image: RGBImage(width: 5, height: 3, fill: (200, 40, 90)), top: [])).0
                    if s.classIndex == nil { s.classIndex = 0 }
                }
            case 0xF2:   // an image fails
                if let p = s.paths.first { s = reduce(s, .imageFailed(path: p, message: "bad")).0 }
            case 0xF3, 0xF4:   // partial / final map for the current key
                guard let key = s.currentKey, let d = byte() else { break }
                let r = fuzzMap(key, done: d % 4, final: b == 0xF4)
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
        return draw(s, width: 80, height: 24, composer: composer)
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

    /// The viewer keeps one Composer for its whole session, and so does this target, across
    /// inputs: its bounded caches of resized photos and rendered tiles are pure (a cached tile is
    /// the one a new render would give), so an input draws the same screen either way and only
    /// the time differs. Only libFuzzer's one thread uses it, one input at a time.
    nonisolated(unsafe) private static let viewerComposer = Composer(mode: .c256)

    /// The map a job of `key` posts after `done` of 3 steps: from 0x0 to 8x8 values, a function
    /// of the key and `done` alone (as in the viewer, where one key's map is one computation),
    /// so that the shared Composer's tiles, cached by key and progress, stay pure.
    static func fuzzMap(_ key: JobKey, done: Int, final: Bool) -> MapResult {
        var h: UInt32 = 2_166_136_261   // FNV-1a of the key's text: the same in every process
        for b in key.description.utf8 { h = (h ^ UInt32(b)) &* 16_777_619 }
        let w = Int(h % 9), hgt = Int(h / 9 % 9)
        return MapResult(map: (0..<(w * hgt)).map { Float(($0 + done) % 5) }, width: w, height: hgt,
                         done: done, total: 3, seconds: final ? 0.5 : nil)
    }

    /// Counters of how deep inputs got, by target (see `onnx`); `report()` prints them.
    public static let stats = FuzzStats()

    private static let emptyDirectory: String = {
        let d = NSTemporaryDirectory() + "igcam-fuzz-empty-\(getpid())"
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }()
}

/// Named counters (single-threaded: libFuzzer runs one input at a time).
public final class FuzzStats: @unchecked Sendable {
    private var counts: [String: Int] = [:]

    public init() {}

    func count(_ key: String) { counts[key, default: 0] += 1 }

    /// The counter `key` (0 if never counted).
    public subscript(_ key: String) -> Int { counts[key] ?? 0 }

    /// Every counter, one "key: n" line each, sorted by key.
    public func report() -> String {
        counts.keys.sorted().map { "\($0): \(counts[$0]!)" }.joined(separator: "\n")
    }
}
