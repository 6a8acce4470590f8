import ArgumentParser
import Foundation
import IGEngine
import IGExplain
import IGModel

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time the engine: forward, forward + backward to the target layer, or one explanation per run.",
        discussion: """
            One warm-up run, then --runs timed runs on a real photo (the first bundled one unless --image). \
            Prints min and median milliseconds. With --method, each run is what `igcam explain` does: \
            the explanation of --class, or of the top-1 class found by the method's own first pass. \
            tools/bench_vs_pytorch.py and tools/bench_methods.py run the same work in PyTorch and print \
            the ratios.
            """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var selection: ExplainSelection

    @Option(name: .long, help: "Batch size N for forward and forward+backward, 1...\(Bench.maxBatch).")
    var batch: Int = 1

    @Option(name: .long, help: "Timed runs, 1...\(Bench.maxRuns).")
    var runs: Int = 10

    static let maxBatch = 1024, maxRuns = 1_000_000

    @Option(name: .long, help: "Image to run on (default: the first bundled photo).")
    var image: String?

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func validate() throws {
        guard (1...Bench.maxBatch).contains(batch) else { throw ValidationError("--batch must be from 1 to \(Bench.maxBatch) (got \(batch))") }
        guard (1...Bench.maxRuns).contains(runs) else { throw ValidationError("--runs must be from 1 to \(Bench.maxRuns) (got \(runs))") }
    }

    func run() throws {
        let model = try modelOptions.load()
        guard let path = image ?? Assets.photos().first else { throw CLIError("no image: pass --image") }
        let img = try readImage(path)
        let layer = try model.layer(selection.layer)
        let threads = modelOptions.threads ?? ProcessInfo.processInfo.activeProcessorCount
        var doc: [String: Any] = ["runs": runs, "batch": batch, "threads": threads, "model": model.path,
                                  "layer": layer, "backend": modelOptions.backend.rawValue]
        if !selection.method.isEmpty {
            let options = try selection.options()
            // Each run times what `igcam explain` does: with --class, the method alone; without,
            // the method with its default class (which one-pass methods find in the same pass).
            let given = try selection.class.map { try model.resolveClass($0) }
            // The image is decoded, resized and normalised once, outside the timing, for both the
            // method and the forward it is compared with (as PyTorch tools are handed a tensor).
            let pixels = model.pixels(img)
            let x = model.normalize(pixels)
            for m in try selection.methods() {
                // A plain forward of the same image, interleaved run by run with the method, so the
                // ratio compares the two under the same machine conditions.
                // For the progressive methods, also the time from the start to the first partial map
                // (what the viewer shows first).
                // @unchecked Sendable: the progress handler runs on the thread that calls explain
                // (the one timing it), so `First` is only ever touched by that thread.
                final class First: @unchecked Sendable {
                    var start: UInt64 = 0, ms: Double?, all = [Double]()
                    func mark() { if ms == nil { ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6 } }
                }
                let first = First()
                var progress: ProgressHandler?
                if m.isProgressive { progress = { (_: IGExplain.Progress) in first.mark() } }
                let (t, fwd) = try timeInterleaved(runs, {
                    first.start = DispatchTime.now().uptimeNanoseconds
                    first.ms = nil
                    let ex = Explainer(model: model, pixels: pixels)
                    let cls = try given ?? ex.defaultClass(for: m, layer: layer)
                    _ = try ex.explain(m, layer: layer, classIndex: cls, options: options, progress: progress)
                    if let f = first.ms { first.all.append(f) }
                }, { _ = try model.engine.forward(x) })
                var entry = t.json
                entry["forward_median_ms"] = fwd.median
                entry["ratio_to_forward"] = t.median / fwd.median
                let firstPartial = first.all.isEmpty ? nil : Timing(ms: Array(first.all.dropFirst(first.all.count > runs ? 1 : 0)))
                if let fp = firstPartial { entry["first_partial_median_ms"] = fp.median }
                doc[m.name] = entry
                if m.takes.contains(.steps) { doc["steps"] = options.steps }
                if !json {
                    print(String(format: "%-22@ %9.2f ms median  %9.2f ms min   (%.2fx a forward, %.2f ms, in the same runs)",
                                 m.name, t.median, t.min, t.median / fwd.median, fwd.median))
                    if let fp = firstPartial {
                        print(String(format: "%-22@ first partial map after %.2f ms median (%.2fx a forward)", "", fp.median, fp.median / fwd.median))
                    }
                }
            }
        } else {
            let x = tileBatch(model.input(img), to: batch)
            let classes = try [Int](repeating: model.top(model.engine.forward(x.item(0)), k: 1)[0][0].classIndex, count: batch)
            let fwd = try time(runs) { _ = try model.engine.forward(x) }
            let fb = try time(runs) { _ = try model.engine.gradient(x, layer: layer, classes: classes, capture: []) }
            doc["forward"] = fwd.json
            doc["forward_backward"] = fb.json
            if !json {
                print("\(model.name)  batch \(batch)  threads \(threads)  layer \(layer)")
                print(String(format: "forward            %9.2f ms median  %9.2f ms min", fwd.median, fwd.min))
                print(String(format: "forward+backward   %9.2f ms median  %9.2f ms min  (%.2fx forward)", fb.median, fb.min, fb.median / fwd.median))
            }
        }
        if json { try printJSON(doc) }
    }
}

struct Timing {
    var median: Double
    var min: Double
    init(ms: [Double]) {
        let s = ms.sorted()
        median = s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        min = s[0]
    }
    var json: [String: Double] { ["median_ms": median, "min_ms": min] }
}

/// One warm-up call of each, then `runs` rounds timing `a` then `b`.
func timeInterleaved(_ runs: Int, _ a: () throws -> Void, _ b: () throws -> Void) throws -> (Timing, Timing) {
    try a()
    try b()
    var ta = [Double](), tb = [Double]()
    func ms(_ body: () throws -> Void) rethrows -> Double {
        let t0 = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
    }
    for _ in 0..<runs {
        ta.append(try ms(a))
        tb.append(try ms(b))
    }
    return (Timing(ms: ta), Timing(ms: tb))
}

/// One warm-up call, then `runs` timed calls.
func time(_ runs: Int, _ body: () throws -> Void) throws -> Timing {
    try body()
    var ms = [Double]()
    for _ in 0..<runs {
        let t0 = DispatchTime.now().uptimeNanoseconds
        try body()
        ms.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
    }
    return Timing(ms: ms)
}
