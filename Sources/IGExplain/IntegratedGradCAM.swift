import IGEngine
import IGModel

/// Integrated Grad-CAM (Sattarzadeh et al. 2021): Grad-CAM terms accumulated
/// along the straight path x_k = x' + (k/m)(x - x') from a baseline x'.
///
///   figure:       M = sum_{k=1..m}   ReLU( sum_c (A^c(x_k) - A^c(x')) GAP(dy^c/dA^c (x_k)) )
///   authors-code: M = sum_{k=0..m-1} ReLU( sum_c  A^c(x_k)            GAP(dy^c/dA^c (x_k)) )
///
/// Path points go through the network in micro-batches bounded by the
/// memory budget; each point's terms for both readings are cached by its
/// exact fraction k/m, so raising m to 2m computes only the new points and
/// switching reading is free.
extension Explainer {
    func integratedGradCAM(layer: String, classIndex: Int, channels: Int, hw: Int, height: Int, width: Int,
                           options: ExplainOptions, progress: ProgressHandler?, cancel: CancellationToken?) throws -> [Float] {
        let m = options.steps
        guard m >= 1 else { throw ModelError("steps must be at least 1 (got \(m))") }
        let ks = options.reading == .figure ? Array(1...m) : Array(0..<m)
        let points = ks.map { Fraction($0, m) }
        let key = PathKey(layer: layer, classIndex: classIndex, baseline: options.baseline)
        let p = model.preprocessing
        let baselinePixels = Baselines.pixels(options.baseline, image: pixels, height: p.height, width: p.width, mean: p.mean)
        let x0 = model.normalize(baselinePixels)
        let a0 = try baselineActivation(layer: layer, baseline: options.baseline, input: x0)

        func total(_ terms: [Fraction: PathTerms]) -> (map: [Float], done: Int) {
            var sum = [Float](repeating: 0, count: hw), done = 0
            for f in points {
                guard let t = terms[f] else { continue }
                let term = options.reading == .figure ? t.figure : t.authors
                for i in 0..<hw { sum[i] += term[i] }
                done += 1
            }
            return (sum, done)
        }

        var terms = locked { pathCache[key] ?? [:] }
        let missing = progressiveOrder(points.filter { terms[$0] == nil })
        let batch = microBatch(budget: options.memoryBudget, tensors: allTensors)
        try inMicroBatches(missing, size: batch, cancel: cancel, progressive: progress != nil) { chunk in
            // x' + a (x - x') in normalised space equals normalising the pixel-space path point.
            var items = [Tensor]()
            for f in chunk {
                let a = f.value
                var t = x0
                for i in 0..<t.count { t.data[i] += a * (input.data[i] - x0.data[i]) }
                items.append(t)
            }
            let r = try model.engine.gradient(Tensor.batch(items), layer: layer, classes: [Int](repeating: classIndex, count: chunk.count), capture: [])
            let per = channels * hw
            if let j = chunk.firstIndex(of: Fraction(1, 1)) {
                // The path's end is the image itself: its logits save a separate forward pass.
                let out = r.output.item(j)
                locked { if logitsCache == nil { logitsCache = out } }
            }
            for (j, f) in chunk.enumerated() {
                let a = r.activation.data[j * per ..< (j + 1) * per]
                let gbar = CAM.channelMeans(r.gradient.data[j * per ..< (j + 1) * per], channels: channels, hw: hw)
                var delta = [Float](repeating: 0, count: per)
                for i in 0..<per { delta[i] = a[a.startIndex + i] - a0.data[i] }
                terms[f] = PathTerms(figure: CAM.weightedSum(delta[...], weights: gbar, hw: hw),
                                     authors: CAM.weightedSum(a, weights: gbar, hw: hw))
            }
            let snapshot = terms
            locked { pathCache[key] = snapshot }
            if let progress {
                let (sum, done) = total(terms)
                let scale = Float(points.count) / Float(max(done, 1))
                progress(Progress(map: sum.map { $0 * scale }, height: height, width: width, done: done, total: points.count))
            }
        }
        return total(terms).map
    }

    /// A(x') for a baseline, cached by (layer, baseline). Black, mean and noise
    /// baselines do not depend on the image: their activations are kept on the
    /// model, so the next image's path starts without a baseline pass.
    func baselineActivation(layer: String, baseline: Baseline, input x0: Tensor) throws -> Tensor {
        let key = BaselineKey(layer: layer, baseline: baseline)
        if let hit = locked({ baselineCache[key] }) { return hit }
        let shared: String?
        switch baseline {
        case .black, .mean, .noise: shared = "baseline-activation|\(layer)|\(baseline)"
        case .blur: shared = nil
        }
        if let shared, let hit = model.imageIndependent[shared] {
            locked { baselineCache[key] = hit }
            return hit
        }
        guard let a = try model.engine.forward(x0, capture: [layer]).captured[layer] else {
            throw ModelError("layer '\(layer)' was not captured")
        }
        locked { baselineCache[key] = a }
        if let shared { model.imageIndependent[shared] = a }
        return a
    }
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
