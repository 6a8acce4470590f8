import Foundation
import XCTest
import IGEngine
@testable import IGExplain
@testable import IGModel

/// Reuse across calls: nested step grids, class changes, cancellation and
/// progress, on the small demo net (ReferenceEngine) so they run in
/// milliseconds.
final class CachingTests: XCTestCase {
    func testDoublingStepsComputesOnlyTheNewPoints() throws {
        let ex = Explainer(model: SensitivityDemo.convModel(), pixels: SensitivityDemo.image)
        _ = try ex.explain(.integratedGradCAM, layer: "A", classIndex: 0, options: ExplainOptions(steps: 8))
        let key = PathKey(layer: "A", classIndex: 0, baseline: .black)
        XCTAssertEqual(ex.pathCache[key]?.count, 8)
        final class Log: @unchecked Sendable { var done = [Int](); let lock = NSLock() }
        let log = Log()
        let e16 = try ex.explain(.integratedGradCAM, layer: "A", classIndex: 0, options: ExplainOptions(steps: 16, memoryBudget: 1),
                                 progress: { p in log.lock.lock(); log.done.append(p.done); log.lock.unlock() })
        // 16 points, 8 of them shared with m = 8: only 8 new points, one per micro-batch (budget 1 byte).
        XCTAssertEqual(ex.pathCache[key]?.count, 16)
        XCTAssertEqual(log.done, Array(9...16))
        // The result equals a fresh computation.
        let fresh = try Explainer(model: SensitivityDemo.convModel(), pixels: SensitivityDemo.image)
            .explain(.integratedGradCAM, layer: "A", classIndex: 0, options: ExplainOptions(steps: 16))
        for i in 0..<16 { XCTAssertEqual(e16.map[i], fresh.map[i], accuracy: 1e-6) }
    }

    /// Without a class, a one-pass method finds the top-1 class in its own pass: the gradient
    /// for that class is cached by it and the explanation equals the explicit one.
    func testDefaultClassOfAOnePassMethodCostsNoExtraPass() throws {
        let model = SensitivityDemo.convModel()
        let ex = Explainer(model: model, pixels: SensitivityDemo.image)
        let cls = try ex.defaultClass(for: .gradCAM, layer: "A")
        let other = Explainer(model: model, pixels: SensitivityDemo.image)
        XCTAssertEqual(cls, try other.top(1)[0].classIndex)
        XCTAssertNotNil(ex.gradientCache[GradientKey(layer: "A", classIndex: cls)])
        XCTAssertNotNil(ex.logitsCache)
        XCTAssertEqual(try ex.explain(.gradCAM, layer: "A", classIndex: cls).map,
                       try other.explain(.gradCAM, layer: "A", classIndex: cls).map)
    }

    /// With a progress handler the first micro-batch is one path point, so the first partial
    /// map comes after one pass; the rest go in full micro-batches; the result is unchanged.
    func testFirstPartialMapAfterOnePoint() throws {
        final class Log: @unchecked Sendable { var done = [Int](); let lock = NSLock() }
        let log = Log()
        let ex = Explainer(model: SensitivityDemo.convModel(), pixels: SensitivityDemo.image)
        let watched = try ex.explain(.integratedGradCAM, layer: "A", classIndex: 0, options: ExplainOptions(steps: 16),
                                     progress: { p in log.lock.lock(); log.done.append(p.done); log.lock.unlock() })
        XCTAssertEqual(log.done, [1, 16])
        let unwatched = try Explainer(model: SensitivityDemo.convModel(), pixels: SensitivityDemo.image)
            .explain(.integratedGradCAM, layer: "A", classIndex: 0, options: ExplainOptions(steps: 16))
        for i in 0..<16 { XCTAssertEqual(watched.map[i], unwatched.map[i], accuracy: 1e-5) }
    }

    /// The black baseline's activation does not depend on the image: a second image of the same
    /// model reuses it (no baseline pass), and its map equals a fresh model's.
    func testImageIndependentBaselineIsSharedAcrossImages() throws {
        let model = SensitivityDemo.convModel()
        let other = SensitivityDemo.image.map { 1 - $0 }
        _ = try Explainer(model: model, pixels: SensitivityDemo.image).explain(.integratedGradCAM, layer: "A", classIndex: 0,
                                                                            options: ExplainOptions(steps: 4))
        XCTAssertNotNil(model.imageIndependent["baseline-activation|A|black"])
        let second = try Explainer(model: model, pixels: other).explain(.integratedGradCAM, layer: "A", classIndex: 0,
                                                                        options: ExplainOptions(steps: 4))
        let fresh = try Explainer(model: SensitivityDemo.convModel(), pixels: other)
            .explain(.integratedGradCAM, layer: "A", classIndex: 0, options: ExplainOptions(steps: 4))
        XCTAssertEqual(second.map, fresh.map)
        // A blurred baseline depends on the image and is not shared.
        _ = try Explainer(model: model, pixels: other).explain(.integratedGradCAM, layer: "A", classIndex: 0,
                                                               options: ExplainOptions(steps: 2, baseline: .blur(sigma: 1)))
        XCTAssertNil(model.imageIndependent["baseline-activation|A|\(Baseline.blur(sigma: 1))"])
    }

    func testReadingSwitchIsFreeAndAuthorsIncludesTheBaseline() throws {
        let ex = Explainer(model: SensitivityDemo.convModel(), pixels: SensitivityDemo.image)
        _ = try ex.explain(.integratedGradCAM, layer: "A", classIndex: 0, options: ExplainOptions(steps: 4))
        _ = try ex.explain(.integratedGradCAM, layer: "A", classIndex: 0, options: ExplainOptions(steps: 4, reading: .authorsCode))
        // authors-code needs k = 0..3, figure k = 1..4: only k = 0 is new.
        XCTAssertEqual(ex.pathCache[PathKey(layer: "A", classIndex: 0, baseline: .black)]?.count, 5)
    }

    func testCancelledBeforeStartThrows() throws {
        let ex = Explainer(model: SensitivityDemo.convModel(), pixels: SensitivityDemo.image)
        let token = CancellationToken()
        token.cancel()
        XCTAssertThrowsError(try ex.explain(.integratedGradCAM, layer: "A", classIndex: 0, cancel: token)) {
            XCTAssertTrue($0 is Cancelled)
        }
        XCTAssertThrowsError(try ex.explain(.scoreCAM, layer: "A", classIndex: 0, cancel: token))
        XCTAssertThrowsError(try ex.explain(.ablationCAM, layer: "A", classIndex: 0, cancel: token))
    }

    func testCancelMidwayKeepsFinishedWork() throws {
        let ex = Explainer(model: SensitivityDemo.convModel(), pixels: SensitivityDemo.image)
        let token = CancellationToken()
        XCTAssertThrowsError(try ex.explain(.integratedGradCAM, layer: "A", classIndex: 0,
                                            options: ExplainOptions(steps: 10, memoryBudget: 1),
                                            progress: { p in if p.done == 3 { token.cancel() } }, cancel: token))
        XCTAssertEqual(ex.pathCache[PathKey(layer: "A", classIndex: 0, baseline: .black)]?.count, 3)
    }

    func testBadArgumentsAreErrors() throws {
        let ex = Explainer(model: SensitivityDemo.convModel(), pixels: SensitivityDemo.image)
        XCTAssertThrowsError(try ex.explain(.integratedGradCAM, layer: "A", classIndex: 0, options: ExplainOptions(steps: 0)))
        XCTAssertThrowsError(try ex.explain(.gradCAM, layer: "A", classIndex: 3))
        XCTAssertThrowsError(try ex.explain(.gradCAM, layer: "g", classIndex: 0))   // not C x h x w
    }

    func testProgressiveOrderSpreadsWork() {
        let order = progressiveOrder(Array(0..<8))
        XCTAssertEqual(Set(order), Set(0..<8))
        XCTAssertEqual(Array(order.prefix(2)), [0, 4])
    }
}
