import Foundation
import XCTest
import IGEngine
import IGImaging
@testable import IGModel

/// The bundled EfficientNet-Lite0 (real weights) against PyTorch on the
/// bundled photos: preprocessing, logits and gradients at a middle and the
/// last conv layer. Fixtures: tools/parity_fixtures.py (Tests/Fixtures/effnet).
final class EffNetParityTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = repo.appendingPathComponent("Tests/Fixtures/effnet").path
    static let modelPath = repo.appendingPathComponent("assets/models/efficientnet-lite0.onnx").path

    struct Manifest: Decodable {
        struct Image: Decodable { let file: String; let top1: Int; let layers: [String] }
        let layers: [String: String]
        let images: [String: Image]
    }

    func manifest() throws -> Manifest {
        try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/manifest.json")))
    }

    func npy(_ name: String) throws -> Tensor {
        let (shape, data) = try readNPY(path: Self.fixtures + "/" + name)
        return Tensor(shape: shape, data: data)
    }

    func photo(_ file: String) throws -> RGBImage {
        try loadImage(path: Self.repo.appendingPathComponent("assets/photos/" + file).path)
    }

    func testPreprocessingMatchesPyTorch() throws {
        let model = try Model(path: Self.modelPath, backend: .reference)
        let x = model.input(try photo("cat.png"))
        XCTAssertLessThan(relativeError(x, try npy("input_cat.npy")), 1e-5)
    }

    func check(_ backend: Backend, images: [String]) throws {
        let m = try manifest()
        let model = try Model(path: Self.modelPath, backend: backend)
        for name in images {
            guard let info = m.images[name] else { return XCTFail("no fixture for \(name)") }
            let x = model.input(try photo(info.file))
            let logits = try model.engine.forward(x)
            let want = try npy("logits_\(name).npy")
            XCTAssertLessThan(relativeError(logits, want.reshaped(logits.shape)), 1e-4, "\(backend) logits, \(name)")
            XCTAssertEqual(model.top(logits, k: 1)[0][0].classIndex, info.top1, "\(backend) top-1, \(name)")
            for module in info.layers {
                guard let tensor = m.layers[module] else { return XCTFail("no tensor for \(module)") }
                XCTAssertEqual(try model.layer(module), tensor, "module path \(module) resolves to the exported tensor")
                let g = try model.engine.gradient(x, layer: tensor, classes: [info.top1], capture: [])
                let act = try npy("act_\(module)_\(name).npy"), grad = try npy("grad_\(module)_\(name).npy")
                XCTAssertLessThan(relativeError(g.activation, act), 1e-4, "\(backend) activation \(module), \(name)")
                XCTAssertLessThan(relativeError(g.gradient, grad), 1e-3, "\(backend) gradient \(module), \(name)")
            }
        }
        assertNoBuildFailures(model, "EfficientNet-Lite0 \(backend)")
    }

    func testFastEngineMatchesPyTorchOnEveryPhoto() throws {
        try check(.fast, images: try manifest().images.keys.sorted())
    }

    func testReferenceEngineMatchesPyTorch() throws {
        try check(.reference, images: ["cat"])
    }

    func testSidecarDrivesTheModel() throws {
        let model = try Model(path: Self.modelPath, backend: .reference)
        XCTAssertEqual(model.labels.count, 1000)
        XCTAssertEqual(model.labels[285], "Egyptian cat")
        XCTAssertEqual(model.preprocessing.resize, .crop)
        XCTAssertEqual(model.shape(of: model.defaultLayer), [1280, 7, 7])
        XCTAssertEqual(try model.resolveClass("Egyptian cat"), 285)
        XCTAssertEqual(try model.resolveClass("285"), 285)
        XCTAssertThrowsError(try model.resolveClass("1000"))
        XCTAssertThrowsError(try model.resolveClass("cat")) { XCTAssertTrue("\($0)".contains("ambiguous")) }
        XCTAssertThrowsError(try model.layer("no_such_layer"))
    }

    func testMissingOrBrokenModelFilesGiveClearErrors() throws {
        XCTAssertThrowsError(try Model(path: "/nonexistent/model.onnx", backend: .reference)) { XCTAssertTrue("\($0)".contains("/nonexistent/model.onnx")) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("igcam-model-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // A truncated copy of the real model.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: Self.modelPath))
        let cut = dir.appendingPathComponent("cut.onnx")
        try bytes.prefix(bytes.count / 3).write(to: cut)
        XCTAssertThrowsError(try Model(path: cut.path, backend: .reference)) { XCTAssertTrue("\($0)".contains("cut.onnx"), "\($0)") }
        // A broken sidecar next to a good model.
        let good = dir.appendingPathComponent("m.onnx")
        try bytes.write(to: good)
        try Data("{\"input_size\": \"big\"}".utf8).write(to: dir.appendingPathComponent("m.json"))
        XCTAssertThrowsError(try Model(path: good.path, backend: .reference)) { XCTAssertTrue("\($0)".contains("m.json"), "\($0)") }
    }
}
