import XCTest
import IGTestSupport
import IGEngine
import IGFast

/// Every op, forward and backward, against the reference: single-op graphs
/// (plus a random linear head so gradients are dense) at N = 1 and N = 3.
final class OpParityTests: XCTestCase {
    /// `native`: whether oneDNN (true) or the reference (false) must run the op.
    func single(_ op: Op, extra: [String] = [], constants: [String: Tensor] = [:], shape: [Int] = [4, 9, 9],
                native: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws {
        let body = [Node(name: "op", op: op, inputs: ["x"] + extra, output: "y")]
        let g = try withHead(body, constants: constants, inputShape: shape, last: "y")
        let fast = try FastEngine(graph: g)
        try assertParity(g, layers: ["x"], engine: fast, what: "\(op)", file: file, line: line)
        let expected = native ? op.name : "reference"
        XCTAssertEqual(fast.stepKinds(batch: 3)["op"], expected, "forward \(op)", file: file, line: line)
        XCTAssertEqual(fast.stepKinds(batch: 3, layer: "x")["op"], expected, "gradient \(op)", file: file, line: line)
        // A fallback by design is silent; only a oneDNN call that fails is a build failure.
        XCTAssertEqual(fast.buildFailures, [], "\(op)", file: file, line: line)
    }

    func testConvolutions() throws {
        let cases: [(ConvAttributes, [Int], Bool)] = [
            (ConvAttributes(pads: [1, 1, 1, 1]), [6, 4, 3, 3], true),
            (ConvAttributes(strides: [2, 2], pads: [0, 1, 1, 0], group: 2), [6, 2, 3, 3], true),
            (ConvAttributes(pads: [2, 2, 2, 2], dilations: [2, 2], group: 4), [4, 1, 3, 3], false), // depthwise, dilated
            (ConvAttributes(strides: [2, 1], pads: [1, 0, 0, 2], dilations: [1, 2]), [5, 4, 2, 3], true),
            (ConvAttributes(pads: [1, 1, 1, 1], activation: .relu), [6, 4, 3, 3], true),
            (ConvAttributes(pads: [0, 0, 0, 0], activation: .clip(min: -0.2, max: 0.4)), [6, 4, 1, 1], true),
        ]
        for (i, (a, w, bias)) in cases.enumerated() {
            var c = ["w": randomTensor(w, seed: UInt64(20 + i))]
            if bias { c["b"] = randomTensor([w[0]], seed: UInt64(40 + i)) }
            try single(.conv(a), extra: bias ? ["w", "b"] : ["w"], constants: c)
        }
    }

    func testActivations() throws {
        for op in UnaryOp.Kind.allCases.map({ Op.unary(exampleUnary($0)) }) {
            // Spread the inputs over the interesting range of each function.
            let body = [Node(name: "scale", op: .binary(.mul), inputs: ["x", "k"], output: "xs"),
                        Node(name: "op", op: op, inputs: ["xs"], output: "y")]
            let g = try withHead(body, constants: ["k": Tensor(shape: [1], data: [4])], inputShape: [4, 5, 5], last: "y")
            try assertParity(g, layers: ["x", "xs"], what: "\(op)")
        }
    }

    /// Which activations oneDNN runs (the rest run on the reference): as `eltwiseAlg` says.
    func testActivationsNativeOrFallback() throws {
        try single(.unary(.elu(alpha: 0.7)))
        try single(.unary(.hardSwish))
        try single(.unary(.hardSigmoid(alpha: 0.2, beta: 0.5)), native: false)
    }

    func testConvFollowedByActivationIsFusedUnlessRequested() throws {
        let c = ["w": randomTensor([6, 4, 3, 3], seed: 3), "b": randomTensor([6], seed: 4)]
        for act in [Op.unary(.relu), .unary(.clip(min: 0, max: 0.5))] {
            let body = [Node(name: "conv", op: .conv(ConvAttributes(pads: [1, 1, 1, 1])), inputs: ["x", "w", "b"], output: "c"),
                        Node(name: "act", op: act, inputs: ["c"], output: "y")]
            let g = try withHead(body, constants: c, inputShape: [4, 7, 7], last: "y")
            let fast = try FastEngine(graph: g)
            try assertParity(g, layers: ["x", "y"], engine: fast, what: "fused \(act)")
            let kinds = fast.stepKinds(batch: 1)
            XCTAssertEqual(kinds["conv"], "Conv")
            XCTAssertNil(kinds["act"], "activation should be fused into the convolution")
            // Captured or targeted, the pre-activation tensor must survive.
            try assertParity(g, layers: ["c", "x"], capture: ["c"], engine: fast, what: "unfused \(act)")
            XCTAssertNotNil(fast.stepKinds(batch: 1, capture: ["c"])["act"])
            XCTAssertNotNil(fast.stepKinds(batch: 1, capture: ["c"], layer: "c")["act"])
        }
    }

    func testPooling() throws {
        let pools: [Op] = [
            .maxPool(PoolAttributes(kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1])),
            .maxPool(PoolAttributes(kernel: [2, 2], strides: [2, 2], ceilMode: true)),
            .maxPool(PoolAttributes(kernel: [3, 2], strides: [1, 2], pads: [0, 1, 2, 0], dilations: [2, 1])),
            .maxPool(PoolAttributes(kernel: [3, 3], strides: [2, 2], pads: [1, 0, 0, 1], ceilMode: true)),
            .averagePool(PoolAttributes(kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], countIncludePad: true)),
            .averagePool(PoolAttributes(kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], countIncludePad: false)),
            .averagePool(PoolAttributes(kernel: [2, 2], strides: [2, 2], ceilMode: true)),
            .averagePool(PoolAttributes(kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceilMode: true, countIncludePad: true)),
            .averagePool(PoolAttributes(kernel: [2, 2], strides: [2, 2], dilations: [2, 2])),
            .globalAveragePool,
            // ceil_mode windows overhanging the declared padding with count_include_pad: reference.
            .averagePool(PoolAttributes(kernel: [3, 3], strides: [2, 2], pads: [1, 1, 0, 0], ceilMode: true, countIncludePad: true)),
        ]
        for (i, op) in pools.enumerated() { try single(op, native: i != 8 && i != 10) }
    }

    func testBinaryOpsWithBroadcasting() throws {
        let perChannel = randomTensor([4, 1, 1], seed: 5, range: 0.5...1.5)
        for b in BinaryOp.allCases {
            let op = Op.binary(b), native = b != .max
            // Constant broadcast operand on either side.
            try single(op, extra: ["k"], constants: ["k": perChannel], native: native)
            try single(op, extra: ["k"], constants: ["k": randomTensor([9], seed: 4, range: 0.5...1.5)], native: native)
            let body = [Node(name: "op", op: op, inputs: ["k", "x"], output: "y")]
            try assertParity(try withHead(body, constants: ["k": randomTensor([1, 9], seed: 6, range: 0.5...1.5)],
                                          inputShape: [4, 9, 9], last: "y"), layers: ["x"], what: "\(op) broadcast first")
            // Two activations, same shape (a residual) and squeeze-excite style broadcast.
            // (Not for Max: the broadcast operand, 2 + a mean, wins everywhere, so no gradient reaches m.)
            guard b != .max else { continue }
            let two = [Node(name: "s", op: .unary(.sigmoid), inputs: ["x"], output: "s"),
                       Node(name: "gap", op: .globalAveragePool, inputs: ["x"], output: "g"),
                       Node(name: "g1", op: .binary(.add), inputs: ["g", "one"], output: "g1"),
                       Node(name: "same", op: op, inputs: ["x", "s"], output: "m"),
                       Node(name: "bcast", op: op, inputs: ["m", "g1"], output: "y")]
            try assertParity(try withHead(two, constants: ["one": Tensor(shape: [1], data: [2])], inputShape: [4, 6, 6], last: "y"),
                             layers: ["x", "m"], what: "\(op) two activations")
        }
    }

    func testBatchNormConcatSoftmaxGemm() throws {
        try single(.batchNorm, extra: ["s", "t"], constants: ["s": randomTensor([4], seed: 7), "t": randomTensor([4], seed: 8)])
        let cat = [Node(name: "r", op: .unary(.relu), inputs: ["x"], output: "r"),
                   Node(name: "cat", op: .concat(axis: 1), inputs: ["x", "r"], output: "y")]
        try assertParity(try withHead(cat, constants: [:], inputShape: [4, 5, 5], last: "y"), layers: ["x", "r"], what: "concat")
        // Softmax at the output, and Gemm variants (transposes, alpha, beta, fused ReLU) before it.
        for (i, a) in [GemmAttributes(transB: true), GemmAttributes(alpha: 0.5, beta: 2),
                       GemmAttributes(transB: true, activation: .relu), GemmAttributes(transA: true)].enumerated() {
            let k = 4 * 3 * 3
            let b = a.transB ? randomTensor([6, k], seed: UInt64(60 + i)) : randomTensor([k, 6], seed: UInt64(60 + i))
            var nodes = [Node(name: "flat", op: .flatten(axis: 1), inputs: ["x"], output: "f")]
            var x = "f"
            if a.transA {
                nodes.append(Node(name: "tr", op: .transpose(perm: [1, 0]), inputs: ["f"], output: "ft"))
                x = "ft"
            }
            nodes += [Node(name: "gemm", op: .gemm(a), inputs: [x, "b", "c"], output: "z"),
                      Node(name: "sm", op: .softmax(axis: 1), inputs: ["z"], output: "p")]
            let g = Graph(nodes: nodes, constants: ["b": b, "c": randomTensor([6], seed: 9)], input: "x",
                          inputShape: [4, 3, 3], output: "p")
            try assertParity(g, batches: a.transA ? [1] : [1, 3], layers: ["x", "z"], what: "gemm \(a)")
        }
    }

    /// A VGG-like classifier: at batch 1 and 2 the linear layers keep plain weights and the
    /// backward reads only the rows whose gradient is non-zero (behind the ReLU about half);
    /// at batch 3 oneDNN's blocked kernels run. All against the reference, with 3600 inputs
    /// (split across threads) and 37 hidden units (not a multiple of the 4-row sweep).
    func testLinearBackwardSkipsRowsTheReLUTurnedOff() throws {
        let nodes = [
            Node(name: "flat", op: .flatten(axis: 1), inputs: ["x"], output: "f"),
            Node(name: "fc1", op: .gemm(GemmAttributes(transB: true)), inputs: ["f", "w1", "b1"], output: "h"),
            Node(name: "relu", op: .unary(.relu), inputs: ["h"], output: "r"),
            Node(name: "fc2", op: .gemm(GemmAttributes(transB: true)), inputs: ["r", "w2"], output: "z"),
        ]
        let g = Graph(nodes: nodes, constants: ["w1": randomTensor([37, 3600], seed: 71), "b1": randomTensor([37], seed: 72),
                                                "w2": randomTensor([5, 37], seed: 73)],
                      input: "x", inputShape: [4, 30, 30], output: "z")
        let x = randomTensor([1, 4, 30, 30], seed: 74)
        let hidden = try ReferenceEngine(graph: g).forward(x, capture: ["r"]).captured["r"]!
        let off = hidden.data.filter { $0 == 0 }.count
        XCTAssertTrue((5...32).contains(off), "the test needs some hidden units off and some on: \(off) of 37 off")
        try assertParity(g, batches: [1, 2, 3], layers: ["x", "f"], what: "row-sparse linear backward")
    }

    func testReferenceFallbackOps() throws {
        let cases: [(Op, [String], [String: Tensor])] = [
            (.pad(pads: [0, 0, 1, 2, 0, 0, 2, 1], value: 0.5), [], [:]),
            (.transpose(perm: [0, 1, 3, 2]), [], [:]),
            (.reduceMean(axes: [2, 3], keepDims: true), [], [:]),
            (.reshape(shape: [1, -1, 9]), [], [:]),
        ]
        for (op, extra, c) in cases { try single(op, extra: extra, constants: c, native: false) }
    }

    func testMatMul() throws {
        // A [N, 4, 9, 9] by a constant B [9, 5] or [1, 1, 9, 3], and 2-D.
        try single(.matMul, extra: ["m"], constants: ["m": randomTensor([9, 5], seed: 10)])
        try single(.matMul, extra: ["m"], constants: ["m": randomTensor([1, 1, 9, 3], seed: 11)])
        let flat = [Node(name: "f", op: .flatten(axis: 1), inputs: ["x"], output: "f"),
                    Node(name: "op", op: .matMul, inputs: ["f", "m"], output: "y")]
        let g2 = try withHead(flat, constants: ["m": randomTensor([36, 7], seed: 12)], inputShape: [4, 3, 3], last: "y")
        let fast2 = try FastEngine(graph: g2)
        try assertParity(g2, layers: ["x", "f"], engine: fast2, what: "2-D matmul")
        XCTAssertEqual(fast2.stepKinds(batch: 3, layer: "f")["op"], "MatMul")
        // B an activation: the reference.
        let body = [Node(name: "t", op: .transpose(perm: [0, 1, 3, 2]), inputs: ["x"], output: "xt"),
                    Node(name: "op", op: .matMul, inputs: ["x", "xt"], output: "y")]
        let g = try withHead(body, constants: [:], inputShape: [2, 5, 5], last: "y")
        let fast = try FastEngine(graph: g)
        try assertParity(g, layers: ["x"], engine: fast, what: "matmul of activations")
        XCTAssertEqual(fast.stepKinds(batch: 3)["op"], "reference")
    }
}
