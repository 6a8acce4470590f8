import IGEngine
import IGImaging
import IGModel

/// Score-CAM (Wang et al. 2020): H_k = minmax(Up(A^k)) upsampled bilinearly
/// to the input size; the score of channel k is the softmax probability of
/// the class on the normalised input multiplied by H_k (as the reference
/// code does: no channel softmax, no baseline subtraction);
/// L = ReLU(sum_k score_k A^k). One forward pass per channel, batched, except
/// that all constant channels (all-zero masks) share one; the probabilities
/// of every class are cached, so another class is free.
extension Explainer {
    func scoreCAM(layer: String, classIndex: Int, channels: Int, height: Int, width: Int,
                  options: ExplainOptions, progress: ProgressHandler?, cancel: CancellationToken?) throws -> [Float] {
        let captured = try forwardAtImage(layer: layer)
        guard let a = captured[layer] else { throw ModelError("layer '\(layer)' was not captured") }
        let hw = height * width
        let p = model.preprocessing
        let plane = p.height * p.width
        var scores = locked { scoreCache[layer] } ?? [[Float]?](repeating: nil, count: channels)
        // A channel that is constant over the map has an all-zero mask (minmax of a constant): every
        // such channel shares one masked input, so one forward pass scores them all (exactly).
        let constant = (0..<channels).map { k in
            let c = a.data[k * hw ..< (k + 1) * hw]
            return c.min() == c.max()
        }
        let missing = (0..<channels).filter { scores[$0] == nil }
        let shared = missing.first { constant[$0] }
        let work = (shared.map { [$0] } ?? []) + missing.filter { !constant[$0] }
        let batch = microBatch(budget: options.memoryBudget, tensors: allTensors)
        try inMicroBatches(work, size: batch, cancel: cancel, progressive: progress != nil) { chunk in
            var items = [Tensor]()
            for k in chunk {
                let up = upsampleBilinear(Array(a.data[k * hw ..< (k + 1) * hw]), height: height, width: width,
                                          toHeight: p.height, toWidth: p.width)
                let mask = CAM.minMax(up)
                var t = input
                for c in 0..<3 { for i in 0..<plane { t.data[c * plane + i] *= mask[i] } }
                items.append(t)
            }
            let logits = try model.engine.forward(Tensor.batch(items))
            let k = logits.count / chunk.count
            for (j, ch) in chunk.enumerated() { scores[ch] = softmax(Array(logits.data[j * k ..< (j + 1) * k])) }
            if let shared, chunk.contains(shared) {
                for ch in missing where constant[ch] { scores[ch] = scores[shared] }
            }
            let snapshot = scores
            locked { scoreCache[layer] = snapshot }
            if let progress {
                let done = channels - snapshot.filter { $0 == nil }.count
                let w = snapshot.map { $0?[classIndex] ?? 0 }
                progress(Progress(map: CAM.weightedSum(a.data[...], weights: w, hw: hw), height: height, width: width,
                                  done: done, total: channels))
            }
        }
        return CAM.weightedSum(a.data[...], weights: scores.map { $0?[classIndex] ?? 0 }, hw: hw)
    }
}
