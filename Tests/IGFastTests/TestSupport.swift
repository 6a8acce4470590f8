import XCTest
import IGEngine
import IGFast
import IGTestSupport

/// Builds a graph from `body` (reading "x") and appends a random linear head
/// (Flatten + Gemm to `classes` logits) after tensor `last`, so every
/// gradient reaching the body is dense.
func withHead(_ body: [Node], constants: [String: Tensor], inputShape: [Int], last: String,
              classes: Int = 5, seed: UInt64 = 77) throws -> Graph {
    let partial = Graph(nodes: body, constants: constants, input: "x", inputShape: inputShape, output: last)
    let probe = try ReferenceEngine(graph: partial).forward(randomTensor([1] + inputShape, seed: 1))
    let features = probe.count
    var c = constants
    c["head_w"] = randomTensor([classes, features], seed: seed)
    c["head_b"] = randomTensor([classes], seed: seed + 1)
    let nodes = body + [
        Node(name: "head_flat", op: .flatten(axis: 1), inputs: [last], output: "head_f"),
        Node(name: "head_fc", op: .gemm(GemmAttributes(transB: true)), inputs: ["head_f", "head_w", "head_b"], output: "logits"),
    ]
    return Graph(nodes: nodes, constants: c, input: "x", inputShape: inputShape, output: "logits")
}

/// Holds FastEngine to ReferenceEngine on `graph`: logits (and captures)
/// forward at 1e-4, and for each layer the activation at 1e-4 and the
/// gradient at 1e-3 (relative to the largest reference value).
func assertParity(_ graph: Graph, batches: [Int] = [1, 3], layers: [String], capture: Set<String> = [],
                  engine: FastEngine? = nil, seed: UInt64 = 11, what: String = "",
                  file: StaticString = #filePath, line: UInt = #line) throws {
    let ref = ReferenceEngine(graph: graph)
    let fast = try engine ?? FastEngine(graph: graph)
    for n in batches {
        let x = randomTensor([n] + graph.inputShape, seed: seed &+ UInt64(n))
        let r = try ref.forward(x, capture: capture)
        let f = try fast.forward(x, capture: capture)
        XCTAssertEqual(f.output.shape, r.output.shape, "\(what) N=\(n)", file: file, line: line)
        XCTAssertLessThan(relativeError(f.output, r.output), 1e-4, "\(what) forward N=\(n)", file: file, line: line)
        for c in capture {
            XCTAssertLessThan(relativeError(f.captured[c]!, r.captured[c]!), 1e-4, "\(what) capture \(c) N=\(n)", file: file, line: line)
        }
        let k = r.output.shape[1]
        let classes = (0..<n).map { ($0 * 2 + 1) % k }
        for layer in layers {
            let rg = try ref.gradient(x, layer: layer, classes: classes, capture: capture)
            let fg = try fast.gradient(x, layer: layer, classes: classes, capture: capture)
            XCTAssertGreaterThan(rg.gradient.maxAbs, 0, "\(what): reference gradient to \(layer) is zero", file: file, line: line)
            XCTAssertEqual(fg.gradient.shape, rg.gradient.shape, "\(what) \(layer)", file: file, line: line)
            XCTAssertLessThan(relativeError(fg.output, rg.output), 1e-4, "\(what) grad-forward N=\(n)", file: file, line: line)
            XCTAssertLessThan(relativeError(fg.activation, rg.activation), 1e-4, "\(what) activation \(layer) N=\(n)", file: file, line: line)
            XCTAssertLessThan(relativeError(fg.gradient, rg.gradient), 1e-3, "\(what) gradient to \(layer) N=\(n)", file: file, line: line)
            for c in capture {
                XCTAssertLessThan(relativeError(fg.captured[c]!, rg.captured[c]!), 1e-4, "\(what) grad capture \(c)", file: file, line: line)
            }
        }
    }
}

/// A VGG-like stack: conv-relu pairs (fusable), max pooling, a 2-layer
/// classifier with ReLU and dropout (identity).
func tinyVGG(channels: Int = 16, size: Int = 12, seed: UInt64 = 5) -> Graph {
    let c = channels
    let flat = 2 * c * (size / 4) * (size / 4)
    let consts: [String: Tensor] = [
        "w1": randomTensor([c, 3, 3, 3], seed: seed), "b1": randomTensor([c], seed: seed + 1),
        "w2": randomTensor([c, c, 3, 3], seed: seed + 2, range: -0.3...0.3), "b2": randomTensor([c], seed: seed + 3),
        "w3": randomTensor([2 * c, c, 3, 3], seed: seed + 4, range: -0.3...0.3), "b3": randomTensor([2 * c], seed: seed + 5),
        "f1": randomTensor([24, flat], seed: seed + 6, range: -0.2...0.2), "f1b": randomTensor([24], seed: seed + 7),
        "f2": randomTensor([7, 24], seed: seed + 8), "f2b": randomTensor([7], seed: seed + 9),
    ]
    let p1 = ConvAttributes(pads: [1, 1, 1, 1])
    let nodes = [
        Node(name: "conv1", op: .conv(p1), inputs: ["x", "w1", "b1"], output: "c1"),
        Node(name: "relu1", op: .unary(.relu), inputs: ["c1"], output: "r1"),
        Node(name: "conv2", op: .conv(p1), inputs: ["r1", "w2", "b2"], output: "c2"),
        Node(name: "relu2", op: .unary(.relu), inputs: ["c2"], output: "r2"),
        Node(name: "pool1", op: .maxPool(PoolAttributes(kernel: [2, 2], strides: [2, 2])), inputs: ["r2"], output: "p1"),
        Node(name: "conv3", op: .conv(p1), inputs: ["p1", "w3", "b3"], output: "c3"),
        Node(name: "relu3", op: .unary(.relu), inputs: ["c3"], output: "r3"),
        Node(name: "pool2", op: .maxPool(PoolAttributes(kernel: [2, 2], strides: [2, 2])), inputs: ["r3"], output: "p2"),
        Node(name: "flat", op: .flatten(axis: 1), inputs: ["p2"], output: "f"),
        Node(name: "fc1", op: .gemm(GemmAttributes(transB: true)), inputs: ["f", "f1", "f1b"], output: "h1"),
        Node(name: "relu4", op: .unary(.relu), inputs: ["h1"], output: "hr1"),
        Node(name: "drop", op: .identity, inputs: ["hr1"], output: "hd"),
        Node(name: "fc2", op: .gemm(GemmAttributes(transB: true)), inputs: ["hd", "f2", "f2b"], output: "logits"),
    ]
    return Graph(nodes: nodes, constants: consts, input: "x", inputShape: [3, size, size], output: "logits")
}
