import XCTest
import IGTestSupport
import IGEngine
import IGFast

/// Whole small networks, plans per batch size, captures, head, errors.
final class NetParityTests: XCTestCase {
    func testTinyResidualNet() throws {
        try assertParity(tinyResidualNet(), layers: ["r1", "r2", "c1"], capture: ["c2"], what: "tiny residual")
    }

    /// The residual Add with the Clip after it runs as one oneDNN binary with
    /// an eltwise post-op (forward and backward through it), unless the sum
    /// itself is captured or targeted.
    func testResidualAddFusesItsActivation() throws {
        let g = tinyResidualNet(seed: 21)
        let fast = try FastEngine(graph: g)
        try assertParity(g, layers: ["r1", "c2"], engine: fast, what: "fused add+clip")
        XCTAssertEqual(fast.stepKinds(batch: 3)["add"], "Add")
        XCTAssertNil(fast.stepKinds(batch: 3)["relu2"])
        XCTAssertNil(fast.stepKinds(batch: 3, layer: "c2")["relu2"])
        try assertParity(g, batches: [2], layers: ["sum"], engine: fast, what: "unfused add, clip")
        XCTAssertEqual(fast.stepKinds(batch: 2, layer: "sum")["relu2"], "Clip")
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

    func testConcurrentCallsAgree() throws {
        let g = tinyResidualNet()
        let fast = try FastEngine(graph: g)
        let x = randomTensor([2, 3, 6, 6], seed: 5)
        let expected = try ReferenceEngine(graph: g).gradient(x, layer: "r1", classes: [1, 3], capture: []).gradient
        let errors = UnsafeMutableBufferPointer<Float>.allocate(capacity: 8)
        defer { errors.deallocate() }
        errors.initialize(repeating: 1)
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            if let r = try? fast.gradient(x, layer: "r1", classes: [1, 3], capture: []) { errors[i] = relativeError(r.gradient, expected) }
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
