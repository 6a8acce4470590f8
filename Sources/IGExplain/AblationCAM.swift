import IGEngine
import IGModel

/// Ablation-CAM (Desai & Ramaswamy 2020; docs/METHODS.md, "The comparison
/// methods"): w_k = (y^c - y^c_k) / y^c where y^c_k is the logit with
/// channel k of the target layer set to 0; L = ReLU(sum_k w_k A^k). Only the
/// part of the network after the target layer is re-run, for a micro-batch
/// of ablated channels at a time; the logits of every class are cached, so
/// another class is free.
public struct AblationCAM: ExplanationMethod {
    public init() {}
    public var name: String { "ablation-cam" }
    public var aliases: [String] { ["ablation", "ablationcam"] }
    public var shortName: String { "Ablation-CAM" }
    public var isProgressive: Bool { true }
    public var passesPerChannel: Bool { true }
    public func scaling(_ options: ExplainOptions) -> String { "channel weights = (y - y_ablated) / y on logits" }

    /// The forward at the image it needs anyway gives the class.
    public func defaultClass(_ ex: Explainer, layer: String) throws -> Int {
        _ = try ex.forwardAtImage(layer: layer)
        return try ex.top(1)[0].classIndex
    }

    public func map(in ex: Explainer, _ job: MapJob) throws -> [Float] {
        let layer = job.layer, channels = job.channels, classIndex = job.classIndex
        let captured = try ex.forwardAtImage(layer: layer)
        guard let a = captured[layer] else { throw ModelError("layer '\(layer)' was not captured") }
        let context = captured.filter { $0.key != layer }
        let hw = job.hw
        let y = try ex.logits().data[classIndex]
        var ablated = ex.withCache(Cache.self) { $0.logits[layer] } ?? [[Float]?](repeating: nil, count: channels)
        let missing = (0..<channels).filter { ablated[$0] == nil }
        let graph = ex.model.graph
        let (headNodes, _) = try GraphPlan(graph).head(after: layer)
        let batch = ex.microBatch(budget: job.options.memoryBudget, tensors: headNodes.map { graph.nodes[$0].output } + [layer])
        func weights(_ rows: [[Float]?]) -> [Float] {
            rows.map { r in r.map { y != 0 ? (y - $0[classIndex]) / y : 0 } ?? 0 }
        }
        try ex.inMicroBatches(missing, size: batch, cancel: job.cancel, progressive: job.progress != nil) { chunk in
            var items = [Tensor]()
            for k in chunk {
                var t = a
                for i in 0..<hw { t.data[k * hw + i] = 0 }
                items.append(t)
            }
            let out = try ex.model.engine.head(from: layer, activation: Tensor.batch(items), context: context)
            let n = out.count / chunk.count
            for (j, ch) in chunk.enumerated() { ablated[ch] = Array(out.data[j * n ..< (j + 1) * n]) }
            let snapshot = ablated
            ex.withCache(Cache.self) { $0.logits[layer] = snapshot }
            if let progress = job.progress {
                let done = channels - snapshot.filter { $0 == nil }.count
                progress(Progress(map: CAM.weightedSum(a.data[...], weights: weights(snapshot), hw: hw),
                                  height: job.height, width: job.width, done: done, total: channels))
            }
        }
        return CAM.weightedSum(a.data[...], weights: weights(ablated), hw: hw)
    }

    /// Per layer, per channel: the logits of every class with that channel ablated (nil: not yet).
    struct Cache: MethodCache { var logits: [String: [[Float]?]] = [:] }
}

extension Method { public static let ablationCAM = Method(AblationCAM()) }
