import IGEngine
import IGModel

/// The paper's sensitivity example as tiny networks run by the engine, for
/// `igcam demo sensitivity`.
public enum SensitivityDemo {
    /// f(x) = 1 - ReLU(1 - x) as a graph on a 1x1x1 "image".
    public static func scalarGraph() -> Graph {
        let one = Tensor(shape: [1], data: [1])
        return Graph(nodes: [
            Node(name: "1-x", op: .binary(.sub), inputs: ["one", "x"], output: "u"),
            Node(name: "relu", op: .unary(.relu), inputs: ["u"], output: "r"),
            Node(name: "1-relu", op: .binary(.sub), inputs: ["one", "r"], output: "f"),
            Node(name: "flatten", op: .flatten(axis: 1), inputs: ["f"], output: "y"),
        ], constants: ["one": one], input: "x", inputShape: [1, 1, 1], output: "y")
    }

    public struct ScalarRow: Sendable {
        public var x: Float
        public var f: Float
        public var gradient: Float
        /// x * f'(x): the gradient-based attribution.
        public var gradientTimesInput: Float
        /// x * (1/m) sum_{k=1..m} f'(k x / m): integrated gradients from 0.
        public var integrated: Float
        /// f(x) - f(0): what a complete attribution must add up to.
        public var difference: Float
    }

    /// Attributions of f at each x, integrated with m steps.
    public static func scalarRows(xs: [Float] = [0.25, 0.5, 0.9, 1.5, 2, 4], steps m: Int = 50) throws -> [ScalarRow] {
        let engine = ReferenceEngine(graph: scalarGraph())
        func at(_ x: Float) throws -> (f: Float, g: Float) {
            let r = try engine.gradient(Tensor(shape: [1, 1, 1, 1], data: [x]), layer: "x", classes: [0], capture: [])
            return (r.output.data[0], r.gradient.data[0])
        }
        let f0 = try at(0).f
        return try xs.map { x in
            let (f, g) = try at(x)
            // One batched pass for the whole path.
            let path = Tensor(shape: [m, 1, 1, 1], data: (1...m).map { Float($0) / Float(m) * x })
            let r = try engine.gradient(path, layer: "x", classes: [Int](repeating: 0, count: m), capture: [])
            let ig = x * r.gradient.data.reduce(0, +) / Float(m)
            return ScalarRow(x: x, f: f, gradient: g, gradientTimesInput: x * g, integrated: ig, difference: f - f0)
        }
    }

    /// A 4x4 RGB "image": red in the left three columns, green in the right one.
    public static let image: [Float] = {
        var p = [Float](repeating: 0, count: 3 * 16)
        for y in 0..<4 { for x in 0..<4 { if x < 3 { p[y * 4 + x] = 1 } else { p[16 + y * 4 + x] = 1 } } }
        return p
    }()

    /// A conv net whose channel 0 ("red", A0 = 2 * red) saturates: score =
    /// sum_k 1 - ReLU(1 - GAP(A_k)). GAP(A0) = 1.5 > 1, so dy/dA0 = 0 at the
    /// image although that channel gives most of the score.
    public static func convModel() -> Model {
        let w = Tensor(shape: [2, 3, 1, 1], data: [2, 0, 0, 0, 0.5, 0])
        let g = Graph(nodes: [
            Node(name: "conv", op: .conv(ConvAttributes()), inputs: ["image", "w"], output: "conv"),
            Node(name: "A", op: .unary(.relu), inputs: ["conv"], output: "A"),
            Node(name: "gap", op: .globalAveragePool, inputs: ["A"], output: "gap"),
            Node(name: "flatten", op: .flatten(axis: 1), inputs: ["gap"], output: "g"),
            Node(name: "1-g", op: .binary(.sub), inputs: ["one", "g"], output: "u"),
            Node(name: "relu", op: .unary(.relu), inputs: ["u"], output: "r"),
            Node(name: "saturate", op: .binary(.sub), inputs: ["one", "r"], output: "s"),
            Node(name: "sum", op: .gemm(GemmAttributes(transB: true)), inputs: ["s", "ones"], output: "score"),
        ], constants: ["w": w, "one": Tensor(shape: [1], data: [1]), "ones": Tensor(shape: [1, 2], data: [1, 1])],
           input: "image", inputShape: [3, 4, 4], output: "score")
        var graph = g
        graph.shapes = ["conv": [2, 4, 4], "A": [2, 4, 4], "gap": [2, 1, 1], "g": [2], "u": [2], "r": [2], "s": [2], "score": [1]]
        return Model(graph: graph, name: "saturating-demo", engine: ReferenceEngine(graph: graph),
                     preprocessing: Preprocessing(height: 4, width: 4, mean: [0, 0, 0], std: [1, 1, 1], resize: .stretch),
                     labels: ["score"], defaultLayer: "A")
    }

    public struct ConvResult: Sendable {
        public var gradCAM: Explanation
        public var integrated: Explanation
        /// Per channel: Grad-CAM weight GAP(dy/dA_k) at the image, and the
        /// integrated contribution sum_ij A_k(x) * (1/m) sum_s GAP(dy/dA_k(x_s)).
        public var gradWeights: [Float]
        public var integratedContribution: [Float]
    }

    public static func convResult(steps m: Int = 50) throws -> ConvResult {
        let model = convModel()
        let ex = Explainer(model: model, pixels: image)
        let gc = try ex.explain(.gradCAM, layer: "A", classIndex: 0)
        let ig = try ex.explain(.integratedGradCAM, layer: "A", classIndex: 0, options: ExplainOptions(steps: m))
        let (_, g) = try ex.gradientAtImage(layer: "A", classIndex: 0)
        let gw = CAM.channelMeans(g.data[...], channels: 2, hw: 16)
        // Per-channel integrated contribution, from the path (black baseline: A(x') = 0).
        let path = Tensor.batch((1...m).map { k in
            Tensor(shape: [1, 3, 4, 4], data: image.map { $0 * Float(k) / Float(m) })
        })
        let r = try model.engine.gradient(path, layer: "A", classes: [Int](repeating: 0, count: m), capture: [])
        // Integrated gradients of the score with respect to each channel's total activation:
        // sum_ij A_k(x) * (1/m) sum_s GAP(dy/dA_k(x_s)). The path is linear in A here, so these
        // add up to y(x) - y(black) (completeness), while Grad-CAM's weights miss channel 0.
        let last = (m - 1) * 32
        let total = CAM.channelMeans(r.activation.data[last ..< last + 32], channels: 2, hw: 16).map { $0 * 16 }
        var contrib: [Float] = [0, 0]
        for s in 0..<m {
            let gb = CAM.channelMeans(r.gradient.data[s * 32 ..< s * 32 + 32], channels: 2, hw: 16)
            for k in 0..<2 { contrib[k] += gb[k] * total[k] / Float(m) }
        }
        return ConvResult(gradCAM: gc, integrated: ig, gradWeights: gw, integratedContribution: contrib)
    }
}
