import Foundation
import XCTest
import IGEngine
import IGModel

/// Small graphs in the style of three non-torch exporters
/// (tools/make_byom_models.py; committed under Tests/Fixtures/onnx/byom with
/// onnxruntime references): tf2onnx's NHWC input and Transposes around NCHW
/// convs, a Caffe conversion's BGR mean subtraction with Cast / Pad /
/// ConstantOfShape and NHWC activations, and paddle2onnx's unfused
/// BatchNormalization, HardSwish, HardSigmoid SE block and Identity, each
/// ending in a Softmax. Both engines.
final class BYOMExporterStyleTests: XCTestCase {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/onnx/byom").path

    func check(_ name: String, _ backend: Backend) throws {
        try checkBYOM(model: Self.dir + "/" + name + ".onnx", refDir: Self.dir + "/" + name, backend: backend)
    }

    func testKerasTF2ONNXStyle() throws { try check("keras_tf2onnx", .fast); try check("keras_tf2onnx", .reference) }
    func testCaffeNHWCStyle() throws { try check("caffe_nhwc", .fast); try check("caffe_nhwc", .reference) }
    func testPaddleStyle() throws { try check("paddle_lcnet", .fast); try check("paddle_lcnet", .reference) }

    func transposes(_ g: Graph) -> Int {
        g.nodes.filter { if case .transpose = $0.op { return true } else { return false } }.count
    }

    /// The layout pass leaves no Transpose where they cancel, and the one a
    /// flatten of NHWC data needs; every spatial activation is C x h x w.
    func testTransposesAreSunk() throws {
        let keras = try Model(path: Self.dir + "/keras_tf2onnx.onnx", backend: .reference)
        XCTAssertEqual(keras.graph.inputShape, [3, 8, 8], "NHWC input fed NCHW")
        XCTAssertEqual(transposes(keras.graph), 1, "only the Transpose before the flatten remains")
        let caffe = try Model(path: Self.dir + "/caffe_nhwc.onnx", backend: .reference)
        XCTAssertEqual(transposes(caffe.graph), 0, "every Transpose of the Caffe-style graph cancels")
        let layers = caffe.graph.candidateLayers
        XCTAssertGreaterThan(layers.count, 5)
        XCTAssertTrue(layers.allSatisfy { [3, 6].contains($0.shape[0]) }, "activations listed as C x h x w: \(layers.map { "\($0.name) \($0.shape)" })")
        XCTAssertEqual(keras.graph.removedSoftmax, "Softmax")
        XCTAssertEqual(keras.graph.fileOutput, "dense_1")
    }

    /// The sidecar's "layout" overrides the guess; a wrong one fails clearly.
    func testLayoutOverride() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("byom-layout-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("k.onnx").path
        try FileManager.default.copyItem(atPath: Self.dir + "/keras_tf2onnx.onnx", toPath: model)
        try Data(#"{"layout": "nchw"}"#.utf8).write(to: dir.appendingPathComponent("k.json"))
        XCTAssertThrowsError(try Model(path: model, backend: .reference)) { e in
            XCTAssertTrue("\(e)".contains("channels") || "\(e)".contains("shape"), "\(e)")
        }
        try Data(#"{"layout": "sideways"}"#.utf8).write(to: dir.appendingPathComponent("k.json"))
        XCTAssertThrowsError(try Model(path: model, backend: .reference)) { e in
            XCTAssertTrue("\(e)".contains("layout must be 'nchw' or 'nhwc'"), "\(e)")
        }
        try Data(#"{"layout": "nhwc", "channel_order": "bgr"}"#.utf8).write(to: dir.appendingPathComponent("k.json"))
        let m = try Model(path: model, backend: .reference)
        XCTAssertEqual(m.preprocessing.channelOrder, .bgr)
        XCTAssertEqual(m.graph.inputShape, [3, 8, 8])
    }

    /// BGR: the network's channel 0 is the photo's blue, normalised with mean[0]/std[0].
    func testChannelOrderAndGrayscale() throws {
        let m = try Model(path: Self.dir + "/caffe_nhwc.onnx", backend: .reference)
        let plane = m.preprocessing.height * m.preprocessing.width
        var px = [Float](repeating: 0, count: 3 * plane)
        for i in 0..<plane { px[i] = 0.9; px[plane + i] = 0.5; px[2 * plane + i] = 0.1 }  // R, G, B
        let x = m.normalize(px)
        let p = m.preprocessing
        let blue: Float = (0.1 - p.mean[0]) / p.std[0], red: Float = (0.9 - p.mean[2]) / p.std[2]
        XCTAssertEqual(x.data[0], blue, accuracy: 1e-5, "channel 0 = blue")
        XCTAssertEqual(x.data[2 * plane], red, accuracy: 1e-5, "channel 2 = red")

        let gray = Model(graph: m.graph, name: "g", engine: m.engine,
                         preprocessing: Preprocessing(height: p.height, width: p.width, mean: [0.25], std: [0.5], resize: .stretch,
                                                      channels: 1),
                         labels: m.labels, defaultLayer: m.defaultLayer)
        let y = gray.normalize(px)
        XCTAssertEqual(y.shape, [1, 1, p.height, p.width])
        let luma: Float = 0.299 * 0.9 + 0.587 * 0.5 + 0.114 * 0.1
        XCTAssertEqual(y.data[0], (luma - 0.25) / 0.5, accuracy: 1e-5, "BT.601 luma")
    }
}

/// A grayscale network's sidecar lists one mean and one std; two values fit no input.
final class SidecarChannelCountTests: XCTestCase {
    func testMeanAndStdTakeOneOrThreeValues() throws {
        let one = try Sidecar.decode(Data(#"{"mean": [0.5], "std": [0.25]}"#.utf8), path: "gray.json")
        XCTAssertEqual(one.mean, [0.5]); XCTAssertEqual(one.std, [0.25])
        let three = try Sidecar.decode(Data(#"{"mean": [0.4, 0.45, 0.5], "std": [0.2, 0.2, 0.2]}"#.utf8), path: "rgb.json")
        XCTAssertEqual(three.mean?.count, 3)
        XCTAssertThrowsError(try Sidecar.decode(Data(#"{"mean": [0.5, 0.5], "std": [0.2, 0.2]}"#.utf8), path: "two.json")) {
            XCTAssertTrue("\($0)".contains("mean must be 3 finite numbers"), "\($0)")
        }
        XCTAssertThrowsError(try Sidecar.decode(Data(#"{"std": [0]}"#.utf8), path: "zero.json"))
    }
}
