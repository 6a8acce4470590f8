/// The layers of a graph a method can explain, and the one it explains by
/// default. (Finding a layer from what a user types, by tensor name or by
/// PyTorch/TensorFlow module path, is the importer's: IGONNX/LayerNames.swift.)

extension Graph {
    /// Every node output with a per-item 3-D shape (C, H, W), in graph order,
    /// with its alias (if any). Requires `shapes` (see `inferShapes()`).
    /// A Transpose's output is left out: it holds another layer's values in
    /// another order (see the importer's layout pass), not a new activation.
    public var candidateLayers: [(name: String, alias: String?, shape: [Int])] {
        nodes.compactMap { n in
            guard let s = shapes[n.output], s.count == 3 else { return nil }
            if case .transpose = n.op { return nil }
            return (n.output, aliases[n.output], s)
        }
    }

    /// The layer to explain when none is named: the last spatial activation
    /// (C x h x w with h > 1) before global pooling / flatten, stepping back
    /// over pooling and data-movement ops at the end (a VGG's last MaxPool:
    /// its input, the last conv block's ReLU). Nil when there is none.
    public var defaultLayer: String? {
        let cands = candidateLayers
        guard var pick = cands.last(where: { $0.shape[1] > 1 }) else { return nil }
        let byName = Dictionary(cands.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let producer = GraphPlan(self).producer
        while let k = producer[pick.name] {
            let n = nodes[k]
            switch n.op {
            case .maxPool, .averagePool, .pad, .padBorder:
                guard let prev = n.inputs.first.flatMap({ byName[$0] }), prev.shape[1] > 1 else { return pick.name }
                pick = prev
            case .conv, .batchNorm, .unary, .binary, .prelu, .lrn, .globalAveragePool, .globalMaxPool, .flatten,
                 .reshape, .squeeze, .unsqueeze, .transpose, .gemm, .matMul, .concat, .softmax, .logSoftmax,
                 .identity, .reduceMean:
                return pick.name
            }
        }
        return pick.name
    }
}
