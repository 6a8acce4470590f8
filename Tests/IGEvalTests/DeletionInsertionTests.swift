import Foundation
import XCTest
import IGImaging
@testable import IGEval

final class DeletionInsertionTests: XCTestCase {
    func testAUCOfKnownCurves() {
        XCTAssertEqual(auc([0.3, 0.3, 0.3, 0.3]), 0.3, accuracy: 1e-6)
        XCTAssertEqual(auc([0, 0.5, 1]), 0.5, accuracy: 1e-6)
        XCTAssertEqual(auc([1, 0]), 0.5, accuracy: 1e-6)
        XCTAssertEqual(auc([0, 1, 0]), 0.5, accuracy: 1e-6)
        XCTAssertEqual(auc([0, 0, 0, 1]), 1.0 / 6, accuracy: 1e-6)
        XCTAssertEqual(auc([0.7]), 0.7)
        XCTAssertEqual(auc([]), 0)
    }

    func testOrderDescendingStable() {
        XCTAssertEqual(deletionInsertionOrder(map: [0.1, 0.9, 0.5, 0.9]), [1, 3, 2, 0])
    }

    /// 2 channels, 4 x 4, values 1 + index; map = pixel index, so order is 15, 14, ..., 0.
    func smallPlan(_ mode: PerturbationMode) throws -> (PerturbationPlan, [Float]) {
        let img = (0..<32).map { Float($0 + 1) / 32 }
        let map = (0..<16).map { Float($0) }
        return (try PerturbationPlan(chw: img, channels: 2, height: 4, width: 4, map: map,
                                     mode: mode, stepPixels: 3), img)
    }

    func testDeletionSteps() throws {
        let (plan, img) = try smallPlan(.deletion)
        XCTAssertEqual(plan.stepCount, 6)          // ceil(16 / 3)
        XCTAssertEqual(plan.imageCount, 7)
        XCTAssertEqual(plan.image(atStep: 0), img)
        var expected = img
        for p in 10...15 { expected[p] = 0; expected[16 + p] = 0 }   // 6 most salient pixels
        XCTAssertEqual(plan.image(atStep: 2), expected)
        XCTAssertEqual(plan.image(atStep: 6), [Float](repeating: 0, count: 32))
    }

    func testBatchesMatchRandomAccess() throws {
        for mode in [PerturbationMode.deletion, .insertion] {
            let (plan, _) = try smallPlan(mode)
            let batches = Array(plan.batches(size: 3))
            XCTAssertEqual(batches.map(\.count), [3, 3, 1])
            XCTAssertEqual(batches.map(\.firstStep), [0, 3, 6])
            for b in batches {
                for j in 0..<b.count {
                    XCTAssertEqual(Array(b.data[(j * 32)..<((j + 1) * 32)]), plan.image(atStep: b.firstStep + j))
                }
            }
        }
    }

    func testInsertionStartsBlurredEndsOriginal() throws {
        let (plan, img) = try smallPlan(.insertion)
        XCTAssertEqual(plan.image(atStep: 6), img)
        XCTAssertNotEqual(plan.image(atStep: 0), img)
        // One step inserts the 3 most salient pixels (15, 14, 13) from the original.
        let s1 = plan.image(atStep: 1)
        for p in 13...15 { XCTAssertEqual(s1[p], img[p]); XCTAssertEqual(s1[16 + p], img[16 + p]) }
        XCTAssertEqual(s1[0], plan.image(atStep: 0)[0])
    }

    func testBlurOfImpulseAndConstant() {
        // Impulse at the centre of 21 x 21: centre weight (1/S)^2, S = sum_{d=-5..5} exp(-d^2/50).
        var img = [Float](repeating: 0, count: 441); img[10 * 21 + 10] = 1
        let b = gaussianBlur(chw: img, channels: 1, height: 21, width: 21, sigma: 5, radius: 5)
        let s = (-5...5).reduce(0.0) { $0 + Foundation.exp(-Double($1 * $1) / 50) }
        XCTAssertEqual(Double(b[10 * 21 + 10]), 1 / (s * s), accuracy: 1e-6)
        XCTAssertEqual(Double(b.reduce(0, +)), 1, accuracy: 1e-5)
        XCTAssertEqual(b[10 * 21 + 15], b[10 * 21 + 5])
        XCTAssertEqual(b[10 * 21 + 16], 0)        // beyond radius 5
        let c = gaussianBlur(chw: [Float](repeating: 0.4, count: 50), channels: 2, height: 5, width: 5, sigma: 5, radius: 5)
        for v in c { XCTAssertEqual(v, 0.4, accuracy: 1e-6) }
    }

    func testDefaultStepIs224At224() throws {
        let n = 224 * 224
        let map = (0..<n).map { Float(($0 * 7919) % 1000) }
        let plan = try PerturbationPlan(chw: [Float](repeating: 0.5, count: n), channels: 1, height: 224, width: 224,
                                        map: map, mode: .deletion)
        XCTAssertEqual(plan.stepPixels, 224)
        XCTAssertEqual(plan.imageCount, 225)
        let p2 = try PerturbationPlan(chw: [Float](repeating: 0.5, count: 2 * n), channels: 1, height: 448, width: 224,
                                      map: map + map, mode: .deletion)
        XCTAssertEqual(p2.stepPixels, 448)
    }

    func testPlanErrors() {
        XCTAssertThrowsError(try PerturbationPlan(chw: [1, 2, 3], channels: 1, height: 2, width: 2,
                                                  map: [1, 2, 3, 4], mode: .deletion))
        XCTAssertThrowsError(try PerturbationPlan(chw: [1, 2, 3, 4], channels: 1, height: 2, width: 2,
                                                  map: [1, 2, 3], mode: .insertion))
        XCTAssertThrowsError(try PerturbationPlan(chw: [1, 2, 3, 4], channels: 1, height: 2, width: 2,
                                                  map: [1, 2, 3, 4], mode: .deletion, stepPixels: 0))
    }
}
