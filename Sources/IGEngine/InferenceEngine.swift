/// What explanation methods need from a network, whatever runs it.
///
/// Two engines implement it: `ReferenceEngine` (plain Swift, one op at a
/// time, obviously right) and the oneDNN engine in IGFast (held to the
/// reference by tests). Every call is independent, so one engine may be used
/// from several threads.
public protocol InferenceEngine: AnyObject, Sendable {
    var graph: Graph { get }

    /// The network on a batch [N, C, H, W]: the output [N, classes] and every
    /// tensor named in `capture` (batch-first, NCHW).
    func forward(_ input: Tensor, capture: Set<String>) throws -> ForwardResult

    /// Forward, then backward of `sum_n output[n, classes[n]]` down to `layer`
    /// only (never to the input or the weights unless `layer` is the input).
    /// A class may be `topPrediction`: that item's own top-1 class.
    func gradient(_ input: Tensor, layer: String, classes: [Int], capture: Set<String>) throws -> GradientResult

    /// Runs only the nodes after `layer`, starting from `activation`
    /// [N, ...]. Other tensors those nodes read (skip connections from before
    /// the layer) come from `context`, batch 1 or N. See `GraphPlan.headInputs`.
    func head(from layer: String, activation: Tensor, context: [String: Tensor]) throws -> Tensor
}

public struct ForwardResult: Sendable {
    public var output: Tensor
    public var captured: [String: Tensor]
    public init(output: Tensor, captured: [String: Tensor]) { self.output = output; self.captured = captured }
}

public struct GradientResult: Sendable {
    public var output: Tensor
    /// The target layer's value [N, C, h, w].
    public var activation: Tensor
    /// d sum_n y^{c_n}_n / d activation, same shape.
    public var gradient: Tensor
    public var captured: [String: Tensor]
    public init(output: Tensor, activation: Tensor, gradient: Tensor, captured: [String: Tensor]) {
        self.output = output; self.activation = activation; self.gradient = gradient; self.captured = captured
    }
}

extension InferenceEngine {
    public func forward(_ input: Tensor) throws -> Tensor { try forward(input, capture: []).output }

    /// Checks an input batch against the graph's per-item input shape.
    public func checkInput(_ input: Tensor) throws {
        guard input.rank == 4, Array(input.shape.dropFirst()) == graph.inputShape, input.shape[0] >= 1 else {
            throw EngineError("input of shape \(input.shape) does not match the model's [N] + \(graph.inputShape)")
        }
    }
}

/// A class of `topPrediction` in `gradient(_:layer:classes:capture:)` stands
/// for the item's own top-1 class, picked from its output after the forward:
/// the default explanation then costs one pass, not a forward to find the
/// class and a second one to explain it.
public let topPrediction = -1

/// The seed of a backward pass: one-hot on class `classes[n]` for item n
/// (`topPrediction`: the index of item n's largest output, the first on ties).
public func oneHotSeed(output: Tensor, classes: [Int]) throws -> Tensor {
    let outputShape = output.shape
    guard outputShape.count >= 2, classes.count == outputShape[0] else {
        throw EngineError("need one class per batch item: \(classes.count) classes for output \(outputShape)")
    }
    let k = outputShape.dropFirst().reduce(1, *)
    var seed = Tensor(zeros: outputShape)
    for (n, c0) in classes.enumerated() {
        var c = c0
        if c == topPrediction {
            let row = output.data[n * k ..< (n + 1) * k]
            c = row.indices.max { row[$0] < row[$1] || (row[$0] == row[$1] && $0 > $1) }! - n * k
        }
        guard c >= 0, c < k else { throw EngineError("class \(c) is out of range 0..<\(k)") }
        seed.data[n * k + c] = 1
    }
    return seed
}

/// Repeats a batch-1 tensor n times along the batch axis.
public func tileBatch(_ t: Tensor, to n: Int) -> Tensor {
    if t.shape.first == n { return t }
    return Tensor.batch([Tensor](repeating: t, count: n))
}
