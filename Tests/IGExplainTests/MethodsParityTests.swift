import Foundation
import XCTest
import IGEngine
import IGFast
import IGImaging
@testable import IGExplain
@testable import IGModel

/// Every method against an independent PyTorch implementation of
/// docs/METHODS.md (tools/methods_reference.py, cross-checked there against
/// jacobgil's grad-cam where that library agrees with the definitions), on
/// the bundled EfficientNet-Lite0 at two layers. Maps must agree to 1e-3
/// after dividing each by its maximum.
final class MethodsParityTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = repo.appendingPathComponent("Tests/Fixtures/methods/effnet").path
    static let model: Model? = try? Model(path: repo.appendingPathComponent("assets/models/efficientnet-lite0.onnx").path,
                                              engine: { try FastEngine(graph: $0) })

    var explainer: Explainer!
    var model: Model!

    override func setUpWithError() throws {
        model = try XCTUnwrap(Self.model, "the bundled model must load")
        let img = try loadImage(path: Self.repo.appendingPathComponent("assets/photos/cat.png").path)
        explainer = Explainer(model: model, image: img)
    }

    func reference(_ name: String, _ module: String) throws -> [Float] {
        try readNPY(path: Self.fixtures + "/\(name)_\(module)_cat.npy").data
    }

    func assertSameMap(_ ours: [Float], _ theirs: [Float], _ what: String, tolerance: Float = 1e-3,
                       file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(ours.count, theirs.count, what, file: file, line: line)
        let mo = ours.max() ?? 0, mt = theirs.max() ?? 0
        XCTAssertGreaterThan(mt, 0, "\(what): the reference map is all zero; pick another case", file: file, line: line)
        var worst: Float = 0
        for i in 0..<min(ours.count, theirs.count) { worst = max(worst, abs(ours[i] / max(mo, 1e-30) - theirs[i] / mt)) }
        XCTAssertLessThan(worst, tolerance, what, file: file, line: line)
    }

    func check(_ method: Method, _ fixture: String, module: String, options: ExplainOptions = ExplainOptions(),
               tolerance: Float = 1e-3) throws {
        let layer = try model.layer(module)
        let e = try explainer.explain(method, layer: layer, classIndex: 285, options: options)
        assertSameMap(e.map, try reference(fixture, module), "\(method.name) at \(module)", tolerance: tolerance)
    }

    func testOnePassMethodsAtBothLayers() throws {
        for module in ["_blocks.10", "_head_act"] {
            try check(.gradCAM, "gradcam", module: module)
            try check(.xgradCAM, "xgradcam", module: module)
            try check(.hiresCAM, "hirescam", module: module)
            try check(.layerCAM, "layercam", module: module)
            try check(.gradCAMPlusPlus, "gradcampp", module: module)
        }
    }

    func testIntegratedGradCAMBothReadings() throws {
        for module in ["_blocks.10", "_head_act"] {
            try check(.integratedGradCAM, "igcam-figure-m8", module: module, options: ExplainOptions(steps: 8, reading: .figure))
            try check(.integratedGradCAM, "igcam-authors-code-m8", module: module, options: ExplainOptions(steps: 8, reading: .authorsCode))
        }
        try check(.integratedGradCAM, "igcam-authors-code-m1", module: "_head_act", options: ExplainOptions(steps: 1, reading: .authorsCode))
    }

    func testAblationCAMAtBothLayers() throws {
        try check(.ablationCAM, "ablationcam", module: "_blocks.10")
        try check(.ablationCAM, "ablationcam", module: "_head_act")
    }

    /// Score-CAM at the 112-channel layer (the 1280-channel head would cost 1280 forward passes here).
    func testScoreCAM() throws {
        try check(.scoreCAM, "scorecam", module: "_blocks.10")
    }

    /// Authors-code reading with m = 1 is exactly Grad-CAM of the black image.
    func testAuthorsCodeWithOneStepIsGradCAMOfTheBaseline() throws {
        let layer = model.defaultLayer
        let ig = try explainer.explain(.integratedGradCAM, layer: layer, classIndex: 285,
                                       options: ExplainOptions(steps: 1, reading: .authorsCode))
        let black = Explainer(model: model, pixels: [Float](repeating: 0, count: explainer.pixels.count))
        let gc = try black.explain(.gradCAM, layer: layer, classIndex: 285)
        XCTAssertGreaterThan(gc.map.max() ?? 0, 0)
        for i in 0..<gc.map.count { XCTAssertEqual(ig.map[i], gc.map[i], accuracy: 1e-5 * (gc.map.max() ?? 1)) }
    }

    /// The figure reading converges as m doubles: the change between m and 2m shrinks.
    func testFigureReadingConverges() throws {
        let layer = try model.layer("_blocks.10")
        var previous: [Float]?
        var changes = [Float]()
        for m in [4, 8, 16, 32] {
            let e = try explainer.explain(.integratedGradCAM, layer: layer, classIndex: 285, options: ExplainOptions(steps: m))
            let scaled = e.map.map { $0 / Float(m) }   // the raw sum has no 1/m
            if let p = previous {
                let mx = scaled.max() ?? 1
                changes.append(zip(scaled, p).map { abs($0 - $1) }.max()! / mx)
            }
            previous = scaled
        }
        XCTAssertEqual(changes.count, 3)
        XCTAssertLessThan(changes[2], changes[0], "change m->2m: \(changes)")
        XCTAssertLessThan(changes[2], 0.1, "change m->2m: \(changes)")
    }
}
