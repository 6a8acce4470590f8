import Foundation
import XCTest
import IGEngine
import IGImaging
import IGModel

/// torchvision ResNet-50, MobileNetV2, DenseNet-121 and VGG16 (seeded random
/// weights) exported by torch.onnx.export with the TorchScript exporter
/// (`NAME.onnx`, opset 13) and the dynamo exporter (`NAME-dynamo.onnx`,
/// opset 18), against PyTorch on the bundled cat photo: preprocessing,
/// logits (1e-4 relative) and top-1, and the activation and the gradient of
/// the top-1 logit at a middle layer and at the last conv layer (1e-3).
/// The middle layers (ResNet-50 `layer3`, VGG16 `features.18`) are ones
/// where PyTorch's own gradient is usually stable to float32 noise (see the
/// comment in tools/ci_fixtures.sh). Where it is not (a ReLU downstream
/// whose input is within float32 rounding of 0, so any float32
/// implementation may put it on either side), tools/parity_fixtures.py
/// records each distinct gradient PyTorch itself gives under 1e-6 relative
/// input noise (`grad_<layer>_<img>.alt<i>.npy`), and the gradient must
/// match one of PyTorch's to 1e-3.
///
/// The models are too big to commit: `make fixtures` (tools/ci_fixtures.sh)
/// exports them into `.build/parity` (or `$IGCAM_PARITY_DIR`) with fixtures
/// from tools/parity_fixtures.py in `fixtures/<file>/`. A missing model
/// makes its test skip, saying why.
final class TorchvisionParityTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var dir: String {
        if let d = ProcessInfo.processInfo.environment["IGCAM_PARITY_DIR"], !d.isEmpty {
            return d.hasPrefix("/") ? d : repo.appendingPathComponent(d).path
        }
        return repo.appendingPathComponent(".build/parity").path
    }

    struct Manifest: Decodable {
        struct Image: Decodable {
            let file: String; let top1: Int; let layers: [String]; let shapes: [String: [Int]]
            /// How many other gradients PyTorch gives at each layer under 1e-6 input noise.
            let gradient_alternatives: [String: Int]?
        }
        let model: String
        let layers: [String: String]
        let images: [String: Image]
    }

    /// The middle and last conv layer (module paths) tools/ci_fixtures.sh asks for.
    static let layers: [String: (middle: String, last: String)] = [
        "resnet50": ("layer3", "layer4.2"),  // not layer2: see tools/ci_fixtures.sh
        "mobilenet_v2": ("features.10", "features.18"),
        "densenet121": ("features.denseblock3", "features.norm5"),
        "vgg16": ("features.18", "features.29"),  // not features.15: see tools/ci_fixtures.sh
    ]

    /// `file` = NAME or NAME-dynamo. Skips (never passes) when it was not made.
    func fixture(_ file: String) throws -> (model: String, fixtures: String, manifest: Manifest) {
        let model = Self.dir + "/" + file + ".onnx"
        let fixtures = Self.dir + "/fixtures/" + file
        let fm = FileManager.default
        guard fm.fileExists(atPath: Self.dir) else {
            throw XCTSkip("no parity directory \(Self.dir): run `make fixtures` (tools/ci_fixtures.sh needs PyTorch; see its output)")
        }
        guard fm.fileExists(atPath: model), fm.fileExists(atPath: fixtures + "/manifest.json") else {
            throw XCTSkip("\(file): \(model) or \(fixtures)/manifest.json missing: its export or fixtures failed or were not asked for (see tools/ci_fixtures.sh output)")
        }
        let m = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: fixtures + "/manifest.json")))
        XCTAssertEqual(m.model, file + ".onnx", "manifest made for this file")
        return (model, fixtures, m)
    }

    func npy(_ dir: String, _ name: String) throws -> Tensor {
        let (shape, data) = try readNPY(path: dir + "/" + name)
        return Tensor(shape: shape, data: data)
    }

    /// Relative error, or a failure (not a crash) when the shapes differ.
    func rel(_ a: Tensor, _ b: Tensor, _ what: String) -> Float {
        guard a.shape == b.shape else {
            XCTFail("\(what): shape \(a.shape), PyTorch \(b.shape)")
            return .infinity
        }
        return relativeError(a, b)
    }

    /// Where two tensors differ most, and how many values differ by more than 1e-4 of the max.
    func worstDiff(_ a: Tensor, _ b: Tensor) -> String {
        guard a.shape == b.shape, a.rank == 4 else { return "" }
        let m = b.maxAbs, hw = a.shape[2] * a.shape[3]
        var worst = 0, count = 0, zeroed = 0
        for i in 0..<a.count {
            let d = abs(a.data[i] - b.data[i])
            if d > abs(a.data[worst] - b.data[worst]) { worst = i }
            if d > 1e-4 * m { count += 1; if a.data[i] == 0 { zeroed += 1 } }
        }
        return "; worst at channel \(worst / hw), pixel \(worst % hw): \(a.data[worst]) vs PyTorch \(b.data[worst]) (max |PyTorch| \(m)); \(count) of \(a.count) values off by > 1e-4 of the max, \(zeroed) of them 0 here"
    }

    func check(_ name: String, dynamo: Bool, backend: Backend = .fast) throws {
        let file = name + (dynamo ? "-dynamo" : "")
        let (path, fixtures, m) = try fixture(file)
        guard let expected = Self.layers[name] else { return XCTFail("no layers listed for \(name)") }
        guard let info = m.images["cat"] else { return XCTFail("\(fixtures): no fixture for cat") }
        XCTAssertEqual(info.layers, [expected.middle, expected.last], "\(file): fixture layers")

        let t0 = Date()
        let model = try Model(path: path, backend: backend)
        let t1 = Date()
        let x = model.input(try loadImage(path: Self.repo.appendingPathComponent("assets/photos/" + info.file).path))
        XCTAssertLessThan(rel(x, try npy(fixtures, "input_cat.npy"), "\(file) input"), 1e-5, "\(file): preprocessing")

        let logits = try model.engine.forward(x)
        let want = try npy(fixtures, "logits_cat.npy")
        let e = rel(logits, want, "\(file) logits")
        XCTAssertLessThan(e, 1e-4, "\(file) \(backend): logits")
        XCTAssertGreaterThan(want.maxAbs, 1, "\(file): PyTorch logits are not degenerate")
        let top = model.top(logits, k: 2)[0]
        XCTAssertEqual(top[0].classIndex, info.top1, "\(file) \(backend): top-1")

        // The last conv layer is the sidecar's default layer.
        XCTAssertEqual(model.defaultLayer, m.layers[expected.last], "\(file): default layer is \(expected.last)")
        var report = [String]()
        for module in info.layers {
            guard let tensor = m.layers[module] else { return XCTFail("\(file): manifest has no tensor for \(module)") }
            XCTAssertEqual(try model.layer(module), tensor, "\(file): module path \(module) resolves to the exported tensor")
            XCTAssertEqual(model.shape(of: tensor), Array((info.shapes[module] ?? []).dropFirst()), "\(file): shape of \(module)")
            let g = try model.engine.gradient(x, layer: tensor, classes: [info.top1], capture: [])
            let act = try npy(fixtures, "act_\(module)_cat.npy"), grad = try npy(fixtures, "grad_\(module)_cat.npy")
            XCTAssertGreaterThan(grad.maxAbs, 0, "\(file): PyTorch gradient at \(module) is not zero")
            let ea = rel(g.activation, act, "\(file) \(module) activation")
            var eg = rel(g.gradient, grad, "\(file) \(module) gradient")
            let alternatives = info.gradient_alternatives?[module] ?? 0
            for i in 0..<alternatives where eg >= 1e-3 {
                let alt = try npy(fixtures, "grad_\(module)_cat.alt\(i).npy")
                eg = min(eg, rel(g.gradient, alt, "\(file) \(module) gradient (PyTorch's alternative \(i))"))
            }
            XCTAssertLessThan(ea, 1e-4, "\(file) \(backend): activation \(module) (\(tensor))\(ea < 1e-4 ? "" : worstDiff(g.activation, act))")
            XCTAssertLessThan(eg, 1e-3, "\(file) \(backend): gradient \(module) (\(tensor))\(eg < 1e-3 ? "" : worstDiff(g.gradient, grad))")
            report.append("\(module) act " + String(format: "%.1e grad %.1e", ea, eg)
                          + (alternatives > 0 ? " (PyTorch itself gives \(alternatives + 1) gradients under 1e-6 input noise)" : ""))
        }
        assertNoBuildFailures(model, "\(file) \(backend)")
        print("parity \(file) \(backend.rawValue): " + String(format: "load %.2f s, total %.2f s; logits %.1e, top-1 %d (margin %.3f); ",
              t1.timeIntervalSince(t0), Date().timeIntervalSince(t0), e, info.top1, top[0].logit - top[1].logit)
              + report.joined(separator: "; "))
    }

    func testResNet50TorchScriptExport() throws { try check("resnet50", dynamo: false) }
    func testResNet50DynamoExport() throws { try check("resnet50", dynamo: true) }
    func testMobileNetV2TorchScriptExport() throws { try check("mobilenet_v2", dynamo: false) }
    func testMobileNetV2DynamoExport() throws { try check("mobilenet_v2", dynamo: true) }
    func testDenseNet121TorchScriptExport() throws { try check("densenet121", dynamo: false) }
    func testVGG16TorchScriptExport() throws { try check("vgg16", dynamo: false) }

    /// The reference engine on the one small model (it is slow on the big ones).
    func testReferenceEngineMobileNetV2() throws { try check("mobilenet_v2", dynamo: false, backend: .reference) }

    /// The same PyTorch module path names the same layer whichever exporter wrote the file,
    /// although the tensor names differ (`/layer4/layer4.2/relu_2/Relu_output_0` vs `relu_48`).
    func testModulePathsResolveInBothExportModes() throws {
        for name in ["resnet50", "mobilenet_v2"] {
            let a = try fixture(name), b = try fixture(name + "-dynamo")
            let ma = try Model(path: a.model, backend: .reference), mb = try Model(path: b.model, backend: .reference)
            guard let l = Self.layers[name] else { return XCTFail("no layers for \(name)") }
            for module in [l.middle, l.last] {
                let ta = try ma.layer(module), tb = try mb.layer(module)
                XCTAssertEqual(ta, a.manifest.layers[module], "\(name) TorchScript: \(module)")
                XCTAssertEqual(tb, b.manifest.layers[module], "\(name) dynamo: \(module)")
                XCTAssertNotEqual(ta, tb, "\(name): the exporters name \(module) differently (else this test shows nothing)")
                XCTAssertEqual(ma.shape(of: ta), mb.shape(of: tb), "\(name): \(module) has one shape in both files")
                XCTAssertFalse(ma.shape(of: ta).isEmpty, "\(name): \(module) has a shape")
            }
            XCTAssertEqual(ma.defaultLayer, try ma.layer(l.last), "\(name) TorchScript default layer")
            XCTAssertEqual(mb.defaultLayer, try mb.layer(l.last), "\(name) dynamo default layer")
        }
    }
}
