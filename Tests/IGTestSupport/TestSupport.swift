import IGEngine

// Deterministic inputs and a small hand-built network shared by the engine
// and fast-engine tests.

public func randomTensor(_ shape: [Int], seed: UInt64, range: ClosedRange<Float> = -1...1) -> Tensor {
    var g = SplitMix64(seed: seed)
    return Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in Float.random(in: range, using: &g) })
}

/// Values spread away from each other and from 0, so kinks (ReLU at 0, ties in
/// max pooling, Clip bounds) are never within the finite-difference step.
public func spreadTensor(_ shape: [Int], seed: UInt64) -> Tensor {
    var g = SplitMix64(seed: seed)
    let n = shape.reduce(1, *)
    var vals = (0..<n).map { Float($0 - n / 2) * 0.05 + 0.025 }
    vals.shuffle(using: &g)
    return Tensor(shape: shape, data: vals)
}

/// One activation of each kind, with attributes that put its kinks and
/// saturation inside [-4, 4]. The activation tests of the reference and the
/// fast engine run over `UnaryOp.Kind.allCases` through this exhaustive
/// switch, so a new kind is tested as soon as it is listed here.
public func exampleUnary(_ kind: UnaryOp.Kind) -> UnaryOp {
    switch kind {
    case .relu: return .relu
    case .clip: return .clip(min: -0.5, max: 0.7)
    case .leakyRelu: return .leakyRelu(alpha: 0.2)
    case .sigmoid: return .sigmoid
    case .hardSigmoid: return .hardSigmoid(alpha: 0.2, beta: 0.5)
    case .hardSwish: return .hardSwish
    case .elu: return .elu(alpha: 0.7)
    }
}

/// A small CNN built by hand: conv-bn-relu, a residual add, pooling and a
/// linear head: enough structure for the executor's forward/backward plumbing.
public func tinyResidualNet(seed: UInt64 = 3) -> Graph {
    let c: [String: Tensor] = [
        "w1": randomTensor([4, 3, 3, 3], seed: seed), "b1": randomTensor([4], seed: seed + 1),
        "s": randomTensor([4], seed: seed + 2, range: 0.5...1.5), "t": randomTensor([4], seed: seed + 3),
        "w2": randomTensor([4, 4, 3, 3], seed: seed + 4),
        "fc": randomTensor([5, 4], seed: seed + 5), "fcb": randomTensor([5], seed: seed + 6),
    ]
    let nodes = [
        Node(name: "conv1", op: .conv(ConvAttributes(pads: [1, 1, 1, 1])), inputs: ["x", "w1", "b1"], output: "c1"),
        Node(name: "bn1", op: .batchNorm, inputs: ["c1", "s", "t"], output: "bn1"),
        Node(name: "relu1", op: .unary(.relu), inputs: ["bn1"], output: "r1"),
        Node(name: "conv2", op: .conv(ConvAttributes(pads: [1, 1, 1, 1])), inputs: ["r1", "w2"], output: "c2"),
        Node(name: "add", op: .binary(.add), inputs: ["c2", "r1"], output: "sum"),
        Node(name: "relu2", op: .unary(.clip(min: 0, max: 6)), inputs: ["sum"], output: "r2"),
        Node(name: "gap", op: .globalAveragePool, inputs: ["r2"], output: "g"),
        Node(name: "flat", op: .flatten(axis: 1), inputs: ["g"], output: "f"),
        Node(name: "fc", op: .gemm(GemmAttributes(transB: true)), inputs: ["f", "fc", "fcb"], output: "logits"),
    ]
    return Graph(nodes: nodes, constants: c, input: "x", inputShape: [3, 6, 6], output: "logits")
}
