import Foundation
import IGEngine
import IGFast
import XCTest
import IGTestSupport

/// Timings, skipped unless IGCAM_BENCH=1 (they print, never assert times):
///   IGCAM_BENCH=1 swift test -c release --filter FastBenchTests
/// Results are recorded in docs/FAST-BACKEND.md.
final class FastBenchTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["IGCAM_BENCH"] == "1", "set IGCAM_BENCH=1 to run benchmarks")
    }

    /// `depth` 3x3 convs 256->256 at 14x14 (each followed by ReLU), then GAP.
    func convStack(depth: Int, channels c: Int = 256, size: Int = 14) -> Graph {
        var nodes = [Node](), consts = [String: Tensor]()
        var x = "x"
        for i in 0..<depth {
            consts["w\(i)"] = randomTensor([c, c, 3, 3], seed: UInt64(i), range: -0.03...0.03)
            consts["b\(i)"] = randomTensor([c], seed: UInt64(100 + i), range: -0.1...0.1)
            nodes.append(Node(name: "conv\(i)", op: .conv(ConvAttributes(pads: [1, 1, 1, 1])), inputs: [x, "w\(i)", "b\(i)"], output: "c\(i)"))
            nodes.append(Node(name: "relu\(i)", op: .unary(.relu), inputs: ["c\(i)"], output: "r\(i)"))
            x = "r\(i)"
        }
        nodes.append(Node(name: "gap", op: .globalAveragePool, inputs: [x], output: "g"))
        nodes.append(Node(name: "flat", op: .flatten(axis: 1), inputs: ["g"], output: "logits"))
        return Graph(nodes: nodes, constants: consts, input: "x", inputShape: [c, size, size], output: "logits")
    }

    func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

    /// CPU time of the calling thread in ms: with one OpenMP thread oneDNN
    /// runs on the caller, so this is the work done, whatever else shares the machine.
    func threadCPUms() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) * 1e3 + Double(ts.tv_nsec) / 1e6
    }

    /// Single-thread CPU cost per conv (5-deep minus 1-deep stack, / 4).
    func testConvStackCPUTime() throws {
        let flopPerConv = 2.0 * 256 * 256 * 9 * 14 * 14
        for n in [1, 16] {
            let e1 = try FastEngine(graph: convStack(depth: 1), threads: 1), e5 = try FastEngine(graph: convStack(depth: 5), threads: 1)
            let x = randomTensor([n, 256, 14, 14], seed: 1)
            let cls = [Int](repeating: 3, count: n)
            _ = try e1.gradient(x, layer: "x", classes: cls, capture: []); _ = try e5.gradient(x, layer: "x", classes: cls, capture: [])
            _ = try e1.forward(x); _ = try e5.forward(x)
            var f1 = [Double](), f5 = [Double](), g1 = [Double](), g5 = [Double]()
            func cpu(_ body: () throws -> Void) rethrows -> Double { let t = threadCPUms(); try body(); return threadCPUms() - t }
            for _ in 0..<(n == 1 ? 20 : 5) {
                f1.append(try cpu { _ = try e1.forward(x) }); f5.append(try cpu { _ = try e5.forward(x) })
                g1.append(try cpu { _ = try e1.gradient(x, layer: "x", classes: cls, capture: []) })
                g5.append(try cpu { _ = try e5.gradient(x, layer: "x", classes: cls, capture: []) })
            }
            let f = (median(f5) - median(f1)) / 4, b = (median(g5) - median(g1)) / 4 - f
            print(String(format: "fast N=%d 1 thread, CPU time: forward %.3f ms/conv (%.0f GFLOP/s, %.3f ms/image); backward-data %.3f ms/conv (%.0f GFLOP/s); 1-conv forward call %.3f ms",
                         n, f, flopPerConv * Double(n) / f / 1e6, f / Double(n), b, flopPerConv * Double(n) / b / 1e6, median(f1)))
        }
    }

    func time(_ body: () throws -> Void) rethrows -> Double {
        let t0 = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
    }

    /// Per-conv cost in steady state: (time of 5 convs - time of 1 conv) / 4,
    /// so input/output reorders and the pooling cancel out.
    func testConvStack() throws {
        let flopPerConv = 2.0 * 256 * 256 * 9 * 14 * 14
        print("runtime: \(FastEngine.runtimeDescription)")
        for n in [1, 16] {
            let g1 = convStack(depth: 1), g5 = convStack(depth: 5)
            let engines = try [1, 2].map { (t: Int) in (t, try FastEngine(graph: g1, threads: t), try FastEngine(graph: g5, threads: t)) }
            let x = randomTensor([n, 256, 14, 14], seed: 1)
            let cls = [Int](repeating: 3, count: n)
            var fwd = [Int: ([Double], [Double])](), bwd = [Int: ([Double], [Double])]()
            for (t, e1, e5) in engines {  // warm up: compile plans, reorder weights
                _ = try e1.forward(x); _ = try e5.forward(x)
                _ = try e1.gradient(x, layer: "x", classes: cls, capture: []); _ = try e5.gradient(x, layer: "x", classes: cls, capture: [])
                fwd[t] = ([], []); bwd[t] = ([], [])
            }
            for _ in 0..<(n == 1 ? 15 : 5) {  // interleaved
                for (t, e1, e5) in engines {
                    fwd[t]!.0.append(try time { _ = try e1.forward(x) })
                    fwd[t]!.1.append(try time { _ = try e5.forward(x) })
                    bwd[t]!.0.append(try time { _ = try e1.gradient(x, layer: "x", classes: cls, capture: []) })
                    bwd[t]!.1.append(try time { _ = try e5.gradient(x, layer: "x", classes: cls, capture: []) })
                }
            }
            for t in [1, 2] {
                let f = (median(fwd[t]!.1) - median(fwd[t]!.0)) / 4
                let b = (median(bwd[t]!.1) - median(bwd[t]!.0)) / 4 - f
                print(String(format: "fast N=%d threads=%d (medians): forward %.3f ms/conv (%.0f GFLOP/s, %.3f ms/conv/image); backward-data %.3f ms/conv (%.0f GFLOP/s); 1-conv forward total %.3f ms",
                             n, t, f, flopPerConv * Double(n) / f / 1e6, f / Double(n), b, flopPerConv * Double(n) / b / 1e6, median(fwd[t]!.0)))
                let fm = (fwd[t]!.1.min()! - fwd[t]!.0.min()!) / 4
                let bm = (bwd[t]!.1.min()! - bwd[t]!.0.min()!) / 4 - fm
                print(String(format: "fast N=%d threads=%d (minima): forward %.3f ms/conv (%.0f GFLOP/s); backward-data %.3f ms/conv",
                             n, t, fm, flopPerConv * Double(n) / fm / 1e6, bm))
            }
            // The reference, one conv layer, fewer repetitions.
            let ref = ReferenceEngine(graph: g1)
            var r = [Double]()
            for _ in 0..<(n == 1 ? 3 : 1) { r.append(try time { _ = try ref.forward(x) }) }
            print(String(format: "reference N=%d: 1-conv forward %.1f ms (%.1f GFLOP/s)", n, median(r), flopPerConv * Double(n) / median(r) / 1e6))
        }
    }

    /// VGG16 (torchvision layout, random weights) at batch 16: forward, and
    /// forward+backward to features.29, with the process's peak memory.
    func testVGG16Batch16Memory() throws {
        let g = vgg16()
        let e = try FastEngine(graph: g)
        let x = randomTensor([16, 3, 224, 224], seed: 2)
        let cls = (0..<16).map { $0 * 37 % 1000 }
        print(String(format: "VGG16 graph built; peak RSS %.0f MB", peakRSSMB()))
        for _ in 0..<2 {
            let tf = try time { _ = try e.forward(x) }
            print(String(format: "VGG16 N=16 forward %.0f ms, peak RSS %.0f MB", tf, peakRSSMB()))
            var g29: GradientResult?
            let tg = try time { g29 = try e.gradient(x, layer: "features.29", classes: cls, capture: []) }
            print(String(format: "VGG16 N=16 gradient to features.29 %.0f ms (|grad| max %.3g), peak RSS %.0f MB",
                         tg, g29?.gradient.maxAbs ?? 0, peakRSSMB()))
        }
    }

    func peakRSSMB() -> Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Double(u.ru_maxrss) / 1024
    }

    func vgg16() -> Graph {
        let cfg: [Int] = [64, 64, -1, 128, 128, -1, 256, 256, 256, -1, 512, 512, 512, -1, 512, 512, 512, -1]
        var nodes = [Node](), consts = [String: Tensor]()
        var x = "x", cin = 3, i = 0
        for v in cfg {
            if v < 0 {
                nodes.append(Node(name: "features.\(i)", op: .maxPool(PoolAttributes(kernel: [2, 2], strides: [2, 2])), inputs: [x], output: "features.\(i)"))
                x = "features.\(i)"; i += 1
                continue
            }
            let s = (2 / Double(cin * 9)).squareRoot()
            consts["w\(i)"] = randomTensor([v, cin, 3, 3], seed: UInt64(i), range: Float(-s)...Float(s))
            consts["b\(i)"] = randomTensor([v], seed: UInt64(500 + i), range: -0.01...0.01)
            nodes.append(Node(name: "features.\(i)", op: .conv(ConvAttributes(pads: [1, 1, 1, 1])), inputs: [x, "w\(i)", "b\(i)"], output: "features.\(i)"))
            nodes.append(Node(name: "features.\(i + 1)", op: .unary(.relu), inputs: ["features.\(i)"], output: "features.\(i + 1)"))
            x = "features.\(i + 1)"; cin = v; i += 2
        }
        nodes.append(Node(name: "flatten", op: .flatten(axis: 1), inputs: [x], output: "flat"))
        var h = "flat"
        for (j, (o, k)) in [(4096, 25088), (4096, 4096), (1000, 4096)].enumerated() {
            let s = (1 / Double(k)).squareRoot()
            consts["fc\(j)"] = randomTensor([o, k], seed: UInt64(900 + j), range: Float(-s)...Float(s))
            consts["fcb\(j)"] = randomTensor([o], seed: UInt64(950 + j), range: -0.01...0.01)
            let out = j == 2 ? "logits" : "classifier.\(3 * j)"
            nodes.append(Node(name: "classifier.\(3 * j)", op: .gemm(GemmAttributes(transB: true)), inputs: [h, "fc\(j)", "fcb\(j)"], output: out))
            h = out
            if j < 2 {
                nodes.append(Node(name: "classifier.\(3 * j + 1)", op: .unary(.relu), inputs: [h], output: "classifier.\(3 * j + 1)"))
                nodes.append(Node(name: "classifier.\(3 * j + 2)", op: .identity, inputs: ["classifier.\(3 * j + 1)"], output: "classifier.\(3 * j + 2)"))
                h = "classifier.\(3 * j + 2)"
            }
        }
        return Graph(nodes: nodes, constants: consts, input: "x", inputShape: [3, 224, 224], output: "logits")
    }
}
