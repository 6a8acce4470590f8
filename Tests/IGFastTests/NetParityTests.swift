import XCTest
import IGTestSupport
import IGEngine
import IGFast

/// Whole small networks, plans per batch size, captures, head, errors.
final class NetParityTests: XCTestCase {
    func testTinyResidualNet() throws {
        try assertParity(tinyResidualNet(), layers: ["r1", "r2", "c1"], capture: ["c2"], what: "tiny residual")
    }

    /// The residual Add and the Clip after it fold into the convolution that feeds the Add
    /// (a sum post-op, accumulating onto the other operand in place) in forward-only parts; on
    /// the backward path, or when the conv output is requested, the Add stays a oneDNN binary
    /// with the Clip as its post-op.
    func testResidualAddFusesIntoTheConvAndItsActivationIntoTheAdd() throws {
        let g = tinyResidualNet(seed: 21)
        let fast = try FastEngine(graph: g)
        try assertParity(g, layers: ["r1", "c2"], engine: fast, what: "fused conv+add+clip")
        let fwd = fast.stepKinds(batch: 3)
        XCTAssertEqual(fwd["conv2"], "Conv")
        XCTAssertNil(fwd["add"]); XCTAssertNil(fwd["relu2"])
        // Backward from the logits to c2 passes through the Add: it is not folded into conv2.
        XCTAssertEqual(fast.stepKinds(batch: 3, layer: "c2")["add"], "Add")
        XCTAssertNil(fast.stepKinds(batch: 3, layer: "c2")["relu2"])
        XCTAssertEqual(fast.stepKinds(batch: 3, layer: "r1")["add"], "Add")
        // The sum itself as the target: folded into conv2 (before the layer), the Clip runs alone.
        try assertParity(g, batches: [2], layers: ["sum"], engine: fast, what: "conv+add, clip")
        XCTAssertEqual(fast.stepKinds(batch: 2, layer: "sum")["relu2"], "Clip")
        XCTAssertNil(fast.stepKinds(batch: 2, layer: "sum")["add"])
    }

    /// The residual's buffer is reused only when its value dies at the Add: a captured residual,
    /// or one read again later, is copied, and keeps its value.
    func testFusedResidualIsCopiedWhenStillNeeded() throws {
        let g = tinyResidualNet(seed: 23)
        try assertParity(g, layers: ["r2"], capture: ["r1"], what: "captured residual")
        var g2 = g
        g2.nodes.insert(Node(name: "again", op: .binary(.add), inputs: ["r2", "r1"], output: "r3"), at: 6)
        g2.nodes[7] = Node(name: "gap", op: .globalAveragePool, inputs: ["r3"], output: "g")
        let fast = try FastEngine(graph: g2)
        try assertParity(g2, layers: ["r3"], engine: fast, what: "residual read after the add")
        XCTAssertNil(fast.stepKinds(batch: 3)["add"])
        XCTAssertEqual(fast.stepKinds(batch: 3)["again"], "Add")
    }

    /// `topPrediction` seeds each item with its own argmax class, in both engines.
    /// A Conv that oneDNN does not run (its weights are computed, not a constant) still takes the
    /// residual Add and the ReLU after it: the reference fallback undoes that fusion (the convolution,
    /// plus the residual, then the activation), so the IR's Conv never needs a residual of its own.
    func testFusedResidualConvOnTheReferenceFallback() throws {
        let body = [Node(name: "wi", op: .identity, inputs: ["w"], output: "wi"),
                    Node(name: "conv", op: .conv(ConvAttributes(pads: [1, 1, 1, 1])), inputs: ["x", "wi"], output: "c"),
                    Node(name: "add", op: .binary(.add), inputs: ["c", "x"], output: "s"),
                    Node(name: "act", op: .unary(.relu), inputs: ["s"], output: "y")]
        let g = try withHead(body, constants: ["w": randomTensor([4, 4, 3, 3], seed: 61)], inputShape: [4, 6, 6], last: "y")
        let fast = try FastEngine(graph: g)
        try assertParity(g, layers: ["y"], engine: fast, what: "residual conv on the fallback")
        let kinds = fast.stepKinds(batch: 1)
        XCTAssertEqual(kinds["conv"], "reference")
        XCTAssertNil(kinds["add"], "the Add is fused into the convolution")
        XCTAssertNil(kinds["act"], "the ReLU is fused into the convolution")
        XCTAssertEqual(fast.buildFailures, [], "computed weights are a fallback by design, not a failure")
    }

    func testTopPredictionSeedPicksEachItemsArgmax() throws {
        let g = tinyResidualNet(seed: 5)
        let x = randomTensor([4, 3, 6, 6], seed: 9)
        let engines: [InferenceEngine] = [try FastEngine(graph: g), ReferenceEngine(graph: g)]
        for engine in engines {
            let top = try engine.gradient(x, layer: "r1", classes: [Int](repeating: topPrediction, count: 4), capture: [])
            let out = top.output, k = out.count / 4
            let argmax = (0..<4).map { n in (0..<k).max { out.data[n * k + $0] < out.data[n * k + $1] }! }
            XCTAssertGreaterThan(Set(argmax).count, 1, "the items should not all share a class: \(argmax)")
            let explicit = try engine.gradient(x, layer: "r1", classes: argmax, capture: [])
            XCTAssertEqual(top.gradient.data, explicit.gradient.data, "\(type(of: engine))")
            XCTAssertNotEqual(top.gradient.data, try engine.gradient(x, layer: "r1", classes: argmax.map { ($0 + 1) % k }, capture: []).gradient.data)
        }
    }

    func testTinyVGGGradientsToMiddleAndLateLayers() throws {
        let g = tinyVGG()
        let fast = try FastEngine(graph: g)
        try assertParity(g, layers: ["r2", "r3"], engine: fast, what: "tiny VGG")
        let kinds = fast.stepKinds(batch: 3)
        XCTAssertEqual(kinds["conv1"], "Conv")
        XCTAssertEqual(kinds["pool1"], "MaxPool")
        XCTAssertEqual(kinds["fc1"], "Gemm")
        XCTAssertEqual(kinds["flat"], "reference")
        XCTAssertNil(kinds["relu1"])
        XCTAssertNil(kinds["relu4"])
        // Targeting r3 keeps its conv fused (r3 is the fused node's output); targeting c3 does not.
        XCTAssertNil(fast.stepKinds(batch: 3, layer: "r3")["relu3"])
        try assertParity(g, batches: [2], layers: ["c3"], engine: fast, what: "tiny VGG pre-activation")
        XCTAssertEqual(fast.stepKinds(batch: 2, layer: "c3")["relu3"], "Relu")
    }

    func testCachedPlansForSeveralBatchSizesAndThreads() throws {
        let g = tinyVGG(seed: 9)
        let fast = try FastEngine(graph: g, threads: 1)
        XCTAssertEqual(fast.threads, 1)
        let ref = ReferenceEngine(graph: g)
        for n in [1, 4, 1, 2, 4] {
            let x = randomTensor([n, 3, 12, 12], seed: UInt64(100 + n))
            XCTAssertLessThan(relativeError(try fast.forward(x), try ref.forward(x)), 1e-4, "N=\(n)")
        }
        // Batch items are independent of each other.
        let x = randomTensor([4, 3, 12, 12], seed: 104)
        XCTAssertLessThan(relativeError(try fast.forward(x.item(2)), try fast.forward(x).item(2)), 1e-5)
    }

    /// Plans per (batch, request, layer) are bounded: walking many batch sizes keeps at most
    /// `maxPlans`, and an evicted plan is rebuilt with the same results.
    func testPlanCacheIsBounded() throws {
        let g = tinyResidualNet(seed: 31)
        let fast = try FastEngine(graph: g)
        let x1 = randomTensor([1] + g.inputShape, seed: 5)
        let first = try fast.forward(x1).data
        for n in 2...(FastEngine.maxPlans + 5) {
            _ = try fast.forward(randomTensor([n] + g.inputShape, seed: UInt64(n)))
            XCTAssertLessThanOrEqual(fast.planCount, FastEngine.maxPlans)
        }
        XCTAssertEqual(fast.planCount, FastEngine.maxPlans)
        XCTAssertEqual(try fast.forward(x1).data, first, "the batch-1 plan was evicted and rebuilt")
    }

    func testConcurrentCallsAgree() throws {
        let g = tinyResidualNet()
        let fast = try FastEngine(graph: g)
        let x = randomTensor([2, 3, 6, 6], seed: 5)
        let expected = try ReferenceEngine(graph: g).gradient(x, layer: "r1", classes: [1, 3], capture: []).gradient
        let errors = UnsafeMutableBufferPointer<Float>.allocate(capacity: 8)
        defer { errors.deallocate() }
        errors.initialize(repeating: 1)
        // Each iteration writes only its own element, and concurrentPerform returns before any is read.
        nonisolated(unsafe) let slots = errors
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            if let r = try? fast.gradient(x, layer: "r1", classes: [1, 3], capture: []) { slots[i] = relativeError(r.gradient, expected) }
        }
        for e in errors { XCTAssertLessThan(e, 1e-3) }
    }

    func testHeadMatchesReference() throws {
        let g = tinyResidualNet()
        let fast = try FastEngine(graph: g), ref = ReferenceEngine(graph: g)
        let x = randomTensor([1, 3, 6, 6], seed: 11)
        let f = try ref.forward(x, capture: ["c2", "r1"])
        XCTAssertThrowsError(try fast.head(from: "c2", activation: f.captured["c2"]!, context: [:])) {
            XCTAssertTrue("\($0)".contains("r1"))
        }
        let a = tileBatch(f.captured["c2"]!, to: 3)
        let yf = try fast.head(from: "c2", activation: a, context: ["r1": f.captured["r1"]!])
        let yr = try ref.head(from: "c2", activation: a, context: ["r1": f.captured["r1"]!])
        XCTAssertLessThan(relativeError(yf, yr), 1e-4)
        XCTAssertLessThan(relativeError(yf.item(1), f.output), 1e-4)
        let v = tinyVGG()
        let xv = randomTensor([2, 3, 12, 12], seed: 12)
        let p1 = try ReferenceEngine(graph: v).forward(xv, capture: ["p1"]).captured["p1"]!
        XCTAssertLessThan(relativeError(try FastEngine(graph: v).head(from: "p1", activation: p1, context: [:]),
                                        try ReferenceEngine(graph: v).head(from: "p1", activation: p1, context: [:])), 1e-4)
    }

    func testErrorsNameTheProblem() throws {
        XCTAssertThrowsError(try FastEngine(graph: tinyResidualNet(), threads: 0))
        let fast = try FastEngine(graph: tinyResidualNet())
        let x = randomTensor([1, 3, 6, 6], seed: 13)
        XCTAssertThrowsError(try fast.gradient(x, layer: "nope", classes: [0], capture: [])) { XCTAssertTrue("\($0)".contains("nope")) }
        XCTAssertThrowsError(try fast.forward(x, capture: ["nope2"])) { XCTAssertTrue("\($0)".contains("nope2")) }
        XCTAssertThrowsError(try fast.gradient(x, layer: "r1", classes: [7], capture: [])) { XCTAssertTrue("\($0)".contains("out of range")) }
        XCTAssertThrowsError(try fast.forward(randomTensor([1, 3, 5, 6], seed: 1)))
        // A broken node: weights that do not match the input channels.
        var bad = tinyResidualNet()
        bad.constants["w2"] = randomTensor([4, 3, 3, 3], seed: 1)
        XCTAssertThrowsError(try FastEngine(graph: bad).forward(x)) { XCTAssertTrue("\($0)".contains("conv2"), "\($0)") }
    }

    func testRuntimeIsReported() {
        XCTAssertTrue(FastEngine.runtimeDescription.hasPrefix("oneDNN 2."), FastEngine.runtimeDescription)
    }
}
