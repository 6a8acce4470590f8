import Foundation
import IGEngine
import IGExplain
import IGImaging
import IGModel
import IGViewer

/// A small real CNN (conv-relu x2, GAP, linear) on 32x32 inputs with 12
/// classes, run by the reference engine: enough for the job runner and draw.
func tinyModel() throws -> Model {
    var s: UInt64 = 7
    func r(_ shape: [Int], _ scale: Float = 0.6) -> Tensor {
        Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return (Float(s >> 40) / Float(1 << 24) - 0.5) * scale
        })
    }
    let c: [String: Tensor] = ["w1": r([6, 3, 3, 3]), "w2": r([8, 6, 3, 3]), "fc": r([12, 8], 2), "fcb": r([12], 0.2)]
    let nodes = [
        Node(name: "conv1", op: .conv(ConvAttributes(strides: [2, 2], pads: [1, 1, 1, 1], activation: .relu)), inputs: ["x", "w1"], output: "c1"),
        Node(name: "conv2", op: .conv(ConvAttributes(strides: [2, 2], pads: [1, 1, 1, 1], activation: .relu)), inputs: ["c1", "w2"], output: "c2"),
        Node(name: "gap", op: .globalAveragePool, inputs: ["c2"], output: "g"),
        Node(name: "flat", op: .flatten(axis: 1), inputs: ["g"], output: "f"),
        Node(name: "fc", op: .gemm(GemmAttributes(transB: true)), inputs: ["f", "fc", "fcb"], output: "logits"),
    ]
    var g = Graph(nodes: nodes, constants: c, input: "x", inputShape: [3, 32, 32], output: "logits")
    try g.inferShapes()
    let labels = ["tabby cat", "tiger cat", "Persian cat", "dog", "coffee mug", "espresso", "rocket", "space shuttle",
                  "motor scooter", "moped", "mountain bike", "tiger"]
    return Model(graph: g, name: "tiny", engine: ReferenceEngine(graph: g),
                 preprocessing: Preprocessing(height: 32, width: 32, mean: Preprocessing.imagenetMean, std: Preprocessing.imagenetStd, resize: .stretch),
                 labels: labels, defaultLayer: "c2")
}

/// A photo-like test image: smooth gradients plus a bright disc.
func testImage(width: Int = 48, height: Int = 40) -> RGBImage {
    var img = RGBImage(width: width, height: height)
    for y in 0..<height {
        for x in 0..<width {
            let d = hypot(Double(x - width / 3), Double(y - height / 2))
            let disc = d < Double(height) / 5
            img.setPixel(x: x, y: y, (UInt8(40 + 180 * x / width), UInt8(disc ? 230 : 60 + 120 * y / height), UInt8(disc ? 40 : 150)))
        }
    }
    return img
}

/// Writes `testImage` as a PNG in a fresh temporary folder; returns its path.
func writeTestPNG(name: String = "photo.png", dir: String? = nil) throws -> String {
    let d = dir ?? (NSTemporaryDirectory() + "igviewer-\(UUID().uuidString)")
    try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    let p = d + "/" + name
    try savePNG(testImage(), to: p)
    return p
}

func state(for model: Model, paths: [String]) -> ViewerState {
    return ViewerState(modelName: model.name, labels: model.labels, layers: viewerLayers(model), defaultLayer: model.defaultLayer, paths: paths)
}

/// A state with an image loaded and the top-3 classes known (from chosen
/// logits: dog 3, tabby cat 0, coffee mug 4), without running the engine.
func loadedState() throws -> ViewerState {
    let model = try tinyModel()
    var s = state(for: model, paths: ["/tmp/a.png", "/tmp/b.png"])
    s.image = testImage()
    var logits = [Float](repeating: -5, count: model.classCount)
    logits[3] = 3; logits[0] = 2; logits[4] = 1
    s.top = model.top(Tensor(shape: [1, model.classCount], data: logits), k: 3)[0]
    s.classIndex = s.top.first?.classIndex
    return s
}

/// Runs `keys` through `reduce`, returning the final state and all effects.
func press(_ s: ViewerState, _ keys: [Key]) -> (ViewerState, [Effect]) {
    var st = s
    var all = [Effect]()
    for k in keys { let (n, e) = reduce(st, k); st = n; all += e }
    return (st, all)
}

func chars(_ s: String) -> [Key] { s.map { Key.char($0) } }
