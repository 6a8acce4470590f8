import XCTest
import IGEngine
@testable import IGExplain
@testable import IGModel

/// The claim of docs/ARCHITECTURE.md ("Adding a method"): a method is one
/// type in one file plus one registration line. This file is that file for a
/// method igcam does not ship, pytorch-grad-cam's GradCAMElementWise
/// (L = ReLU(sum_k ReLU(dy/dA^k ⊙ A^k))), and the test registers it with one
/// line, then uses it as every caller does: by name, through the Explainer.
struct GradCAMElementWise: GradientMethod {
    var name: String { "grad-cam-elementwise" }
    var aliases: [String] { ["gcew"] }
    var shortName: String { "Grad-CAM EW" }

    func map(a: ArraySlice<Float>, g: ArraySlice<Float>, channels: Int, hw: Int) -> [Float] {
        let ba = a.startIndex, bg = g.startIndex
        var map = [Float](repeating: 0, count: hw)
        for k in 0..<channels { for i in 0..<hw { map[i] += max(g[bg + k * hw + i] * a[ba + k * hw + i], 0) } }
        return CAM.relu(map)
    }
}

extension Method { static let gradCAMElementWise = Method(GradCAMElementWise()) }

final class NewMethodTests: XCTestCase {
    /// The registration line (in the shipped registry it is a line of Registry.swift).
    let registry = Method.allCases + [.gradCAMElementWise]

    func testRegisteredMethodIsFoundByNameAndAlias() {
        XCTAssertEqual(Method(name: "grad-cam-elementwise", among: registry), .gradCAMElementWise)
        XCTAssertEqual(Method(name: "GCEW", among: registry), .gradCAMElementWise)
        XCTAssertNil(Method(name: "gcew"), "not in the shipped registry")
        XCTAssertEqual(Method.gradCAMElementWise.takes, [], "a one-pass method takes no Integrated Grad-CAM option")
        XCTAssertFalse(Method.gradCAMElementWise.isProgressive)
    }

    func testFormulaOnHandValues() {
        // A0 = [1, -3], A1 = [2, 0]; g0 = [-1, -2], g1 = [0.5, -0.5].
        // ReLU(g ⊙ A): channel 0 [0, 6], channel 1 [1, 0] -> [1, 6].
        // (LayerCAM, ReLU(g) ⊙ A, gives [1, 0] here: the negative activation with a negative gradient counts only here.)
        let a: [Float] = [1, -3, 2, 0], g: [Float] = [-1, -2, 0.5, -0.5]
        XCTAssertEqual(GradCAMElementWise().map(a: a[...], g: g[...], channels: 2, hw: 2), [1, 6])
        XCTAssertEqual(LayerCAM().map(a: a[...], g: g[...], channels: 2, hw: 2), [1, 0])
    }

    /// Through the Explainer on the sensitivity demo net: channel 0 (2 x red) is saturated, so its
    /// gradient is 0; channel 1 (0.5 x green, mean 0.125 < 1) has dy/dA1_ij = 1/16 everywhere.
    /// So the map is 0.5 * green / 16: 1/32 in the green right column, 0 elsewhere.
    func testExplainerRunsIt() throws {
        let ex = Explainer(model: SensitivityDemo.convModel(), pixels: SensitivityDemo.image)
        let m = try XCTUnwrap(Method(name: "gcew", among: registry))
        XCTAssertEqual(try ex.defaultClass(for: m, layer: "A"), 0)
        let e = try ex.explain(m, layer: "A", classIndex: 0)
        XCTAssertEqual(e.method, .gradCAMElementWise)
        XCTAssertEqual(e.scaling, "raw")
        XCTAssertEqual(e.map.count, 16)
        for y in 0..<4 {
            for x in 0..<4 { XCTAssertEqual(e.map[y * 4 + x], x == 3 ? 1.0 / 32 : 0, accuracy: 1e-7, "(\(y), \(x))") }
        }
    }
}
