/// The engine's graph: a topologically ordered list of typed nodes over
/// named tensors. Model importers (ONNX) lower into this; backends run it.
///
/// Parameters (conv weights, biases, Gemm matrices, constant operands) are
/// named entries of `constants`, referenced from node inputs like any other
/// tensor. Backward never differentiates with respect to a constant.

/// An activation fused into a convolution or Gemm.
public enum Activation: Sendable, Equatable {
    case none
    case relu
    case clip(min: Float, max: Float)

    /// The same activation as a stand-alone op (nil for `.none`).
    public var unary: UnaryOp? {
        switch self {
        case .none: return nil
        case .relu: return .relu
        case .clip(let lo, let hi): return .clip(min: lo, max: hi)
        }
    }
}

public struct ConvAttributes: Sendable, Equatable {
    /// (stride_h, stride_w)
    public var strides: [Int]
    /// (top, left, bottom, right)
    public var pads: [Int]
    /// (dilation_h, dilation_w)
    public var dilations: [Int]
    public var group: Int
    public var activation: Activation

    public init(strides: [Int] = [1, 1], pads: [Int] = [0, 0, 0, 0], dilations: [Int] = [1, 1],
                group: Int = 1, activation: Activation = .none) {
        self.strides = strides; self.pads = pads; self.dilations = dilations
        self.group = group; self.activation = activation
    }
}

public struct PoolAttributes: Sendable, Equatable {
    /// (k_h, k_w)
    public var kernel: [Int]
    public var strides: [Int]
    /// (top, left, bottom, right)
    public var pads: [Int]
    public var dilations: [Int]
    public var ceilMode: Bool
    /// AveragePool only: count padded cells in the divisor.
    public var countIncludePad: Bool

    public init(kernel: [Int], strides: [Int] = [1, 1], pads: [Int] = [0, 0, 0, 0],
                dilations: [Int] = [1, 1], ceilMode: Bool = false, countIncludePad: Bool = false) {
        self.kernel = kernel; self.strides = strides; self.pads = pads
        self.dilations = dilations; self.ceilMode = ceilMode; self.countIncludePad = countIncludePad
    }
}

public struct GemmAttributes: Sendable, Equatable {
    public var alpha: Float
    public var beta: Float
    public var transA: Bool
    public var transB: Bool
    public var activation: Activation
    public init(alpha: Float = 1, beta: Float = 1, transA: Bool = false, transB: Bool = false,
                activation: Activation = .none) {
        self.alpha = alpha; self.beta = beta; self.transA = transA; self.transB = transB
        self.activation = activation
    }
}

/// An element-wise activation y = f(x), with its attributes. Every switch
/// over it is exhaustive (no `default:`), so a new case makes the compiler
/// point at each place that must handle it (docs/ENGINE.md, "Adding an ONNX op").
public enum UnaryOp: Sendable, Equatable {
    case relu
    case clip(min: Float, max: Float)
    case leakyRelu(alpha: Float)
    case sigmoid
    case hardSigmoid(alpha: Float, beta: Float)
    case hardSwish
    /// x if x > 0 else alpha * (exp(x) - 1) (ONNX Elu).
    case elu(alpha: Float)

    /// Which activation, without its attributes: one case per ONNX op type,
    /// whose name is the raw value. The importer looks ONNX op types up here.
    public enum Kind: String, Sendable, CaseIterable {
        case relu = "Relu"
        case clip = "Clip"
        case leakyRelu = "LeakyRelu"
        case sigmoid = "Sigmoid"
        case hardSigmoid = "HardSigmoid"
        case hardSwish = "HardSwish"
        case elu = "Elu"
    }

    public var kind: Kind {
        switch self {
        case .relu: return .relu
        case .clip: return .clip
        case .leakyRelu: return .leakyRelu
        case .sigmoid: return .sigmoid
        case .hardSigmoid: return .hardSigmoid
        case .hardSwish: return .hardSwish
        case .elu: return .elu
        }
    }

    /// The op's name as ONNX spells it.
    public var name: String { kind.rawValue }
}

/// Element-wise arithmetic on two inputs with numpy broadcasting; the raw
/// value is the ONNX op type. `max`: the larger of the two (ONNX Max of two
/// inputs; ties send the gradient to the first).
public enum BinaryOp: String, Sendable, Equatable, CaseIterable {
    case add = "Add"
    case sub = "Sub"
    case mul = "Mul"
    case div = "Div"
    case max = "Max"

    /// The op's name as ONNX spells it.
    public var name: String { rawValue }
}

/// Every operation the engine runs. Attributes are resolved at import time
/// (shape arithmetic is folded away), so each case is fully static.
public enum Op: Sendable, Equatable {
    /// inputs: x, W [, B]
    case conv(ConvAttributes)
    /// Inference batch norm as a per-channel affine map y = x * scale[c] + shift[c].
    /// inputs: x, scale [C], shift [C]
    case batchNorm
    /// An element-wise activation (see `UnaryOp`). inputs: x
    case unary(UnaryOp)
    /// Element-wise arithmetic with numpy broadcasting (see `BinaryOp`); either
    /// input may be a constant. inputs: a, b
    case binary(BinaryOp)
    /// inputs: x, slope (broadcast to x): x if x >= 0 else slope * x.
    case prelu
    /// Local response normalisation across channels (ONNX LRN).
    case lrn(size: Int, alpha: Float, beta: Float, bias: Float)
    case maxPool(PoolAttributes)
    case averagePool(PoolAttributes)
    case globalAveragePool
    case globalMaxPool
    /// Flatten to 2-D at `axis`.
    case flatten(axis: Int)
    /// Reshape keeping the batch axis: output is [N] + rest, where `rest` is
    /// the target shape after its first entry with one -1 / 0 resolved per item.
    case reshape(shape: [Int])
    case squeeze(axes: [Int])
    case unsqueeze(axes: [Int])
    case transpose(perm: [Int])
    /// inputs: A, B [, C]
    case gemm(GemmAttributes)
    case matMul
    case concat(axis: Int)
    case softmax(axis: Int)
    case logSoftmax(axis: Int)
    /// Dropout (inference) and Identity.
    case identity
    /// Constant padding; `pads` as ONNX: all begins then all ends.
    case pad(pads: [Int], value: Float)
    /// Edge (replicate the border) or reflect (mirror without repeating the
    /// border) padding; `pads` as for `pad`.
    case padBorder(pads: [Int], reflect: Bool)
    case reduceMean(axes: [Int], keepDims: Bool)

    /// The op's name as ONNX spells it.
    public var name: String {
        switch self {
        case .conv: return "Conv"
        case .batchNorm: return "BatchNormalization"
        case .unary(let u): return u.name
        case .binary(let b): return b.name
        case .prelu: return "PRelu"
        case .lrn: return "LRN"
        case .globalMaxPool: return "GlobalMaxPool"
        case .maxPool: return "MaxPool"
        case .averagePool: return "AveragePool"
        case .globalAveragePool: return "GlobalAveragePool"
        case .flatten: return "Flatten"
        case .reshape: return "Reshape"
        case .squeeze: return "Squeeze"
        case .unsqueeze: return "Unsqueeze"
        case .transpose: return "Transpose"
        case .gemm: return "Gemm"
        case .matMul: return "MatMul"
        case .concat: return "Concat"
        case .softmax: return "Softmax"
        case .logSoftmax: return "LogSoftmax"
        case .identity: return "Identity"
        case .pad, .padBorder: return "Pad"
        case .reduceMean: return "ReduceMean"
        }
    }
}

public struct Node: Sendable, Equatable {
    public var name: String
    public var op: Op
    public var inputs: [String]
    public var output: String

    public init(name: String, op: Op, inputs: [String], output: String) {
        self.name = name; self.op = op; self.inputs = inputs; self.output = output
    }
}

public struct Graph: Sendable {
    /// Topologically sorted.
    public var nodes: [Node]
    public var constants: [String: Tensor]
    /// Name of the image input, NCHW.
    public var input: String
    /// Per-item input shape [C, H, W].
    public var inputShape: [Int]
    /// Name of the logits output, [N, classes].
    public var output: String
    /// Per-item shapes of every non-constant tensor (without the batch axis),
    /// filled by `inferShapes()`.
    public var shapes: [String: [Int]]
    /// Optional friendlier names for tensors (e.g. the PyTorch module path
    /// `layer4.2` for `/layer4/layer4.2/relu_2/Relu_output_0`).
    public var aliases: [String: String]
    /// Set when the model file ended in a Softmax (or LogSoftmax) over the
    /// classes, which the importer removed: `output` is then that op's input
    /// (the logits, the paper's y^c) and the value names the op. The model's
    /// own probabilities are softmax(output), which is exactly what it computed.
    public var removedSoftmax: String? = nil
    /// The file's name for the removed Softmax's output (set with `removedSoftmax`).
    public var fileOutput: String? = nil

    public init(nodes: [Node], constants: [String: Tensor], input: String, inputShape: [Int],
                output: String, aliases: [String: String] = [:]) {
        self.nodes = nodes; self.constants = constants; self.input = input
        self.inputShape = inputShape; self.output = output; self.shapes = [:]; self.aliases = aliases
    }
}
