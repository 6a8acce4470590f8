/// Runs a graph with the reference ops, one node at a time, freeing each
/// tensor after its last reader unless it is captured or needed backward.
public final class ReferenceEngine: InferenceEngine, Sendable {
    public let graph: Graph
    public let plan: GraphPlan

    public init(graph: Graph) {
        self.graph = graph
        self.plan = GraphPlan(graph)
    }

    func value(_ name: String, _ values: [String: Tensor]) throws -> Tensor {
        if let v = values[name] ?? graph.constants[name] { return v }
        throw EngineError("tensor '\(name)' is not available")
    }

    /// Runs `nodes` (ascending indices) over `values`, dropping tensors after
    /// their last use unless listed in `keep`.
    func run(_ nodes: [Int], values: inout [String: Tensor], keep: Set<String>) throws {
        let set = Set(nodes)
        for i in nodes {
            let node = graph.nodes[i]
            let inputs = try node.inputs.map { try value($0, values) }
            do {
                values[node.output] = try ReferenceOps.forward(node.op, inputs)
            } catch let e as EngineError {
                throw EngineError("node '\(node.name)' (\(node.op.name)): \(e.message)")
            }
            for x in node.inputs where !keep.contains(x) {
                // Free once no remaining node in this run reads it.
                if let readers = plan.consumers[x], readers.allSatisfy({ $0 <= i || !set.contains($0) }) {
                    values[x] = nil
                }
            }
        }
    }

    public func forward(_ input: Tensor, capture: Set<String>) throws -> ForwardResult {
        try checkInput(input)
        for c in capture where !plan.hasTensor(c) { throw EngineError("unknown layer '\(c)'") }
        var needed = plan.upstream(of: graph.output)
        for c in capture { needed.formUnion(plan.upstream(of: c)) }
        var values = [graph.input: input]
        try run(needed.sorted(), values: &values, keep: capture.union([graph.output]))
        return ForwardResult(output: try value(graph.output, values),
                             captured: try Dictionary(uniqueKeysWithValues: capture.map { ($0, try value($0, values)) }))
    }

    public func gradient(_ input: Tensor, layer: String, classes: [Int], capture: Set<String>) throws -> GradientResult {
        try checkInput(input)
        let back = try plan.backwardNodes(to: layer)
        // Everything the backward nodes read or write stays alive.
        var keep = capture.union([graph.output, layer])
        for i in back { keep.formUnion(graph.nodes[i].inputs); keep.insert(graph.nodes[i].output) }
        var needed = plan.upstream(of: graph.output)
        for c in capture { needed.formUnion(plan.upstream(of: c)) }
        var values = [graph.input: input]
        try run(needed.sorted(), values: &values, keep: keep)
        let output = try value(graph.output, values)
        let grads = try backward(values: values, nodes: back, seed: oneHotSeed(output: output, classes: classes), to: layer)
        return GradientResult(output: output, activation: try value(layer, values), gradient: grads,
                              captured: try Dictionary(uniqueKeysWithValues: capture.map { ($0, try value($0, values)) }))
    }

    /// Reverse-mode pass over `nodes` from d loss / d output = `seed` down to `layer`.
    func backward(values: [String: Tensor], nodes: [Int], seed: Tensor, to layer: String) throws -> Tensor {
        let onPath = Set(nodes.map { graph.nodes[$0].output }).union([layer])
        var grads = [graph.output: seed]
        for i in nodes.reversed() {
            let node = graph.nodes[i]
            guard let dy = grads.removeValue(forKey: node.output) else { continue }
            let inputs = try node.inputs.map { try value($0, values) }
            let y = try value(node.output, values)
            for (k, x) in node.inputs.enumerated() where onPath.contains(x) && !plan.isConstant(x) {
                let g: Tensor
                do { g = try ReferenceOps.backward(node.op, inputs, y: y, dy: dy, wrt: k) } catch let e as EngineError {
                    throw EngineError("backward through node '\(node.name)' (\(node.op.name)): \(e.message)")
                }
                if var acc = grads[x] {
                    for j in 0..<acc.count { acc.data[j] += g.data[j] }
                    grads[x] = acc
                } else {
                    grads[x] = g
                }
            }
        }
        guard let g = grads[layer] else { throw EngineError("no gradient reached layer '\(layer)'") }
        return g
    }

    public func head(from layer: String, activation: Tensor, context: [String: Tensor]) throws -> Tensor {
        let (nodes, inputs) = try plan.head(after: layer)
        let n = activation.shape[0]
        var values = [layer: activation]
        for x in inputs {
            guard let v = context[x] else { throw EngineError("the head after '\(layer)' also reads '\(x)': pass it in the context") }
            values[x] = tileBatch(v, to: n)
        }
        try run(nodes, values: &values, keep: [graph.output])
        return try value(graph.output, values)
    }
}
