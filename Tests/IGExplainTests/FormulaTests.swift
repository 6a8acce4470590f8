import XCTest
import IGEngine
@testable import IGExplain
@testable import IGModel

/// The method formulas on hand-computable activations and gradients, and
/// the small saturating network of the sensitivity demo, where every
/// weight can be worked out on paper.
final class FormulaTests: XCTestCase {
    // Two channels of a 1x2 map: A0 = [1, 3], A1 = [2, 0]; g0 = [1, -1], g1 = [0.5, 0.5].
    let a: [Float] = [1, 3, 2, 0]
    let g: [Float] = [1, -1, 0.5, 0.5]

    func testGradCAM() {
        // a0 = 0, a1 = 0.5 -> L = ReLU(0.5 * [2, 0]) = [1, 0]
        XCTAssertEqual(GradCAM().map(a: a[...], g: g[...], channels: 2, hw: 2), [1, 0])
    }

    func testHiResAndLayerCAM() {
        // HiRes: [1*1 + 0.5*2, 3*(-1) + 0.5*0] = [2, -3] -> ReLU [2, 0]
        XCTAssertEqual(HiResCAM().map(a: a[...], g: g[...], channels: 2, hw: 2), [2, 0])
        // Layer: ReLU(g) -> [1, 0], [0.5, 0.5]: [1 + 1, 0 + 0] = [2, 0]
        XCTAssertEqual(LayerCAM().map(a: a[...], g: g[...], channels: 2, hw: 2), [2, 0])
        let neg: [Float] = [-1, -1, 0.5, 0.5]
        // HiRes [-1 + 1, -3 + 0] -> [0, 0]; Layer drops the negative gradients: [1, 0]
        XCTAssertEqual(HiResCAM().map(a: a[...], g: neg[...], channels: 2, hw: 2), [0, 0])
        XCTAssertEqual(LayerCAM().map(a: a[...], g: neg[...], channels: 2, hw: 2), [1, 0])
    }

    func testXGradCAM() {
        // a0 = (1*1 + 3*(-1)) / 4 = -0.5; a1 = (2*0.5 + 0) / 2 = 0.5
        // L = ReLU(-0.5*[1,3] + 0.5*[2,0]) = ReLU([0.5, -1.5]) = [0.5, 0]
        XCTAssertEqual(XGradCAM().map(a: a[...], g: g[...], channels: 2, hw: 2), [0.5, 0])
    }

    func testGradCAMPlusPlusFollowsEquation19() {
        // Channel 0: sum A = 4. g = 1: alpha = 1 / (2 + 4) = 1/6, ReLU(g) = 1 -> 1/6;
        //            g = -1: alpha = 1 / (2 - 4) = -1/2, ReLU(g) = 0 -> 0. w0 = 1/6.
        // Channel 1: sum A = 2. g = 0.5: alpha = 0.25 / (0.5 + 2 * 0.125) = 1/3, times 0.5 = 1/6, twice: w1 = 1/3.
        // L = ReLU(1/6 * [1, 3] + 1/3 * [2, 0]) = [5/6, 1/2]
        let m = GradCAMPlusPlus().map(a: a[...], g: g[...], channels: 2, hw: 2)
        XCTAssertEqual(m[0], 5.0 / 6, accuracy: 1e-6)
        XCTAssertEqual(m[1], 0.5, accuracy: 1e-6)
        // A zero gradient gives alpha 0 (0/0 defined as 0), not NaN.
        XCTAssertEqual(GradCAMPlusPlus().map(a: a[...], g: [0, 0, 0, 0][...], channels: 2, hw: 2), [0, 0])
    }

    func testMethodNamesAndAliases() {
        for m in Method.allCases { XCTAssertEqual(Method(name: m.name), m) }
        XCTAssertEqual(Method(name: "IGC"), .integratedGradCAM)
        XCTAssertEqual(Method(name: "gradcam++"), .gradCAMPlusPlus)
        XCTAssertNil(Method(name: "guided-backprop"))
        XCTAssertEqual(Baseline(name: "blur:4"), .blur(sigma: 4))
        XCTAssertEqual(Baseline(name: "noise:7"), .noise(seed: 7))
        XCTAssertNil(Baseline(name: "white"))
    }
}

/// The saturating demo net: channel 0 = 2 x red has mean 1.5, past the
/// saturation point of 1 - ReLU(1 - mean); channel 1 = 0.5 x green has mean 0.125.
final class SaturatingNetTests: XCTestCase {
    let model = SensitivityDemo.convModel()

    func testGradCAMGivesTheSaturatedChannelNoWeight() throws {
        let ex = Explainer(model: model, pixels: SensitivityDemo.image)
        XCTAssertEqual(try ex.logits().data[0], 1.125, accuracy: 1e-6)
        let e = try ex.explain(.gradCAM, layer: "A", classIndex: 0)
        // dy/dA1 = 1/16 everywhere -> a1 = 1/16; A1 = 0.5 in the right column only.
        for y in 0..<4 {
            for x in 0..<4 { XCTAssertEqual(e.map[y * 4 + x], x == 3 ? 0.5 / 16 : 0, accuracy: 1e-7) }
        }
    }

    func testIntegratedGradCAMCreditsTheSaturatedChannel() throws {
        let ex = Explainer(model: model, pixels: SensitivityDemo.image)
        let m = 32   // 1.5 k/m never lands exactly on the kink at 1
        let e = try ex.explain(.integratedGradCAM, layer: "A", classIndex: 0, options: ExplainOptions(steps: m))
        // Path point k/m: A0 = 2 (k/m) red, mean 1.5 k/m, gradient 1/16 while 1.5 k/m < 1 (k <= 21);
        // A1 = 0.5 (k/m) green, gradient 1/16 always. Black baseline: A(x') = 0.
        // Red pixel: sum_{k=1..21} (1/16) * 2k/m; green pixel: sum_{k=1..32} (1/16) * 0.5k/m.
        let red = (1...21).reduce(Float(0)) { $0 + 2 * Float($1) / Float(m) } / 16
        let green = (1...32).reduce(Float(0)) { $0 + 0.5 * Float($1) / Float(m) } / 16
        XCTAssertEqual(e.map[0], red, accuracy: 1e-5)
        XCTAssertEqual(e.map[3], green, accuracy: 1e-5)
        XCTAssertGreaterThan(e.map[0], e.map[3])
    }

    func testAblationCAMByHand() throws {
        let ex = Explainer(model: model, pixels: SensitivityDemo.image)
        let e = try ex.explain(.ablationCAM, layer: "A", classIndex: 0)
        // y = 1 + 0.125. Ablate 0: y0 = 0.125 -> w0 = 1/1.125. Ablate 1: y1 = 1 -> w1 = 0.125/1.125.
        XCTAssertEqual(e.map[0], 2 / 1.125, accuracy: 1e-5)       // w0 * A0 = w0 * 2
        XCTAssertEqual(e.map[3], 0.5 * 0.125 / 1.125, accuracy: 1e-6)
    }

    func testScoreCAMByHand() throws {
        // A single-class model: the softmax probability is 1 for every masked input,
        // so every channel weighs 1 and L = ReLU(A0 + A1).
        let ex = Explainer(model: model, pixels: SensitivityDemo.image)
        let e = try ex.explain(.scoreCAM, layer: "A", classIndex: 0)
        XCTAssertEqual(e.map[0], 2, accuracy: 1e-6)
        XCTAssertEqual(e.map[3], 0.5, accuracy: 1e-6)
    }

    func testScalarSensitivityTable() throws {
        let rows = try SensitivityDemo.scalarRows(xs: [0.5, 2, 4], steps: 100)
        // Below 1: f(x) = x, f' = 1. Above 1: f = 1, f' = 0, but the integral is still f(x) - f(0) = 1.
        XCTAssertEqual(rows[0].gradient, 1)
        XCTAssertEqual(rows[1].gradient, 0)
        XCTAssertEqual(rows[1].gradientTimesInput, 0)
        for r in rows { XCTAssertEqual(r.integrated, r.difference, accuracy: 0.05) }
        XCTAssertEqual(rows[2].difference, 1)
    }
}

final class SensitivityDemoTests: XCTestCase {
    /// The integrated contributions add up to y(x) - y(black) = 1.125 (completeness),
    /// and the saturated red channel gets most of it, where Grad-CAM gives it nothing.
    func testIntegratedContributionsAreComplete() throws {
        let r = try SensitivityDemo.convResult(steps: 64)
        XCTAssertEqual(r.gradWeights[0], 0)
        XCTAssertEqual(r.integratedContribution[0] + r.integratedContribution[1], 1.125, accuracy: 0.03)
        XCTAssertEqual(r.integratedContribution[1], 0.125, accuracy: 0.005)
        XCTAssertGreaterThan(r.integratedContribution[0], 0.9)
    }
}
