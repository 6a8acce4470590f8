import Foundation
import XCTest
import IGEngine
import IGImaging
@testable import IGExplain
@testable import IGModel

/// Every method against an independent PyTorch implementation of METHODS.md
/// (tools/methods_reference.py) on torchvision VGG16 with seeded random
/// weights at `features.29` (512 x 14 x 14), the bundled cat photo, class =
/// PyTorch's top-1. Maps must agree to 1e-3 after dividing each by its maximum.
///
/// The model (527 MB) and the maps are not committed: `make fixtures`
/// (tools/ci_fixtures.sh) exports `vgg16.onnx` into `.build/parity` (or
/// `$IGCAM_PARITY_DIR`) and writes the PyTorch maps into `methods/vgg16/`
/// from the same seeded recipe. Missing files make the tests skip, saying why.
///
/// Not Score-CAM: its reference needs 512 full VGG16 forwards in PyTorch (and
/// 512 here), too slow for CI; Score-CAM is covered on EfficientNet-Lite0 by
/// MethodsParityTests. Ablation-CAM's reference runs only the layers after
/// `features.29` on the ablated activations (exact; the script checks it
/// against full re-runs).
final class VGGMethodsParityTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var dir: String {
        if let d = ProcessInfo.processInfo.environment["IGCAM_PARITY_DIR"], !d.isEmpty {
            return d.hasPrefix("/") ? d : repo.appendingPathComponent(d).path
        }
        return repo.appendingPathComponent(".build/parity").path
    }
    static var fixtures: String { dir + "/methods/vgg16" }
    static let module = "features.29"

    struct Meta: Decodable {
        struct Entry: Decodable { let img: String; let layer: String; let `class`: Int; let shape: [Int]; let methods: [String] }
        let arch: String
        let m: Int
        let entries: [Entry]
    }

    /// Loaded once for all tests (the file is 527 MB); nil with the reason when missing or failing.
    static let loaded: Result<Model, Error> = Result {
        let path = dir + "/vgg16.onnx"
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("no \(path): run `make fixtures` (tools/ci_fixtures.sh needs PyTorch; see its output)")
        }
        return try Model(path: path)
    }

    var model: Model!
    var explainer: Explainer!
    var classIndex = 0

    override func setUpWithError() throws {
        let metaPath = Self.fixtures + "/meta.json"
        guard FileManager.default.fileExists(atPath: metaPath) else {
            throw XCTSkip("no \(metaPath): tools/ci_fixtures.sh did not make the VGG16 method maps (see its output and methods-vgg16.log)")
        }
        model = try Self.loaded.get()
        let meta = try JSONDecoder().decode(Meta.self, from: Data(contentsOf: URL(fileURLWithPath: metaPath)))
        XCTAssertEqual(meta.arch, "vgg16")
        XCTAssertEqual(meta.m, 8)
        let entry = try XCTUnwrap(meta.entries.first { $0.img == "cat" && $0.layer == Self.module },
                                  "\(metaPath) has no entry for cat at \(Self.module)")
        classIndex = entry.class
        XCTAssertEqual(entry.shape, [1, 512, 14, 14])
        let img = try loadImage(path: Self.repo.appendingPathComponent("assets/photos/cat.png").path)
        explainer = Explainer(model: model, image: img)
    }

    func reference(_ name: String) throws -> [Float] {
        try readNPY(path: Self.fixtures + "/\(name)_\(Self.module)_cat.npy").data
    }

    /// Max |ours/max(ours) - theirs/max(theirs)| below `tolerance` (as MethodsParityTests).
    @discardableResult
    func assertSameMap(_ ours: [Float], _ theirs: [Float], _ what: String, tolerance: Float = 1e-3,
                       file: StaticString = #filePath, line: UInt = #line) -> Float {
        XCTAssertEqual(ours.count, theirs.count, what, file: file, line: line)
        let mo = ours.max() ?? 0, mt = theirs.max() ?? 0
        XCTAssertGreaterThan(mt, 0, "\(what): the reference map is all zero; pick another case", file: file, line: line)
        var worst: Float = 0
        for i in 0..<min(ours.count, theirs.count) { worst = max(worst, abs(ours[i] / max(mo, 1e-30) - theirs[i] / mt)) }
        XCTAssertLessThan(worst, tolerance, what, file: file, line: line)
        print("VGG16 \(Self.module) \(what): max |diff| after max-normalisation \(worst)")
        return worst
    }

    func check(_ method: Method, _ fixture: String, options: ExplainOptions = ExplainOptions(),
               file: StaticString = #filePath, line: UInt = #line) throws {
        let layer = try model.layer(Self.module)
        let e = try explainer.explain(method, layer: layer, classIndex: classIndex, options: options)
        assertSameMap(e.map, try reference(fixture), fixture, file: file, line: line)
    }

    /// Same weights as PyTorch's recipe: the ONNX file's top-1 is the class the maps were made for.
    func testTopOneMatchesTheReference() throws {
        XCTAssertEqual(try explainer.top(1).first?.classIndex, classIndex)
    }

    func testOnePassMethods() throws {
        try check(.gradCAM, "gradcam")
        try check(.xgradCAM, "xgradcam")
        try check(.hiresCAM, "hirescam")
        try check(.layerCAM, "layercam")
        try check(.gradCAMPlusPlus, "gradcampp")
    }

    func testIntegratedGradCAMBothReadings() throws {
        try check(.integratedGradCAM, "igcam-figure-m8", options: ExplainOptions(steps: 8, reading: .figure))
        try check(.integratedGradCAM, "igcam-authors-code-m8", options: ExplainOptions(steps: 8, reading: .authorsCode))
    }

    func testAblationCAM() throws {
        try check(.ablationCAM, "ablationcam")
    }
}
