/// Static facts about a graph that every engine needs: who produces and who
/// reads each tensor, and which nodes lie between a layer and the output.
public struct GraphPlan: Sendable {
    public let graph: Graph
    /// Node index producing each tensor.
    public let producer: [String: Int]
    /// Node indices reading each tensor.
    public let consumers: [String: [Int]]

    public init(_ graph: Graph) {
        self.graph = graph
        var p = [String: Int](), c = [String: [Int]]()
        for (i, n) in graph.nodes.enumerated() {
            p[n.output] = i
            for x in n.inputs where graph.constants[x] == nil { c[x, default: []].append(i) }
        }
        producer = p; consumers = c
    }

    public func isConstant(_ name: String) -> Bool { graph.constants[name] != nil }

    /// Whether `name` is the input or a node output.
    public func hasTensor(_ name: String) -> Bool { name == graph.input || producer[name] != nil }

    /// Indices of the nodes that read `tensor`, directly or through others.
    public func downstream(of tensor: String) -> Set<Int> {
        var seen = Set<Int>(), stack = consumers[tensor] ?? []
        while let i = stack.popLast() {
            if !seen.insert(i).inserted { continue }
            stack += consumers[graph.nodes[i].output] ?? []
        }
        return seen
    }

    /// Indices of the nodes needed to compute `tensor`.
    public func upstream(of tensor: String) -> Set<Int> {
        var seen = Set<Int>(), stack = producer[tensor].map { [$0] } ?? []
        while let i = stack.popLast() {
            if !seen.insert(i).inserted { continue }
            for x in graph.nodes[i].inputs { if let j = producer[x] { stack.append(j) } }
        }
        return seen
    }

    /// The nodes a backward pass from the output to `layer` goes through,
    /// in graph order.
    public func backwardNodes(to layer: String) throws -> [Int] {
        guard hasTensor(layer) else { throw EngineError("unknown layer '\(layer)'") }
        let nodes = downstream(of: layer).intersection(upstream(of: graph.output)).sorted()
        guard !nodes.isEmpty else { throw EngineError("the output does not depend on layer '\(layer)'") }
        return nodes
    }

    /// The nodes after `layer` (in order), and the non-constant tensors they
    /// read that come from before the layer.
    public func head(after layer: String) throws -> (nodes: [Int], inputs: [String]) {
        let nodes = try backwardNodes(to: layer)
        let inside = Set(nodes.map { graph.nodes[$0].output })
        var external = [String]()
        for i in nodes {
            for x in graph.nodes[i].inputs where x != layer && !isConstant(x) && !inside.contains(x) && !external.contains(x) {
                external.append(x)
            }
        }
        return (nodes, external)
    }

    /// The tensors the head after `layer` reads besides the layer itself.
    public func headInputs(after layer: String) throws -> [String] { try head(after: layer).inputs }
}
