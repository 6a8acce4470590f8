import Foundation
import XCTest
import IGEngine
@testable import IGExplain
@testable import IGModel

/// An engine that hands every call to a real one and counts the calls and
/// their batch items: what the caches save is seen from outside, as passes
/// that were not made.
final class CountingEngine: InferenceEngine, @unchecked Sendable {
    // @unchecked: the counters are read and written only under `lock`; `inner` is a let.
    let inner: InferenceEngine
    private let lock = NSLock()
    private var counts = Counts()

    struct Counts: Equatable {
        var forwards = 0, forwardItems = 0
        var gradients = 0, gradientItems = 0
        var heads = 0, headItems = 0
        var passes: Int { forwards + gradients + heads }
    }

    init(_ inner: InferenceEngine) { self.inner = inner }

    var graph: Graph { inner.graph }
    var count: Counts { lock.lock(); defer { lock.unlock() }; return counts }

    func forward(_ input: Tensor, capture: Set<String>) throws -> ForwardResult {
        lock.lock(); counts.forwards += 1; counts.forwardItems += input.shape[0]; lock.unlock()
        return try inner.forward(input, capture: capture)
    }

    func gradient(_ input: Tensor, layer: String, classes: [Int], capture: Set<String>) throws -> GradientResult {
        lock.lock(); counts.gradients += 1; counts.gradientItems += input.shape[0]; lock.unlock()
        return try inner.gradient(input, layer: layer, classes: classes, capture: capture)
    }

    func head(from layer: String, activation: Tensor, context: [String: Tensor]) throws -> Tensor {
        lock.lock(); counts.heads += 1; counts.headItems += activation.shape[0]; lock.unlock()
        return try inner.head(from: layer, activation: activation, context: context)
    }
}

/// Reuse across calls: nested step grids, class changes, cancellation and
/// progress, on the small demo net (ReferenceEngine, counted) so they run in
/// milliseconds.
final class CachingTests: XCTestCase {
    /// The demo net with its engine wrapped in a counter.
    func countedModel() -> (Model, CountingEngine) {
        let m = SensitivityDemo.convModel()
        let counter = CountingEngine(m.engine)
        return (Model(graph: m.graph, name: m.name, engine: counter, preprocessing: m.preprocessing, labels: m.labels,
                      defaultLayer: m.defaultLayer), counter)
    }

    func testDoublingStepsComputesOnlyTheNewPoints() throws {
        let (model, engine) = countedModel()
        let ex = Explainer(model: model, pixels: SensitivityDemo.image)
        _ = try ex.explain(.integratedGradCAM, layer: "A", classIndex: 0, options: ExplainOptions(steps: 8))
        // 8 path points (one micro-batch) and the black baseline's activation; the path's end gives the logits.
        XCTAssertEqual(engine.count, CountingEngine.Counts(forwards: 1, forwardItems: 1, gradients: 1, gradientItems: 8))
        final class Log: @unchecked Sendable { var done = [Int](); let lock = NSLock() }
        let log = Log()
        let e16 = try ex.explain(.integratedGradCAM, layer: "A", classIndex: 0, options: ExplainOptions(steps: 16, memoryBudget: 1),
                                 progress: { p in log.lock.lock(); log.done.append(p.done); log.lock.unlock() })
        // 16 points, 8 of them shared with m = 8: only 8 new points, one per micro-batch (budget 1 byte).
        XCTAssertEqual(engine.count, CountingEngine.Counts(forwards: 1, forwardItems: 1, gradients: 9, gradientItems: 16))
        XCTAssertEqual(log.done, Array(9...16))
        // The result equals a fresh computation.
        let fresh = try Explainer(model: SensitivityDemo.convModel(), pixels: SensitivityDemo.image)
            .explain(.integratedGradCAM, layer: "A", classIndex: 0, options: ExplainOptions(steps: 16))
        for i in 0..<16 { XCTAssertEqual(e16.map[i], fresh.map[i], accuracy: 1e-6) }
        // Asking again costs nothing.
        _ = try ex.explain(.integratedGradCAM, layer: "A", classIndex: 0, options: ExplainOptions(steps: 16))
        XCTAssertEqual(engine.count.passes, 10)
    }

    /// Without a class, a one-pass method finds the top-1 class in its own pass: the gradient
    /// for that class is kept, so explaining it then costs nothing more, and the explanation
    /// equals the explicit one.
    func testDefaultClassOfAOnePassMethodCostsNoExtraPass() throws {
        let (model, engine) = countedModel()
        let ex = Explainer(model: model, pixels: SensitivityDemo.image)
        let cls = try ex.defaultClass(for: .gradCAM, layer: "A")
        XCTAssertEqual(engine.count, CountingEngine.Counts(gradients: 1, gradientItems: 1))
        let other = Explainer(model: SensitivityDemo.convModel(), pixels: SensitivityDemo.image)
        XCTAssertEqual(cls, try other.top(1)[0].classIndex)
        let mine = try ex.explain(.gradCAM, layer: "A", classIndex: cls).map
        XCTAssertEqual(engine.count.passes, 1, "the explanation and its logits come from the class-finding pass")
        XCTAssertEqual(mine, try other.explain(.gradCAM, layer: "A", classIndex: cls).map)
        // Another one-pass method at the same layer and class reuses the same gradient.
        _ = try ex.explain(.layerCAM, layer: "A", classIndex: cls)
        XCTAssertEqual(engine.count.passes, 1)
    }

    /// Score-CAM and Ablation-CAM keep every class's scores per channel: another class is free.
    func testScoreAndAblationCAMReuseTheirPassesForAnotherClass() throws {
        let (model, engine) = countedModel()
        let ex = Explainer(model: model, pixels: SensitivityDemo.image)
        _ = try ex.explain(.scoreCAM, layer: "A", classIndex: 0)
        let afterScore = engine.count
        // The image's forward (activations, logits) and the 2 channels' masked inputs.
        XCTAssertEqual(afterScore.forwardItems, 3)
        _ = try ex.explain(.ablationCAM, layer: "A", classIndex: 0)
        let afterAblation = engine.count
        XCTAssertEqual(afterAblation.forwards, afterScore.forwards, "the forward at the image is shared")
        XCTAssertEqual(afterAblation.headItems, 2, "one head pass per channel")
        // The demo net has one class; the same class again, at the same layer, is free.
        _ = try ex.explain(.scoreCAM, layer: "A", classIndex: 0)
        _ = try ex.explain(.ablationCAM, layer: "A", classIndex: 0)
        XCTAssertEqual(engine.count, afterAblation)
    }

    /// With a progress handler the first micro-batch is one path point, so the first partial
    /// map comes after one pass; the rest go in full micro-batches; the result is unchanged.
    func testFirstPartialMapAfterOnePoint() throws {
        final class Log: @unchecked Sendable { var done = [Int](); let lock = NSLock() }
        let log = Log()
        let (model, engine) = countedModel()
        let ex = Explainer(model: model, pixels: SensitivityDemo.image)
        let watched = try ex.explain(.integratedGradCAM, layer: "A", classIndex: 0, options: ExplainOptions(steps: 16),
                                     progress: { p in log.lock.lock(); log.done.append(p.done); log.lock.unlock() })
        XCTAssertEqual(log.done, [1, 16])
        XCTAssertEqual(engine.count.gradients, 2)
        let unwatched = try Explainer(model: SensitivityDemo.convModel(), pixels: SensitivityDemo.image)
            .explain(.integratedGradCAM, layer: "A", classIndex: 0, options: ExplainOptions(steps: 16))
        for i in 0..<16 { XCTAssertEqual(watched.map[i], unwatched.map[i], accuracy: 1e-5) }
    }

    /// The black baseline's activation does not depend on the image: a second image of the same
    /// model reuses it (no baseline pass), and its map equals a fresh model's.
    func testImageIndependentBaselineIsSharedAcrossImages() throws {
        let (model, engine) = countedModel()
        let other = SensitivityDemo.image.map { 1 - $0 }
        _ = try Explainer(model: model, pixels: SensitivityDemo.image).explain(.integratedGradCAM, layer: "A", classIndex: 0,
                                                                            options: ExplainOptions(steps: 4))
        XCTAssertEqual(engine.count.forwards, 1, "the baseline's pass")
        let second = try Explainer(model: model, pixels: other).explain(.integratedGradCAM, layer: "A", classIndex: 0,
                                                                        options: ExplainOptions(steps: 4))
        XCTAssertEqual(engine.count.forwards, 1, "no baseline pass for the second image")
        let fresh = try Explainer(model: SensitivityDemo.convModel(), pixels: other)
            .explain(.integratedGradCAM, layer: "A", classIndex: 0, options: ExplainOptions(steps: 4))
        XCTAssertEqual(second.map, fresh.map)
        // A blurred baseline depends on the image: each image makes its own baseline pass.
        for pixels in [SensitivityDemo.image, other] {
            let before = engine.count.forwards
            _ = try Explainer(model: model, pixels: pixels).explain(.integratedGradCAM, layer: "A", classIndex: 0,
                                                                    options: ExplainOptions(steps: 2, baseline: .blur(sigma: 1)))
            XCTAssertEqual(engine.count.forwards, before + 1)
        }
    }

    func testReadingSwitchIsFreeAndAuthorsIncludesTheBaseline() throws {
        let (model, engine) = countedModel()
        let ex = Explainer(model: model, pixels: SensitivityDemo.image)
        _ = try ex.explain(.integratedGradCAM, layer: "A", classIndex: 0, options: ExplainOptions(steps: 4))
        XCTAssertEqual(engine.count.gradientItems, 4)
        _ = try ex.explain(.integratedGradCAM, layer: "A", classIndex: 0, options: ExplainOptions(steps: 4, reading: .authorsCode))
        // authors-code needs k = 0..3, figure k = 1..4: only k = 0 is new.
        XCTAssertEqual(engine.count.gradientItems, 5)
        _ = try ex.explain(.integratedGradCAM, layer: "A", classIndex: 0, options: ExplainOptions(steps: 4))
        XCTAssertEqual(engine.count.gradientItems, 5)
    }

    func testCancelledBeforeStartThrows() throws {
        let (model, engine) = countedModel()
        let ex = Explainer(model: model, pixels: SensitivityDemo.image)
        let token = CancellationToken()
        token.cancel()
        XCTAssertThrowsError(try ex.explain(.integratedGradCAM, layer: "A", classIndex: 0, cancel: token)) {
            XCTAssertTrue($0 is Cancelled)
        }
        XCTAssertThrowsError(try ex.explain(.scoreCAM, layer: "A", classIndex: 0, cancel: token))
        XCTAssertThrowsError(try ex.explain(.ablationCAM, layer: "A", classIndex: 0, cancel: token))
        XCTAssertEqual(engine.count.gradients + engine.count.heads, 0, "no path point, no ablation")
    }

    func testCancelMidwayKeepsFinishedWork() throws {
        let (model, engine) = countedModel()
        let ex = Explainer(model: model, pixels: SensitivityDemo.image)
        let token = CancellationToken()
        XCTAssertThrowsError(try ex.explain(.integratedGradCAM, layer: "A", classIndex: 0,
                                            options: ExplainOptions(steps: 10, memoryBudget: 1),
                                            progress: { p in if p.done == 3 { token.cancel() } }, cancel: token))
        XCTAssertEqual(engine.count.gradientItems, 3)
        // Asked again, only the 7 points not yet done are computed.
        _ = try ex.explain(.integratedGradCAM, layer: "A", classIndex: 0, options: ExplainOptions(steps: 10))
        XCTAssertEqual(engine.count.gradientItems, 10)
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
