import IGEngine
import IGModel

/// Ablation-CAM (Desai & Ramaswamy 2020): w_k = (y^c - y^c_k) / y^c where
/// y^c_k is the logit with channel k of the target layer set to 0;
/// L = ReLU(sum_k w_k A^k). Only the part of the network after the target
/// layer is re-run, for a micro-batch of ablated channels at a time; the
/// logits of every class are cached, so another class is free.
extension Explainer {
    func ablationCAM(layer: String, classIndex: Int, channels: Int, height: Int, width: Int,
                     options: ExplainOptions, progress: ProgressHandler?, cancel: CancellationToken?) throws -> [Float] {
        let captured = try forwardAtImage(layer: layer)
        guard let a = captured[layer] else { throw ModelError("layer '\(layer)' was not captured") }
        let context = captured.filter { $0.key != layer }
        let hw = height * width
        let y = try logits().data[classIndex]
        var ablated = locked { ablationCache[layer] } ?? [[Float]?](repeating: nil, count: channels)
        let missing = (0..<channels).filter { ablated[$0] == nil }
        let (headNodes, _) = try GraphPlan(model.graph).head(after: layer)
        let batch = microBatch(budget: options.memoryBudget, tensors: headNodes.map { model.graph.nodes[$0].output } + [layer])
        func weights(_ rows: [[Float]?]) -> [Float] {
            rows.map { r in r.map { y != 0 ? (y - $0[classIndex]) / y : 0 } ?? 0 }
        }
        try inMicroBatches(missing, size: batch, cancel: cancel, progressive: progress != nil) { chunk in
            var items = [Tensor]()
            for k in chunk {
                var t = a
                for i in 0..<hw { t.data[k * hw + i] = 0 }
                items.append(t)
            }
            let out = try model.engine.head(from: layer, activation: Tensor.batch(items), context: context)
            let n = out.count / chunk.count
            for (j, ch) in chunk.enumerated() { ablated[ch] = Array(out.data[j * n ..< (j + 1) * n]) }
            let snapshot = ablated
            locked { ablationCache[layer] = snapshot }
            if let progress {
                let done = channels - snapshot.filter { $0 == nil }.count
                progress(Progress(map: CAM.weightedSum(a.data[...], weights: weights(snapshot), hw: hw),
                                  height: height, width: width, done: done, total: channels))
            }
        }
        return CAM.weightedSum(a.data[...], weights: weights(ablated), hw: hw)
    }
}
