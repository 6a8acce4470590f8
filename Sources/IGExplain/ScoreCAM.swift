import IGEngine
import IGImaging
import IGModel

/// Score-CAM (Wang et al. 2020; docs/METHODS.md, "The comparison methods"):
/// H_k = minmax(Up(A^k)) upsampled bilinearly to the input size; the score
/// of channel k is the softmax probability of the class on the normalised
/// input multiplied by H_k (as the reference code does: no channel softmax,
/// no baseline subtraction); L = ReLU(sum_k score_k A^k). One forward pass
/// per channel, batched, except that all constant channels (all-zero masks)
/// share one; the probabilities of every class are cached, so another class
/// is free.
public struct ScoreCAM: ExplanationMethod {
    public init() {}
    public var name: String { "score-cam" }
    public var aliases: [String] { ["score", "scorecam"] }
    public var shortName: String { "Score-CAM" }
    public var isProgressive: Bool { true }
    public var passesPerChannel: Bool { true }
    public func scaling(_ options: ExplainOptions) -> String {
        "channel weights = softmax probability of the class on the masked input"
    }

    /// The forward at the image it needs anyway gives the class.
    public func defaultClass(_ ex: Explainer, layer: String) throws -> Int {
        _ = try ex.forwardAtImage(layer: layer)
        return try ex.top(1)[0].classIndex
    }

    public func map(in ex: Explainer, _ job: MapJob) throws -> [Float] {
        let captured = try ex.forwardAtImage(layer: job.layer)
        guard let a = captured[job.layer] else { throw ModelError("layer '\(job.layer)' was not captured") }
        let hw = job.hw, channels = job.channels, layer = job.layer
        let p = ex.model.preprocessing
        let plane = p.height * p.width
        var scores = ex.withCache(Cache.self) { $0.scores[layer] } ?? [[Float]?](repeating: nil, count: channels)
        // A channel that is constant over the map has an all-zero mask (minmax of a constant): every
        // such channel shares one masked input, so one forward pass scores them all (exactly).
        let constant = (0..<channels).map { k in
            let c = a.data[k * hw ..< (k + 1) * hw]
            return c.min() == c.max()
        }
        let missing = (0..<channels).filter { scores[$0] == nil }
        let shared = missing.first { constant[$0] }
        let work = (shared.map { [$0] } ?? []) + missing.filter { !constant[$0] }
        let batch = ex.microBatch(budget: job.options.memoryBudget, tensors: ex.allTensors)
        try ex.inMicroBatches(work, size: batch, cancel: job.cancel, progressive: job.progress != nil) { chunk in
            var items = [Tensor]()
            for k in chunk {
                let up = upsampleBilinear(Array(a.data[k * hw ..< (k + 1) * hw]), height: job.height, width: job.width,
                                          toHeight: p.height, toWidth: p.width)
                let mask = normalizeMinMax(up)
                var t = ex.input
                for c in 0..<3 { for i in 0..<plane { t.data[c * plane + i] *= mask[i] } }
                items.append(t)
            }
            let logits = try ex.model.engine.forward(Tensor.batch(items))
            let k = logits.count / chunk.count
            for (j, ch) in chunk.enumerated() { scores[ch] = softmax(Array(logits.data[j * k ..< (j + 1) * k])) }
            if let shared, chunk.contains(shared) {
                for ch in missing where constant[ch] { scores[ch] = scores[shared] }
            }
            let snapshot = scores
            ex.withCache(Cache.self) { $0.scores[layer] = snapshot }
            if let progress = job.progress {
                let done = channels - snapshot.filter { $0 == nil }.count
                let w = snapshot.map { $0?[job.classIndex] ?? 0 }
                progress(Progress(map: CAM.weightedSum(a.data[...], weights: w, hw: hw), height: job.height, width: job.width,
                                  done: done, total: channels))
            }
        }
        return CAM.weightedSum(a.data[...], weights: scores.map { $0?[job.classIndex] ?? 0 }, hw: hw)
    }

    /// Per layer, per channel: the softmax over all classes of the masked input (nil: not yet).
    struct Cache: MethodCache { var scores: [String: [[Float]?]] = [:] }
}

extension Method { public static let scoreCAM = Method(ScoreCAM()) }
