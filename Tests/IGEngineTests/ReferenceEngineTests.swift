import XCTest
@testable import IGEngine
import IGTestSupport

final class ReferenceEngineTests: XCTestCase {
    func testForwardCapturesAndBatchesIndependently() throws {
        let e = ReferenceEngine(graph: tinyResidualNet())
        let x = randomTensor([2, 3, 6, 6], seed: 9)
        let both = try e.forward(x, capture: ["r1"])
        XCTAssertEqual(both.output.shape, [2, 5])
        XCTAssertEqual(both.captured["r1"]?.shape, [2, 4, 6, 6])
        // Item 1 alone gives the same logits as inside the batch.
        let one = try e.forward(x.item(1))
        XCTAssertLessThan(relativeError(one, both.output.item(1)), 1e-6)
    }

    /// d y_c / d r1 against finite differences of the head run from r1: this
    /// checks backward through the residual (two paths into r1).
    func testGradientToMiddleLayerMatchesFiniteDifferences() throws {
        let e = ReferenceEngine(graph: tinyResidualNet())
        let x = randomTensor([1, 3, 6, 6], seed: 10)
        let cls = 2
        let g = try e.gradient(x, layer: "r1", classes: [cls], capture: [])
        XCTAssertEqual(g.gradient.shape, [1, 4, 6, 6])
        XCTAssertEqual(try e.plan.headInputs(after: "r1"), [])
        let a = g.activation
        let h: Float = 1e-2
        for probe in [0, 17, 50, 143] {
            var p = a, m = a
            p.data[probe] += h
            m.data[probe] -= h
            let yp = try e.head(from: "r1", activation: p, context: [:]).data[cls]
            let ym = try e.head(from: "r1", activation: m, context: [:]).data[cls]
            XCTAssertEqual(g.gradient.data[probe], (yp - ym) / (2 * h), accuracy: 2e-3)
        }
    }

    func testHeadMatchesFullForwardAndAsksForSkipInputs() throws {
        let e = ReferenceEngine(graph: tinyResidualNet())
        let x = randomTensor([1, 3, 6, 6], seed: 11)
        let f = try e.forward(x, capture: ["c2", "r1"])
        // After c2 the head also reads r1 (the skip connection).
        XCTAssertEqual(try e.plan.headInputs(after: "c2"), ["r1"])
        XCTAssertThrowsError(try e.head(from: "c2", activation: f.captured["c2"]!, context: [:]))
        let y = try e.head(from: "c2", activation: tileBatch(f.captured["c2"]!, to: 3), context: ["r1": f.captured["r1"]!])
        XCTAssertEqual(y.shape, [3, 5])
        XCTAssertLessThan(relativeError(y.item(2), f.output), 1e-6)
    }

    func testBatchedGradientUsesEachItemsClass() throws {
        let e = ReferenceEngine(graph: tinyResidualNet())
        let x = randomTensor([2, 3, 6, 6], seed: 12)
        let both = try e.gradient(x, layer: "r2", classes: [0, 4], capture: [])
        let second = try e.gradient(x.item(1), layer: "r2", classes: [4], capture: [])
        XCTAssertLessThan(relativeError(both.gradient.item(1), second.gradient), 1e-6)
    }

    func testErrorsNameTheProblem() throws {
        let e = ReferenceEngine(graph: tinyResidualNet())
        let x = randomTensor([1, 3, 6, 6], seed: 13)
        XCTAssertThrowsError(try e.gradient(x, layer: "nope", classes: [0], capture: [])) {
            XCTAssertTrue("\($0)".contains("nope"))
        }
        XCTAssertThrowsError(try e.gradient(x, layer: "r1", classes: [7], capture: [])) {
            XCTAssertTrue("\($0)".contains("out of range"))
        }
        XCTAssertThrowsError(try e.forward(randomTensor([1, 3, 5, 6], seed: 1)))
    }
}
