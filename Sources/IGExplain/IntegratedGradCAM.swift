import IGEngine
import IGModel

/// Integrated Grad-CAM (Sattarzadeh et al. 2021; docs/METHODS.md, "Integrated
/// Grad-CAM"): Grad-CAM terms accumulated along the straight path
/// x_k = x' + (k/m)(x - x') from a baseline x', in one of two readings.
/// The formula is `terms(...)` and `points(...)`; the rest is the loop that
/// batches path points through the network, caches their terms and reports
/// progress.
public struct IntegratedGradCAM: ExplanationMethod {
    public init() {}
    public var name: String { "integrated-grad-cam" }
    public var aliases: [String] { ["igc", "igcam", "integrated"] }
    public var shortName: String { "IG-CAM" }
    public var takes: MethodOptions { [.steps, .baseline, .reading] }
    public var isProgressive: Bool { true }
    public func scaling(_ o: ExplainOptions) -> String {
        "sum of \(o.steps) per-step ReLU terms, no 1/m (\(o.reading.rawValue) reading)"
    }

    // MARK: the formula (docs/METHODS.md, "Integrated Grad-CAM")

    /// The path points k/m the sum runs over:
    /// figure k = 1..m (the path's end is the image); authors-code k = 0..m-1 (a left sum from the baseline).
    static func points(steps m: Int, reading: Reading) -> [Fraction] {
        (reading == .figure ? Array(1...m) : Array(0..<m)).map { Fraction($0, m) }
    }

    /// One path point's term in both readings, from A(x_k) (`a`), dy/dA(x_k) (`g`) and A(x') (`a0`):
    ///   figure:       ReLU( sum_c (A^c(x_k) - A^c(x')) GAP(dy/dA^c (x_k)) )
    ///   authors-code: ReLU( sum_c  A^c(x_k)            GAP(dy/dA^c (x_k)) )
    /// No 1/m: the map M is the plain sum of the terms over `points` (as in the authors' code).
    static func terms(a: ArraySlice<Float>, g: ArraySlice<Float>, a0: [Float], channels: Int, hw: Int) -> PathTerms {
        let gbar = CAM.channelMeans(g, channels: channels, hw: hw)
        var delta = [Float](repeating: 0, count: channels * hw)
        for i in delta.indices { delta[i] = a[a.startIndex + i] - a0[i] }
        return PathTerms(figure: CAM.weightedSum(delta[...], weights: gbar, hw: hw),
                         authors: CAM.weightedSum(a, weights: gbar, hw: hw))
    }

    // MARK: the loop

    /// Path points go through the network in micro-batches bounded by the
    /// memory budget; each point's terms for both readings are cached by its
    /// exact fraction k/m, so raising m to 2m computes only the new points and
    /// switching reading is free.
    public func map(in ex: Explainer, _ job: MapJob) throws -> [Float] {
        let o = job.options, hw = job.hw, channels = job.channels
        guard o.steps >= 1 else { throw ModelError("steps must be at least 1 (got \(o.steps))") }
        let points = Self.points(steps: o.steps, reading: o.reading)
        let key = PathKey(layer: job.layer, classIndex: job.classIndex, baseline: o.baseline)
        let p = ex.model.preprocessing
        let x0 = ex.model.normalize(Baselines.pixels(o.baseline, image: ex.pixels, height: p.height, width: p.width, mean: p.mean))
        let a0 = try baselineActivation(ex, layer: job.layer, baseline: o.baseline, input: x0)

        func total(_ terms: [Fraction: PathTerms]) -> (map: [Float], done: Int) {
            var sum = [Float](repeating: 0, count: hw), done = 0
            for f in points {
                guard let t = terms[f] else { continue }
                let term = o.reading == .figure ? t.figure : t.authors
                for i in 0..<hw { sum[i] += term[i] }
                done += 1
            }
            return (sum, done)
        }

        var terms = ex.withCache(Cache.self) { $0.paths[key] ?? [:] }
        let missing = progressiveOrder(points.filter { terms[$0] == nil })
        let batch = ex.microBatch(budget: o.memoryBudget, tensors: ex.allTensors)
        try ex.inMicroBatches(missing, size: batch, cancel: job.cancel, progressive: job.progress != nil) { chunk in
            // x' + a (x - x') in normalised space equals normalising the pixel-space path point.
            var items = [Tensor]()
            for f in chunk {
                let a = f.value
                var t = x0
                for i in 0..<t.count { t.data[i] += a * (ex.input.data[i] - x0.data[i]) }
                items.append(t)
            }
            let r = try ex.model.engine.gradient(Tensor.batch(items), layer: job.layer,
                                                 classes: [Int](repeating: job.classIndex, count: chunk.count), capture: [])
            if let j = chunk.firstIndex(of: Fraction(1, 1)) {
                // The path's end is the image itself: its logits save a separate forward pass.
                ex.rememberLogits(r.output.item(j))
            }
            let per = channels * hw
            for (j, f) in chunk.enumerated() {
                terms[f] = Self.terms(a: r.activation.data[j * per ..< (j + 1) * per], g: r.gradient.data[j * per ..< (j + 1) * per],
                                      a0: a0.data, channels: channels, hw: hw)
            }
            let snapshot = terms
            ex.withCache(Cache.self) { $0.paths[key] = snapshot }
            if let progress = job.progress {
                let (sum, done) = total(terms)
                let scale = Float(points.count) / Float(max(done, 1))
                progress(Progress(map: sum.map { $0 * scale }, height: job.height, width: job.width, done: done, total: points.count))
            }
        }
        return total(terms).map
    }

    /// A(x') for a baseline, cached by (layer, baseline). Black, mean and noise
    /// baselines do not depend on the image: their activations are kept on the
    /// model, so the next image's path starts without a baseline pass.
    func baselineActivation(_ ex: Explainer, layer: String, baseline: Baseline, input x0: Tensor) throws -> Tensor {
        let key = BaselineKey(layer: layer, baseline: baseline)
        if let hit = ex.withCache(Cache.self, { $0.baselines[key] }) { return hit }
        let shared: String?
        switch baseline {
        case .black, .mean, .noise: shared = "baseline-activation|\(layer)|\(baseline)"
        case .blur: shared = nil
        }
        if let shared, let hit = ex.model.imageIndependent[shared] {
            ex.withCache(Cache.self) { $0.baselines[key] = hit }
            return hit
        }
        guard let a = try ex.model.engine.forward(x0, capture: [layer]).captured[layer] else {
            throw ModelError("layer '\(layer)' was not captured")
        }
        ex.withCache(Cache.self) { $0.baselines[key] = a }
        if let shared { ex.model.imageIndependent[shared] = a }
        return a
    }

    /// What Integrated Grad-CAM keeps per image.
    struct Cache: MethodCache {
        /// Path terms by (layer, class, baseline), then by path point.
        var paths: [PathKey: [Fraction: PathTerms]] = [:]
        /// A(x') by (layer, baseline).
        var baselines: [BaselineKey: Tensor] = [:]
    }
}

extension Method { public static let integratedGradCAM = Method(IntegratedGradCAM()) }

struct PathKey: Hashable { let layer: String; let classIndex: Int; let baseline: Baseline }
struct BaselineKey: Hashable { let layer: String; let baseline: Baseline }

/// Both readings' per-step terms at one path point.
struct PathTerms {
    /// ReLU(sum_c (A^c(x_a) - A^c(x')) GAP(g^c(x_a)))
    let figure: [Float]
    /// ReLU(sum_c A^c(x_a) GAP(g^c(x_a)))
    let authors: [Float]
}

/// An exact fraction k/m in lowest terms, so path points of m and 2m steps
/// coincide in the cache.
struct Fraction: Hashable {
    let num: Int, den: Int
    init(_ n: Int, _ d: Int) {
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
        let g = max(gcd(n, d), 1)
        num = n / g; den = d / g
    }
    var value: Float { Float(num) / Float(den) }
}

/// Reorders work so that any prefix is spread over the whole range (bit
/// reversal): partial sums then estimate the whole integral early.
func progressiveOrder<T>(_ items: [T]) -> [T] {
    let n = items.count
    guard n > 2 else { return items }
    var bits = 0
    while (1 << bits) < n { bits += 1 }
    var out = [T]()
    out.reserveCapacity(n)
    for i in 0..<(1 << bits) {
        var r = 0
        for b in 0..<bits where i & (1 << b) != 0 { r |= 1 << (bits - 1 - b) }
        if r < n { out.append(items[r]) }
    }
    return out
}
