import Foundation
import XCTest
import IGEngine
import IGImaging
import IGModel

/// What tools/byom_reference.py writes to ref.json.
struct BYOMRef: Decodable {
    let layer: String
    let layer_shape_chw: [Int]
    let top1: Int
    let input_layout: String
    let short_name: String?
}

func byomNPY(_ path: String) throws -> Tensor {
    let (shape, data) = try readNPY(path: path)
    return Tensor(shape: shape, data: data)
}

/// NHWC -> NCHW, written out here (not the engine's transpose).
func byomNCHW(_ t: Tensor) -> Tensor {
    let (n, h, w, c) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
    var d = [Float](repeating: 0, count: t.count)
    for b in 0..<n { for y in 0..<h { for x in 0..<w { for k in 0..<c {
        d[((b * c + k) * h + y) * w + x] = t.data[((b * h + y) * w + x) * c + k]
    } } } }
    return Tensor(shape: [n, c, h, w], data: d)
}

/// One ONNX file against its onnxruntime reference (tools/byom_reference.py):
/// logits = the final Softmax's input and the model's own probabilities (1e-4),
/// top-1, the default layer (ONNX name, C x h x w), and Grad-CAM of the top-1
/// logit there against finite differences (1e-3 after max-normalisation).
func checkBYOM(model path: String, refDir: String, backend: Backend, shortName: String? = nil,
               file: StaticString = #filePath, line: UInt = #line) throws {
    let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
    let ref = try JSONDecoder().decode(BYOMRef.self, from: Data(contentsOf: URL(fileURLWithPath: refDir + "/ref.json")))
    let m = try Model(path: path, backend: backend)
    var x = try byomNPY(refDir + "/input.npy")
    if ref.input_layout == "nhwc" { x = byomNCHW(x) }
    XCTAssertEqual(Array(x.shape.dropFirst()), m.graph.inputShape, "\(name): input fed as N, C, H, W", file: file, line: line)

    // Outputs: the graph's output is the Softmax input; probabilities are the model's own.
    let logits = try m.engine.forward(x)
    let wantLogits = try byomNPY(refDir + "/logits.npy"), wantProbs = try byomNPY(refDir + "/probs.npy")
    XCTAssertNotNil(m.graph.removedSoftmax, "\(name): the final Softmax was recognised", file: file, line: line)
    XCTAssertEqual(logits.shape, wantLogits.shape, file: file, line: line)
    XCTAssertGreaterThan(wantLogits.maxAbs, 0.1, "\(name): reference logits are not degenerate", file: file, line: line)
    let e = relativeError(logits, wantLogits)
    XCTAssertLessThan(e, 1e-4, "\(name) \(backend): logits vs onnxruntime", file: file, line: line)
    let top = m.top(logits, k: m.classCount)[0]
    XCTAssertEqual(top[0].classIndex, ref.top1, "\(name) \(backend): top-1", file: file, line: line)
    for p in top {
        XCTAssertEqual(p.probability, wantProbs.data[p.classIndex], accuracy: 1e-4,
                       "\(name): probability of class \(p.classIndex)", file: file, line: line)
    }

    // The default layer: the last conv activation, C x h x w.
    let want = try m.layer(ref.layer)
    XCTAssertEqual(m.defaultLayer, want, "\(name): default layer is \(ref.layer)", file: file, line: line)
    XCTAssertEqual(m.shape(of: m.defaultLayer), ref.layer_shape_chw, "\(name): default layer C x h x w", file: file, line: line)
    if let s = shortName ?? ref.short_name {
        XCTAssertEqual(try m.layer(s), m.defaultLayer, "\(name): short layer name \(s)", file: file, line: line)
    }

    // Grad-CAM of the top-1 logit there.
    let g = try m.engine.gradient(x, layer: m.defaultLayer, classes: [ref.top1], capture: [])
    let (c, h, w) = (g.activation.shape[1], g.activation.shape[2], g.activation.shape[3])
    var cam = [Float](repeating: 0, count: h * w)
    for k in 0..<c {
        var a: Float = 0
        for i in 0..<(h * w) { a += g.gradient.data[k * h * w + i] }
        a /= Float(h * w)
        for i in 0..<(h * w) { cam[i] += a * g.activation.data[k * h * w + i] }
    }
    cam = cam.map { max($0, 0) }
    let mx = cam.max() ?? 0
    XCTAssertGreaterThan(mx, 0, "\(name): Grad-CAM is not all zero", file: file, line: line)
    let wantCam = try byomNPY(refDir + "/cam.npy")
    XCTAssertEqual(wantCam.shape, [h, w], file: file, line: line)
    guard wantCam.shape == [h, w] else { return }
    var worst: Float = 0
    for i in 0..<cam.count { worst = max(worst, abs(cam[i] / mx - wantCam.data[i])) }
    XCTAssertLessThan(worst, 1e-3, "\(name) \(backend): Grad-CAM vs finite differences through onnxruntime", file: file, line: line)
    assertNoBuildFailures(m, "\(name) \(backend)", file: file, line: line)
    print("byom \(name) \(backend.rawValue): logits rel \(e), top-1 \(top[0].classIndex) p=\(top[0].probability), "
          + "layer \(m.defaultLayer) \(m.shape(of: m.defaultLayer)), cam max diff \(worst)")
}
